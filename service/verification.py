"""Verifying a certificate from its QR token or from its PDF.

Every invalid token (unknown, malformed, forged, signed by a compromised key, naming no certificate or
not matching it) gets the same answer, so nothing can be learned by probing."""

import functools
from datetime import date

from sqlalchemy import bindparam, select

from certificates.lifecycle import status_on
from certificates.token import InvalidToken, key_from_jwk, peek, signature_holds
from certificates.verify_pdf import check_signed_pdf

from . import keystore
from .extensions import db
from .models import Certificate, TokenKey

CHECK_NAMES = {
    "format": "Định dạng mã",
    "signature": "Chữ ký số của mã",
    "key": "Khóa ký còn tin cậy",
    "record": "Khớp với hồ sơ cấp chứng nhận",
    "status": "Chưa bị thu hồi",
    "dates": "Còn thời hạn hiệu lực",
    "pdf_signature": "Chữ ký số trên tệp PDF",
    "pdf_whole_file": "Chữ ký bao trùm toàn bộ tệp",
    "pdf_issued": "Tệp trùng khớp bản đã cấp",
}

STATUS_TEXT = {
    "valid": "HỢP LỆ",
    "revoked": "ĐÃ THU HỒI",
    "expired": "HẾT HIỆU LỰC",
    "invalid": "KHÔNG HỢP LỆ",
}


def _check(name: str, ok: bool) -> dict:
    return {"name": name, "label": CHECK_NAMES[name], "ok": ok}


def invalid_answer(checks=("format", "signature", "key", "record")) -> dict:
    """The one answer for everything that is not a genuine certificate."""
    return {"status": "invalid", "status_text": STATUS_TEXT["invalid"],
            "checks": [_check(name, False) for name in checks], "certificate": None}


@functools.lru_cache(maxsize=64)
def _public_key(kid: str, x: str):
    """The parsed key for a stored (kid, x): a pure function of its arguments, so caching it holds no state."""
    return key_from_jwk(_jwk(kid, x)).public_key


def _jwk(kid: str, x: str) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid}


# The key and the certificate a token names, in one indexed query (the names are unverified until the
# signature is checked with this very key; the record is used only after that). The certificate's columns
# keep their names, so the answer is built from this row as from a Certificate.
_KEY_AND_RECORD = (
    select(TokenKey.public_key, TokenKey.status.label("key_status"), Certificate.token, Certificate.holder_name,
           Certificate.birth_date, Certificate.unit_name, Certificate.audience_name, Certificate.classification_name,
           Certificate.issued_on, Certificate.expires_on, Certificate.serial, Certificate.issuer_name,
           Certificate.status, Certificate.revoked_at, Certificate.revoke_reason)
    .outerjoin(Certificate, Certificate.public_id == bindparam("public_id"))
    .where(TokenKey.kid == bindparam("kid"))
)


def verify_token(token: str, today: date) -> dict:
    try:
        kid, public_id = peek(token)
    except InvalidToken:
        return invalid_answer()
    with db.engine.connect() as connection:
        row = connection.execute(_KEY_AND_RECORD, {"kid": kid, "public_id": public_id}).first()
    # The record must be the one this very token was issued for, which fixes every claim; the signature must
    # hold with a key that is not compromised.
    if row is None or row.key_status == "compromised" or row.token != token \
            or not signature_holds(token, _public_key(kid, row.public_key)):
        return invalid_answer()
    return _answer(row, today, [_check("format", True), _check("signature", True), _check("key", True),
                                _check("record", True)])


def _answer(cert: Certificate, today: date, checks: list[dict]) -> dict:
    """The answer about a genuine certificate whose key is not compromised (the callers answer invalid for
    those); `certificate` is the record, which the answer's schema shows only in part
    (service/schemas/certificates.py)."""
    status = status_on(cert.status, cert.expires_on, today, key_compromised=False)
    checks = [*checks, _check("status", cert.status == "valid"),
              _check("dates", cert.expires_on is None or cert.expires_on >= today)]
    body = {"status": status, "status_text": STATUS_TEXT[status], "checks": checks, "certificate": cert}
    if status == "revoked":
        body["revoked"] = {"at": cert.revoked_at,
                           "reason": cert.revoke_reason if cert.status == "revoked"
                           else "Đã được cấp lại bằng chứng nhận khác."}
    return body


def verify_pdf(pdf: bytes, today: date) -> dict:
    """The PDF's signature must chain to our root, cover the whole file, and its hash must be an issued one;
    and the QR code printed in it must not rest on a compromised key: a compromised key makes everything it
    signed invalid, the file that carries its code included (the holder gets a reissue)."""
    check = check_signed_pdf(pdf, keystore.trust_roots())
    pdf_checks = ("pdf_signature", "pdf_whole_file", "pdf_issued")
    if not check.valid:
        return invalid_answer(pdf_checks)
    found = db.session.execute(select(Certificate, TokenKey.status).join(
        TokenKey, TokenKey.kid == Certificate.token_kid).where(Certificate.pdf_sha256 == check.sha256)).first()
    if found is None:
        return invalid_answer(pdf_checks)
    cert, key_status = found
    if key_status == "compromised":
        return invalid_answer((*pdf_checks, "key"))
    return _answer(cert, today, [*(_check(name, True) for name in pdf_checks), _check("key", True)])
