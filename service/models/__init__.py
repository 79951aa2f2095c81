"""The data model. Import models from here."""

from .audit import AuditEntry
from .bank import Area, Audience, Blueprint, Competence, FrameworkVersion, Item, ItemVersion, Level
from .certs import Certificate, SerialCounter, TokenKey
from .exam import Attempt, AttemptItem, Enrolment, ExamSession
from .org import ROLES, LoginThrottle, Unit, UnitType, User

__all__ = [
    "ROLES", "Area", "Attempt", "AttemptItem", "AuditEntry", "Audience", "Blueprint", "Certificate",
    "Competence", "Enrolment", "ExamSession", "FrameworkVersion", "Item", "ItemVersion", "Level",
    "LoginThrottle", "SerialCounter", "TokenKey", "Unit", "UnitType", "User",
]
