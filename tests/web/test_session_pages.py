"""The proctor's pages for creating a session and enrolling candidates: they take Vietnam time, call the API's
operations, show its errors next to the fields, and store nothing when refused."""

import re
import unicodedata
from datetime import datetime

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from service.extensions import db
from service.models import AuditEntry, Enrolment, ExamSession, ItemVersion
from service.models.org import ROLES
from tests.web.pages import sign_in


def session_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ExamSession))


def enrolled(session_id: int) -> set[int]:
    db.session.expire_all()
    return {e.user_id for e in db.session.scalars(select(Enrolment).where(Enrolment.session_id == session_id))}


def a_form(token, **changes):
    form = {"csrf_token": token, "title": "Sát hạch quý I/2030", "blueprint": "BP-CCVC",
            "opens_at": "2030-03-10T08:00", "closes_at": "2030-03-10T11:00", "max_attempts": "2",
            "retake_gap_minutes": "30", "review_mode": "full", "candidates": "", "units": []}
    form.update(changes)
    return form


def test_proctor_creates_a_session_in_vietnam_time_and_a_candidate_sees_it(
        client, bank, units, make_user, clock_at, auth_headers):
    first, second = make_user("candidate"), make_user("candidate")
    in_unit = make_user("candidate", unit_code="BTR-STC")
    make_user("candidate", unit_code="BTR-STC", audience_code="lanh_dao")  # the unit, but another audience
    make_user("candidate", unit_code="BTR-SNV")  # another unit
    proctor = make_user("proctor")
    token = sign_in(client, proctor)
    listing = client.get("/quan-ly/ky-thi").get_data(as_text=True)
    assert 'href="/quan-ly/ky-thi/moi">Tạo kỳ sát hạch mới</a>' in listing
    page = client.get("/quan-ly/ky-thi/moi").get_data(as_text=True)
    assert "giờ Việt Nam (UTC+7)" in page and "BP-LDQL" in page and "Sở Tài chính tỉnh Bến Tre" in page
    assert unicodedata.is_normalized("NFC", page)

    response = client.post("/quan-ly/ky-thi/moi", data=a_form(
        token, opens_at="2030-03-10T06:30", closes_at="2030-03-10T17:00", review_mode="full",
        candidates=f"{first.username}\n{second.username}, {first.username}", units=["BTR-STC"]))

    assert response.status_code == 302
    created = db.session.scalar(select(ExamSession))
    assert response.headers["Location"].endswith(f"/quan-ly/ky-thi/{created.id}")
    assert (created.opens_at, created.closes_at) == (datetime(2030, 3, 9, 23, 30), datetime(2030, 3, 10, 10, 0))
    assert (created.blueprint.code, created.max_attempts, created.retake_gap_minutes, created.review_mode) == (
        "BP-CCVC", 2, 30, "full")
    assert enrolled(created.id) == {first.id, second.id, in_unit.id}
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.actor_id == proctor.id)) == "session.create"
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã tạo kỳ sát hạch với 3 thí sinh." in detail and "10/03/2030 06:30 (giờ Việt Nam)" in detail
    assert unicodedata.is_normalized("NFC", detail)

    headers = auth_headers(second)
    clock_at(datetime(2030, 3, 9, 23, 29))  # 06:29 in Viet Nam: not open yet
    assert client.get("/api/v1/exam-sessions", headers=headers).get_json()["items"] == []
    clock_at(datetime(2030, 3, 9, 23, 31))
    assert [s["id"] for s in client.get("/api/v1/exam-sessions", headers=headers).get_json()["items"]] == [created.id]


def test_form_errors_show_next_to_the_fields_keep_the_input_and_store_nothing(client, bank, units, make_user):
    proctor = make_user("proctor")
    candidate = make_user("candidate")
    token = sign_in(client, proctor)
    cases = [
        ({"closes_at": "2030-03-10T07:59"}, "closes_at", "Thời gian đóng phải sau thời gian mở."),
        ({"candidates": f"{candidate.username}, khong-ton-tai"}, "candidates", "Không có thí sinh khong-ton-tai"),
        ({"candidates": proctor.username}, "candidates", f"Không có thí sinh {proctor.username}"),
        ({"title": "   "}, "title", "Cần nhập tên kỳ sát hạch (tối đa 300 ký tự)."),
        ({"opens_at": ""}, "opens_at", "Cần nhập ngày giờ mở hợp lệ (giờ Việt Nam)."),
        ({"opens_at": "2030-03-10T08:00Z"}, "opens_at", "Cần nhập ngày giờ mở hợp lệ (giờ Việt Nam)."),
        ({"max_attempts": "11"}, "max_attempts", "Số lần thi tối đa phải là số nguyên từ 1 đến 10."),
        ({"units": ["KHONG-CO"]}, "units", "Không có đơn vị KHONG-CO"),
    ]
    for change, field, message in cases:
        form = a_form(token, candidates=candidate.username, units=["BTR-STC"], review_mode="score")
        form.update(change)
        response = client.post("/quan-ly/ky-thi/moi", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, change
        assert f'id="{field}-error"><li>{escape(message)}</li>' in page, (change, page)
        assert unicodedata.is_normalized("NFC", page)
        assert f'value="{escape(form["title"])}"' in page
        assert '<option value="BP-CCVC" selected>' in page and 'value="score" checked' in page
        assert f'value="{form["opens_at"]}"' in page and f'value="{form["closes_at"]}"' in page
        assert f'value="{form["max_attempts"]}"' in page and f">{escape(form['candidates'])}</textarea>" in page
        assert ('<option value="BTR-STC" selected>' in page) == ("BTR-STC" in form["units"])
        assert session_count() == 0


def test_a_bank_that_cannot_fill_the_blueprint_is_named_on_the_form(client, bank, make_user):
    from service.models import Competence

    for version in db.session.scalars(select(ItemVersion).join(Competence).where(
            Competence.area_code == "ND", ItemVersion.level_code == "co_ban")):
        version.status = "retired"
    db.session.commit()
    token = sign_in(client, make_user("proctor"))
    response = client.post("/quan-ly/ky-thi/moi", data=a_form(token))
    assert response.status_code == 422
    assert re.search(r'id="blueprint-error"><li>ND/co_ban: cần 5, có 0</li>', response.get_data(as_text=True))
    assert session_count() == 0


def test_a_post_without_the_csrf_token_is_refused(client, bank, make_user):
    token = sign_in(client, make_user("proctor"))
    form = a_form(token)
    del form["csrf_token"]
    assert client.post("/quan-ly/ky-thi/moi", data=form).status_code == 400
    assert session_count() == 0
    assert client.post("/quan-ly/ky-thi/moi", data=a_form(token)).status_code == 302  # the same form, with it
    assert session_count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_only_proctors_and_admins_create_sessions(client, make_user, role):
    assert client.get("/quan-ly/ky-thi/moi").headers["Location"].startswith("/dang-nhap?next=")
    token = sign_in(client, make_user(role))
    allowed = role in ("proctor", "admin")
    assert client.get("/quan-ly/ky-thi/moi").status_code == (200 if allowed else 403)
    if not allowed:
        assert client.post("/quan-ly/ky-thi/moi", data=a_form(token)).status_code == 403
        assert client.post("/quan-ly/ky-thi/1/ghi-danh", data={"csrf_token": token}).status_code == 403


def test_html_in_a_title_is_escaped_on_the_sessions_list(client, bank, make_user):
    token = sign_in(client, make_user("proctor"))
    title = '<script>alert("x")</script> & <b>Kỳ đặc biệt</b>'
    assert client.post("/quan-ly/ky-thi/moi", data=a_form(token, title=title)).status_code == 302
    listing = client.get("/quan-ly/ky-thi").get_data(as_text=True)
    assert str(escape(title)) in listing
    assert "<script>alert" not in listing and "<b>Kỳ" not in listing


def test_proctor_enrols_more_candidates_on_the_session_page(client, bank, units, make_user, make_session):
    first, second = make_user("candidate"), make_user("candidate")
    in_unit = make_user("candidate", unit_code="BTR-STC")
    session = make_session([first])
    token = sign_in(client, make_user("proctor"))
    path = f"/quan-ly/ky-thi/{session.id}/ghi-danh"
    assert "Ghi danh thêm thí sinh" in client.get(f"/quan-ly/ky-thi/{session.id}").get_data(as_text=True)

    refused = client.post(path, data={"csrf_token": token, "candidates": f"{second.username}, khong-ton-tai"},
                          follow_redirects=True)
    assert "Danh sách thí sinh không hợp lệ. Không có thí sinh khong-ton-tai" in refused.get_data(as_text=True)
    assert enrolled(session.id) == {first.id}
    assert client.post(path, data={"candidates": second.username}).status_code == 400
    assert enrolled(session.id) == {first.id}

    done = client.post(path, data={"csrf_token": token, "candidates": f"{first.username}\n{second.username}",
                                   "units": ["BTR-STC"]}, follow_redirects=True)
    assert "Đã ghi danh thêm 2 thí sinh." in done.get_data(as_text=True)
    assert enrolled(session.id) == {first.id, second.id, in_unit.id}
