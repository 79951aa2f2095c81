from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, fields, validate
from sqlalchemy import func, select

from .. import results
from ..auth import current_user, requires
from ..downloads import attachment
from ..errors import ApiError, not_found
from ..extensions import db
from ..models import Unit
from ..units import manages
from .schemas import PageArgs

blp = Blueprint("units", __name__, description="Đơn vị và kết quả của đơn vị")



class ResultArgs(PageArgs):
    class Meta:
        unknown = EXCLUDE

    format = fields.String(load_default="json", validate=validate.OneOf(["json", "xlsx"]))


def unit_json(unit: Unit) -> dict:
    return {"code": unit.code, "name": unit.name, "type": unit.type_code, "type_name": unit.type.name,
            "structure": unit.structure, "parent": unit.parent.code if unit.parent else None}


@blp.route("/units")
class Units(MethodView):
    @requires("author", "reviewer", "proctor", "unit_manager")
    def get(self):
        """The unit tree: the plan's 2021 structure and today's two-tier one."""
        rows = db.session.scalars(select(Unit).order_by(Unit.structure, Unit.code)).all()
        return {"items": [unit_json(u) for u in rows], "total": len(rows)}


@blp.route("/units/<code>/results")
class UnitResults(MethodView):
    @requires("unit_manager")
    @blp.arguments(ResultArgs, location="query")
    @blp.response(200, content_type="application/json")
    def get(self, args, code):
        """Results and certificates of the unit's staff (and its sub-units), newest first; `format=xlsx`
        downloads them all as a spreadsheet. A unit manager sees only their own unit."""
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            raise not_found("Không tìm thấy đơn vị.")
        if not manages(current_user(), unit.id):
            raise ApiError(403, "forbidden", "Đơn vị này không thuộc quyền quản lý của bạn.")
        query = results.unit_results_query(unit)
        if args["format"] == "xlsx":
            found = db.session.execute(query).all()
        else:
            ids = query.with_only_columns(results.Attempt.id).order_by(None).subquery()
            total = db.session.scalar(select(func.count()).select_from(ids))
            found = db.session.execute(
                query.limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])).all()
        certificates = results.certificates_of([row[0].id for row in found])
        rows = [results.result_row(*row, certificates.get(row[0].id)) for row in found]
        if args["format"] == "xlsx":
            return attachment(results.to_xlsx(rows, f"Kết quả sát hạch kỹ năng số — {unit.name}"),
                              f"ket-qua-{unit.code}.xlsx")
        return {"items": rows, "total": total, "page": args["page"], "per_page": args["per_page"]}
