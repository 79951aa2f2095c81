"""The Flask CLI commands of SPEC §8."""

import click
import pytest
from sqlalchemy import func, select

from service import cli
from service.extensions import db
from service.models import AuditEntry, Blueprint, ExamSession, Item, ItemVersion, Unit, User


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_bank_load_twice_changes_nothing(app, bank):
    counts = (db.session.scalar(select(func.count()).select_from(ItemVersion)),
              db.session.scalar(select(func.count()).select_from(Blueprint)),
              db.session.scalar(select(func.count()).select_from(AuditEntry)))
    second = run(app, "bank", "load")
    assert second.exit_code == 0, second.output
    assert "tạo 0, cập nhật 0" in second.output
    assert counts == (db.session.scalar(select(func.count()).select_from(ItemVersion)),
                      db.session.scalar(select(func.count()).select_from(Blueprint)),
                      db.session.scalar(select(func.count()).select_from(AuditEntry)))
    assert db.session.scalar(select(func.count()).select_from(Item)) == counts[0]


def test_users_create_reads_the_password_from_stdin(app, bank, client):
    run(app, "units", "load")
    result = run(app, "users", "create", "nguyenvana", "--role", "candidate", "--unit", "BTR-BATRI",
                 "--full-name", "Nguyễn Văn A", "--birth-date", "1990-01-02", "--audience", "cong_chuc",
                 "--password-stdin", input="mot-mat-khau-dai\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "nguyenvana"))
    assert user.full_name == "Nguyễn Văn A" and user.unit.code == "BTR-BATRI"
    assert "mot-mat-khau-dai" not in user.password_hash
    login = client.post("/api/v1/auth/token", json={"username": "nguyenvana", "password": "mot-mat-khau-dai"})
    assert login.status_code == 200


def test_users_create_refuses_bad_input_and_changes_nothing(app, bank):
    run(app, "units", "load")
    cases = [
        ["x", "--role", "emperor"],
        ["ab cd", "--role", "admin"],
        ["nguoi1", "--role", "candidate", "--audience", "cong_chuc"],  # no unit, no birth date
        ["nguoi2", "--role", "admin", "--unit", "KHONG-CO"],
        ["nguoi3", "--role", "candidate", "--unit", "BTR", "--birth-date", "1990-01-01", "--audience", "ngoai"],
    ]
    for args in cases:
        result = run(app, "users", "create", *args, "--password-stdin", input="mot-mat-khau-dai\n")
        assert result.exit_code != 0, args
    short = run(app, "users", "create", "nguoi4", "--role", "admin", "--password-stdin", input="ngan\n")
    assert short.exit_code != 0 and "ít nhất" in short.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_units_load_both_structures(app):
    assert run(app, "units", "load").exit_code == 0
    structures = set(db.session.scalars(select(Unit.structure)))
    assert structures == {"2021", "2025"}
    commune = db.session.scalar(select(Unit).where(Unit.code == "VLG-PANHOI"))
    assert commune.parent.code == "VLG" and commune.type.structure == "2025"
    assert run(app, "units", "load").output.strip().endswith("thêm 0 đơn vị.")


def test_demo_makes_a_ready_service(app, client):
    result = run(app, "demo")
    assert result.exit_code == 0, result.output
    for role in ("admin", "author", "reviewer", "proctor", "unit_manager", "candidate"):
        assert role in result.output
    line = next(ln for ln in result.output.splitlines() if ln.strip().startswith("thisinh "))
    password = line.split()[-1]
    token = client.post("/api/v1/auth/token", json={"username": "thisinh", "password": password}).get_json()
    sessions = client.get("/api/v1/exam-sessions",
                          headers={"Authorization": f"Bearer {token['access_token']}"}).get_json()
    assert sessions["total"] == 1
    assert db.session.scalar(select(func.count()).select_from(ExamSession)) == 3
    again = run(app, "demo")
    assert again.exit_code == 0 and password not in again.output


def test_framework_and_blueprints_api(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("candidate"))
    framework = client.get("/api/v1/framework", headers=headers).get_json()
    assert {a["code"] for a in framework["audiences"]} == {"lanh_dao", "chuyen_trach", "cong_chuc"}
    assert [lv["code"] for lv in framework["levels"]] == ["co_ban", "trung_cap", "nang_cao"]
    areas = {a["code"]: a for a in framework["areas"]}
    assert {"AT.3", "AT.4"} <= {c["code"] for c in areas["AT"]["competences"]}
    assert all(a["name"] for a in framework["audiences"])
    blueprints = client.get("/api/v1/blueprints", headers=headers).get_json()["items"]
    assert {b["audience"] for b in blueprints} == {"lanh_dao", "chuyen_trach", "cong_chuc"}
    for bp in blueprints:
        assert bp["item_count"] == sum(c["count"] for c in bp["cells"])
        assert bp["duration_minutes"] > 0
        assert 0 < bp["pass_rule"]["area_min_percent"] <= bp["pass_rule"]["pass_percent"] <= 100
        assert bp["pass_rule"]["area_min_items"] == 7  # the floor applies to areas of 7 or more items


def test_bank_load_retires_what_the_files_retire_and_keeps_enemy_groups(app, bank):
    from sqlalchemy import select

    from question_bank import criteria
    from service.extensions import db
    from service.models import Item, ItemVersion

    authored = criteria.read_item_files()
    retired = {i["code"] for i in authored if i["status"] == "retired"}
    grouped = {i["code"]: i["enemy_group"] for i in authored if i["enemy_group"] and i["status"] == "active"}
    assert retired and grouped  # the shipped bank has both
    rows = db.session.execute(select(Item.code, ItemVersion.status, ItemVersion.enemy_group)
                              .join(ItemVersion, ItemVersion.item_id == Item.id)).all()
    active = {code: group for code, status, group in rows if status == "active"}
    assert not retired & set(active), "a retired item is still drawn"
    assert retired <= {code for code, _, _ in rows}, "a retired code was not reserved"
    assert {code: active[code] for code in grouped} == grouped
    again = app.test_cli_runner().invoke(args=["bank", "load"])
    assert "tạo 0, cập nhật 0, ngừng dùng 0" in again.output


def test_retiring_a_loaded_item_stops_its_active_version_and_is_audited(app, bank):
    from sqlalchemy import select

    from service.bank import retire_loaded_item, upsert_loaded_item
    from service.extensions import db
    from service.models import AuditEntry, Item

    data = {"code": "AT-999", "type": "true_false", "stem": "Mật khẩu mạnh nên dài.", "options": [], "key": True,
            "explanation": "Độ dài tăng số tổ hợp phải thử.", "competence": "AT.1", "level": "co_ban",
            "audiences": ["cong_chuc"], "source": None}
    assert upsert_loaded_item(data).result == "created"
    outcome = retire_loaded_item({**data, "status": "retired", "retired_reason": "Trùng nội dung."})
    item = db.session.scalar(select(Item).where(Item.code == "AT-999"))
    assert outcome.result == "retired" and [v.status for v in item.versions] == ["retired"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "item.retire"))
    assert entry.details["reason"] == "Trùng nội dung."
    assert retire_loaded_item({**data, "status": "retired", "retired_reason": "x"}).result == "skipped"


def test_a_key_id_that_begins_with_a_dash_is_taken_as_the_key(app):
    """Key ids are base64url, so one in 32 begins with "-"; the command must not read it as an option."""
    result = run(app, "keys", "compromise", "-Oab_cd12xy", "--reason", "Lộ khóa")
    assert result.exit_code == 1 and "Không có khóa -Oab_cd12xy." in result.output


def _commands(group, path=()):
    """(path, command) for every command of the service under a Click group, groups included."""
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


SERVICE_COMMANDS = sorted(
    [(path, command) for top in (cli.users, cli.bank, cli.blueprints, cli.units, cli.attempts, cli.keys,
                                 cli.certificates, cli.backup)
     for path, command in [((top.name,), top), *_commands(top, (top.name,))]]
    + [(("demo",), cli.demo), (("verify-offline",), cli.verify_offline), (("db", "grant-runtime"), cli.grant_runtime)],
    key=lambda pair: pair[0])


@pytest.mark.parametrize("path", [path for path, _ in SERVICE_COMMANDS], ids=" ".join)
def test_every_command_explains_itself_in_vietnamese(app, path):
    command = dict(SERVICE_COMMANDS)[path]
    shown = run(app, *path, "--help")
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("Cách dùng: ") and f"{' '.join(path)} [TÙY CHỌN]" in shown.output
    assert "Hiện trợ giúp này rồi thoát." in shown.output
    for english in ("Usage:", "Options:", "Commands:", "Show this message", "[default", "[required", "OPTIONS"):
        assert english not in shown.output, english
    assert command.help and not command.help.isascii(), command.help  # said in Vietnamese, not a code docstring
    for option in command.params:
        if isinstance(option, click.Option) and not option.hidden:
            assert option.help and not option.help.isascii(), (path, option.name)


def test_the_command_line_is_refused_in_vietnamese_and_changes_nothing(app, bank):
    before = db.session.scalar(select(func.count()).select_from(User))
    cases = [
        (("users", "create", "x", "--role", "candidate", "--birth-date", "1990-13-45", "--password-stdin"),
         "Lỗi: Giá trị không hợp lệ cho '--birth-date': «1990-13-45» không phải một ngày có thật viết theo dạng "
         "YYYY-MM-DD (năm-tháng-ngày)."),
        (("keys", "compromise", "abc"), "Lỗi: Thiếu tùy chọn '--reason'."),
        (("users", "create", "x", "--role", "wizard", "--password-stdin"),
         "Lỗi: Giá trị không hợp lệ cho '--role': phải là một trong: candidate, author, reviewer, proctor, "
         "unit_manager, admin."),
        (("bank", "calibrate", "--min-responses", "0"),
         "Lỗi: Giá trị không hợp lệ cho '--min-responses': phải là số nguyên từ 1."),
        (("users", "create", "x", "--bogus"), "Lỗi: Không có tùy chọn --bogus."),
        (("users", "nope"), "Lỗi: Không có lệnh «nope»."),
    ]
    for args, message in cases:
        refused = run(app, *args, input="mat-khau-rat-dai-1\n")
        assert refused.exit_code == 2, refused.output
        assert message in refused.output and "--help» để biết cách dùng." in refused.output, refused.output
        assert "Error" not in refused.output and "Usage" not in refused.output and "Try " not in refused.output
    own = run(app, "users", "create", "x", "--role", "candidate", "--password-stdin", input="mat-khau-rat-dai-1\n")
    assert own.exit_code == 1 and own.output.startswith("Lỗi: Thí sinh phải có đối tượng"), own.output
    assert db.session.scalar(select(func.count()).select_from(User)) == before
