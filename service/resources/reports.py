from flask.views import MethodView

from .. import clock, reports
from ..auth import requires
from ..downloads import FILE, JSON_OR_XLSX, XLSX, competence_report, progress_report
from ..schemas.people import CompetenceProfileSchema, ProgressReportSchema, ReportArgs
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
        targets (service/data/targets.yaml), and by unit and audience. `format=xlsx` downloads it (the same
        file as the report page's link)."""
        year = args.get("year") or clock.today().year
        return progress_report(year) if args["format"] == "xlsx" else reports.progress(year)


@blp.route("/reports/competences")
class Competences(MethodView):
    @requires()
    @blp.arguments(ReportArgs, location="query")
    @blp.response(200, CompetenceProfileSchema, description=JSON_OR_XLSX)
    @blp.alt_response(200, schema=FILE, content_type=XLSX, success=True, description=JSON_OR_XLSX)
    def get(self, args):
        """Mean score per area by unit and audience, and the share under the area minimum: where training is
        needed. `format=xlsx` downloads it (the same file as the report page's link)."""
        year = args.get("year") or clock.today().year
        return competence_report(year) if args["format"] == "xlsx" else reports.competence_profile(year)
