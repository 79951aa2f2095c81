"""The staff web pages: who may open them, and that their forms do what the API does."""

import io

import openpyxl
import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Attempt, AuditEntry, ItemVersion
from service.models.org import ROLES
from tests.web.pages import csrf_of, sign_in

PAGES = {
    "/quan-ly/": {"author", "reviewer", "proctor", "unit_manager", "admin"},
    "/quan-ly/ky-thi": {"proctor", "admin"},
    "/quan-ly/duyet": {"reviewer", "admin"},
    "/quan-ly/don-vi": {"unit_manager", "admin"},
    "/quan-ly/bao-cao": {"admin"},
    "/quan-ly/bao-cao/tien-do.xlsx": {"admin"},  # as GET /api/v1/reports/progress
    "/quan-ly/bao-cao/nang-luc.xlsx": {"admin"},  # as GET /api/v1/reports/competences
}


@pytest.mark.parametrize("role", ROLES)
def test_staff_pages_by_role(app, client, make_user, role):
    app.test_cli_runner().invoke(args=["units", "load"])
    user = make_user(role, unit_code="BTR-BATRI")
    assert client.get("/quan-ly/ky-thi").status_code == 302  # not signed in: to the sign-in page
    sign_in(client, user)
    for path, allowed in PAGES.items():
        status = client.get(path).status_code
        assert status == (200 if role in allowed else 403), (path, role, status)


def test_proctor_watches_adds_time_and_voids(client, bank, make_user, make_session, auth_headers):
    candidate = make_user("candidate", full_name="Đỗ Thị Hạnh")
    session = make_session([candidate])
    attempt = client.post(f"/api/v1/exam-sessions/{session.id}/attempts", headers=auth_headers(candidate)).get_json()
    proctor = make_user("proctor")
    token = sign_in(client, proctor)
    page = client.get(f"/quan-ly/ky-thi/{session.id}").get_data(as_text=True)
    assert "Đỗ Thị Hạnh" in page and "0/50" in page
    before = db.session.get(Attempt, attempt["id"]).deadline
    client.post(f"/quan-ly/bai-thi/{attempt['id']}/cong-gio", data={"minutes": "10", "reason": "Mất điện",
                                                                    "csrf_token": token})
    db.session.expire_all()
    assert (db.session.get(Attempt, attempt["id"]).deadline - before).total_seconds() == 600
    refused = client.post(f"/quan-ly/bai-thi/{attempt['id']}/huy", data={"reason": "", "csrf_token": token},
                          follow_redirects=True)
    assert "Cần ghi lý do" in refused.get_data(as_text=True)
    client.post(f"/quan-ly/bai-thi/{attempt['id']}/huy", data={"reason": "Dùng điện thoại", "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Attempt, attempt["id"]).status == "voided"
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == proctor.id)))
    assert {"attempt.extra_time", "attempt.void"} <= actions
    assert client.post(f"/quan-ly/bai-thi/{attempt['id']}/huy", data={"reason": "x y z"}).status_code == 400


def test_reviewer_approves_and_rejects_but_not_their_own(client, bank, make_user, auth_headers):
    author, reviewer = make_user("author"), make_user("reviewer")
    headers = auth_headers(author)
    ids = []
    for stem in ("Câu hỏi thứ nhất cần duyệt?", "Câu hỏi thứ hai cần duyệt?"):
        item = client.post("/api/v1/items", headers=headers, json={
            "type": "true_false", "stem": stem, "key": False, "explanation": "Giải thích.",
            "competence": "AT.1", "level": "co_ban", "audiences": ["cong_chuc"]}).get_json()
        client.post(f"/api/v1/items/{item['id']}/transitions", json={"action": "submit"}, headers=headers)
        ids.append(item["id"])
    token = sign_in(client, reviewer)
    page = client.get("/quan-ly/duyet").get_data(as_text=True)
    assert "Câu hỏi thứ nhất cần duyệt?" in page
    versions = {v.item_id: v.id for v in db.session.scalars(select(ItemVersion).where(ItemVersion.item_id.in_(ids)))}
    client.post(f"/quan-ly/duyet/{versions[ids[0]]}", data={"action": "approve", "csrf_token": token})
    no_comment = client.post(f"/quan-ly/duyet/{versions[ids[1]]}", data={"action": "reject", "csrf_token": token},
                             follow_redirects=True)
    assert "lý do" in no_comment.get_data(as_text=True)
    client.post(f"/quan-ly/duyet/{versions[ids[1]]}", data={"action": "reject", "comment": "Chưa rõ nghĩa.",
                                                            "csrf_token": token})
    db.session.expire_all()
    assert [db.session.get(ItemVersion, versions[i]).status for i in ids] == ["active", "draft"]


def test_unit_manager_page_and_admin_report(app, client, bank, make_user, make_session, sit_exam):
    app.test_cli_runner().invoke(args=["units", "load"])
    person = make_user("candidate", unit_code="BTR-BATRI", full_name="Ngô Bảo Châu")
    sit_exam(person, make_session([person]).id)
    sign_in(client, make_user("unit_manager", unit_code="BTR-BATRI"))
    assert "Ngô Bảo Châu" in client.get("/quan-ly/don-vi").get_data(as_text=True)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/quan-ly/don-vi/BTR-BATRI/ket-qua.xlsx").data)).active
    assert sheet["A3"].value == "Ngô Bảo Châu"
    assert client.get("/quan-ly/don-vi?unit=BTR-STC").status_code == 403
    client.post("/dang-xuat", data={"csrf_token": csrf_of(client.get("/quan-ly/").get_data(as_text=True))})
    sign_in(client, make_user("admin"))
    report = client.get("/quan-ly/bao-cao").get_data(as_text=True)
    assert "<svg" in report and "Công chức, viên chức, người lao động" in report
    assert client.get("/quan-ly/bao-cao?year=1800").status_code == 400


def test_admin_downloads_the_reports_from_the_report_page(app, client, bank, make_user, make_session, sit_exam,
                                                           auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    people = [make_user("candidate", unit_code="BTR-BATRI") for _ in range(2)]
    session = make_session(people)
    sit_exam(people[0], session.id)
    sit_exam(people[1], session.id, right=False)
    year = session.opens_at.year
    admin = make_user("admin")
    api = auth_headers(admin)
    progress = client.get(f"/api/v1/reports/progress?year={year}", headers=api).get_json()
    profile = client.get(f"/api/v1/reports/competences?year={year}", headers=api).get_json()
    assert client.get(f"/quan-ly/bao-cao/tien-do.xlsx?year={year}").status_code == 302  # the session, not a token
    sign_in(client, admin)
    page = client.get(f"/quan-ly/bao-cao?year={year}").get_data(as_text=True)
    for link in (f"/quan-ly/bao-cao/tien-do.xlsx?year={year}", f"/quan-ly/bao-cao/nang-luc.xlsx?year={year}"):
        assert f'href="{link}"' in page
    by_unit = page[page.index("Tiến độ theo đơn vị và đối tượng"):]
    assert "<td>Ủy ban nhân dân huyện Ba Tri</td><td>Công chức, viên chức, người lao động</td><td>2</td><td>2</td>" \
           "<td>1</td><td>1</td>" in by_unit
    by_type = page[page.index("Tiến độ theo loại đơn vị"):page.index("Tiến độ theo đơn vị và đối tượng")]
    assert "<td>900</td><td>2</td><td>2</td><td>1</td><td>1</td>" in by_type  # districts: need to 2025, then counts
    assert "0.1%" in by_type  # 1 certified of the 900 needed

    def workbook(path):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet"), path
        return response.headers["Content-Disposition"], openpyxl.load_workbook(io.BytesIO(response.data))

    def values(book):
        return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in book}

    disposition, book = workbook(f"/quan-ly/bao-cao/tien-do.xlsx?year={year}")
    assert disposition == f'attachment; filename="tien-do-{year}.xlsx"'
    sheet = book[f"Tiến độ năm {year}"]
    assert [c.value for c in sheet[2]] == ["Đối tượng / loại đơn vị", "Chỉ tiêu năm", "Nhu cầu đến 2025",
                                           "Được ghi danh", "Đã dự thi", "Đạt chuẩn", "Được cấp chứng nhận"]
    civil = next(r for r in progress["by_audience"] if r["code"] == "cong_chuc")
    row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == civil["name"])
    assert row[3:] == (civil["enrolled"], civil["sat"], civil["passed"], civil["certified"]) == (2, 2, 1, 1)
    units = book[f"Theo đơn vị năm {year}"]
    assert [c.value for c in units[3]] == ["BTR-BATRI", "Ủy ban nhân dân huyện Ba Tri", civil["name"], 2, 2, 1, 1]
    api_file = client.get(f"/api/v1/reports/progress?year={year}&format=xlsx", headers=api)
    assert values(openpyxl.load_workbook(io.BytesIO(api_file.data))) == values(book)  # one file, two doors

    disposition, book = workbook(f"/quan-ly/bao-cao/nang-luc.xlsx?year={year}")
    assert disposition == f'attachment; filename="nang-luc-{year}.xlsx"'
    sheet = book.active
    assert [c.value for c in sheet[2]][:5] == ["Đơn vị", "Đối tượng", "Lĩnh vực", "Số bài", "Điểm trung bình (%)"]
    at = next(r for r in profile["items"] if r["area"] == "AT")
    row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[2] == at["area_name"])
    assert (row[3], row[4], row[6]) == (at["attempts"], at["mean_percent"], at["below_minimum_share"]) == (2, 50.0, 0.5)
    assert sheet.max_row == 2 + len(profile["items"])
    api_file = client.get(f"/api/v1/reports/competences?year={year}&format=xlsx", headers=api)
    assert values(openpyxl.load_workbook(io.BytesIO(api_file.data))) == values(book)

    for path in ("/quan-ly/bao-cao/tien-do.xlsx", "/quan-ly/bao-cao/nang-luc.xlsx"):
        assert client.get(f"{path}?year=1800").status_code == 400  # as the report page refuses it
        assert client.get(f"{path}?year=abc").status_code == 400
