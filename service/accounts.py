"""Creating and changing accounts."""

import unicodedata
from datetime import date

from sqlalchemy import select

from .auth import hash_password
from .extensions import db
from .models import ROLES, Audience, Unit, User

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """The account cannot be created as asked; the message says why, in Vietnamese."""


def create_account(*, username: str, password: str, role: str, full_name: str, unit_code: str | None = None,
                   birth_date: date | None = None, audience_code: str | None = None) -> User:
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
        full_name=unicodedata.normalize("NFC", full_name.strip()),
        birth_date=birth_date,
        unit=unit,
        audience_code=audience_code,
    )
    db.session.add(user)
    db.session.flush()
    return user
