from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, fields
from sqlalchemy import select

from ..auth import requires
from ..extensions import db
from ..models import AuditEntry, User
from .schemas import PageArgs, page_of

blp = Blueprint("audit", __name__, description="Nhật ký thao tác quản trị (chỉ ghi thêm)")


class AuditArgs(PageArgs):
    class Meta:
        unknown = EXCLUDE

    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()


def entry_json(entry: AuditEntry) -> dict:
    actor = db.session.get(User, entry.actor_id) if entry.actor_id else None
    return {"id": entry.id, "at": entry.at.isoformat() + "Z", "actor": actor.username if actor else None,
            "action": entry.action, "target_type": entry.target_type, "target_id": entry.target_id,
            "details": entry.details}


@blp.route("/audit")
class Audit(MethodView):
    @requires()
    @blp.arguments(AuditArgs, location="query")
    def get(self, args):
        """Who did what and when: approvals, revocations, voiding, extra time, imports, key changes."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc())
        for name in ("action", "target_type", "target_id"):
            if args.get(name):
                query = query.where(getattr(AuditEntry, name) == args[name])
        return page_of(query, args, db.session, entry_json)
