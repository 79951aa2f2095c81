from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth import requires
from ..extensions import db
from ..models import AuditEntry
from ..schemas.base import page_of, page_schema
from ..schemas.people import AuditArgs, AuditEntrySchema

blp = Blueprint("audit", __name__, description="Nhật ký thao tác quản trị (chỉ ghi thêm)")


@blp.route("/audit")
class Audit(MethodView):
    @requires()
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, page_schema(AuditEntrySchema))
    def get(self, args):
        """Who did what and when: approvals, revocations, voiding, extra time, imports, key changes."""
        query = select(AuditEntry).options(selectinload(AuditEntry.actor)).order_by(AuditEntry.id.desc())
        for name in ("action", "target_type", "target_id"):
            if args.get(name):
                query = query.where(getattr(AuditEntry, name) == args[name])
        return page_of(query, args, db.session)
