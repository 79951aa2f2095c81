from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text

from ..errors import ApiError
from ..extensions import db
from ..schemas.health import HealthSchema

blp = Blueprint("health", __name__, description="Tình trạng dịch vụ")


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """The service is up and its database answers. :raise 503: the database does not."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as exc:  # any database failure means "not healthy"
            raise ApiError(503, "database_unavailable", "Cơ sở dữ liệu không phản hồi.") from exc
        return {"status": "ok"}
