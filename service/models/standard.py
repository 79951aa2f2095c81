"""Standard setting (modified Angoff): a panel rates a sample of a blueprint's items; the derived cut becomes
the pass mark of a new version of the blueprint."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, utcnow

STUDY_STATUSES = ("open", "derived", "cancelled")
PANEL_ROLES = ("author", "reviewer", "proctor", "unit_manager", "admin")


class StandardSetting(db.Model):
    """One study for one blueprint version. `round` is the round the panel rates in now; `cut_percent` (2
    decimals, as text) and `pass_percent` (the whole percent the new version sets) are written once, by the
    derivation, with the panel's figures in `figures`."""

    __tablename__ = "standard_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("blueprints.id"))
    blueprint_code: Mapped[str] = mapped_column(String(40), index=True)
    blueprint_version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="open")
    round: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cut_percent: Mapped[str | None] = mapped_column(String(10))
    pass_percent: Mapped[int | None]
    figures: Mapped[dict | None] = mapped_column(JSONType)
    derived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    derived_at: Mapped[datetime | None]
    result_blueprint_id: Mapped[int | None] = mapped_column(ForeignKey("blueprints.id"))

    blueprint = relationship("Blueprint", foreign_keys=[blueprint_id])
    result_blueprint = relationship("Blueprint", foreign_keys=[result_blueprint_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    derived_by = relationship("User", foreign_keys=[derived_by_id])
    items: Mapped[list["StandardSettingItem"]] = relationship(order_by="StandardSettingItem.position")
    panel: Mapped[list["StandardSettingPanelist"]] = relationship(order_by="StandardSettingPanelist.user_id")


class StandardSettingItem(db.Model):
    """An item version sampled for rating, with the blueprint cell it was drawn for."""

    __tablename__ = "standard_setting_items"
    study_id: Mapped[int] = mapped_column(ForeignKey("standard_settings.id"), primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), primary_key=True)
    position: Mapped[int]
    area: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(40))

    version = relationship("ItemVersion")


class StandardSettingPanelist(db.Model):
    __tablename__ = "standard_setting_panel"
    study_id: Mapped[int] = mapped_column(ForeignKey("standard_settings.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)

    user = relationship("User")


class StandardSettingRating(db.Model):
    """One rater's judgement of one item in one round: the probability (0..1) that a minimally competent
    candidate answers it right, kept exactly as decimal text. Rating again in the same round replaces it."""

    __tablename__ = "standard_setting_ratings"
    # Named by hand: the conventional name is longer than PostgreSQL keeps (63 characters).
    __table_args__ = (UniqueConstraint("study_id", "user_id", "item_version_id", "round",
                                       name="uq_standard_setting_ratings_one_per_round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("standard_settings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    round: Mapped[int]
    probability: Mapped[str] = mapped_column(String(12))
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")
