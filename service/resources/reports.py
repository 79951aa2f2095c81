from flask.views import MethodView

from .. import clock, reports
from ..auth import requires
from ..downloads import FILE, JSON_OR_XLSX, XLSX, attachment
from ..schemas.people import CompetenceProfileSchema, ProgressReportSchema, ReportArgs
from ..spreadsheets import table_xlsx
from . import Blueprint

blp = Blueprint("reports", __name__, description="Báo cáo: tiến độ so với chỉ tiêu, hồ sơ năng lực")


@blp.route("/reports/progress")
class Progress(MethodView):
    @requires()
    @blp.arguments(ReportArgs, location="query")
    @blp.response(200, ProgressReportSchema, description=JSON_OR_XLSX)
    @blp.alt_response(200, schema=FILE, content_type=XLSX, success=True, description=JSON_OR_XLSX)
    def get(self, args):
        """Enrolled, sat, passed and certified people in a year, by audience and by unit type, beside the plan's
        targets (service/data/targets.yaml). `format=xlsx` downloads it."""
        year = args.get("year") or clock.today().year
        body = reports.progress(year)
        if args["format"] == "xlsx":
            rows = body["by_audience"] + body["by_unit_type"]
            return attachment(table_xlsx(f"Tiến độ năm {year}", reports.PROGRESS_COLUMNS, rows),
                              f"tien-do-{year}.xlsx")
        return body


@blp.route("/reports/competences")
class Competences(MethodView):
    @requires()
    @blp.arguments(ReportArgs, location="query")
    @blp.response(200, CompetenceProfileSchema, description=JSON_OR_XLSX)
    @blp.alt_response(200, schema=FILE, content_type=XLSX, success=True, description=JSON_OR_XLSX)
    def get(self, args):
        """Mean score per area by unit and audience, and the share under the area minimum: where training is
        needed. `format=xlsx` downloads it."""
        year = args.get("year") or clock.today().year
        body = reports.competence_profile(year)
        if args["format"] == "xlsx":
            return attachment(table_xlsx(f"Năng lực số năm {year}", reports.PROFILE_COLUMNS, body["items"]),
                              f"nang-luc-{year}.xlsx")
        return body
