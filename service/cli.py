"""Flask CLI commands: `flask --app wsgi users create …`, `bank load`, `demo`, … Each is one unit of work: it
commits when it returns and rolls back when it fails (service/unit_of_work.py)."""

import sys
import time
from pathlib import Path

import click
from flask import Flask

from . import audit, unit_of_work
from .calibration import CHECK_FORMS
from .extensions import db
from .models import ROLES
from .vietnamese_cli import Command, Date, Group


def register_commands(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(bank)
    app.cli.add_command(blueprints)
    app.cli.add_command(units)
    app.cli.add_command(attempts)
    app.cli.add_command(demo)
    app.cli.add_command(keys)
    app.cli.add_command(certificates)
    app.cli.add_command(verify_offline)
    app.cli.add_command(backup)
    from flask_migrate.cli import db as db_group

    db_group.add_command(grant_runtime)


@click.group(cls=Group, help="Sao lưu và phục hồi CSDL cùng thư mục khóa.")
def backup():
    pass


@backup.command("create")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@unit_of_work.command
def backup_create(archive):
    """Ghi CSDL và thư mục khóa (KEYS_DIR) vào tệp ARCHIVE (.tar.gz, chỉ người sở hữu đọc được)."""
    from . import backup as backups

    try:
        manifest = backups.create(archive)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record(None, "backup.create", "backup", archive.name, counts=manifest["counts"])
    counts = ", ".join(f"{name} {n}" for name, n in manifest["counts"].items())
    click.echo(f"Đã sao lưu vào {archive}: {len(manifest['files'])} tệp; {counts}.")


@backup.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@unit_of_work.command
def backup_restore(archive):
    """Phục hồi tệp ARCHIVE vào một CSDL trống và một thư mục khóa (KEYS_DIR) trống, rồi đối chiếu số dòng."""
    from . import backup as backups

    try:
        manifest = backups.restore(archive)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record(None, "backup.restore", "backup", archive.name, created_at=manifest["created_at"])
    click.echo(f"Đã phục hồi bản sao lưu lúc {manifest['created_at']} (lược đồ {manifest['alembic_revision']}); "
               "số dòng khớp với bản sao lưu.")


@click.command("grant-runtime", cls=Command)
@click.argument("role")
@unit_of_work.command
def grant_runtime(role):
    """Cấp cho vai trò CSDL ROLE mà dịch vụ dùng khi chạy đúng những quyền nó cần, không hơn (PostgreSQL;
    chạy bằng tài khoản sở hữu CSDL sau mỗi lần `db upgrade`)."""
    from .dbroles import RoleError
    from .dbroles import grant_runtime as grant

    try:
        tables = grant(role)
    except RoleError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record(None, "db.grant_runtime", "database_role", role, tables=len(tables))
    click.echo(f"Đã cấp quyền cho {role} trên {len(tables)} bảng (nhật ký quản trị: chỉ đọc và thêm).")


@click.group(cls=Group, help="Quản lý tài khoản.")
def users():
    pass


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="Vai trò của tài khoản.")
@click.option("--unit", "unit_code", metavar="MÃ", help="Mã đơn vị.")
@click.option("--full-name", default=None, metavar="HỌ_TÊN", help="Họ và tên (mặc định: tên đăng nhập).")
@click.option("--birth-date", type=Date(), default=None, help="Ngày sinh, dạng YYYY-MM-DD (bắt buộc với thí sinh).")
@click.option("--audience", "audience_code", default=None, metavar="MÃ", help="Mã đối tượng (ví dụ cong_chuc).")
@click.option("--password-stdin", is_flag=True, required=True, help="Đọc mật khẩu từ dòng đầu của stdin.")
@unit_of_work.command
def create_user(username, role, unit_code, full_name, birth_date, audience_code, password_stdin):
    """Tạo tài khoản USERNAME; mật khẩu đọc từ đầu vào chuẩn (stdin), không bao giờ từ dòng lệnh."""
    from .accounts import AccountError, create_account

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_account(
            username=username,
            password=password,
            role=role,
            unit_code=unit_code,
            full_name=full_name or username,
            birth_date=birth_date,
            audience_code=audience_code,
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record(None, "user.create", "user", user.id, username=user.username, role=user.role)
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role}).")


@users.command("deactivate")
@click.argument("username")
@unit_of_work.command
def deactivate_user(username):
    """Khóa tài khoản USERNAME: không đăng nhập được nữa, mọi phiên và mã truy cập của nó hết hiệu lực ngay."""
    _set_active(username, False)


@users.command("activate")
@click.argument("username")
@unit_of_work.command
def activate_user(username):
    """Mở lại tài khoản USERNAME (đăng nhập lại được bằng mật khẩu cũ)."""
    _set_active(username, True)


def _set_active(username: str, active: bool) -> None:
    from sqlalchemy import select

    from .accounts import set_active
    from .models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"Không có tài khoản {username}.")
    changed = set_active(user, active, None)
    state = "hoạt động" if active else "bị khóa"
    click.echo(f"Tài khoản {username} {'đã chuyển sang' if changed else 'vẫn đang'} {state}.")




@click.group(cls=Group, help="Tiêu chí và ngân hàng câu hỏi.")
def bank():
    pass


@bank.command("load")
@unit_of_work.command
def bank_load():
    """Nạp khung năng lực, cấu trúc đề và ngân hàng câu hỏi có sẵn trong question_bank/content (chạy lại
    nhiều lần vẫn vậy).

    Mọi cấu trúc đề được kiểm tra trọn vẹn trước; mỗi phiên bản cấu trúc đề mới phải đạt mức nhất quán của
    quyết định đạt/không đạt (xem `blueprints check`). Có một lỗi là không nạp gì."""
    # The checks: scoring.validate_blueprint through criteria.read_blueprints, then the decision-consistency gate
    # with calibration.GATE_FORMS pairs of forms.
    from question_bank import criteria

    from .bank import load_blueprints, load_framework, retire_loaded_item, upsert_loaded_item, validate_item_data

    content = criteria.CONTENT_DIR
    try:
        framework = criteria.read_framework(content)
        blueprints = criteria.read_blueprints(framework, content)
        items = criteria.read_item_files(content / "items")
    except criteria.CriteriaError as exc:
        raise click.ClickException(str(exc)) from exc
    version, new_framework = load_framework(framework)
    try:
        added_blueprints = load_blueprints(blueprints, version.version)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    problems = [(item["code"], field, message) for item in items for field, message in validate_item_data(item)]
    if problems:
        lines = "\n".join(f"  {code} · {field}: {message}" for code, field, message in problems)
        raise click.ClickException(f"Ngân hàng câu hỏi có lỗi, không nạp gì:\n{lines}")
    counts = {"created": 0, "updated": 0, "skipped": 0, "retired": 0}
    for item in items:
        loaded = retire_loaded_item(item) if item["status"] == "retired" else upsert_loaded_item(item)
        counts[loaded.result] += 1
    db.session.flush()
    notes = _consistency_gate(added_blueprints, refuse_what="không nạp gì")
    click.echo(
        f"Khung năng lực {version.version} ({'mới' if new_framework else 'đã có'}); "
        f"cấu trúc đề mới: {len(added_blueprints)}; câu hỏi: tạo {counts['created']}, "
        f"cập nhật {counts['updated']}, ngừng dùng {counts['retired']}, giữ nguyên {counts['skipped']}."
    )
    for line in notes:
        click.echo(line)


def _consistency_gate(blueprints, refuse_what: str) -> list[str]:
    """Check each blueprint's decision consistency; return the warnings to print.

    :raise click.ClickException: a blueprint below DECISION_CONSISTENCY_MIN on measured parameters.
    """
    from flask import current_app

    from .calibration import GATE_FORMS, check_blueprint, verdicts

    minimum = current_app.config["DECISION_CONSISTENCY_MIN"]
    checks = [check_blueprint(blueprint, GATE_FORMS) for blueprint in blueprints]
    refused = [check for check in checks if check.refused(minimum)]
    if refused:
        lines = "\n".join(line for check in refused for line in verdicts(check, minimum))
        raise click.ClickException(f"{lines}\nCấu trúc đề dưới mức nhất quán tối thiểu: {refuse_what}.")
    return [line for check in checks if check.below(minimum) or check.shortage for line in verdicts(check, minimum)]


@bank.command("calibrate")
@click.option("--blueprint", "blueprint_code", default=None, metavar="MÃ",
              help="Chỉ dùng bài thi của cấu trúc đề này (mọi phiên bản); mặc định: mọi bài thi đã nộp.")
@click.option("--min-responses", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Chỉ hiệu chuẩn phiên bản câu hỏi có ít nhất N câu trả lời.")
@unit_of_work.command
def bank_calibrate(blueprint_code, min_responses):
    """Ước lượng tham số 2PL của từng phiên bản câu hỏi từ các bài thi đã nộp và lưu lại; khi tạo đề, dịch vụ
    chỉ dùng tham số có từ CALIBRATION_MIN_RESPONSES câu trả lời trở lên."""
    # The estimate: question_bank.irt.calibrate.
    from flask import current_app
    from sqlalchemy import select

    from .calibration import CalibrationError, calibrate
    from .models import ItemCalibration

    try:
        run = calibrate(blueprint_code, min_responses)
    except CalibrationError as exc:
        raise click.ClickException(str(exc)) from exc
    threshold = current_app.config["CALIBRATION_MIN_RESPONSES"]
    usable = sum(1 for n in db.session.scalars(select(ItemCalibration.n).where(ItemCalibration.run_id == run.id))
                 if n >= threshold)
    audit.record(None, "bank.calibrate", "calibration_run", run.id, blueprint=blueprint_code, model=run.model,
                 items=run.items, persons=run.persons, responses=run.responses, iterations=run.iterations,
                 converged=run.converged, min_responses=min_responses)
    state = "hội tụ" if run.converged else "CHƯA hội tụ"
    click.echo(f"Lần hiệu chuẩn {run.id} ({run.model}): {run.items} phiên bản câu hỏi, {run.persons} bài thi, "
               f"{run.responses} câu trả lời; {state} sau {run.iterations} vòng lặp. "
               f"{usable} phiên bản có từ {threshold} câu trả lời trở lên, được dùng khi tạo đề.")


@click.group(cls=Group, help="Cấu trúc đề.")
def blueprints():
    pass


@blueprints.command("check")
@click.argument("codes", nargs=-1)
@click.option("--forms", type=click.IntRange(min=2, max=2000), default=CHECK_FORMS, show_default=True,
              metavar="N",
              help="Số cặp đề mô phỏng cho mỗi cấu trúc đề.")
@unit_of_work.command
def blueprints_check(codes, forms):
    """Chất lượng quyết định đạt/không đạt của các cấu trúc đề hiện hành (hoặc CODES) trên ngân hàng đang dùng;
    kết thúc với mã lỗi khi có cấu trúc đề dưới mức DECISION_CONSISTENCY_MIN theo tham số đã đo."""
    # The measures: question_bank.decision.
    from flask import current_app
    from sqlalchemy import select

    from question_bank.decision import format_table

    from .calibration import HEADER, MEASURED_SHARE, check_blueprint, table_row, verdicts
    from .models import Blueprint

    query = select(Blueprint).where(Blueprint.current).order_by(Blueprint.code)
    if codes:
        query = query.where(Blueprint.code.in_(codes))
    found = list(db.session.scalars(query))
    unknown = sorted(set(codes) - {bp.code for bp in found})
    if unknown:
        raise click.ClickException(f"Không có cấu trúc đề đang dùng: {', '.join(unknown)}.")
    if not found:
        raise click.ClickException("Chưa có cấu trúc đề nào: hãy chạy flask bank load.")
    minimum = current_app.config["DECISION_CONSISTENCY_MIN"]
    checks = [check_blueprint(blueprint, forms) for blueprint in found]
    click.echo(f"Mô phỏng {forms} cặp đề mỗi cấu trúc; thí sinh có năng lực theo N(0, 1) trên thang hiệu chuẩn; "
               f"mức nhất quán tối thiểu {minimum:.2f}; số liệu chỉ chặn khi ≥{MEASURED_SHARE:.0%} số câu đã "
               "hiệu chuẩn.\n")
    click.echo(format_table(HEADER, [table_row(check) for check in checks]))
    notes = [line for check in checks for line in verdicts(check, minimum)]
    if notes:
        click.echo("")
        for line in notes:
            click.echo(line)
    refused = [check.blueprint.code for check in checks if check.refused(minimum)]
    if refused:
        raise click.ClickException(f"Cấu trúc đề dưới mức nhất quán tối thiểu: {', '.join(refused)}.")


@click.group(cls=Group, help="Đơn vị.")
def units():
    pass


@units.command("load")
@unit_of_work.command
def units_load():
    """Nạp loại đơn vị và cây đơn vị có sẵn trong service/data/units.yaml (chạy lại nhiều lần vẫn vậy)."""
    from .units import load_units

    added = load_units()
    click.echo(f"Đã nạp cây đơn vị: thêm {added} đơn vị.")


@click.group(cls=Group, help="Bài thi.")
def attempts():
    pass


@attempts.command("close-expired")
@unit_of_work.command
def attempts_close_expired():
    """Đóng và chấm mọi bài thi đã quá giờ (chạy định kỳ, ví dụ mỗi phút)."""
    from . import clock, exams

    closed = exams.close_expired(clock.now())
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


@click.command("demo", cls=Command)
@unit_of_work.command
def demo():
    """Dữ liệu để dùng thử: đơn vị, khung năng lực và ngân hàng câu hỏi, khóa, mỗi vai trò một tài khoản, các kỳ
    sát hạch đang mở."""
    import secrets
    from datetime import date, timedelta

    from sqlalchemy import select

    from . import clock
    from .accounts import create_account
    from .exams import create_session
    from .models import Blueprint, ExamSession, User
    from .units import load_units

    load_units()
    click.get_current_context().invoke(bank_load)
    from .keystore import init_keys

    init_keys()
    printed = []
    for username, role, full_name, unit, audience, birth in DEMO_ACCOUNTS:
        if db.session.scalar(select(User).where(User.username == username)):
            continue
        password = secrets.token_urlsafe(12)
        create_account(username=username, password=password, role=role, full_name=full_name, unit_code=unit,
                       audience_code=audience, birth_date=date.fromisoformat(birth))
        printed.append((username, role, password))
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
    if printed:
        click.echo("Tài khoản thử (mật khẩu chỉ in một lần, hãy lưu lại):")
        for username, role, password in printed:
            click.echo(f"  {username:<12} {role:<13} {password}")
    else:
        click.echo("Dữ liệu thử đã có sẵn; mật khẩu đã được in ở lần chạy đầu.")


@click.group(cls=Group, help="Khóa ký số.")
def keys():
    pass


@keys.command("init")
@unit_of_work.command
def keys_init():
    """Tạo CA thử nghiệm, chứng thư ký PDF và khóa ký mã QR trong KEYS_DIR nếu chưa có."""
    from sqlalchemy import select

    from .keystore import init_keys, keys_dir
    from .models import TokenKey

    known = set(db.session.scalars(select(TokenKey.kid)))
    row = init_keys()
    if row.kid not in known:
        audit.record(None, "key.init", "token_key", row.kid, status=row.status)
    click.echo(f"Khóa ở {keys_dir()}; khóa ký mã QR {row.kid} ({row.status}).")


@keys.command("rotate")
@unit_of_work.command
def keys_rotate():
    """Thay khóa ký mã QR: khóa mới được dùng; khóa cũ thôi ký nhưng vẫn xác minh được những gì nó đã ký."""
    from .keystore import rotate

    row = rotate()
    click.echo(f"Khóa mới {row.kid} đang dùng; khóa cũ đã chuyển sang trạng thái retired.")


@keys.command("compromise", context_settings={"ignore_unknown_options": True})  # a key id may begin with "-"
@click.argument("kid")
@click.option("--reason", required=True, metavar="LÝ_DO", help="Lý do đánh dấu lộ khóa (ghi vào nhật ký).")
@unit_of_work.command
def keys_compromise(kid, reason):
    """Đánh dấu lộ khóa ký mã QR KID: mọi mã QR chứng nhận do nó ký không còn hợp lệ."""
    from .errors import ApiError
    from .keystore import mark_compromised

    try:
        mark_compromised(kid, reason)
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Khóa {kid} đã bị đánh dấu lộ; các mã do nó ký không còn hợp lệ.")


@click.group(cls=Group, help="Giấy chứng nhận.")
def certificates():
    pass


@certificates.command("render")
@click.option("--limit", default=1000, show_default=True, metavar="N", help="Tạo nhiều nhất N tệp PDF.")
@click.option("--shard", default="0/1", show_default=True, metavar="I/N",
              help="I/N: chỉ xử lý chứng nhận có id chia N dư I, để N tiến trình chạy song song.")
@unit_of_work.command
def certificates_render(limit, shard):
    """Tạo và ký tệp PDF của các giấy chứng nhận đã cấp mà chưa có tệp (chạy sau một kỳ sát hạch đông người);
    bỏ qua và đếm các giấy không còn hiệu lực."""
    from sqlalchemy import func, select

    from . import clock
    from .issuing import render_pending, valid_on
    from .models import Certificate

    index, _, count = shard.partition("/")
    if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise click.BadParameter("dạng I/N với 0 ≤ I < N, ví dụ 0/2", param_hint="--shard")
    query = select(Certificate).where(Certificate.id % int(count) == int(index))
    # Revoked, superseded, expired or under a compromised key, and never rendered: such a one gets no PDF.
    skipped = db.session.scalar(query.with_only_columns(func.count()).where(
        Certificate.pdf_sha256.is_(None), ~valid_on(clock.today())))
    started = time.perf_counter()
    done = 0
    for _ in render_pending(query.order_by(Certificate.id), limit):
        db.session.commit()  # each signed PDF is kept as soon as it is made
        done += 1
    audit.record(None, "certificates.render", "certificates", shard, rendered=done, skipped=skipped)
    click.echo(f"Đã tạo và ký {done} tệp PDF trong {time.perf_counter() - started:.2f} giây; bỏ qua {skipped} "
               "giấy chứng nhận chưa có tệp PDF vì không còn hiệu lực.")


@click.command("verify-offline", cls=Command)
@click.argument("url_or_token")
@click.option("--keys", "keys_source", default=None, metavar="TỆP_HOẶC_URL",
              help="Tệp JSON hoặc URL của danh sách khóa công khai (mặc định: PUBLIC_BASE_URL/api/v1/verify/keys).")
def verify_offline(url_or_token, keys_source):
    """Xác minh mã QR URL_OR_TOKEN chỉ bằng các khóa công khai đã công bố, không cần CSDL: mã có thật và nói
    gì. Chứng nhận có bị thu hồi hay không thì vẫn phải hỏi máy chủ."""
    import json
    import urllib.request
    from pathlib import Path

    from flask import current_app

    from certificates.token import InvalidToken, key_from_jwk, read_token

    token = url_or_token.rsplit("/v/", 1)[-1].strip()
    source = keys_source or f"{current_app.config['PUBLIC_BASE_URL']}/api/v1/verify/keys"
    if Path(source).is_file():
        published = json.loads(Path(source).read_text(encoding="utf-8"))
    else:
        with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310 - an https URL the user gives
            published = json.load(response)
    public = {k["kid"]: key_from_jwk(k).public_key for k in published["keys"] if k.get("status") != "compromised"}
    try:
        claims = read_token(token, public)
    except InvalidToken as exc:
        raise click.ClickException("KHÔNG HỢP LỆ: chữ ký không đúng hoặc mã bị sửa.") from exc
    click.echo("Chữ ký hợp lệ (khóa " + claims.kid + "). Trạng thái thu hồi: hỏi máy chủ.")
    for name, value in claims.as_dict().items():
        click.echo(f"  {name}: {value}")
