"""Issuing, rendering, revoking and reissuing certificates.

Inside the submit request only the certificate record is made: serial, public id and the signed QR token,
so the certificate verifies at once. Rendering and signing the PDF (tens of milliseconds) follows: on first
download, or in bulk by `flask certificates render` / the session's bulk-issue endpoint. Once rendered, the
PDF bytes and their SHA-256 are stored and never change."""

import hashlib
from datetime import date

from flask import current_app
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from certificates.lifecycle import INVALID, expiry_date, issue_date, standing_on, status_on, token_for_qr
from certificates.pdf import CertificateData, CertificatePDF
from certificates.serial import format_serial, new_public_id
from certificates.signing import sign_pdf
from certificates.token import TokenClaims
from question_bank.formats.text import one_line

from . import audit, clock, keystore
from .errors import ApiError
from .extensions import db
from .models import Attempt, Audience, Certificate, SerialCounter, TokenKey, Unit, User
from .units import manages, subtree_ids


def next_serial(year: int) -> str:
    """The next serial of the year. The UPDATE takes the counter's row lock until commit, so two
    transactions never get the same number; the unique index on serial is the backstop."""
    bumped = db.session.execute(
        update(SerialCounter).where(SerialCounter.year == year).values(last=SerialCounter.last + 1)
    ).rowcount
    if not bumped:
        try:
            with db.session.begin_nested():
                db.session.add(SerialCounter(year=year, last=1))
        except IntegrityError:
            db.session.execute(
                update(SerialCounter).where(SerialCounter.year == year).values(last=SerialCounter.last + 1))
    seq = db.session.scalar(select(SerialCounter.last).where(SerialCounter.year == year))
    return format_serial(current_app.config["SERIAL_PREFIX"], year, seq)


def issue_for_attempt(attempt: Attempt) -> Certificate:
    """The certificate of a passed attempt; called once, by the request that closed the attempt."""
    user: User = attempt.user
    audience = db.session.get(Audience, attempt.blueprint.audience_code)
    issued_on = issue_date(attempt.closed_at)
    return _issue(
        attempt=attempt, user=user, holder_name=user.full_name, reissue_no=0,
        audience_name=audience.name, issued_on=issued_on,
        expires_on=expiry_date(issued_on, attempt.blueprint.spec.get("validity_months")),
        result=attempt.result,
    )


def _issue(*, attempt, user, holder_name, reissue_no, audience_name, issued_on, expires_on, result,
           unit_code=None, unit_name=None, issuer_name=None, issuer_place=None) -> Certificate:
    key = keystore.active_token_key()
    public_id = new_public_id()
    unit = user.unit
    config = current_app.config
    cert = Certificate(
        public_id=public_id,
        serial=next_serial(issued_on.year),
        attempt_id=attempt.id,
        reissue_no=reissue_no,
        user_id=user.id,
        holder_name=holder_name,
        birth_date=user.birth_date,
        unit_code=unit_code or (unit.code if unit else None),
        unit_name=unit_name or (unit.name if unit else None),
        audience_name=audience_name,
        issuer_name=issuer_name or config["ISSUER_NAME"],
        issuer_place=issuer_place or config["ISSUER_PLACE"],
        verify_url_prefix=f"{config['PUBLIC_BASE_URL']}/v/",
        percent=result["percent"],
        score_10=result["score_10"],
        classification_code=result["classification"],
        classification_name=result["classification_name"],
        issued_at=clock.now(),
        issued_on=issued_on,
        expires_on=expires_on,
        token_kid=key.kid,
    )
    cert.token = token_for_qr(TokenClaims(
        public_id=cert.public_id, holder_name=cert.holder_name, unit_code=cert.unit_code or "",
        classification=cert.classification_code, percent=cert.percent, issue_date=cert.issued_on,
        expiry_date=cert.expires_on), key, cert.verify_url_prefix)
    db.session.add(cert)
    db.session.flush()
    audit.record(None, "certificate.issue", "certificate", public_id, serial=cert.serial,
                 attempt=attempt.id, reissue_no=reissue_no)
    return cert


# -- a certificate's status today: `certificates.lifecycle.standing_on`, for one record and as SQL -------------

def key_compromised(cert: Certificate) -> bool:
    """Whether the token key `cert` was issued under (the key verification checks) is marked compromised."""
    return db.session.get(TokenKey, cert.token_kid).status == "compromised"


def standing(cert: Certificate, today: date | None = None) -> str:
    """valid, revoked, superseded, expired or invalid: `cert` as its holder, staff and exports see it today."""
    return standing_on(cert.status, cert.expires_on, today or clock.today(), key_compromised=key_compromised(cert))


def verify_status(cert: Certificate, today: date | None = None) -> str:
    """What a verifier is told of `cert` today (valid, revoked, expired or invalid)."""
    return status_on(cert.status, cert.expires_on, today or clock.today(), key_compromised=key_compromised(cert))


def standing_sql(today: date):
    """`standing_on` as an SQL expression over Certificate, for filters, counts and bundles."""
    compromised = select(TokenKey.kid).where(TokenKey.status == "compromised")
    return case((Certificate.token_kid.in_(compromised), INVALID),
                (Certificate.status != "valid", Certificate.status),
                (Certificate.expires_on < today, "expired"),
                else_="valid")


def valid_on(today: date):
    """The SQL condition "valid on `today`": not revoked or superseded, not expired, its key not compromised."""
    return standing_sql(today) == "valid"


def render(cert: Certificate) -> bytes:
    """Render and sign the PDF once, store the bytes and their hash; later calls return the stored bytes.
    Only a certificate valid today gets a newly signed PDF; one rendered while it was valid stays downloadable.
    The row is locked (FOR UPDATE on PostgreSQL) so two first downloads do not both sign; the conditional
    UPDATE keeps the first stored file wherever locking is not available.

    :raise ApiError 409: `cert` has no PDF yet and is not valid today."""
    if cert.pdf_sha256 is not None:
        return cert.pdf
    refuse_new_pdf_unless_valid(cert)
    locked = db.session.scalar(select(Certificate).where(Certificate.id == cert.id).with_for_update()
                               .execution_options(populate_existing=True))
    if locked.pdf_sha256 is not None:
        return locked.pdf
    refuse_new_pdf_unless_valid(locked)
    attempt = db.session.get(Attempt, locked.attempt_id)
    blueprint = attempt.blueprint
    data = CertificateData(
        holder_name=locked.holder_name,
        birth_date=locked.birth_date,
        unit_name=locked.unit_name or "",
        audience_name=locked.audience_name,
        percent=locked.percent,
        score_10=locked.score_10,
        classification_name=locked.classification_name,
        issue_date=locked.issued_on,
        expiry_date=locked.expires_on,
        serial=locked.serial,
        issuer_name=locked.issuer_name,
        issuer_place=locked.issuer_place,
        verify_url=locked.verify_url,
        framework_label=f"Khung năng lực {attempt.framework_version}, cấu trúc đề {blueprint.code} "
                        f"phiên bản {blueprint.version}",
    )
    pdf = sign_pdf(CertificatePDF(data).render(), keystore.pdf_signer(), location=locked.issuer_place)
    # Store only if nobody stored first (SQLite has no FOR UPDATE); whoever lost returns the stored bytes.
    stored = db.session.execute(
        update(Certificate).where(Certificate.id == locked.id, Certificate.pdf_sha256.is_(None))
        .values(pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest())
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(locked, ["pdf", "pdf_sha256"])
    if stored:
        return pdf
    current_app.logger.info("certificate %s was rendered concurrently; kept the first", locked.serial)
    return locked.pdf


NOT_VALID_FOR_PDF = {
    "revoked": "đã bị thu hồi", "superseded": "đã được cấp lại bằng chứng nhận khác", "expired": "đã hết hiệu lực",
    INVALID: "có mã QR ký bằng khóa đã bị lộ",
}


def refuse_new_pdf_unless_valid(cert: Certificate) -> None:
    """:raise ApiError 409: `cert` is not valid today, so it must not get a newly signed PDF."""
    now = standing(cert)
    if now != "valid":
        raise ApiError(409, "not_valid", f"Giấy chứng nhận {cert.serial} {NOT_VALID_FOR_PDF[now]} và chưa từng "
                                         "được tạo tệp PDF, nên không thể tạo tệp PDF mới.")


def session_certificates(session_id: int):
    """The certificates of a session's attempts valid today, oldest first."""
    return (select(Certificate).join(Attempt, Attempt.id == Certificate.attempt_id)
            .where(Attempt.session_id == session_id, valid_on(clock.today())).order_by(Certificate.id))


def unit_certificates(unit: Unit, *, valid_only: bool = True):
    """The certificates (valid today) of the people now in `unit` and the units below it, oldest first."""
    query = (select(Certificate).join(User, User.id == Certificate.user_id)
             .where(User.unit_id.in_(subtree_ids(unit.id))).order_by(Certificate.id))
    return query.where(valid_on(clock.today())) if valid_only else query


def matching(text: str = "", status: str | None = None, today: date | None = None):
    """Certificates whose serial, holder's name or holder's username contains `text`, newest first; with `status`,
    only those whose standing on `today` it is (valid, revoked, superseded, expired, invalid)."""
    query = select(Certificate).join(User, User.id == Certificate.user_id).order_by(Certificate.id.desc())
    if text:
        query = query.where(Certificate.serial.icontains(text, autoescape=True)
                            | Certificate.holder_name.icontains(text, autoescape=True)
                            | User.username.icontains(text, autoescape=True))
    if status:
        query = query.where(standing_sql(today or clock.today()) == status)
    return query


def visible_to(cert: Certificate, user: User) -> bool:
    """Who may see a certificate and download its PDF: its holder, admins, proctors, the holder's unit manager."""
    return cert.user_id == user.id or user.role == "proctor" or manages(user, cert.user.unit_id)


def session_progress(session_id: int) -> dict:
    """How many of the session's certificates have their signed PDF."""
    query = session_certificates(session_id).subquery()
    total = db.session.scalar(select(func.count()).select_from(query))
    ready = db.session.scalar(select(func.count()).select_from(query).where(query.c.pdf_sha256.is_not(None)))
    return {"certificates": total, "rendered": ready, "pending": total - ready}


def render_pending(query, limit: int | None):
    """Render and sign, one by one, up to `limit` (or all) certificates of `query` that have no PDF yet and are
    valid today (one that is not never gets a newly signed PDF), yielding each once its PDF is written: the caller
    commits each, so that a long batch keeps its progress."""
    pending = query.where(Certificate.pdf_sha256.is_(None), valid_on(clock.today()))
    for cert in db.session.scalars(pending.limit(limit)).all():
        render(cert)
        yield cert


def refuse_unless_valid(cert: Certificate, doing: str) -> None:
    """:raise ApiError 409: `cert` was revoked or superseded; only a valid certificate can be `doing` ("thu hồi")."""
    if cert.status != "valid":
        raise ApiError(409, "not_valid", f"Chỉ {doing} được chứng nhận đang có hiệu lực.")


def refuse_same_name(cert: Certificate, holder_name: str) -> None:
    """:raise ApiError 422: `holder_name` is the name `cert` carries (compared as stored: NFC, single spaces, no
    invisible characters); a reissue is for a name correction."""
    if one_line(holder_name) == one_line(cert.holder_name):
        message = "Họ và tên này trùng với họ tên trên giấy chứng nhận; chỉ cấp lại khi cần sửa họ tên."
        raise ApiError(422, "validation_error", message, {"holder_name": [message]})


def listed(query) -> list[tuple[int, str]]:
    """(id, serial) of the certificates `query` selects, in its order: what a ZIP of them holds."""
    return [tuple(row) for row in db.session.execute(query.with_only_columns(Certificate.id, Certificate.serial))]


def revoke(cert: Certificate, reason: str, actor: User) -> Certificate:
    refuse_unless_valid(cert, "thu hồi")
    cert.status, cert.revoke_reason = "revoked", reason
    cert.revoked_at, cert.revoked_by_id = clock.now(), actor.id
    db.session.flush()
    audit.record(actor, "certificate.revoke", "certificate", cert.public_id, serial=cert.serial, reason=reason)
    return cert


def reissue(cert: Certificate, holder_name: str, reason: str, actor: User) -> Certificate:
    """A new certificate after a name correction; the old one is marked superseded and stops verifying as valid.
    Unit, audience, issuer, result and dates are carried over as printed on the original. The name is stored as
    every name is (one_line: NFC, no invisible formatting characters).

    :raise ApiError 409: the certificate is not valid. 422: the name is empty once cleaned, or is the name the
    certificate already carries."""
    holder_name = one_line(holder_name)
    if len(holder_name) < 2:
        raise ApiError(422, "validation_error", "Họ và tên không hợp lệ.",
                       {"holder_name": ["Cần ít nhất 2 ký tự nhìn thấy được."]})
    refuse_unless_valid(cert, "cấp lại")
    refuse_same_name(cert, holder_name)
    attempt = db.session.get(Attempt, cert.attempt_id)
    latest = db.session.scalar(select(Certificate.reissue_no).where(
        Certificate.attempt_id == cert.attempt_id).order_by(Certificate.reissue_no.desc()))
    new = _issue(
        attempt=attempt, user=db.session.get(User, cert.user_id), holder_name=holder_name,
        reissue_no=latest + 1, audience_name=cert.audience_name, issued_on=clock.today(),
        expires_on=cert.expires_on, unit_code=cert.unit_code, unit_name=cert.unit_name,
        issuer_name=cert.issuer_name, issuer_place=cert.issuer_place,
        result={"percent": cert.percent, "score_10": cert.score_10, "classification": cert.classification_code,
                "classification_name": cert.classification_name},
    )
    cert.status, cert.superseded_by_id = "superseded", new.id
    db.session.flush()
    audit.record(actor, "certificate.reissue", "certificate", cert.public_id, new=new.public_id,
                 new_serial=new.serial, reason=reason)
    return new

