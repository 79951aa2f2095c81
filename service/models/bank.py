"""The criteria (framework, blueprints) and the versioned question bank."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, utcnow

ITEM_STATUSES = ("draft", "in_review", "active", "retired")


class FrameworkVersion(db.Model):
    """One loaded version of the criteria files; results keep the version they were scored with."""

    __tablename__ = "framework_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    content_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Audience(db.Model):
    __tablename__ = "audiences"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)


class Level(db.Model):
    __tablename__ = "levels"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    rank: Mapped[int]


class Area(db.Model):
    __tablename__ = "areas"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    competences: Mapped[list["Competence"]] = relationship(
        back_populates="area", order_by="Competence.position"
    )


class Competence(db.Model):
    __tablename__ = "competences"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    name: Mapped[str] = mapped_column(String(400))
    position: Mapped[int] = mapped_column(default=0)
    plan_refs: Mapped[list] = mapped_column(JSONType, default=list)
    digcomp: Mapped[list] = mapped_column(JSONType, default=list)
    iu: Mapped[list] = mapped_column(JSONType, default=list)
    qd757: Mapped[list | None] = mapped_column(JSONType)  # None: not yet mapped, [] nothing applies
    tt02: Mapped[list | None] = mapped_column(JSONType)
    area: Mapped[Area] = relationship(back_populates="competences")


class Blueprint(db.Model):
    """A versioned exam structure. `spec` holds the cells, pass rule and bands exactly as loaded."""

    __tablename__ = "blueprints"
    __table_args__ = (UniqueConstraint("code", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    audience_code: Mapped[str] = mapped_column(ForeignKey("audiences.code"))
    duration_minutes: Mapped[int]
    framework_version: Mapped[str] = mapped_column(String(40))
    spec: Mapped[dict] = mapped_column(JSONType)
    current: Mapped[bool] = mapped_column(default=True)

    @property
    def item_count(self) -> int:
        return sum(cell["count"] for cell in self.spec["cells"])

    @property
    def cells(self) -> list[tuple[str, str, int]]:
        """(area, level, count) per cell, as question_bank's assembly and simulation take them."""
        return [(cell["area"], cell["level"], cell["count"]) for cell in self.spec["cells"]]


item_version_audiences = Table(
    "item_version_audiences",
    db.metadata,
    Column("item_version_id", ForeignKey("item_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("audience_code", ForeignKey("audiences.code"), primary_key=True),
)


class Item(db.Model):
    """A question across its versions. `exposure` counts how often any version was drawn."""

    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    exposure: Mapped[int] = mapped_column(default=0)
    versions: Mapped[list["ItemVersion"]] = relationship(
        back_populates="item", order_by="ItemVersion.number"
    )

    @property
    def latest(self) -> "ItemVersion":
        return self.versions[-1]


class ItemVersion(db.Model):
    """One immutable-once-used version of an item, with options and key in the stored shape."""

    __tablename__ = "item_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "number"),
        Index("ix_item_versions_draw", "status", "competence_code", "level_code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    type: Mapped[str] = mapped_column(String(30))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSONType)
    key: Mapped[object] = mapped_column(JSONType)
    explanation: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(Text)
    # Items of one enemy group test the same fact: a form never holds two of them.
    enemy_group: Mapped[str | None] = mapped_column(String(80), index=True)
    competence_code: Mapped[str] = mapped_column(ForeignKey("competences.code"))
    level_code: Mapped[str] = mapped_column(ForeignKey("levels.code"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[Item] = relationship(back_populates="versions")
    competence: Mapped[Competence] = relationship()
    audiences: Mapped[list[Audience]] = relationship(secondary=item_version_audiences)

    @property
    def audience_codes(self) -> list[str]:
        return sorted(a.code for a in self.audiences)


class CalibrationRun(db.Model):
    """One `flask bank calibrate`: the sample it read and how the estimation went. Its item rows are on the
    scale of this sample (ability N(0, 1) over the persons it read)."""

    __tablename__ = "calibration_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(10))
    blueprint_code: Mapped[str | None] = mapped_column(String(40))  # None: every blueprint's attempts
    min_responses: Mapped[int]
    persons: Mapped[int]
    responses: Mapped[int]
    items: Mapped[int]
    iterations: Mapped[int]
    converged: Mapped[bool]
    log_likelihood: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemCalibration(db.Model):
    """An item version's parameters (irt: P(θ) = c + (1 − c) / (1 + exp(−a(θ − b)))) from one run, on `n`
    responses. A later run that calibrates the version again sets `current` False here: history is kept."""

    __tablename__ = "item_calibrations"
    __table_args__ = (Index("ix_item_calibrations_current", "item_version_id", "current"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("calibration_runs.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    a: Mapped[float]
    b: Mapped[float]
    c: Mapped[float]
    se_a: Mapped[float | None]
    se_b: Mapped[float | None]
    n: Mapped[int]
    current: Mapped[bool] = mapped_column(default=True)

    run: Mapped[CalibrationRun] = relationship()
