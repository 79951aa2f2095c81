"""Standard setting (modified Angoff): what the admin and the panel send, and what each reads back.

A panel member's view of a study has their own ratings and the panel's means of the earlier rounds; the admin's
has the panel, and the result (``StudyResultSchema``) every rater's ratings and cut."""

from decimal import Decimal

from marshmallow import RAISE, ValidationError, fields

from .base import Length, Range, Schema, Timestamp
from .exams import VersionRefSchema
from .items import OptionSchema

TITLE = "Cần nhập tên đợt xác định điểm chuẩn (tối đa 300 ký tự)."
PANEL = "Cần ít nhất một thành viên hội đồng (tên đăng nhập), tối đa 50."
PER_CELL = "Số câu mỗi ô phải là số nguyên từ {min} đến {max}."
ITEM_IDS = "Danh sách phiên bản câu hỏi phải là các số nguyên, tối đa 500."
PROBABILITY = "Xác suất phải là một số từ 0 đến 1 (ví dụ 0.65), tối đa 4 chữ số thập phân."
RATINGS = "Cần một danh sách đánh giá (từ 1 đến 500 câu)."


class StudyCreateSchema(Schema):
    """A study of a blueprint's current version: the panel, and the items to rate (a number per cell drawn at
    random, or the item versions listed)."""

    class Meta:
        unknown = RAISE

    blueprint = fields.String(required=True, validate=Length(min=1, max=40),
                              error_messages={"required": "Cần chọn cấu trúc đề."})
    title = fields.String(required=True, validate=Length(min=1, max=300, error=TITLE),
                          error_messages={"required": TITLE, "invalid": TITLE})
    panel = fields.List(fields.String(validate=Length(min=1, max=80)), required=True,
                        validate=Length(min=1, max=50, error=PANEL), error_messages={"required": PANEL,
                                                                                    "invalid": PANEL})
    items_per_cell = fields.Integer(load_default=3, validate=Range(min=1, max=20, error=PER_CELL.format(min=1, max=20)),
                                    error_messages={"invalid": PER_CELL.format(min=1, max=20)})
    item_version_ids = fields.List(fields.Integer(strict=True, validate=Range(min=1, max=2**31 - 1)),
                                   load_default=list, validate=Length(max=500, error=ITEM_IDS),
                                   error_messages={"invalid": ITEM_IDS},
                                   metadata={"description": "phiên bản câu hỏi cần đánh giá; để trống thì rút "
                                                            "ngẫu nhiên items_per_cell câu mỗi ô"})


def exact_probability(value: Decimal) -> None:
    """0..1 with at most 4 decimals. (A function, not `Range`: the OpenAPI document would give a Decimal field's
    bounds as strings; they are written in the field's metadata instead.)"""
    if not 0 <= value <= 1 or value != value.quantize(Decimal("0.0001")):
        raise ValidationError(PROBABILITY)


class RatingSchema(Schema):
    class Meta:
        unknown = RAISE

    item_version_id = fields.Integer(required=True, strict=True, validate=Range(min=1, max=2**31 - 1))
    probability = fields.Decimal(required=True, allow_nan=False,
                                 validate=exact_probability,
                                 error_messages={"invalid": PROBABILITY, "special": PROBABILITY},
                                 metadata={"description": "xác suất người vừa đủ năng lực làm đúng câu này, 0..1, "
                                                          "tối đa 4 chữ số thập phân",
                                           "minimum": 0, "maximum": 1})


class RatingsSchema(Schema):
    class Meta:
        unknown = RAISE

    ratings = fields.List(fields.Nested(RatingSchema), required=True, validate=Length(min=1, max=500, error=RATINGS),
                          error_messages={"required": RATINGS, "invalid": RATINGS})


class SavedSchema(Schema):
    saved = fields.Integer()
    round = fields.Integer()


class PanelistSchema(Schema):
    username = fields.String(attribute="user.username")
    full_name = fields.String(attribute="user.full_name")
    role = fields.String(attribute="user.role")


class StudyItemSchema(Schema):
    """An item to rate, with its key (raters judge the item as it is marked), and the reader's own work on it."""

    item_version_id = fields.Integer()
    code = fields.String()
    type = fields.String()
    stem = fields.String()
    options = fields.List(fields.Nested(OptionSchema))
    key = fields.Raw()
    area = fields.String()
    level = fields.String()
    competence = fields.String()
    my_probability = fields.String(allow_none=True, metadata={"description": "đánh giá của bạn ở vòng này"})
    my_previous = fields.String(allow_none=True, metadata={"description": "đánh giá gần nhất của bạn ở vòng trước"})
    panel_mean_percent = fields.Float(allow_none=True, metadata={"description": "trung bình của hội đồng ở các "
                                                                                "vòng trước (từ vòng 2)"})


class StudySchema(Schema):
    views = {
        "admin": ("id", "title", "status", "round", "blueprint", "created_by", "created_at", "item_count", "panel",
                  "cut_percent", "pass_percent", "derived_by", "derived_at", "result_blueprint", "figures"),
        "panel": ("id", "title", "status", "round", "blueprint", "created_at", "item_count", "cut_percent",
                  "pass_percent", "derived_at", "result_blueprint"),
    }

    id = fields.Integer()
    title = fields.String()
    status = fields.String(metadata={"description": "open, derived, cancelled"})
    round = fields.Integer(metadata={"description": "vòng đánh giá hiện tại"})
    blueprint = fields.Method("_blueprint", metadata={"description": "{code, version} được đánh giá"})
    created_by = fields.String(attribute="created_by.username", allow_none=True)
    created_at = Timestamp()
    item_count = fields.Function(lambda study: len(study.items))
    panel = fields.List(fields.Nested(PanelistSchema))
    cut_percent = fields.Float(allow_none=True, metadata={"description": "điểm chuẩn đã xác định, 2 chữ số thập phân"})
    pass_percent = fields.Integer(allow_none=True, metadata={"description": "ngưỡng đạt của phiên bản mới"})
    derived_by = fields.String(attribute="derived_by.username", allow_none=True)
    derived_at = Timestamp(allow_none=True)
    result_blueprint = fields.Nested(VersionRefSchema, allow_none=True)
    figures = fields.Dict(allow_none=True, metadata={"description": "số liệu của hội đồng lúc xác định"})

    def _blueprint(self, study):
        return {"code": study.blueprint_code, "version": study.blueprint_version}


class StudyDetailSchema(StudySchema):
    views = {name: (*fields_, "items") for name, fields_ in StudySchema.views.items()}

    items = fields.List(fields.Nested(StudyItemSchema))


class MissingSchema(Schema):
    username = fields.String()
    full_name = fields.String()
    items = fields.List(fields.String(), metadata={"description": "mã các câu chưa đánh giá"})


class ItemFiguresSchema(Schema):
    item_version_id = fields.Integer()
    code = fields.String()
    area = fields.String()
    level = fields.String()
    weight = fields.String(metadata={"description": "trọng số: số câu của ô trong đề / số câu của ô được đánh giá"})
    mean_percent = fields.Float(allow_none=True)
    ratings = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "tên đăng nhập → %"})


class StudyResultSchema(Schema):
    study_id = fields.Integer()
    status = fields.String()
    round = fields.Integer()
    complete = fields.Boolean(metadata={"description": "mọi thành viên đã đánh giá mọi câu"})
    cut_percent = fields.Float(allow_none=True,
                               metadata={"description": "điểm chuẩn (%) từ những người đã đánh giá đủ"})
    pass_percent = fields.Integer(allow_none=True, metadata={"description": "ngưỡng đạt sẽ đặt: làm tròn đến %"})
    spread = fields.Float(allow_none=True, metadata={"description": "độ lệch chuẩn điểm chuẩn của các thành viên"})
    standard_error = fields.Float(allow_none=True)
    raters = fields.Integer()
    panel_size = fields.Integer()
    rater_cuts = fields.Dict(keys=fields.String(), values=fields.Float())
    rounds = fields.Dict(keys=fields.String(), values=fields.Float(),
                         metadata={"description": "điểm chuẩn sau mỗi vòng"})
    missing = fields.List(fields.Nested(MissingSchema))
    items = fields.List(fields.Nested(ItemFiguresSchema))
