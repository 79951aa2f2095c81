"""Organisation: unit types, the unit tree, people and their accounts."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import utcnow

ROLES = ("candidate", "author", "reviewer", "proctor", "unit_manager", "admin")


class UnitType(db.Model):
    """A kind of unit (sở, huyện, xã, …): data, because the tiers of local government change."""

    __tablename__ = "unit_types"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    structure: Mapped[str] = mapped_column(String(20))  # which administrative structure: "2021", "2025"


class Unit(db.Model):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    type_code: Mapped[str] = mapped_column(ForeignKey("unit_types.code"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    structure: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id])
    type: Mapped[UnitType] = relationship()


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None]
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    audience_code: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    token_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship()


class WebSession(db.Model):
    """A browser signed in to the web pages. Its cookie carries a random key, signed; the record is kept under
    the key's SHA-256, so the table alone opens no session. Signing out deletes the record, so a copy of the
    cookie stops working at once; a password change or a deactivation deletes every record of the account."""

    __tablename__ = "web_sessions"
    key_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginThrottle(db.Model):
    """Failed logins per client address in the current window; kept in the database so every worker sees it."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("client"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[datetime]
    failures: Mapped[int] = mapped_column(default=0)
