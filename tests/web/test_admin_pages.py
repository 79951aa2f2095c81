"""The admin's pages: certificates (find, revoke, reissue), accounts, the QR token keys and the audit log. Each
action asks for a confirmation first and changes nothing until it is confirmed; refused input is shown beside
its field and changes nothing; what people typed is escaped wherever it is shown."""

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from certificates.vietnam_time import vn_time
from service import audit, clock, exams
from service import bank as bank_ops
from service.extensions import db
from service.models import AuditEntry, Certificate, TokenKey
from service.models.org import ROLES
from tests.service.test_items import NEW_ITEM
from tests.web.pages import csrf_of, sign_in

HOSTILE = '<script>alert("x")</script> & "><img src=x onerror=alert(1)>'


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def reloaded(cert: Certificate) -> Certificate:
    db.session.expire_all()
    return db.session.get(Certificate, cert.id)


def verify_status(client, cert: Certificate) -> str:
    return client.get(f"/api/v1/verify/{cert.token}").get_json()["status"]


def test_admin_finds_a_certificate_by_serial_holder_or_username(client, make_user, make_certificate):
    first = make_certificate(make_user("candidate", full_name="Lê Thị Thanh Hương"))
    second = make_certificate(make_user("candidate", username="tranvanbinh", full_name="Trần Văn Bình"))
    sign_in(client, make_user("admin"))
    listing = client.get("/quan-ly/chung-nhan").get_data(as_text=True)
    assert first.serial in listing and second.serial in listing
    for query, found, not_found in ((first.serial, first, second), ("Thanh Hương", first, second),
                                    ("tranvanbinh", second, first), (second.serial[-8:], second, first)):
        page = client.get("/quan-ly/chung-nhan", query_string={"q": query}).get_data(as_text=True)
        assert found.serial in page and not_found.serial not in page, query
    assert "Không tìm thấy giấy chứng nhận nào." in client.get("/quan-ly/chung-nhan?q=BTR-1999").get_data(
        as_text=True)
    assert client.get("/quan-ly/chung-nhan?status=lost").status_code == 400
    assert client.get("/quan-ly/chung-nhan?page=0").status_code == 400
    detail = client.get(f"/quan-ly/chung-nhan/{first.public_id}").get_data(as_text=True)
    assert "Lê Thị Thanh Hương" in detail and "Còn hiệu lực" in detail and "HỢP LỆ" in detail
    assert "Kết quả</dt><dd>10/10 (100%)" in detail  # numbers as the certificate writes them
    assert "Cấp chứng nhận" in detail  # its history starts with the issue
    assert client.get("/quan-ly/chung-nhan/khong-co").status_code == 404


def test_revoking_asks_for_a_reason_and_a_confirmation_then_verifiers_see_it(client, make_user, make_certificate):
    cert = make_certificate()
    admin = make_user("admin")
    token = sign_in(client, admin)
    path = f"/quan-ly/chung-nhan/{cert.public_id}/thu-hoi"

    missing = client.post(path, data={"csrf_token": token, "reason": "  "})
    assert missing.status_code == 422
    assert re.search(r'id="revoke-reason-error"><li>[^<]+</li>', missing.get_data(as_text=True))
    assert 'aria-describedby="revoke-reason-error"' in missing.get_data(as_text=True)

    asked = client.post(path, data={"csrf_token": token, "reason": "Phát hiện thi hộ"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Xác nhận thu hồi" in page and "ĐÃ THU HỒI" in page
    assert 'name="confirmed" value="1"' in page and 'value="Phát hiện thi hộ"' in page
    assert reloaded(cert).status == "valid" and verify_status(client, cert) == "valid"
    assert audit_count("certificate.revoke") == 0

    assert client.post(path, data={"reason": "Phát hiện thi hộ", "confirmed": "1"}).status_code == 400  # no CSRF
    assert reloaded(cert).status == "valid"

    done = client.post(path, data={"csrf_token": token, "reason": "Phát hiện thi hộ", "confirmed": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/quan-ly/chung-nhan/{cert.public_id}")
    assert reloaded(cert).status == "revoked" and reloaded(cert).revoke_reason == "Phát hiện thi hộ"
    assert verify_status(client, cert) == "revoked"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.revoke"))
    assert entry.actor_id == admin.id and entry.details["reason"] == "Phát hiện thi hộ"
    detail = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Đã thu hồi giấy chứng nhận số" in detail and "Thu hồi chứng nhận" in detail
    assert 'id="thu-hoi"' not in detail  # no form to revoke it twice

    again = client.post(path, data={"csrf_token": token, "reason": "Lần nữa", "confirmed": "1"})
    assert again.status_code == 409 and "Chỉ thu hồi được chứng nhận đang có hiệu lực." in again.get_data(
        as_text=True)
    assert reloaded(cert).revoke_reason == "Phát hiện thi hộ" and audit_count("certificate.revoke") == 1


def test_reissue_after_a_name_correction(client, make_user, make_certificate):
    cert = make_certificate(make_user("candidate", full_name="Nguyễn Thi Hồng"))
    token = sign_in(client, make_user("admin"))
    path = f"/quan-ly/chung-nhan/{cert.public_id}/cap-lai"
    short = client.post(path, data={"csrf_token": token, "holder_name": "N", "reason": "Sửa dấu"})
    assert short.status_code == 422 and 'id="reissue-holder_name-error"' in short.get_data(as_text=True)
    assert 'value="N"' in short.get_data(as_text=True)  # the input is kept

    form = {"csrf_token": token, "holder_name": "Nguyễn Thị Hồng", "reason": "Sửa họ tên theo căn cước"}
    asked = client.post(path, data=form).get_data(as_text=True)
    assert "Nguyễn Thị Hồng" in asked and "Xác nhận cấp lại" in asked and "ĐÃ THU HỒI" in asked
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1

    done = client.post(path, data={**form, "confirmed": "1"})
    new = db.session.scalar(select(Certificate).where(Certificate.id != cert.id))
    assert done.headers["Location"].endswith(f"/quan-ly/chung-nhan/{new.public_id}")
    assert new.holder_name == "Nguyễn Thị Hồng" and reloaded(cert).status == "superseded"
    assert verify_status(client, new) == "valid" and verify_status(client, cert) == "revoked"
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Cấp lại thay cho giấy số" in page and cert.serial in page
    old = client.get(f"/quan-ly/chung-nhan/{cert.public_id}").get_data(as_text=True)
    assert "Đã được cấp lại bằng giấy số" in old and new.serial in old and 'id="cap-lai"' not in old


def test_a_reissue_under_the_name_already_printed_is_refused_beside_the_name(client, make_user, make_certificate):
    cert = make_certificate(make_user("candidate", full_name="Nguyễn Thị Hồng"))
    token = sign_in(client, make_user("admin"))
    for confirmed in ({}, {"confirmed": "1"}):
        refused = client.post(f"/quan-ly/chung-nhan/{cert.public_id}/cap-lai", data={
            "csrf_token": token, "holder_name": " Nguyễn  Thị Hồng ", "reason": "Sửa họ tên", **confirmed})
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "Xác nhận cấp lại" not in page
        assert re.search(r'id="reissue-holder_name-error"><li>[^<]*trùng với họ tên trên giấy chứng nhận', page)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert reloaded(cert).status == "valid" and audit_count("certificate.reissue") == 0


def test_hostile_names_and_reasons_are_escaped_everywhere_they_are_shown(client, make_user, make_certificate,
                                                                        make_session):
    person = make_user("candidate", full_name=f"Hồ {HOSTILE}")
    cert = make_certificate(person)
    session = make_session([], title=f"Kỳ {HOSTILE}")
    token = sign_in(client, make_user("admin"))
    path = f"/quan-ly/chung-nhan/{cert.public_id}/thu-hoi"
    pages = [client.post(path, data={"csrf_token": token, "reason": HOSTILE}).get_data(as_text=True)]
    client.post(path, data={"csrf_token": token, "reason": HOSTILE, "confirmed": "1"})
    pages += [client.get(url).get_data(as_text=True) for url in (
        f"/quan-ly/chung-nhan/{cert.public_id}", "/quan-ly/chung-nhan", "/quan-ly/nhat-ky",
        "/quan-ly/tai-khoan", f"/v/{cert.token}", "/quan-ly/don-vi/BTR-BATRI/chung-nhan",
        "/quan-ly/don-vi/BTR-BATRI/ghi-danh", f"/quan-ly/don-vi/BTR-BATRI/ky-thi/{session.id}")]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
        assert str(escape(HOSTILE)) in page
    assert reloaded(cert).revoke_reason == HOSTILE  # stored as typed, shown escaped


@pytest.fixture
def two_keys(app, make_certificate):
    """A certificate signed by the first key; a rotation; a certificate signed by the second."""
    old = make_certificate()
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    new = make_certificate()
    assert old.token_kid != new.token_kid
    return old, new


def test_keys_page_rotates_after_a_confirmation_that_says_issued_certificates_keep_verifying(
        client, make_user, two_keys):
    old, new = two_keys
    admin = make_user("admin")
    token = sign_in(client, admin)
    page = client.get("/quan-ly/khoa").get_data(as_text=True)
    assert old.token_kid in page and new.token_kid in page
    assert "Đang dùng" in page and "Đã thay (vẫn xác minh được)" in page
    refused = client.post("/quan-ly/khoa/thay-khoa", data={"csrf_token": token, "reason": "x"})
    assert refused.status_code == 422 and 'id="rotate-reason-error"' in refused.get_data(as_text=True)

    asked = client.post("/quan-ly/khoa/thay-khoa", data={"csrf_token": token, "reason": "Thay định kỳ"})
    text = asked.get_data(as_text=True)
    assert f"Khóa đang dùng {new.token_kid} chuyển sang «đã thay»: 1 giấy chứng nhận nó đã ký vẫn xác minh được" \
        in text
    assert db.session.scalar(select(func.count()).select_from(TokenKey)) == 2

    assert f'name="active" value="{new.token_kid}"' in text
    confirmation = {"csrf_token": token, "reason": "Thay định kỳ", "active": new.token_kid, "confirmed": "1"}
    done = client.post("/quan-ly/khoa/thay-khoa", data=confirmation)
    assert done.status_code == 302
    active = db.session.scalar(select(TokenKey).where(TokenKey.status == "active"))
    assert active.kid not in (old.token_kid, new.token_kid)
    assert verify_status(client, old) == verify_status(client, new) == "valid"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "key.rotate",
                                                       AuditEntry.actor_id == admin.id))
    assert entry.target_id == active.kid and entry.details == {"reason": "Thay định kỳ"}
    again = client.post("/quan-ly/khoa/thay-khoa", data=confirmation)  # the same confirmation, sent twice
    assert again.status_code == 409 and "Khóa đang dùng đã đổi" in again.get_data(as_text=True)
    assert db.session.scalar(select(TokenKey.kid).where(TokenKey.status == "active")) == active.kid


def test_marking_a_key_compromised_says_how_many_certificates_stop_verifying(client, make_user, two_keys):
    old, new = two_keys
    token = sign_in(client, make_user("admin"))
    no_key = client.post("/quan-ly/khoa/danh-dau-lo", data={"csrf_token": token, "kid": "", "reason": "Lộ khóa"})
    assert no_key.status_code == 422 and 'id="compromise-kid-error"' in no_key.get_data(as_text=True)
    asked = client.post("/quan-ly/khoa/danh-dau-lo", data={"csrf_token": token, "kid": old.token_kid,
                                                          "reason": "Sao lưu bị mất"}).get_data(as_text=True)
    assert "Mã QR của 1 giấy chứng nhận do khóa này ký (trong đó 1 đang có hiệu lực) thành KHÔNG HỢP LỆ" in asked
    assert "tệp PDF mang mã QR đó cũng KHÔNG HỢP LỆ" in asked
    assert verify_status(client, old) == "valid"

    client.post("/quan-ly/khoa/danh-dau-lo", data={"csrf_token": token, "kid": old.token_kid,
                                                  "reason": "Sao lưu bị mất", "confirmed": "1"})
    assert verify_status(client, old) == "invalid" and verify_status(client, new) == "valid"
    assert db.session.get(TokenKey, old.token_kid).status == "compromised"
    page = client.get(f"/quan-ly/chung-nhan/{old.public_id}").get_data(as_text=True)
    assert "đã bị đánh dấu lộ" in page
    twice = client.post("/quan-ly/khoa/danh-dau-lo", data={"csrf_token": token, "kid": old.token_kid,
                                                          "reason": "Lần nữa", "confirmed": "1"})
    assert twice.status_code == 409 and "đã được đánh dấu lộ từ trước" in twice.get_data(as_text=True)


def test_compromising_the_active_key_puts_a_new_one_in_its_place(client, make_user, make_certificate):
    first = make_certificate()
    token = sign_in(client, make_user("admin"))
    form = {"csrf_token": token, "kid": first.token_kid, "reason": "Máy chủ bị xâm nhập"}
    assert "Đây là khóa đang dùng" in client.post("/quan-ly/khoa/danh-dau-lo", data=form).get_data(as_text=True)
    client.post("/quan-ly/khoa/danh-dau-lo", data={**form, "confirmed": "1"})
    statuses = dict(db.session.execute(select(TokenKey.kid, TokenKey.status)).all())
    assert statuses.pop(first.token_kid) == "compromised" and list(statuses.values()) == ["active"]
    later = make_certificate()  # issuing goes on, with the new key
    assert later.token_kid in statuses and verify_status(client, later) == "valid"
    assert verify_status(client, first) == "invalid"


def test_accounts_by_role_unit_and_name(client, units, make_user):
    make_user("candidate", full_name="Võ Thị Sáu", unit_code="BTR-STC")
    make_user("candidate", full_name="Phan Văn Trị", unit_code="BTR-BATRI")
    make_user("proctor", full_name="Giám Thị Một")
    sign_in(client, make_user("admin"))
    everyone = client.get("/quan-ly/tai-khoan").get_data(as_text=True)
    assert "Võ Thị Sáu" in everyone and "Giám Thị Một" in everyone and "Đang hoạt động" in everyone
    by_role = client.get("/quan-ly/tai-khoan?role=proctor").get_data(as_text=True)
    assert "Giám Thị Một" in by_role and "Võ Thị Sáu" not in by_role
    by_unit = client.get("/quan-ly/tai-khoan?unit=BTR-STC").get_data(as_text=True)
    assert "Võ Thị Sáu" in by_unit and "Phan Văn Trị" not in by_unit
    by_name = client.get("/quan-ly/tai-khoan", query_string={"q": "Văn Trị"}).get_data(as_text=True)
    assert "Phan Văn Trị" in by_name and "Võ Thị Sáu" not in by_name
    assert client.get("/quan-ly/tai-khoan?role=emperor").status_code == 400


def test_audit_log_filters_by_action_actor_target_and_vietnam_dates(client, make_user, make_certificate):
    cert = make_certificate()
    admin = make_user("admin", username="quantri1")
    token = sign_in(client, admin)
    client.post(f"/quan-ly/chung-nhan/{cert.public_id}/thu-hoi", data={"csrf_token": token,
                                                                       "reason": "Gian lận", "confirmed": "1"})
    everything = client.get("/quan-ly/nhat-ky").get_data(as_text=True)
    assert "Thu hồi chứng nhận" in everything and "Tạo kỳ sát hạch" in everything and "Lý do: Gian lận" in everything

    def rows(**query):
        response = client.get("/quan-ly/nhat-ky", query_string=query)
        return response.status_code, int(re.search(r"<h2>(\d+) mục</h2>", response.get_data(as_text=True))[1])

    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert rows() == (200, total)
    assert rows(action="certificate.revoke") == (200, 1)
    assert rows(actor="quantri1") == (200, 1)
    assert rows(actor="khong-co-ai") == (200, 0)
    assert rows(target_type="certificate", target_id=cert.public_id) == (200, 2)  # issued, revoked
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.revoke"))
    vietnam_day = (entry.at + timedelta(hours=7)).date()
    assert rows(**{"from": vietnam_day.isoformat(), "to": vietnam_day.isoformat()}) == (200, total)
    assert rows(**{"to": (vietnam_day - timedelta(days=1)).isoformat()}) == (200, 0)
    assert rows(**{"from": (vietnam_day + timedelta(days=1)).isoformat()}) == (200, 0)
    bad = client.get("/quan-ly/nhat-ky", query_string={"from": "31/02/2026"})
    assert bad.status_code == 422 and 'id="from-error"' in bad.get_data(as_text=True)
    backwards = client.get("/quan-ly/nhat-ky", query_string={"from": "2026-12-03", "to": "2026-12-01"})
    assert backwards.status_code == 422 and "Ngày kết thúc phải từ ngày bắt đầu trở đi." in backwards.get_data(
        as_text=True)
    shown = (entry.at + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M:%S")
    assert shown in everything  # Vietnam time


def test_audit_log_names_targets_roles_statuses_and_details_in_vietnamese(app, client, bank, make_user,
                                                                          make_session):
    admin = make_user("admin")
    candidate = make_user("candidate")
    attempt, _ = exams.start_or_resume(make_session([candidate]), candidate, clock.now())
    exams.add_time(attempt, 10, "Mất điện", admin, clock.now())
    bank_ops.create_item({**NEW_ITEM, "code": "KT-AUDIT-1"}, make_user("author"), status="draft")
    db.session.commit()
    created = app.test_cli_runner().invoke(args=["users", "create", "nguoimoi", "--role", "author",
                                                 "--password-stdin"], input="mat-khau-rat-dai-1\n")
    assert created.exit_code == 0, created.output
    sign_in(client, admin)
    page = client.get("/quan-ly/nhat-ky").get_data(as_text=True)
    filter_options = re.search(r'<select name="target_type">(.*?)</select>', page, re.S)[1]
    for code, label in (("attempt", "Bài thi"), ("exam_session", "Kỳ sát hạch"), ("item", "Câu hỏi"),
                        ("user", "Tài khoản")):
        assert f'<option value="{code}">{label}</option>' in filter_options  # the submitted value stays the code
    rows = re.search(r"<tbody>(.*)</tbody>", page, re.S)[1]
    assert f"Bài thi <code>{attempt.id}</code>" in rows and "Kỳ sát hạch <code>" in rows
    assert "Câu hỏi <code>" in rows and "Tài khoản <code>" in rows
    assert "Vai trò: Tác giả câu hỏi" in rows and "Trạng thái: nháp" in rows and "Mã: KT-AUDIT-1" in rows
    assert "Số phút: 10" in rows and "Hạn nộp bài: " + vn_time(attempt.deadline, "%d/%m/%Y %H:%M:%S") in rows
    for raw in ("attempt ", "exam_session ", "item ", "user ", ": author", ": draft", "code:", "deadline:"):
        assert raw not in rows, raw


def test_audit_log_is_paginated(client, make_user):
    admin = make_user("admin")
    for number in range(120):
        audit.record(admin, "test.entry", "test", number)
    db.session.commit()
    sign_in(client, admin)
    first = client.get("/quan-ly/nhat-ky?action=test.entry").get_data(as_text=True)
    assert "Trang 1/3" in first and "<code>119</code>" in first and "<code>69</code>" not in first
    assert 'href="/quan-ly/nhat-ky?page=2&amp;action=test.entry" rel="next"' in first
    third = client.get("/quan-ly/nhat-ky?action=test.entry&page=3").get_data(as_text=True)
    assert "<code>0</code>" in third and "<code>19</code>" in third and "<code>20</code>" not in third
    assert client.get("/quan-ly/nhat-ky?page=abc").status_code == 400


# -- who may open the new pages ------------------------------------------------------------------------------

ADMIN_PAGES = ["/quan-ly/chung-nhan", "/quan-ly/tai-khoan", "/quan-ly/khoa", "/quan-ly/nhat-ky"]
ADMIN_FORMS = ["/quan-ly/chung-nhan/{id}/thu-hoi", "/quan-ly/chung-nhan/{id}/cap-lai", "/quan-ly/khoa/thay-khoa",
               "/quan-ly/khoa/danh-dau-lo"]


@pytest.mark.parametrize("role", [None, *ROLES])
def test_only_admins_open_the_admin_pages_and_send_their_forms(client, make_user, make_certificate, role):
    cert = make_certificate()
    keys_before = db.session.scalar(select(func.count()).select_from(TokenKey))
    if role is None:
        token = csrf_of(client.get("/dang-nhap").get_data(as_text=True))
    else:
        token = sign_in(client, make_user(role))
    for path in [*ADMIN_PAGES, f"/quan-ly/chung-nhan/{cert.public_id}"]:
        response = client.get(path)
        if role is None:
            assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap?next=")
        else:
            assert response.status_code == (200 if role == "admin" else 403), (path, role)
    if role == "admin":
        return
    for path in ADMIN_FORMS:
        form = {"csrf_token": token, "reason": "Thử quyền", "holder_name": "Người Khác", "kid": cert.token_kid,
                "confirmed": "1"}
        response = client.post(path.format(id=cert.public_id), data=form)
        assert response.status_code == (302 if role is None else 403), (path, role)
    assert reloaded(cert).status == "valid"
    assert db.session.scalar(select(func.count()).select_from(TokenKey)) == keys_before
    assert db.session.get(TokenKey, cert.token_kid).status == "active"


def test_every_admin_form_needs_the_csrf_token(client, make_user, make_certificate):
    cert = make_certificate()
    sign_in(client, make_user("admin"))
    for path in ADMIN_FORMS:
        form = {"reason": "Không có mã CSRF", "holder_name": "Người Khác", "kid": cert.token_kid, "confirmed": "1"}
        assert client.post(path.format(id=cert.public_id), data=form).status_code == 400, path
    assert reloaded(cert).status == "valid" and db.session.get(TokenKey, cert.token_kid).status == "active"
    assert audit_count("key.rotate") == audit_count("certificate.revoke") == audit_count("certificate.reissue") == 0
