"""Signing in and changing one's password."""

from marshmallow import RAISE, fields

from .base import Length, Schema


class LoginSchema(Schema):
    class Meta:
        unknown = RAISE

    username = fields.String(required=True, validate=Length(min=1, max=80))
    password = fields.String(required=True, validate=Length(min=1, max=1024))


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"description": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "giây"})


class PasswordSchema(Schema):
    class Meta:
        unknown = RAISE

    current_password = fields.String(required=True, validate=Length(max=1024))
    new_password = fields.String(required=True, validate=Length(max=1024))


class PasswordChangedSchema(Schema):
    changed = fields.Boolean()
