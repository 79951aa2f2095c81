"""Exam sessions and attempts: what proctors send, and what each reader gets back.

An attempt's body has one named view per reader and moment (question_bank/review.py decides which): a candidate
never gets a key, correctness or explanation before the review setting allows it."""

from marshmallow import RAISE, ValidationError, fields, validates_schema

from question_bank.review import RESULT_SUMMARY, REVIEW_MODES

from .base import Length, NaiveUtcDateTime, OneOf, Range, Schema, Timestamp
from .items import OptionSchema

AFTER_OPENING = "Thời gian đóng phải sau thời gian mở."


# -- what staff send ---------------------------------------------------------------------------------------

TITLE = "Cần nhập tên kỳ sát hạch (tối đa 300 ký tự)."
ATTEMPTS = "Số lần thi tối đa phải là số nguyên từ {min} đến {max}."
RETAKE_GAP = "Số phút chờ thi lại phải là số nguyên từ {min} đến {max}."
USERNAMES = "Danh sách tên đăng nhập không hợp lệ."
UNIT_CODES = "Danh sách đơn vị không hợp lệ."


class EnrolSchema(Schema):
    class Meta:
        unknown = RAISE

    candidates = fields.List(fields.String(error_messages={"invalid": USERNAMES}), load_default=list,
                             error_messages={"invalid": USERNAMES})
    units = fields.List(fields.String(error_messages={"invalid": UNIT_CODES}), load_default=list,
                        error_messages={"invalid": UNIT_CODES})


class SessionCreateSchema(EnrolSchema):
    """A session: blueprint, window (ISO 8601; a time without offset is UTC), candidates by username or unit."""

    title = fields.String(required=True, validate=Length(min=1, max=300, error=TITLE),
                          error_messages={"required": TITLE, "invalid": TITLE})
    blueprint = fields.String(required=True, error_messages={"required": "Cần chọn cấu trúc đề."})
    opens_at = NaiveUtcDateTime(required=True)
    closes_at = NaiveUtcDateTime(required=True)
    max_attempts = fields.Integer(load_default=1, validate=Range(min=1, max=10, error=ATTEMPTS.format(min=1, max=10)),
                                  error_messages={"invalid": ATTEMPTS.format(min=1, max=10)})
    retake_gap_minutes = fields.Integer(
        load_default=0, validate=Range(min=0, max=60 * 24 * 365, error=RETAKE_GAP.format(min=0, max=60 * 24 * 365)),
        error_messages={"invalid": RETAKE_GAP.format(min=0, max=60 * 24 * 365)})
    review_mode = fields.String(load_default="areas",
                                validate=OneOf(REVIEW_MODES, error="Cần chọn một cách xem lại bài."))

    @validates_schema
    def window(self, data, **kwargs):
        if "opens_at" in data and "closes_at" in data and data["closes_at"] <= data["opens_at"]:
            raise ValidationError(AFTER_OPENING, "closes_at")


class AnswerSchema(Schema):
    class Meta:
        unknown = RAISE

    answer = fields.Raw(required=True, allow_none=True, metadata={
        "description": "một lựa chọn: mã phương án; nhiều lựa chọn: danh sách mã; đúng/sai: true hoặc false; "
                       "sắp xếp: mọi mã theo thứ tự; null: bỏ câu trả lời"})


REASON = "Cần ghi lý do, từ 3 đến 1000 ký tự."
MINUTES = "Số phút cộng thêm phải là số nguyên từ 1 đến 240."


class ReasonSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=Length(min=3, max=1000, error=REASON),
                           error_messages={"required": REASON, "invalid": REASON})


class ExtraTimeSchema(ReasonSchema):
    minutes = fields.Integer(required=True, validate=Range(min=1, max=240, error=MINUTES),
                             error_messages={"required": MINUTES, "invalid": MINUTES})


# -- what readers get ---------------------------------------------------------------------------------------


class SessionSchema(Schema):
    views = {
        "staff": ("id", "title", "blueprint", "blueprint_version", "audience", "duration_minutes", "item_count",
                  "opens_at", "closes_at", "max_attempts", "retake_gap_minutes", "review_mode"),
    }
    views["candidate"] = (*views["staff"], "attempts_used", "live_attempt_id")

    id = fields.Integer()
    title = fields.String()
    blueprint = fields.String(attribute="blueprint.code")
    blueprint_version = fields.Integer(attribute="blueprint.version")
    audience = fields.String(attribute="blueprint.audience_code")
    duration_minutes = fields.Integer(attribute="blueprint.duration_minutes")
    item_count = fields.Integer(attribute="blueprint.item_count")
    opens_at = Timestamp()
    closes_at = Timestamp()
    max_attempts = fields.Integer()
    retake_gap_minutes = fields.Integer()
    review_mode = fields.String()
    attempts_used = fields.Integer(metadata={"description": "chỉ thí sinh: số lần đã thi"})
    live_attempt_id = fields.Integer(allow_none=True, metadata={"description": "chỉ thí sinh: bài đang làm"})


class AttemptItemSchema(Schema):
    position = fields.Integer()
    item_id = fields.Integer()
    type = fields.String()
    stem = fields.String()
    options = fields.List(fields.Nested(OptionSchema), metadata={"description": "theo thứ tự thí sinh thấy"})
    answer = fields.Raw(allow_none=True, metadata={"description": "câu trả lời đã lưu, dạng như khi gửi"})
    key = fields.Raw(metadata={"description": "chỉ khi được xem lại toàn bộ"})
    credit = fields.Float(allow_none=True, metadata={"description": "chỉ khi được xem lại toàn bộ: 0–1"})
    explanation = fields.String(metadata={"description": "chỉ khi được xem lại toàn bộ"})
    competence = fields.String(metadata={"description": "chỉ khi được xem lại toàn bộ"})


ITEM_FIELDS = ("position", "item_id", "type", "stem", "options", "answer")
KEY_FIELDS = ("key", "credit", "explanation", "competence")


class AreaResultSchema(Schema):
    code = fields.String()
    percent = fields.Float()
    passed = fields.Boolean(metadata={"description": "đạt mức tối thiểu của lĩnh vực, hoặc mức này không xét"})
    minimum_applies = fields.Boolean(dump_default=True, metadata={
        "description": "đề có đủ câu của lĩnh vực (area_min_items) để xét mức tối thiểu"})
    points = fields.Float()
    max_points = fields.Float()


class VersionRefSchema(Schema):
    code = fields.String()
    version = fields.Integer()


class ResultSchema(Schema):
    percent = fields.Float()
    score_10 = fields.Float()
    passed = fields.Boolean()
    classification = fields.String()
    classification_name = fields.String()
    points = fields.Float()
    max_points = fields.Float()
    areas = fields.List(fields.Nested(AreaResultSchema))
    missed_competences = fields.List(fields.String(), metadata={"description": "năng lực nên ôn tập"})
    blueprint = fields.Nested(VersionRefSchema)
    framework_version = fields.String()


class CertificateSummarySchema(Schema):
    id = fields.String(attribute="public_id")
    serial = fields.String()
    status = fields.String()
    verify_url = fields.String()


class AttemptSchema(Schema):
    """An attempt as its reader may see it; the view (question_bank/review.py) chooses the fields."""

    _common = ("id", "session_id", "number", "status", "started_at", "deadline", "server_time", "closed_at",
               "void_reason", *(f"items.{name}" for name in ITEM_FIELDS))
    views = {
        "sitting": _common,
        "score": (*_common, *(f"result.{name}" for name in RESULT_SUMMARY), "certificate"),
        "areas": (*_common, "result", "certificate"),
        "full": (*_common, *(f"items.{name}" for name in KEY_FIELDS), "result", "certificate"),
    }

    id = fields.Integer()
    session_id = fields.Integer()
    number = fields.Integer()
    status = fields.String(metadata={"description": "in_progress, submitted hoặc voided"})
    started_at = Timestamp()
    deadline = Timestamp()
    server_time = Timestamp()
    closed_at = Timestamp(allow_none=True)
    void_reason = fields.String(metadata={"description": "chỉ khi bài bị hủy"})
    items = fields.List(fields.Nested(AttemptItemSchema))
    result = fields.Nested(ResultSchema, metadata={"description": "sau khi nộp, theo cách xem lại của kỳ"})
    certificate = fields.Nested(CertificateSummarySchema, allow_none=True)


class SubmitSchema(Schema):
    """The same body on every repeat of a submit."""

    status = fields.String()
    result = fields.Nested(ResultSchema)
    certificate = fields.Nested(CertificateSummarySchema, allow_none=True)


class SavedAnswerSchema(Schema):
    position = fields.Integer()
    answer = fields.Raw(allow_none=True)
    saved_at = Timestamp()
    deadline = Timestamp()
    server_time = Timestamp()


class SittingSchema(Schema):
    """Who is sitting now, with answered counts."""

    attempt_id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    started_at = Timestamp()
    deadline = Timestamp()
    answered = fields.Integer()
    item_count = fields.Integer()
    overdue = fields.Boolean()


class EnrolledSchema(Schema):
    added = fields.Integer()


class ExtendedSchema(Schema):
    id = fields.Integer()
    deadline = Timestamp()


class VoidedSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    void_reason = fields.String()
