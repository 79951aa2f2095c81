"""What every schema shares: Vietnamese messages (written once, here), named views per reader, the service's
time fields, and pages of results.

Messages: a field or validator left with marshmallow's English default gets the Vietnamese one below when its
schema is built; a message a schema sets itself is kept. So the API's 422 bodies and the pages' forms say the
same thing in the same words."""

from datetime import UTC
from typing import ClassVar

import marshmallow as ma
from flask import Response, jsonify
from flask_smorest.fields import Upload
from marshmallow import fields, validate
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

REQUIRED = "Bắt buộc."

SCHEMA_MESSAGES = {"type": "Dữ liệu phải là một đối tượng JSON.", "unknown": "Trường này không được chấp nhận."}
FIELD_MESSAGES = {
    "required": REQUIRED,
    "null": "Không được để trống.",
    "validator_failed": "Giá trị không hợp lệ.",
    "too_large": "Số quá lớn.",
    "special": "Phải là một số hữu hạn.",
    "invalid_utf8": "Chuỗi ký tự không hợp lệ (UTF-8).",
    "invalid_awareness": "Thời gian không hợp lệ.",
    "format": "Thời gian không hợp lệ.",
    "type": "Phải là một đối tượng.",
    "unknown": "Phải là một trong: {choices}.",
}
INVALID = {  # the "invalid" message by kind of field, most specific first
    fields.Boolean: "Phải là true hoặc false.",
    fields.Integer: "Phải là số nguyên.",
    fields.Number: "Phải là một số.",
    fields.String: "Phải là chuỗi ký tự.",
    fields.DateTime: "Phải là ngày giờ theo ISO 8601, ví dụ 2026-12-01T08:00:00+07:00.",
    fields.Date: "Phải là ngày theo dạng YYYY-MM-DD.",
    fields.List: "Phải là một danh sách.",
    fields.Dict: "Phải là một đối tượng.",
}


class Length(validate.Length):
    message_all = "Độ dài phải từ {min} đến {max} ký tự."
    message_equal = "Độ dài phải đúng {equal} ký tự."
    message_max = "Không được dài quá {max} ký tự."

    def __init__(self, min=None, max=None, **kwargs):  # noqa: A002 - marshmallow's names
        super().__init__(min=min, max=max, **kwargs)
        self.message_min = "Không được để trống." if min == 1 else "Cần ít nhất {min} ký tự."


class Range(validate.Range):
    # Range formats these once with the comparison's words ({min_op}); the doubled braces stay for the values.
    message_all = "Phải từ {{min}} đến {{max}}."
    message_min = "Phải từ {{min}} trở lên."
    message_max = "Không được lớn hơn {{max}}."


class OneOf(validate.OneOf):
    default_message = "Phải là một trong: {choices}."


def _english(field: fields.Field) -> dict:
    messages: dict = {}
    for cls in reversed(type(field).__mro__):
        messages.update(getattr(cls, "default_error_messages", {}))
    return messages


def vietnamese(field: fields.Field) -> None:
    """Give `field` (and the fields inside it) the Vietnamese messages where it has marshmallow's own."""
    english = _english(field)
    for key, message in list(field.error_messages.items()):
        if message != english.get(key):
            continue  # the schema chose this message
        if key == "invalid":
            field.error_messages[key] = next((text for kind, text in INVALID.items() if isinstance(field, kind)),
                                             FIELD_MESSAGES["validator_failed"])
        else:  # a message with no Vietnamese text of its own (an IP, a UUID) gets the general one
            field.error_messages[key] = FIELD_MESSAGES.get(key, FIELD_MESSAGES["validator_failed"])
    for inner in (getattr(field, "inner", None), getattr(field, "key_field", None),
                  getattr(field, "value_field", None)):
        if isinstance(inner, fields.Field):
            vietnamese(inner)


class Schema(ma.Schema):
    """The base of every schema. `views` names the fields each reader may see (CTFd's ``HintSchema.views``):
    ``Schema(view="candidate")`` dumps only those; dotted names reach into nested schemas."""

    views: ClassVar[dict[str, tuple[str, ...]]] = {}
    error_messages: ClassVar[dict] = SCHEMA_MESSAGES

    def __init__(self, *, view: str | None = None, **kwargs):
        if view is not None:
            kwargs["only"] = self.views[view]
        super().__init__(**kwargs)

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        vietnamese(field_obj)


class Number(fields.Number):
    """A number written as it is stored: an int stays an int (blueprint thresholds are written 60, not 60.0)."""

    num_type = float

    def _format_num(self, value):
        return value


class File(Upload):
    """A file sent in a multipart form (location "multipart"), shown as binary in the OpenAPI document."""

    def __init__(self, *, missing_message: str = "Cần gửi tệp.", **kwargs):
        super().__init__(required=True, error_messages={
            "required": missing_message, "invalid": "Phải là một tệp gửi theo multipart/form-data."}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        if not value.filename:  # the form's file field left empty
            raise self.make_error("required")
        return value


class Timestamp(fields.DateTime):
    """A stored time (naive UTC), written as ISO 8601 with a Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat() + "Z"


class NaiveUtcDateTime(fields.AwareDateTime):
    """An ISO 8601 time given to the API; a time without offset is taken as UTC. Loaded as naive UTC."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC).replace(tzinfo=None)


# -- pages of results ---------------------------------------------------------------------------------------


class PageArgs(Schema):
    class Meta:
        unknown = ma.EXCLUDE

    page = fields.Integer(load_default=1, validate=Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=Range(min=1, max=200))


_PAGES: dict[type, type] = {}


def page_schema(item: type[Schema]) -> type[Schema]:
    """The schema of a page of `item`s: {"items": [...], "total": N, "page": p, "per_page": n}; a list given
    whole (`whole_list`) has no page and per_page."""
    if item not in _PAGES:
        name = item.__name__.removesuffix("Schema") + "PageSchema"
        _PAGES[item] = type(name, (Schema,), {
            "items": fields.List(fields.Nested(item)), "total": fields.Integer(),
            "page": fields.Integer(), "per_page": fields.Integer()})
    return _PAGES[item]


def page_view(item: type[Schema], view: str) -> Schema:
    """The page schema of `item` showing each item in one of its views."""
    return page_schema(item)(only=("total", "page", "per_page", *(f"items.{name}" for name in item.views[view])))


def dumped(schema: Schema, data, status: int = 200) -> Response:
    """A JSON response dumped by `schema`, an instance with a reader's view. For routes whose body depends on
    the reader: their `@blp.response` documents the schema with every view's fields."""
    response = jsonify(schema.dump(data))
    response.status_code = status
    return response


def page_of(query, args: dict, session) -> dict:
    """Run a select for one page of rows: {"items": rows, "total": N, "page": p, "per_page": n}."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])).all()
    return {"items": rows, "total": total, "page": args["page"], "per_page": args["per_page"]}


def whole_list(rows: list) -> dict:
    """A list given whole, in the page's shape: {"items": rows, "total": N}."""
    return {"items": rows, "total": len(rows)}
