"""Creating and changing accounts."""

import unicodedata
from datetime import date

from sqlalchemy import select

from question_bank.formats.text import one_line

from . import audit
from .auth import end_every_session, hash_password
from .extensions import db
from .models import ROLES, Audience, Unit, User

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """The account cannot be created as asked; the message says why, in Vietnamese."""


def create_account(*, username: str, password: str, role: str, full_name: str, unit_code: str | None = None,
                   birth_date: date | None = None, audience_code: str | None = None) -> User:
    """A new account. The name is stored on one line in NFC without invisible formatting characters (one_line),
    as every name the service keeps."""
    full_name = one_line(full_name)
    if not full_name:
        raise AccountError("Họ và tên không được để trống.")
    if role not in ROLES:
        raise AccountError(f"Vai trò không hợp lệ: {role}")
    if not username or len(username) > 80 or not username.isascii() or " " in username:
        raise AccountError("Tên đăng nhập phải là chữ không dấu, không có khoảng trắng, tối đa 80 ký tự.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if db.session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"Tên đăng nhập đã tồn tại: {username}")
    unit = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise AccountError(f"Không có đơn vị mã {unit_code}")
    if audience_code and db.session.get(Audience, audience_code) is None:
        raise AccountError(f"Không có đối tượng mã {audience_code} (đã chạy `bank load` chưa?)")
    if role == "candidate" and not (audience_code and unit and birth_date):
        raise AccountError("Thí sinh phải có đối tượng (--audience), đơn vị (--unit) và ngày sinh (--birth-date): "
                           "đây là những thông tin in trên giấy chứng nhận.")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        full_name=full_name,
        birth_date=birth_date,
        unit=unit,
        audience_code=audience_code,
    )
    db.session.add(user)
    db.session.flush()
    return user


def listing(actor: User, filters: dict):
    """The accounts `actor` may see (an admin every one, a unit manager their units' people), by username,
    narrowed by `filters`: role, unit (its code: people of that unit itself) and text in the username or name."""
    from .units import in_scope

    query = select(User).where(in_scope(User.unit_id, actor)).order_by(User.username)
    if filters.get("role"):
        query = query.where(User.role == filters["role"])
    if filters.get("unit"):
        query = query.join(Unit, Unit.id == User.unit_id).where(Unit.code == filters["unit"])
    if filters.get("q"):
        query = query.where(User.username.icontains(filters["q"], autoescape=True)
                            | User.full_name.icontains(filters["q"], autoescape=True))
    return query


# -- bulk accounts from a spreadsheet ---------------------------------------------------------------------

ACCOUNT_HEADERS = {
    "tên đăng nhập": "username", "họ và tên": "full_name", "ngày sinh": "birth_date", "mã đơn vị": "unit",
    "đối tượng": "audience", "mã đối tượng": "audience", "vai trò": "role",
}
REQUIRED_HEADERS = ("username", "full_name", "birth_date", "unit")


def _birth_date(text: str) -> date:
    """dd/mm/yyyy as written in Viet Nam, or ISO yyyy-mm-dd (what a spreadsheet date cell becomes)."""
    text = text.strip()[:10]
    if "/" in text:
        day, month, year = text.split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text)


def import_accounts(rows: list[list[str]], actor: User, *, import_valid: bool = False) -> dict:
    """Create accounts from rows (the first is the header), each with a new random password that the report
    gives once. A unit manager creates only candidates of their own units. A file with any error creates
    nothing unless `import_valid`. Existing usernames are skipped, never changed."""
    import secrets

    from .units import manages

    report = {"created": [], "skipped": [], "errors": [], "imported": False}
    if not rows:
        report["errors"].append({"row": 1, "field": None, "message": "Tệp trống."})
        return report
    columns = {ACCOUNT_HEADERS.get(unicodedata.normalize("NFC", h).strip().lower()): i for i, h in enumerate(rows[0])}
    missing = [name for name in REQUIRED_HEADERS if name not in columns]
    if missing:
        report["errors"].append({"row": 1, "field": None, "message": "Thiếu cột: " + ", ".join(missing)})
        return report
    seen: set[str] = set()
    planned = []
    for number, row in enumerate(rows[1:], start=2):
        cell = {name: (row[i].strip() if i < len(row) else "") for name, i in columns.items() if name}
        if not any(cell.values()):
            continue
        username, role = cell["username"], cell.get("role") or "candidate"
        if username in seen:
            report["errors"].append({"row": number, "field": "username", "message": "Trùng trong tệp."})
            continue
        seen.add(username)
        if db.session.scalar(select(User.id).where(User.username == username)):
            report["skipped"].append({"row": number, "username": username, "reason": "Tài khoản đã tồn tại."})
            continue
        try:
            birth = _birth_date(cell["birth_date"]) if cell["birth_date"] else None
        except ValueError:
            report["errors"].append({"row": number, "field": "birth_date", "message": "Ngày sinh không hợp lệ."})
            continue
        if actor.role == "unit_manager":
            unit = db.session.scalar(select(Unit).where(Unit.code == cell["unit"]))
            if role != "candidate" or unit is None or not manages(actor, unit.id):
                report["errors"].append({"row": number, "field": "unit",
                                         "message": "Chỉ tạo được thí sinh thuộc đơn vị mình quản lý."})
                continue
        planned.append((number, dict(username=username, role=role, full_name=cell["full_name"],
                                     unit_code=cell["unit"] or None, birth_date=birth,
                                     audience_code=cell.get("audience") or None)))
    savepoint = db.session.begin_nested()
    for number, fields in planned:
        password = secrets.token_urlsafe(9)
        try:
            with db.session.begin_nested():
                create_account(password=password, **fields)
        except AccountError as exc:
            report["errors"].append({"row": number, "field": None, "message": str(exc)})
        else:
            report["created"].append({"row": number, "username": fields["username"], "password": password})
    if report["errors"] and not import_valid:
        savepoint.rollback()
        for entry in report["created"]:
            entry.pop("password")
        report["would_create"] = report.pop("created")
        report["created"] = []
        return report
    savepoint.commit()
    report["imported"] = True
    audit.record(actor, "users.import", "users", len(report["created"]),
                 created=[e["username"] for e in report["created"]], errors=len(report["errors"]))
    return report


def change_password(user: User, current: str, new: str) -> None:
    """:raise AccountError: the current password is wrong or the new one too short. Every session and token of the
    account stops working."""
    from .auth import password_matches

    if not password_matches(user, current):
        raise AccountError("Mật khẩu hiện tại không đúng.")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mật khẩu mới phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    user.password_hash = hash_password(new)
    end_every_session(user)
    audit.record(user, "user.password_change", "user", user.id)


def set_active(user: User, active: bool, actor: User | None) -> bool:
    """Deactivate or reactivate an account; deactivation signs it out everywhere (web sessions and tokens).
    Returns whether anything changed (only a change is audited)."""
    if user.active == active:
        return False
    user.active = active
    if not active:
        end_every_session(user)
    db.session.flush()
    audit.record(actor, "user.activate" if active else "user.deactivate", "user", user.id, username=user.username)
    return True
