from marshmallow import fields

from .base import Schema


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok khi cơ sở dữ liệu trả lời"})
