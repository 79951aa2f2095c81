"""Writing to the append-only audit log."""

import getpass
import socket

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import AuditEntry, User


def record(actor: User | None, action: str, target_type: str, target_id, **details) -> AuditEntry:
    """Add an audit entry in the current transaction (committed with the change it describes).

    Without a signed-in actor the entry says where the change came from: a command run on the server
    (with the operating-system account and host that ran it) or the service itself."""
    if actor is None:
        details = {**details, **_origin()}
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details,
    )
    db.session.add(entry)
    return entry


def _origin() -> dict:
    context = click.get_current_context(silent=True)
    if context is None:
        return {"via": "system"}
    return {"via": "cli", "command": context.command_path, "os_user": getpass.getuser(),
            "host": socket.gethostname()}


def entries(filters: dict):
    """The log newest first, narrowed by `filters`: action, actor (a username), target_type, target_id, and the
    times `since` (included) and `until` (excluded), naive UTC."""
    query = select(AuditEntry).options(selectinload(AuditEntry.actor)).order_by(AuditEntry.id.desc())
    for name in ("action", "target_type", "target_id"):
        if filters.get(name):
            query = query.where(getattr(AuditEntry, name) == filters[name])
    if filters.get("actor"):
        query = query.where(AuditEntry.actor_id.in_(select(User.id).where(User.username == filters["actor"])))
    if filters.get("since"):
        query = query.where(AuditEntry.at >= filters["since"])
    if filters.get("until"):
        query = query.where(AuditEntry.at < filters["until"])
    return query
