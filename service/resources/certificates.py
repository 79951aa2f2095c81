import io
import zipfile

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select

from .. import audit, clock, issuing
from ..auth import current_user, requires
from ..downloads import attachment
from ..errors import get_or_404, not_found
from ..extensions import db
from ..models import Certificate, ExamSession
from ..units import unit_subtree
from ..verification import public_view

blp = Blueprint("certificates", __name__, description="Giấy chứng nhận")

BULK_BATCH = 50


class RevokeSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class ReissueSchema(Schema):
    class Meta:
        unknown = RAISE

    holder_name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


def _certificate(public_id: str) -> Certificate:
    cert = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if cert is None:
        raise not_found("Không tìm thấy chứng nhận.")
    return cert


def _visible_certificate(public_id: str) -> Certificate:
    """The certificate if the caller may see it: its holder, admins, proctors, or the holder's unit manager."""
    cert = _certificate(public_id)
    user = current_user()
    if cert.user_id == user.id or user.role in ("admin", "proctor"):
        return cert
    if user.role == "unit_manager" and user.unit_id and cert.user.unit_id in unit_subtree(user.unit_id):
        return cert
    raise not_found("Không tìm thấy chứng nhận.")


def certificate_json(cert: Certificate) -> dict:
    return {
        "id": cert.public_id, "serial": cert.serial, "status": cert.status,
        "verify_status": issuing.status_on(cert, clock.now().date()),
        "verify_url": issuing.verify_url(cert), "attempt_id": cert.attempt_id,
        "pdf_ready": cert.pdf_sha256 is not None, "pdf_sha256": cert.pdf_sha256,
        **public_view(cert), "percent": cert.percent, "score_10": cert.score_10,
        "revoke_reason": cert.revoke_reason,
    }


def pdf_response(pdf: bytes, serial: str) -> Response:
    response = attachment(pdf, f"chung-nhan-{serial}.pdf", "application/pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/certificates/<public_id>")
class CertificateResource(MethodView):
    @requires("candidate", "proctor", "unit_manager")
    def get(self, public_id):
        return certificate_json(_visible_certificate(public_id))


@blp.route("/certificates/<public_id>/pdf")
class CertificatePdf(MethodView):
    @requires("candidate", "proctor", "unit_manager")
    @blp.response(200, content_type="application/pdf")
    def get(self, public_id):
        """The signed PDF, exactly the bytes stored at issue (rendered and signed on first download)."""
        cert = _visible_certificate(public_id)
        pdf = issuing.render(cert)
        db.session.commit()
        return pdf_response(pdf, cert.serial)


@blp.route("/certificates/<public_id>/revoke")
class Revoke(MethodView):
    @requires()
    @blp.arguments(RevokeSchema)
    def post(self, body, public_id):
        """Revoke with a reason (admin, audited)."""
        cert = _certificate(public_id)
        issuing.revoke(cert, body["reason"], current_user())
        db.session.commit()
        return certificate_json(cert)


@blp.route("/certificates/<public_id>/reissue")
class Reissue(MethodView):
    @requires()
    @blp.arguments(ReissueSchema)
    @blp.response(201)
    def post(self, body, public_id):
        """Reissue after a name correction: a new certificate; the old one becomes superseded (admin, audited)."""
        cert = _certificate(public_id)
        new = issuing.reissue(cert, body["holder_name"], body["reason"], current_user())
        db.session.commit()
        return certificate_json(new)


def _session_certificates(session_id: int):
    get_or_404(ExamSession, session_id, "Không tìm thấy kỳ sát hạch.")
    return issuing.session_certificates(session_id)


@blp.route("/exam-sessions/<int:session_id>/certificates")
class SessionCertificates(MethodView):
    @requires("proctor")
    def get(self, session_id):
        """Progress of the session's certificates: how many are rendered and signed."""
        _session_certificates(session_id)
        return issuing.session_progress(session_id)

    @requires("proctor")
    def post(self, session_id):
        """Bulk issue: render and sign the next batch of pending PDFs; call again until `pending` is 0."""
        rendered = issuing.render_pending(_session_certificates(session_id), BULK_BATCH)
        audit.record(current_user(), "certificates.bulk_issue", "exam_session", session_id, rendered=rendered)
        db.session.commit()
        return issuing.session_progress(session_id)


@blp.route("/exam-sessions/<int:session_id>/certificates.zip")
class SessionCertificatesZip(MethodView):
    @requires("proctor")
    @blp.response(200, content_type="application/zip")
    def get(self, session_id):
        """Every valid certificate of the session as one ZIP of the stored PDFs (pending ones are rendered)."""
        buffer = io.BytesIO()
        serials = []
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for cert in db.session.scalars(_session_certificates(session_id)).all():
                archive.writestr(f"{cert.serial}.pdf", issuing.render(cert))
                serials.append(cert.serial)
                db.session.commit()
        audit.record(current_user(), "certificates.download_zip", "exam_session", session_id, serials=serials)
        db.session.commit()
        return attachment(buffer.getvalue(), f"chung-nhan-ky-{session_id}.zip", "application/zip")
