from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from .. import clock, verification
from ..errors import ApiError
from ..extensions import db
from ..models import TokenKey
from ..ratelimit import limited

blp = Blueprint("verify", __name__, description="Xác minh chứng nhận (công khai, không cần đăng nhập)")


@blp.route("/verify/keys")
class Keys(MethodView):
    def get(self):
        """The public keys of QR tokens, for offline verifiers (docs/token-format.md)."""
        rows = db.session.scalars(select(TokenKey).order_by(TokenKey.valid_from))
        return {"keys": [{
            **verification.jwk_of(row), "alg": "EdDSA", "status": row.status,
            "valid_from": row.valid_from.isoformat() + "Z",
            "valid_until": row.valid_until.isoformat() + "Z" if row.valid_until else None,
        } for row in rows]}


@blp.route("/verify/pdf")
class VerifyPdf(MethodView):
    decorators = [limited("verify", "VERIFY_RATE_LIMIT")]

    def post(self):
        """Upload a certificate PDF (multipart field `file`): signature, whole-file coverage, issued hash, status."""
        upload = request.files.get("file")
        if upload is None:
            raise ApiError(422, "validation_error", "Cần gửi tệp PDF trong trường `file`.",
                           {"file": ["Bắt buộc."]})
        return verification.verify_pdf(upload.read(), clock.now().date())


@blp.route("/verify/<path:token>")
class VerifyToken(MethodView):
    decorators = [limited("verify", "VERIFY_RATE_LIMIT")]

    def get(self, token):
        """valid, revoked, expired or invalid, with the checks made and only what HR needs to match the holder."""
        return verification.verify_token(token, clock.now().date())
