from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate
from sqlalchemy import select

from question_bank.formats.tabular import csv_rows, xlsx_rows

from .. import accounts
from ..auth import current_user, requires
from ..errors import ApiError
from ..extensions import db
from ..models import User
from ..units import in_scope
from .schemas import PageArgs, page_of

blp = Blueprint("users", __name__, description="Tài khoản")


class AccountImportForm(Schema):
    class Meta:
        unknown = EXCLUDE

    import_valid = fields.Boolean(load_default=False)


class PasswordSchema(Schema):
    class Meta:
        unknown = RAISE

    current_password = fields.String(required=True, validate=validate.Length(max=1024))
    new_password = fields.String(required=True, validate=validate.Length(max=1024))


class UserArgs(PageArgs):
    class Meta:
        unknown = EXCLUDE

    role = fields.String()
    unit = fields.String()


def user_json(user: User) -> dict:
    return {"username": user.username, "full_name": user.full_name, "role": user.role,
            "unit": user.unit.code if user.unit else None, "audience": user.audience_code,
            "birth_date": user.birth_date.isoformat() if user.birth_date else None, "active": user.active}


@blp.route("/users")
class Users(MethodView):
    @requires("unit_manager")
    @blp.arguments(UserArgs, location="query")
    def get(self, args):
        """Accounts; a unit manager sees their own units' people."""
        from ..models import Unit

        query = select(User).where(in_scope(User.unit_id, current_user())).order_by(User.username)
        if args.get("role"):
            query = query.where(User.role == args["role"])
        if args.get("unit"):
            query = query.join(Unit, Unit.id == User.unit_id).where(Unit.code == args["unit"])
        return page_of(query, args, db.session, user_json)


@blp.route("/users/import")
class ImportUsers(MethodView):
    @requires("unit_manager")
    @blp.arguments(AccountImportForm, location="form")
    def post(self, form):
        """Create accounts from an XLSX or CSV file (columns: Tên đăng nhập, Họ và tên, Ngày sinh, Mã đơn vị,
        Đối tượng, Vai trò). The report gives each new account's password once. A file with any error creates
        nothing unless `import_valid=true`."""
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ApiError(422, "validation_error", "Cần gửi tệp trong trường `file`.", {"file": ["Bắt buộc."]})
        data = upload.read()
        rows, problem = (xlsx_rows(data) if upload.filename.lower().endswith(".xlsx") else csv_rows(data))
        if problem:
            raise ApiError(422, "invalid_file", problem, {"file": [problem]})
        report = accounts.import_accounts(rows, current_user(), import_valid=form["import_valid"])
        db.session.commit()
        return report, 201 if report["imported"] else 422


@blp.route("/auth/password")
class Password(MethodView):
    @requires("candidate", "author", "reviewer", "proctor", "unit_manager")
    @blp.arguments(PasswordSchema)
    def post(self, body):
        """Change one's own password; every token issued before stops working (sign in again)."""
        try:
            accounts.change_password(current_user(), body["current_password"], body["new_password"])
        except accounts.AccountError as exc:
            raise ApiError(422, "invalid_password", str(exc), {"new_password": [str(exc)]}) from exc
        db.session.commit()
        return {"changed": True}
