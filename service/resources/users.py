from flask.views import MethodView

from question_bank.formats.tabular import csv_rows, xlsx_rows

from .. import accounts
from ..auth import current_user, requires
from ..errors import ApiError
from ..extensions import db
from ..schemas.base import page_of, page_schema
from ..schemas.people import AccountImportForm, AccountImportReportSchema, UserArgs, UserSchema
from . import Blueprint

blp = Blueprint("users", __name__, description="Tài khoản")


@blp.route("/users")
class Users(MethodView):
    @requires("unit_manager")
    @blp.arguments(UserArgs, location="query")
    @blp.response(200, page_schema(UserSchema))
    def get(self, args):
        """Accounts; a unit manager sees their own units' people. `q` finds text in the username or full name."""
        return page_of(accounts.listing(current_user(), args), args, db.session)


@blp.route("/users/import")
class ImportUsers(MethodView):
    @requires("unit_manager")
    @blp.arguments(AccountImportForm, location="multipart")
    @blp.response(201, AccountImportReportSchema)
    @blp.alt_response(422, schema={"oneOf": [{"$ref": "#/components/schemas/AccountImportReport"},
                                             {"$ref": "#/components/schemas/Error"}]},
                      description="Tệp có lỗi, không tạo tài khoản nào (báo cáo); hoặc yêu cầu không hợp lệ (lỗi)")
    def post(self, form):
        """Create accounts from an XLSX or CSV file (columns: Tên đăng nhập, Họ và tên, Ngày sinh, Mã đơn vị,
        Đối tượng, Vai trò). The report gives each new account's password once. A file with any error creates
        nothing unless `import_valid=true`."""
        upload = form["file"]
        data = upload.read()
        rows, problem = (xlsx_rows(data) if upload.filename.lower().endswith(".xlsx") else csv_rows(data))
        if problem:
            raise ApiError(422, "invalid_file", problem, {"file": [problem]})
        report = accounts.import_accounts(rows, current_user(), import_valid=form["import_valid"])
        return report, 201 if report["imported"] else 422
