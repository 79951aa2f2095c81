"""The one error body of the API, as service/errors.py sends it (and the OpenAPI document says)."""

from marshmallow import fields

from .base import Schema


class ErrorSchema(Schema):
    code = fields.String(metadata={"description": "Mã lỗi cho máy đọc, ví dụ validation_error"})
    status = fields.Integer(metadata={"description": "Mã trạng thái HTTP"})
    message = fields.String(metadata={"description": "Thông báo tiếng Việt"})
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "Lỗi theo từng trường: danh sách thông báo (theo vị trí với "
                                                  "trường danh sách)"})
