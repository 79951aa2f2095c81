from flask.views import MethodView
from sqlalchemy import text

from ..extensions import db
from ..schemas.health import HealthSchema
from . import Blueprint

blp = Blueprint("health", __name__, description="Tình trạng dịch vụ")


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """The service is up and its database answers. :raise 503: the database cannot be reached."""
        db.session.execute(text("SELECT 1"))
        return {"status": "ok"}
