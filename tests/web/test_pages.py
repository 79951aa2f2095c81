"""The candidate's web pages through Flask's test client: sign-in, CSRF, sitting, result, certificate."""

import re
from datetime import datetime, timedelta

from markupsafe import escape
from sqlalchemy import select

from certificates.pdf import vn_number
from service.extensions import db
from service.models import Attempt, AttemptItem, ItemVersion
from tests.web.pages import csrf_of


def sign_in(client, username, password="mat-khau-dung-123"):
    page = client.get("/dang-nhap").get_data(as_text=True)
    return client.post("/dang-nhap", data={"username": username, "password": password,
                                           "csrf_token": csrf_of(page)})


def test_sign_in_needs_the_right_password_and_a_csrf_token(client, make_user):
    person = make_user("candidate")
    assert client.post("/dang-nhap", data={"username": person.username,
                                           "password": "mat-khau-dung-123"}).status_code == 400
    wrong = sign_in(client, person.username, "sai-mat-khau")
    assert wrong.status_code == 401 and "không đúng" in wrong.get_data(as_text=True)
    assert client.get("/thi-sinh").status_code == 302
    right = sign_in(client, person.username)
    assert right.status_code == 302 and right.headers["Location"].endswith("/thi-sinh")
    assert "Xin chào" in client.get("/thi-sinh").get_data(as_text=True)


def test_staff_cannot_use_the_candidate_pages(client, make_user):
    sign_in(client, make_user("proctor").username)
    assert client.get("/thi-sinh").status_code == 403


def test_candidate_sits_an_exam_in_the_browser_pages(client, bank, make_user, make_session):
    person = make_user("candidate", full_name="Trần Thị Bích Ngọc")
    session = make_session([person])
    sign_in(client, person.username)
    home = client.get("/thi-sinh").get_data(as_text=True)
    assert session.title in home
    started = client.post(f"/ky-thi/{session.id}/bat-dau", data={"csrf_token": csrf_of(home)})
    assert started.status_code == 302
    exam_url = started.headers["Location"]
    page = client.get(exam_url).get_data(as_text=True)
    attempt_id = int(exam_url.rstrip("/").rsplit("/", 1)[1])
    rows = db.session.execute(select(AttemptItem.position, ItemVersion).join(ItemVersion).where(
        AttemptItem.attempt_id == attempt_id).order_by(AttemptItem.position)).all()
    assert len(rows) == 50
    for _, version in rows:
        assert str(escape(version.stem)) in page
        assert str(escape(version.explanation)) not in page
    token = csrf_of(page)
    no_token = client.post(f"{exam_url}/cau/1", json={"answer": None})
    assert no_token.status_code == 400
    for position, version in rows:
        saved = client.post(f"{exam_url}/cau/{position}", json={"answer": version.key},
                            headers={"X-CSRFToken": token})
        assert saved.status_code == 200, saved.get_json()
    bad = client.post(f"{exam_url}/cau/1", json={"answer": ["khong-co"]}, headers={"X-CSRFToken": token})
    assert bad.status_code == 422 and bad.get_json()["message"]
    result = client.post(f"{exam_url}/nop", data={"csrf_token": token}, follow_redirects=True)
    html = result.get_data(as_text=True)
    assert "10/10 điểm (100%)" in html and "ĐẠT" in html and "Tải giấy chứng nhận" in html
    pdf_link = re.search(r'href="(/chung-nhan/[^"]+\.pdf)"', html).group(1)
    pdf = client.get(pdf_link)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    late = client.post(f"{exam_url}/cau/1", json={"answer": None}, headers={"X-CSRFToken": token})
    assert late.status_code == 409


def test_another_candidates_attempt_is_not_found(client, bank, make_user, make_session):
    owner, other = make_user("candidate"), make_user("candidate")
    session = make_session([owner])
    sign_in(client, owner.username)
    home = client.get("/thi-sinh").get_data(as_text=True)
    exam_url = client.post(f"/ky-thi/{session.id}/bat-dau", data={"csrf_token": csrf_of(home)}).headers["Location"]
    client.post("/dang-xuat", data={"csrf_token": csrf_of(home)})
    sign_in(client, other.username)
    assert client.get(exam_url).status_code == 404
    assert client.get(f"{exam_url}/ket-qua").status_code == 404


def test_html_is_escaped(client, bank, make_user, make_session):
    person = make_user("candidate", full_name="<script>alert(1)</script> Lê Văn Tám")
    sign_in(client, person.username)
    html = client.get("/thi-sinh").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_change_password_in_the_browser_pages(client, make_user):
    person = make_user("candidate")
    sign_in(client, person.username)
    page = client.get("/doi-mat-khau").get_data(as_text=True)
    wrong = client.post("/doi-mat-khau", data={"current_password": "sai", "new_password": "mat-khau-moi-dai",
                                               "csrf_token": csrf_of(page)})
    assert wrong.status_code == 422 and "không đúng" in wrong.get_data(as_text=True)
    done = client.post("/doi-mat-khau", data={"current_password": "mat-khau-dung-123",
                                              "new_password": "mat-khau-moi-dai", "csrf_token": csrf_of(page)})
    assert done.status_code == 302 and client.get("/thi-sinh").status_code == 302
    assert sign_in(client, person.username, "mat-khau-moi-dai").status_code == 302


def test_the_exam_page_follows_the_servers_clock(client, app, bank, make_user, make_session, clock_at, auth_headers):
    start = clock_at(datetime(2026, 12, 3, 1, 0))  # 08:00 in Viet Nam
    person = make_user("candidate")
    session = make_session([person])
    sign_in(client, person.username)
    home = client.get("/thi-sinh").get_data(as_text=True)
    exam_url = client.post(f"/ky-thi/{session.id}/bat-dau", data={"csrf_token": csrf_of(home)}).headers["Location"]
    page = client.get(exam_url).get_data(as_text=True)
    assert 'data-remaining="3600"' in page and 'id="deadline">09:00<' in page and 'role="timer"' in page
    assert 'aria-live="polite"' in page and 'id="submit-exam"' in page and 'name="submit"' not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None and " style=" not in page  # the policy forbids both
    clock = f"{exam_url}/thoi-gian"
    assert client.get(clock).get_json() == {"status": "in_progress", "remaining": 3600, "deadline": "09:00"}
    clock_at(start + timedelta(minutes=10))
    saved = client.post(f"{exam_url}/cau/1", json={"answer": None}, headers={"X-CSRFToken": csrf_of(page)})
    assert saved.get_json() == {"saved": True, "remaining": 3000, "deadline": "09:00"}

    attempt_id = int(exam_url.rsplit("/", 1)[1])
    proctor = auth_headers(make_user("proctor"))
    client.post(f"/api/v1/attempts/{attempt_id}/extra-time", headers=proctor,
                json={"minutes": 15, "reason": "Mất điện"})
    assert client.get(clock).get_json() == {"status": "in_progress", "remaining": 3900, "deadline": "09:15"}
    clock_at(start + timedelta(minutes=76))
    assert client.get(clock).get_json() == {"status": "closed"}
    assert db.session.get(Attempt, attempt_id).closed_by == "timeout"

    other = app.test_client()
    sign_in(other, make_user("candidate").username)
    assert other.get(clock).status_code == 404
    staff = app.test_client()
    sign_in(staff, make_user("proctor").username)
    assert staff.get(clock).status_code == 403
    assert app.test_client().get(clock).status_code == 302


def test_scores_are_written_with_a_decimal_comma(client, bank, make_user, make_session, auth_headers):
    person = make_user("candidate")
    session = make_session([person])
    headers = auth_headers(person)
    attempt = client.post(f"/api/v1/exam-sessions/{session.id}/attempts", headers=headers).get_json()
    for entry in attempt["items"][3:]:  # three left unanswered: a score with decimals
        key = db.session.scalar(select(ItemVersion.key).join(AttemptItem).where(
            AttemptItem.attempt_id == attempt["id"], AttemptItem.position == entry["position"]))
        client.put(f"/api/v1/attempts/{attempt['id']}/responses/{entry['position']}", json={"answer": key},
                   headers=headers)
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()["result"]
    score, percent = vn_number(result["score_10"], 2), vn_number(result["percent"], 2)
    assert "," in score  # the case this test is about (50 items: the percent is a whole number)
    sign_in(client, person.username)
    page = client.get(f"/bai-thi/{attempt['id']}/ket-qua").get_data(as_text=True)
    assert f"{score}/10 điểm ({percent}%)" in page
    for area in result["areas"]:
        assert f"<td>{vn_number(area['percent'], 2)}%</td>" in page
    assert not re.search(r"\d\.\d+(/10|%)", page)
    home = client.get("/thi-sinh").get_data(as_text=True)
    assert f"{score}/10" in home and not re.search(r"\d\.\d+/10", home)
