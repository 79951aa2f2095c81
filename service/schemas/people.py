"""Units, accounts, a unit's results, reports and the audit log."""

from marshmallow import EXCLUDE, fields

from ..models.org import ROLES
from .base import File, Length, NaiveUtcDateTime, OneOf, PageArgs, Range, Schema, Timestamp


class UnitSchema(Schema):
    code = fields.String()
    name = fields.String()
    type = fields.String(attribute="type_code")
    type_name = fields.String(attribute="type.name")
    structure = fields.String(metadata={"description": "cơ cấu tổ chức: 2021 hoặc 2025"})
    parent = fields.String(attribute="parent.code", dump_default=None, allow_none=True)


class ResultArgs(PageArgs):
    class Meta:
        unknown = EXCLUDE

    format = fields.String(load_default="json", validate=OneOf(["json", "xlsx"]))


class UnitResultSchema(Schema):
    """One closed attempt of a unit's staff member (service/results.py)."""

    attempt_id = fields.Integer()
    full_name = fields.String()
    username = fields.String()
    unit = fields.String()
    audience = fields.String()
    session = fields.String()
    closed_at = fields.String(metadata={"description": "ngày làm bài theo giờ Việt Nam, YYYY-MM-DD"})
    percent = fields.Float(allow_none=True)
    score_10 = fields.Float(allow_none=True)
    classification = fields.String(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    certificate = fields.String(allow_none=True, metadata={"description": "số hiệu chứng nhận"})
    certificate_status = fields.String(allow_none=True, metadata={
        "description": "tình trạng hôm nay: valid, revoked, superseded, expired hoặc invalid (khóa ký đã bị lộ)"})


class UserArgs(PageArgs):
    class Meta:
        unknown = EXCLUDE

    role = fields.String(validate=OneOf(ROLES))
    unit = fields.String()
    q = fields.String(validate=Length(max=200), metadata={"description": "chữ có trong tên đăng nhập hoặc họ tên"})


class UserSchema(Schema):
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    unit = fields.String(attribute="unit.code", dump_default=None, allow_none=True)
    audience = fields.String(attribute="audience_code", allow_none=True)
    birth_date = fields.Date(allow_none=True)
    active = fields.Boolean()


class AccountImportForm(Schema):
    class Meta:
        unknown = EXCLUDE

    file = File(metadata={"description": "danh sách tài khoản: XLSX hoặc CSV"})
    import_valid = fields.Boolean(load_default=False)


class PlannedAccountSchema(Schema):
    row = fields.Integer()
    username = fields.String()


class AccountRowSchema(PlannedAccountSchema):
    password = fields.String(metadata={"description": "mật khẩu ban đầu, chỉ trả về một lần"})


class AccountSkippedSchema(Schema):
    row = fields.Integer()
    username = fields.String()
    reason = fields.String()


class AccountErrorSchema(Schema):
    row = fields.Integer()
    field = fields.String(allow_none=True)
    message = fields.String()


class AccountImportReportSchema(Schema):
    """`imported` is false (status 422) when errors kept the whole file out: `would_create` then lists what it
    would have created, without passwords."""

    created = fields.List(fields.Nested(AccountRowSchema))
    would_create = fields.List(fields.Nested(PlannedAccountSchema))
    skipped = fields.List(fields.Nested(AccountSkippedSchema))
    errors = fields.List(fields.Nested(AccountErrorSchema))
    imported = fields.Boolean()


class ReportArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(validate=Range(min=2020, max=2100))
    format = fields.String(load_default="json", validate=OneOf(["json", "xlsx"]))


class CountsSchema(Schema):
    """The people counted in a year, by measure (reports.MEASURES)."""

    enrolled = fields.Integer()
    sat = fields.Integer()
    passed = fields.Integer()
    certified = fields.Integer()


class ProgressCountsSchema(CountsSchema):
    code = fields.String()
    name = fields.String()


class AudienceProgressSchema(ProgressCountsSchema):
    target = fields.Integer(allow_none=True, metadata={"description": "chỉ tiêu của năm theo Kế hoạch"})


class UnitTypeProgressSchema(ProgressCountsSchema):
    structure = fields.String()
    target_to_2025 = fields.Integer(allow_none=True)


class UnitProgressSchema(CountsSchema):
    unit = fields.String(allow_none=True, metadata={"description": "mã đơn vị; null: người chưa gán đơn vị"})
    unit_name = fields.String(allow_none=True)
    unit_type = fields.String(allow_none=True, metadata={"description": "mã loại đơn vị (như by_unit_type)"})
    audience = fields.String(allow_none=True)
    audience_name = fields.String(allow_none=True)


class ProgressReportSchema(Schema):
    year = fields.Integer()
    plan = fields.String()
    by_audience = fields.List(fields.Nested(AudienceProgressSchema))
    by_unit_type = fields.List(fields.Nested(UnitTypeProgressSchema))
    by_unit = fields.List(fields.Nested(UnitProgressSchema), metadata={
        "description": "theo đơn vị và đối tượng: mỗi cặp có ít nhất một người được tính trong năm"})


class CompetenceRowSchema(Schema):
    unit = fields.String()
    unit_name = fields.String()
    audience = fields.String(allow_none=True)
    audience_name = fields.String(allow_none=True)
    area = fields.String()
    area_name = fields.String()
    attempts = fields.Integer()
    mean_percent = fields.Float()
    minimum_applied = fields.Integer(metadata={
        "description": "số bài có đủ câu của lĩnh vực để xét mức tối thiểu (cấu trúc đề: area_min_items)"})
    below_minimum_share = fields.Float(allow_none=True, metadata={
        "description": "tỷ lệ dưới mức tối thiểu của lĩnh vực trong các bài được xét, 0–1; "
                       "null khi không bài nào được xét"})


class CompetenceProfileSchema(Schema):
    year = fields.Integer()
    items = fields.List(fields.Nested(CompetenceRowSchema))


class AuditArgs(PageArgs):
    class Meta:
        unknown = EXCLUDE

    action = fields.String()
    actor = fields.String(metadata={"description": "tên đăng nhập của người thực hiện"})
    target_type = fields.String()
    target_id = fields.String()
    since = NaiveUtcDateTime(metadata={"description": "từ thời điểm này (ISO 8601; không ghi múi giờ là UTC)"})
    until = NaiveUtcDateTime(metadata={"description": "trước thời điểm này"})


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = Timestamp()
    actor = fields.String(attribute="actor.username", dump_default=None, allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    details = fields.Dict()
