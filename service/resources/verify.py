from flask.views import MethodView
from sqlalchemy import select

from .. import clock, verification
from ..extensions import db
from ..models import TokenKey
from ..ratelimit import limited
from ..schemas.certificates import PdfUploadSchema, PublicKeysSchema, VerificationSchema
from . import Blueprint

blp = Blueprint("verify", __name__, description="Xác minh chứng nhận (công khai, không cần đăng nhập)")


@blp.route("/verify/keys")
class Keys(MethodView):
    @blp.response(200, PublicKeysSchema)
    def get(self):
        """The public keys of QR tokens, for offline verifiers (docs/token-format.md)."""
        return {"keys": db.session.scalars(select(TokenKey).order_by(TokenKey.valid_from)).all()}


@blp.route("/verify/pdf")
class VerifyPdf(MethodView):
    decorators = [limited("verify", "VERIFY_RATE_LIMIT")]

    @blp.arguments(PdfUploadSchema, location="multipart")
    @blp.response(200, VerificationSchema)
    def post(self, form):
        """Upload a certificate PDF (field `file`): signature, whole-file coverage, issued hash, status."""
        return verification.verify_pdf(form["file"].read(), clock.today())


@blp.route("/verify/<path:token>")
class VerifyToken(MethodView):
    decorators = [limited("verify", "VERIFY_RATE_LIMIT")]

    @blp.response(200, VerificationSchema)
    def get(self, token):
        """valid, revoked, expired or invalid, with the checks made and only what HR needs to match the holder."""
        return verification.verify_token(token, clock.today())
