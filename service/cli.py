"""Flask CLI commands: `flask --app wsgi users create …`, `bank load`, `demo`, …"""

import sys

import click
from flask import Flask

from .extensions import db
from .models import ROLES


def register_commands(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(bank)
    app.cli.add_command(units)
    app.cli.add_command(attempts)
    app.cli.add_command(demo)


@click.group(help="Quản lý tài khoản.")
def users():
    pass


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--unit", "unit_code", help="Mã đơn vị.")
@click.option("--full-name", default=None, help="Họ và tên (mặc định: tên đăng nhập).")
@click.option("--birth-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--audience", "audience_code", default=None, help="Mã đối tượng (ví dụ cong_chuc).")
@click.option("--password-stdin", is_flag=True, required=True, help="Đọc mật khẩu từ dòng đầu của stdin.")
def create_user(username, role, unit_code, full_name, birth_date, audience_code, password_stdin):
    """Create an account; the password is read from standard input, never from the command line."""
    from .accounts import AccountError, create_account

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_account(
            username=username,
            password=password,
            role=role,
            unit_code=unit_code,
            full_name=full_name or username,
            birth_date=birth_date.date() if birth_date else None,
            audience_code=audience_code,
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role}).")




@click.group(help="Tiêu chí và ngân hàng câu hỏi.")
def bank():
    pass


@bank.command("load")
def bank_load():
    """Load the shipped criteria, blueprints and starter bank from question_bank/content (idempotent)."""
    from question_bank import criteria

    from .bank import load_blueprints, load_framework, upsert_loaded_item, validate_item_data

    try:
        framework = criteria.read_framework()
        blueprints = criteria.read_blueprints(framework)
        items = criteria.read_item_files()
    except criteria.CriteriaError as exc:
        raise click.ClickException(str(exc)) from exc
    version, new_framework = load_framework(framework)
    try:
        added_blueprints = load_blueprints(blueprints, version.version)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    problems = [(item["code"], field, message) for item in items for field, message in validate_item_data(item)]
    if problems:
        db.session.rollback()
        lines = "\n".join(f"  {code} · {field}: {message}" for code, field, message in problems)
        raise click.ClickException(f"Ngân hàng câu hỏi có lỗi, không nạp gì:\n{lines}")
    counts = {"created": 0, "updated": 0, "skipped": 0}
    for item in items:
        counts[upsert_loaded_item(item)] += 1
    db.session.commit()
    click.echo(
        f"Khung năng lực {version.version} ({'mới' if new_framework else 'đã có'}); "
        f"cấu trúc đề mới: {added_blueprints}; câu hỏi: tạo {counts['created']}, "
        f"cập nhật {counts['updated']}, giữ nguyên {counts['skipped']}."
    )


@click.group(help="Đơn vị.")
def units():
    pass


@units.command("load")
def units_load():
    """Load the unit types and units shipped in service/data/units.yaml (idempotent)."""
    from .units import load_units

    added = load_units()
    db.session.commit()
    click.echo(f"Đã nạp cây đơn vị: thêm {added} đơn vị.")


@click.group(help="Bài thi.")
def attempts():
    pass


@attempts.command("close-expired")
def attempts_close_expired():
    """Close and score every attempt past its deadline (run periodically, e.g. every minute)."""
    from . import clock, exams

    closed = exams.close_expired(clock.now())
    db.session.commit()
    click.echo(f"Đã đóng {closed} bài thi quá giờ.")


DEMO_ACCOUNTS = [
    # username, role, full name, unit, audience, birth date
    ("quantri", "admin", "Trần Minh Quân", "BTR-STTTT", None, "1980-03-14"),
    ("tacgia", "author", "Lê Thị Thu Hà", "BTR-STTTT", None, "1988-07-02"),
    ("kiemduyet", "reviewer", "Phạm Quốc Bảo", "BTR-STTTT", None, "1985-11-20"),
    ("giamthi", "proctor", "Võ Thị Ngọc Ánh", "BTR-STTTT", None, "1990-05-09"),
    ("quanlydonvi", "unit_manager", "Huỳnh Văn Lợi", "BTR-BATRI", None, "1979-01-30"),
    ("thisinh", "candidate", "Nguyễn Thị Hồng Nhung", "BTR-BATRI", "cong_chuc", "1992-09-17"),
    ("lanhdao", "candidate", "Đặng Văn Hùng", "BTR-BATRI", "lanh_dao", "1975-04-25"),
    ("chuyentrach", "candidate", "Trương Ngọc Trâm", "BTR-STTTT", "chuyen_trach", "1994-12-03"),
]


@click.command("demo")
def demo():
    """A ready-to-try service: units, criteria and bank, keys, one account per role, open sessions."""
    import secrets
    from datetime import date, timedelta

    from sqlalchemy import select

    from . import clock
    from .accounts import create_account
    from .exams import create_session
    from .models import Blueprint, ExamSession, User
    from .units import load_units

    load_units()
    db.session.commit()
    click.get_current_context().invoke(bank_load)
    _init_keys()
    printed = []
    for username, role, full_name, unit, audience, birth in DEMO_ACCOUNTS:
        if db.session.scalar(select(User).where(User.username == username)):
            continue
        password = secrets.token_urlsafe(12)
        create_account(username=username, password=password, role=role, full_name=full_name, unit_code=unit,
                       audience_code=audience, birth_date=date.fromisoformat(birth))
        printed.append((username, role, password))
    db.session.commit()
    admin = db.session.scalar(select(User).where(User.username == "quantri"))
    now = clock.now()
    for blueprint in db.session.scalars(select(Blueprint).where(Blueprint.current).order_by(Blueprint.code)):
        title = f"Kỳ sát hạch thử — {blueprint.name}"
        if db.session.scalar(select(ExamSession.id).where(ExamSession.title == title)):
            continue
        candidates = [u for u, role, *_, aud, _b in DEMO_ACCOUNTS if role == "candidate"
                      and aud == blueprint.audience_code]
        create_session({"title": title, "blueprint": blueprint.code, "opens_at": now,
                        "closes_at": now + timedelta(days=30), "candidates": candidates, "units": [],
                        "max_attempts": 3, "retake_gap_minutes": 0, "review_mode": "full"}, admin)
    db.session.commit()
    if printed:
        click.echo("Tài khoản thử (mật khẩu chỉ in một lần, hãy lưu lại):")
        for username, role, password in printed:
            click.echo(f"  {username:<12} {role:<13} {password}")
    else:
        click.echo("Dữ liệu thử đã có sẵn; mật khẩu đã được in ở lần chạy đầu.")


def _init_keys():
    """Create development signing keys if the certificates package provides them."""
    from flask import current_app

    try:
        from .issuing import ensure_keys
    except ImportError:
        return
    ensure_keys(current_app)
