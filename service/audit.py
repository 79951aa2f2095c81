"""Writing to the append-only audit log."""

import getpass
import socket

import click

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
