"""The unit tree, a unit manager's view of their staff's results, and the audit log."""

import io

import openpyxl
from sqlalchemy import select

from service.extensions import db
from service.models import AttemptItem, ItemVersion


def sit(client, headers, session_id, right):
    attempt = client.post(f"/api/v1/exam-sessions/{session_id}/attempts", headers=headers).get_json()
    for entry in attempt["items"]:
        version = db.session.scalar(select(ItemVersion).join(AttemptItem).where(
            AttemptItem.attempt_id == attempt["id"], AttemptItem.position == entry["position"]))
        if right:
            client.put(f"/api/v1/attempts/{attempt['id']}/responses/{entry['position']}",
                       json={"answer": version.key}, headers=headers)
    return client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()


def test_unit_manager_sees_and_exports_their_units_results(app, client, bank, make_user, make_session,
                                                          auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    passing = make_user("candidate", unit_code="BTR-BATRI", full_name="Lê Thị Mỹ Duyên")
    failing = make_user("candidate", unit_code="BTR-BATRI", full_name="Võ Văn Kiệt")
    elsewhere = make_user("candidate", unit_code="BTR-STC")
    session = make_session([passing, failing, elsewhere])
    sit(client, auth_headers(passing), session.id, right=True)
    sit(client, auth_headers(failing), session.id, right=False)
    sit(client, auth_headers(elsewhere), session.id, right=True)

    manager = auth_headers(make_user("unit_manager", unit_code="BTR-BATRI"))
    body = client.get("/api/v1/units/BTR-BATRI/results", headers=manager).get_json()
    assert body["total"] == 2
    rows = {r["full_name"]: r for r in body["items"]}
    assert set(rows) == {"Lê Thị Mỹ Duyên", "Võ Văn Kiệt"}
    assert rows["Lê Thị Mỹ Duyên"]["passed"] is True and rows["Lê Thị Mỹ Duyên"]["certificate"]
    assert rows["Võ Văn Kiệt"]["passed"] is False and rows["Võ Văn Kiệt"]["certificate"] is None

    export = client.get("/api/v1/units/BTR-BATRI/results?format=xlsx", headers=manager)
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    assert sheet["A2"].value == "Họ và tên"
    assert {sheet.cell(row=r, column=1).value for r in (3, 4)} == {"Lê Thị Mỹ Duyên", "Võ Văn Kiệt"}

    assert client.get("/api/v1/units/BTR-STC/results", headers=manager).status_code == 403
    assert client.get("/api/v1/units/KHONG-CO/results", headers=manager).status_code == 404
    assert client.get("/api/v1/units/BTR-BATRI/results?format=pdf", headers=manager).status_code == 422
    # The province's manager sees every unit below the province.
    province = auth_headers(make_user("unit_manager", unit_code="BTR"))
    assert client.get("/api/v1/units/BTR/results", headers=province).get_json()["total"] == 3


def test_unit_tree_lists_both_structures(app, client, make_user, auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    units = client.get("/api/v1/units", headers=auth_headers(make_user("proctor"))).get_json()["items"]
    by_code = {u["code"]: u for u in units}
    assert by_code["BTR-BATRI"]["parent"] == "BTR" and by_code["BTR-BATRI"]["structure"] == "2021"
    assert by_code["VLG-SKHCN"]["structure"] == "2025"


def test_admin_reads_the_audit_log(client, bank, make_user, auth_headers):
    admin = make_user("admin", username="quantri")
    headers = auth_headers(admin)
    author, reviewer = auth_headers(make_user("author")), auth_headers(make_user("reviewer"))
    item = client.post("/api/v1/items", headers=author, json={
        "type": "true_false", "stem": "Mật khẩu mạnh nên có ít nhất 12 ký tự.", "key": True,
        "explanation": "Mật khẩu dài khó dò hơn.", "competence": "AT.1", "level": "co_ban",
        "audiences": ["cong_chuc"]}).get_json()
    client.post(f"/api/v1/items/{item['id']}/transitions", json={"action": "submit"}, headers=author)
    client.post(f"/api/v1/items/{item['id']}/transitions", json={"action": "approve"}, headers=reviewer)
    log = client.get(f"/api/v1/audit?target_type=item&target_id={item['id']}", headers=headers).get_json()
    assert [e["action"] for e in log["items"]] == ["item.approve", "item.submit", "item.create"]
    assert log["items"][0]["actor"].startswith("reviewer") and log["items"][0]["at"].endswith("Z")
