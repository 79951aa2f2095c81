"""Exam sessions, enrolments, attempts and their saved answers."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, utcnow

ATTEMPT_STATUSES = ("in_progress", "submitted", "voided")


class ExamSession(db.Model):
    __tablename__ = "exam_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("blueprints.id"))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    max_attempts: Mapped[int] = mapped_column(default=1)
    retake_gap_minutes: Mapped[int] = mapped_column(default=0)
    review_mode: Mapped[str] = mapped_column(String(10), default="areas")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    blueprint = relationship("Blueprint")


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class Attempt(db.Model):
    """One sitting. `live_slot` is set only while in progress: its unique index allows one live attempt
    per candidate and session on every backend (NULLs never collide)."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("live_slot"),
        UniqueConstraint("session_id", "user_id", "number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    live_slot: Mapped[str | None] = mapped_column(String(40))
    seed: Mapped[int] = mapped_column(BigInteger)  # 63 random bits
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("blueprints.id"))
    framework_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    deadline: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(20))  # submit, timeout, void
    void_reason: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSONType)

    session: Mapped[ExamSession] = relationship()
    blueprint = relationship("Blueprint")
    user = relationship("User")
    items: Mapped[list["AttemptItem"]] = relationship(order_by="AttemptItem.position")


class AttemptItem(db.Model):
    """One drawn item: the exact version and option order shown, and the candidate's saved answer."""

    __tablename__ = "attempt_items"
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    option_order: Mapped[list] = mapped_column(JSONType)
    answer: Mapped[object | None] = mapped_column(JSONType)
    answered_at: Mapped[datetime | None]
    credit: Mapped[float | None]

    version = relationship("ItemVersion")
