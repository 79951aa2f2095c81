"""The question bank: an item as authors write it, the staff's view of an item version, filters, the review
workflow, and the import report."""

from marshmallow import EXCLUDE, RAISE, fields

from question_bank.formats import FORMATS
from question_bank.item_types import ITEM_TYPES

from ..bank import TRANSITIONS
from ..models.bank import ITEM_STATUSES
from .base import File, Length, OneOf, PageArgs, Range, Schema


class ItemWriteSchema(Schema):
    """An item as authors write it: options as texts; key as 0-based index, list of indices, bool, or
    null for ordering (options listed in the correct order)."""

    class Meta:
        unknown = RAISE

    code = fields.String(validate=Length(min=1, max=40))
    type = fields.String(required=True, validate=OneOf(list(ITEM_TYPES)))
    stem = fields.String(required=True, validate=Length(min=1, max=5000))
    options = fields.List(fields.String(validate=Length(min=1, max=1000)), load_default=list)
    key = fields.Raw(allow_none=True, load_default=None)
    explanation = fields.String(load_default="", validate=Length(max=5000))
    competence = fields.String(required=True)
    level = fields.String(required=True)
    audiences = fields.List(fields.String(), required=True)
    source = fields.String(allow_none=True, load_default=None, validate=Length(max=1000))
    enemy_group = fields.String(allow_none=True, load_default=None, validate=Length(max=80),
                                metadata={"description": "Nhóm loại trừ: các câu cùng nhóm kiểm tra cùng một kiến "
                                                         "thức và không bao giờ cùng có trong một đề."})


class ItemFilterArgs(PageArgs):
    class Meta:
        unknown = EXCLUDE

    competence = fields.String()
    level = fields.String()
    audience = fields.String()
    status = fields.String(validate=OneOf(ITEM_STATUSES))
    q = fields.String(validate=Length(max=200))


class ExportArgs(ItemFilterArgs):
    format = fields.String(required=True, validate=OneOf(list(FORMATS)))


class TransitionSchema(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=OneOf(list(TRANSITIONS)))
    comment = fields.String(allow_none=True, validate=Length(max=2000))
    version = fields.Integer(load_default=None, allow_none=True, validate=Range(min=1, max=1_000_000))


class ImportForm(Schema):
    class Meta:
        unknown = EXCLUDE

    file = File(metadata={"description": "tệp câu hỏi: XLSX, CSV, Moodle XML hoặc GIFT"})
    format = fields.String(validate=OneOf(list(FORMATS)))
    import_valid = fields.Boolean(load_default=False)
    # Defaults for files from other systems (Moodle) that carry no competence, level or audience.
    competence = fields.String()
    level = fields.String()
    audiences = fields.String(metadata={"description": "mã đối tượng, cách nhau bởi dấu phẩy"})


class OptionSchema(Schema):
    id = fields.String()
    text = fields.String()


class VersionStatusSchema(Schema):
    number = fields.Integer()
    status = fields.String()


class ItemVersionSchema(Schema):
    """The staff's view of an item version (authors, reviewers, admins): key and explanation included."""

    id = fields.Integer(attribute="item_id", metadata={"description": "mã số câu hỏi (mọi phiên bản)"})
    code = fields.String(attribute="item.code")
    version = fields.Integer(attribute="number")
    status = fields.String()
    type = fields.String()
    stem = fields.String()
    options = fields.List(fields.Nested(OptionSchema))
    key = fields.Raw(metadata={"description": "đáp án theo dạng câu trả lời: mã phương án, danh sách mã, "
                                              "true/false, hoặc mọi mã theo thứ tự đúng"})
    explanation = fields.String()
    source = fields.String(allow_none=True)
    enemy_group = fields.String(allow_none=True)
    competence = fields.String(attribute="competence_code")
    level = fields.String(attribute="level_code")
    audiences = fields.List(fields.String(), attribute="audience_codes")
    author_id = fields.Integer(allow_none=True)
    reviewer_id = fields.Integer(allow_none=True)
    review_comment = fields.String(allow_none=True)
    used = fields.Boolean(metadata={"description": "đã được rút vào một bài thi: không bao giờ thay đổi"})
    versions = fields.List(fields.Nested(VersionStatusSchema), attribute="item.versions")


class ImportedSchema(Schema):
    location = fields.String()
    code = fields.String(allow_none=True)


class ImportSkippedSchema(ImportedSchema):
    reason = fields.String()


class ImportErrorSchema(Schema):
    location = fields.String()
    field = fields.String(allow_none=True)
    message = fields.String()


class ImportReportSchema(Schema):
    """Per question of the file; `imported` is false (status 422) when errors kept the whole file out."""

    format = fields.String()
    questions = fields.Integer()
    created = fields.List(fields.Nested(ImportedSchema))
    updated = fields.List(fields.Nested(ImportedSchema))
    skipped = fields.List(fields.Nested(ImportSkippedSchema))
    errors = fields.List(fields.Nested(ImportErrorSchema))
    imported = fields.Boolean()
