"""Issued certificates, their serial counters, and the keys that sign QR tokens."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import utcnow

KEY_STATUSES = ("active", "retired", "compromised")


class TokenKey(db.Model):
    """Public part and status of an Ed25519 token key; the private key stays in the key store."""

    __tablename__ = "token_keys"
    kid: Mapped[str] = mapped_column(String(40), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(20), default="EdDSA")
    public_key: Mapped[str] = mapped_column(String(100))  # base64url raw Ed25519 public key
    status: Mapped[str] = mapped_column(String(20), default="active")
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime | None]


class SerialCounter(db.Model):
    __tablename__ = "serial_counters"
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Certificate(db.Model):
    """What was printed, frozen at issue: later changes to the person, unit, issuer or the service's address never
    alter it.
    `(attempt_id, reissue_no)` is unique, so an attempt gets at most one original certificate."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("attempt_id", "reissue_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    reissue_no: Mapped[int] = mapped_column(default=0)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None]
    unit_code: Mapped[str | None] = mapped_column(String(40))
    unit_name: Mapped[str | None] = mapped_column(String(300))
    audience_name: Mapped[str] = mapped_column(String(300))
    issuer_name: Mapped[str] = mapped_column(String(300))
    issuer_place: Mapped[str] = mapped_column(String(200))  # printed beside the issue date and in the signature
    verify_url_prefix: Mapped[str] = mapped_column(String(300))  # the QR code's URL is this and the token
    percent: Mapped[float]
    score_10: Mapped[float]
    classification_code: Mapped[str] = mapped_column(String(20))
    classification_name: Mapped[str] = mapped_column(String(60))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="valid")  # valid, revoked, superseded
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    token_kid: Mapped[str] = mapped_column(ForeignKey("token_keys.kid"))
    token: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # read only to serve the file
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)

    user = relationship("User", foreign_keys=[user_id])

    @property
    def verify_url(self) -> str:
        """What the QR code says: the verification page of this certificate, as it was at issue."""
        return self.verify_url_prefix + self.token
