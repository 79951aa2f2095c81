from flask.views import MethodView
from sqlalchemy import select

from .. import audit, issuing
from ..auth import current_user, requires
from ..downloads import FILE, certificate_pdf, certificates_zip
from ..errors import get_or_404, not_found
from ..extensions import db
from ..models import Certificate, ExamSession
from ..schemas.certificates import CertificateSchema, ReissueSchema, RevokeSchema, SessionCertificatesSchema
from ..unit_of_work import own_commits
from . import Blueprint

blp = Blueprint("certificates", __name__, description="Giấy chứng nhận")

BULK_BATCH = 50


def _certificate(public_id: str) -> Certificate:
    cert = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if cert is None:
        raise not_found("Không tìm thấy chứng nhận.")
    return cert


def _visible_certificate(public_id: str) -> Certificate:
    """The certificate if the caller may see it: its holder, admins, proctors, or the holder's unit manager."""
    cert = _certificate(public_id)
    if issuing.visible_to(cert, current_user()):
        return cert
    raise not_found("Không tìm thấy chứng nhận.")


@blp.route("/certificates/<public_id>")
class CertificateResource(MethodView):
    @requires("candidate", "proctor", "unit_manager")
    @blp.response(200, CertificateSchema)
    def get(self, public_id):
        return _visible_certificate(public_id)


@blp.route("/certificates/<public_id>/pdf")
class CertificatePdf(MethodView):
    @requires("candidate", "proctor", "unit_manager")
    @blp.response(200, FILE, content_type="application/pdf")
    def get(self, public_id):
        """The signed PDF, exactly the bytes stored at issue (rendered and signed on first download)."""
        cert = _visible_certificate(public_id)
        return certificate_pdf(issuing.render(cert), cert.serial)


@blp.route("/certificates/<public_id>/revoke")
class Revoke(MethodView):
    @requires()
    @blp.arguments(RevokeSchema)
    @blp.response(200, CertificateSchema)
    def post(self, body, public_id):
        """Revoke with a reason (admin, audited)."""
        return issuing.revoke(_certificate(public_id), body["reason"], current_user())


@blp.route("/certificates/<public_id>/reissue")
class Reissue(MethodView):
    @requires()
    @blp.arguments(ReissueSchema)
    @blp.response(201, CertificateSchema)
    def post(self, body, public_id):
        """Reissue after a name correction: a new certificate; the old one becomes superseded (admin, audited)."""
        return issuing.reissue(_certificate(public_id), body["holder_name"], body["reason"], current_user())


def _session_certificates(session_id: int):
    get_or_404(ExamSession, session_id, "Không tìm thấy kỳ sát hạch.")
    return issuing.session_certificates(session_id)


@blp.route("/exam-sessions/<int:session_id>/certificates")
class SessionCertificates(MethodView):
    @requires("proctor")
    @blp.response(200, SessionCertificatesSchema)
    def get(self, session_id):
        """Progress of the session's certificates: how many are rendered and signed."""
        _session_certificates(session_id)
        return issuing.session_progress(session_id)

    @requires("proctor")
    @blp.response(200, SessionCertificatesSchema)
    @own_commits
    def post(self, session_id):
        """Bulk issue: render and sign the next batch of pending PDFs; call again until `pending` is 0."""
        rendered = 0
        for _ in issuing.render_pending(_session_certificates(session_id), BULK_BATCH):
            db.session.commit()  # each signed PDF is kept as soon as it is made
            rendered += 1
        audit.record(current_user(), "certificates.bulk_issue", "exam_session", session_id, rendered=rendered)
        return issuing.session_progress(session_id)


@blp.route("/exam-sessions/<int:session_id>/certificates.zip")
class SessionCertificatesZip(MethodView):
    @requires("proctor")
    @blp.response(200, FILE, content_type="application/zip")
    @own_commits
    def get(self, session_id):
        """Every valid certificate of the session as one ZIP of the stored PDFs (pending ones are rendered)."""
        return certificates_zip(_session_certificates(session_id), f"chung-nhan-ky-{session_id}.zip",
                                current_user(), "exam_session", session_id)
