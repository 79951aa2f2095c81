"""Accounts from a spreadsheet, and changing one's own password."""

import io

from sqlalchemy import func, select

from service.extensions import db
from service.models import AuditEntry, User

HEADER = "Tên đăng nhập,Họ và tên,Ngày sinh,Mã đơn vị,Đối tượng,Vai trò\n"
GOOD = ("nguyenthimai,Nguyễn Thị Mai,17/09/1992,BTR-BATRI,cong_chuc,\n"
        "tranvanbinh,Trần Văn Bình,1985-03-02,BTR-BATRI,lanh_dao,candidate\n")
BAD = "lethicuc,Lê Thị Cúc,31/02/1990,BTR-BATRI,cong_chuc,\n"


def upload(client, headers, text, **form):
    return client.post("/api/v1/users/import", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(("\ufeff" + text).encode()), "can-bo.csv"), **form})


def count():
    return db.session.scalar(select(func.count()).select_from(User))


def test_import_accounts_all_or_nothing_then_log_in(app, client, bank, make_user, auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    admin = auth_headers(make_user("admin"))
    before = count()
    refused = upload(client, admin, HEADER + GOOD + BAD)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["errors"] == [{"row": 4, "field": "birth_date", "message": "Ngày sinh không hợp lệ."}]
    assert "password" not in str(body) and count() == before
    done = upload(client, admin, HEADER + GOOD + BAD, import_valid="true")
    assert done.status_code == 201
    created = {e["username"]: e["password"] for e in done.get_json()["created"]}
    assert set(created) == {"nguyenthimai", "tranvanbinh"} and count() == before + 2
    mai = db.session.scalar(select(User).where(User.username == "nguyenthimai"))
    assert mai.full_name == "Nguyễn Thị Mai" and mai.birth_date.isoformat() == "1992-09-17"
    login = client.post("/api/v1/auth/token", json={"username": "nguyenthimai", "password": created["nguyenthimai"]})
    assert login.status_code == 200
    again = upload(client, admin, HEADER + GOOD).get_json()
    assert [s["username"] for s in again["skipped"]] == ["nguyenthimai", "tranvanbinh"] and not again["created"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "users.import"))
    assert "password" not in str(entry.details)


def test_unit_manager_imports_only_candidates_of_their_units(app, client, bank, make_user, auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    manager = auth_headers(make_user("unit_manager", unit_code="BTR-BATRI"))
    other_unit = "ngovanan,Ngô Văn An,01/01/1990,BTR-STC,cong_chuc,\n"
    staff_role = "phamthilan,Phạm Thị Lan,01/01/1990,BTR-BATRI,,admin\n"
    report = upload(client, manager, HEADER + other_unit + staff_role).get_json()
    assert [e["row"] for e in report["errors"]] == [2, 3] and not report["created"]
    listed = client.get("/api/v1/users", headers=manager).get_json()
    assert all(u["unit"] == "BTR-BATRI" for u in listed["items"])


def test_missing_columns_and_unreadable_files(client, bank, make_user, auth_headers):
    admin = auth_headers(make_user("admin"))
    assert upload(client, admin, "Họ và tên\nAi đó\n").get_json()["errors"][0]["message"].startswith("Thiếu cột")
    bad = client.post("/api/v1/users/import", headers=admin, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"\xff\xfe\x00garbage"), "x.csv")})
    assert bad.status_code == 422


def test_change_password_revokes_old_tokens(client, make_user, auth_headers):
    user = make_user("candidate")
    old = auth_headers(user)
    wrong = client.post("/api/v1/auth/password", headers=old, json={"current_password": "sai",
                                                                    "new_password": "mat-khau-moi-dai"})
    assert wrong.status_code == 422
    short = client.post("/api/v1/auth/password", headers=old, json={"current_password": "mat-khau-dung-123",
                                                                    "new_password": "ngan"})
    assert short.status_code == 422
    changed = client.post("/api/v1/auth/password", headers=old, json={"current_password": "mat-khau-dung-123",
                                                                      "new_password": "mat-khau-moi-dai"})
    assert changed.status_code == 200
    assert client.get("/api/v1/exam-sessions", headers=old).status_code == 401
    login = client.post("/api/v1/auth/token", json={"username": user.username, "password": "mat-khau-moi-dai"})
    assert login.status_code == 200


def test_accounts_are_listed_by_a_known_role_and_an_unknown_role_is_refused(client, make_user, auth_headers):
    make_user("proctor", username="giamthi1")
    admin = auth_headers(make_user("admin"))
    listed = client.get("/api/v1/users", query_string={"role": "proctor"}, headers=admin).get_json()
    assert [u["username"] for u in listed["items"]] == ["giamthi1"]
    refused = client.get("/api/v1/users", query_string={"role": "wizard"}, headers=admin)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "role": ["Phải là một trong: candidate, author, reviewer, proctor, unit_manager, admin."]}
