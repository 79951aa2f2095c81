from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from .. import auth
from ..extensions import db

blp = Blueprint("auth", __name__, description="Xác thực")


class LoginSchema(Schema):
    class Meta:
        unknown = RAISE

    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


@blp.route("/auth/token")
class Token(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, body):
        """Exchange a username and password for a bearer token.

        :raise 401: wrong credentials. :raise 429: too many failures for this account or address.
        """
        user = auth.authenticate(body["username"], body["password"], request.remote_addr or "unknown")
        db.session.commit()
        return {
            "access_token": auth.issue_token(user),
            "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_TTL_SECONDS"],
        }
