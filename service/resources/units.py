from flask.views import MethodView
from sqlalchemy import func, select

from .. import issuing, results
from ..auth import current_user, requires
from ..downloads import FILE, JSON_OR_XLSX, XLSX, attachment, certificates_zip
from ..errors import ApiError, not_found
from ..extensions import db
from ..models import Unit
from ..schemas.base import page_schema, whole_list
from ..schemas.people import ResultArgs, UnitResultSchema, UnitSchema
from ..unit_of_work import own_commits
from ..units import manages
from . import Blueprint

blp = Blueprint("units", __name__, description="Đơn vị và kết quả của đơn vị")


@blp.route("/units")
class Units(MethodView):
    @requires("author", "reviewer", "proctor", "unit_manager")
    @blp.response(200, page_schema(UnitSchema))
    def get(self):
        """The unit tree: the plan's 2021 structure and today's two-tier one."""
        return whole_list(db.session.scalars(select(Unit).order_by(Unit.structure, Unit.code)).all())


def _managed_unit(code: str) -> Unit:
    """:raise ApiError 404: no such unit. 403: not one the caller manages."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise not_found("Không tìm thấy đơn vị.")
    if not manages(current_user(), unit.id):
        raise ApiError(403, "forbidden", "Đơn vị này không thuộc quyền quản lý của bạn.")
    return unit


@blp.route("/units/<code>/results")
class UnitResults(MethodView):
    @requires("unit_manager")
    @blp.arguments(ResultArgs, location="query")
    @blp.response(200, page_schema(UnitResultSchema), description=JSON_OR_XLSX)
    @blp.alt_response(200, schema=FILE, content_type=XLSX, success=True, description=JSON_OR_XLSX)
    def get(self, args, code):
        """Results and certificates of the unit's staff (and its sub-units), newest first; `format=xlsx`
        downloads them all as a spreadsheet. A unit manager sees only their own unit."""
        unit = _managed_unit(code)
        query = results.unit_results_query(unit)
        if args["format"] == "xlsx":
            found = db.session.execute(query).all()
        else:
            ids = query.with_only_columns(results.Attempt.id).order_by(None).subquery()
            total = db.session.scalar(select(func.count()).select_from(ids))
            found = db.session.execute(
                query.limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])).all()
        rows = results.result_rows(found)
        if args["format"] == "xlsx":
            return attachment(results.to_xlsx(rows, f"Kết quả sát hạch kỹ năng số — {unit.name}"),
                              f"ket-qua-{unit.code}.xlsx")
        return {"items": rows, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/units/<code>/certificates.zip")
class UnitCertificatesZip(MethodView):
    @requires("unit_manager")
    @blp.response(200, FILE, content_type="application/zip")
    @own_commits
    def get(self, code):
        """Every valid certificate of the unit's staff (and its sub-units') as one ZIP of the stored PDFs, each
        named by its serial; pending ones are rendered first (audited)."""
        unit = _managed_unit(code)
        return certificates_zip(issuing.unit_certificates(unit), f"chung-nhan-{unit.code}.zip", current_user(),
                                "unit", unit.code)
