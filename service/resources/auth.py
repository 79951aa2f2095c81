from flask import current_app, request
from flask.views import MethodView

from .. import accounts, auth
from ..auth import current_user, requires
from ..errors import ApiError
from ..schemas.auth import LoginSchema, PasswordChangedSchema, PasswordSchema, TokenSchema
from . import Blueprint

blp = Blueprint("auth", __name__, description="Xác thực")


@blp.route("/auth/token")
class Token(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, body):
        """Exchange a username and password for a bearer token.

        :raise 401: wrong credentials. :raise 429: too many failures for this account or address.
        """
        user = auth.authenticate(body["username"], body["password"], request.remote_addr or "unknown")
        return {
            "access_token": auth.issue_token(user),
            "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_TTL_SECONDS"],
        }


@blp.route("/auth/password")
class Password(MethodView):
    @requires("candidate", "author", "reviewer", "proctor", "unit_manager")
    @blp.arguments(PasswordSchema)
    @blp.response(200, PasswordChangedSchema)
    def post(self, body):
        """Change one's own password; every token issued before stops working (sign in again)."""
        try:
            accounts.change_password(current_user(), body["current_password"], body["new_password"])
        except accounts.AccountError as exc:
            raise ApiError(422, "invalid_password", str(exc), {"new_password": [str(exc)]}) from exc
        return {"changed": True}
