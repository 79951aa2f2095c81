"""The data model. Import models from here."""

from sqlalchemy import exists
from sqlalchemy.orm import column_property

from .audit import AuditEntry
from .bank import (
    Area,
    Audience,
    Blueprint,
    CalibrationRun,
    Competence,
    FrameworkVersion,
    Item,
    ItemCalibration,
    ItemVersion,
    Level,
)
from .certs import Certificate, SerialCounter, TokenKey
from .exam import Attempt, AttemptItem, Enrolment, ExamSession
from .org import ROLES, LoginThrottle, Unit, UnitType, User, WebSession
from .standard import StandardSetting, StandardSettingItem, StandardSettingPanelist, StandardSettingRating

__all__ = [
    "ROLES", "Area", "Attempt", "AttemptItem", "AuditEntry", "Audience", "Blueprint", "CalibrationRun",
    "Certificate", "Competence", "Enrolment", "ExamSession", "FrameworkVersion", "Item", "ItemCalibration",
    "ItemVersion", "Level", "LoginThrottle", "SerialCounter", "StandardSetting", "StandardSettingItem",
    "StandardSettingPanelist", "StandardSettingRating", "TokenKey", "Unit", "UnitType", "User", "WebSession",
]

# Whether any attempt drew a version: derived, never stored, so it cannot disagree with the attempts.
ItemVersion.used = column_property(
    exists().where(AttemptItem.item_version_id == ItemVersion.id).correlate_except(AttemptItem), deferred=True
)
