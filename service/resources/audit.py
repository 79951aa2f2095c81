from flask.views import MethodView

from .. import audit
from ..auth import requires
from ..extensions import db
from ..schemas.base import page_of, page_schema
from ..schemas.people import AuditArgs, AuditEntrySchema
from . import Blueprint

blp = Blueprint("audit", __name__, description="Nhật ký thao tác quản trị (chỉ ghi thêm)")


@blp.route("/audit")
class Audit(MethodView):
    @requires()
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, page_schema(AuditEntrySchema))
    def get(self, args):
        """Who did what and when: approvals, revocations, voiding, extra time, imports, key changes."""
        return page_of(audit.entries(args), args, db.session)
