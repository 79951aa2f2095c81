"""Writing to the append-only audit log."""

from .extensions import db
from .models import AuditEntry, User


def record(actor: User | None, action: str, target_type: str, target_id, **details) -> AuditEntry:
    """Add an audit entry in the current transaction (committed with the change it describes)."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details,
    )
    db.session.add(entry)
    return entry
