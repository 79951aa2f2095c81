"""A unit manager enrols their own unit's people into a session and downloads their certificates, one PDF or a
ZIP of the valid ones; the operations refuse anyone else's people, and then nothing changes."""

import io
import re
import zipfile
from datetime import datetime, time, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from service import issuing
from service.extensions import db
from service.models import AuditEntry, Enrolment
from service.models.org import ROLES
from tests.web.pages import csrf_of, sign_in


def enrolled(session_id: int) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.session_id == session_id)))


@pytest.fixture
def people(units, make_user):
    """Two candidates of Ba Tri (one of another audience), one of Sở Tài chính, and Ba Tri's manager."""
    return {
        "hoa": make_user("candidate", unit_code="BTR-BATRI", full_name="Trương Thị Hoa"),
        "lanh_dao": make_user("candidate", unit_code="BTR-BATRI", full_name="Lâm Văn Lãnh",
                              audience_code="lanh_dao"),
        "other": make_user("candidate", unit_code="BTR-STC", full_name="Người Đơn Vị Khác"),
        "manager": make_user("unit_manager", unit_code="BTR-BATRI"),
    }


def test_unit_manager_enrols_their_own_people(client, bank, people, make_session):
    session = make_session([])
    token = sign_in(client, people["manager"])
    listing = client.get("/quan-ly/don-vi/BTR-BATRI/ghi-danh").get_data(as_text=True)
    assert session.title in listing
    path = f"/quan-ly/don-vi/BTR-BATRI/ky-thi/{session.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Trương Thị Hoa" in page and "Người Đơn Vị Khác" not in page
    assert f'value="{people["hoa"].username}"' in page and f'value="{people["lanh_dao"].username}"' not in page
    assert "Khác đối tượng" in page

    nothing = client.post(path, data={"csrf_token": token})
    assert nothing.status_code == 422 and "Hãy chọn người hoặc đơn vị cần ghi danh." in nothing.get_data(
        as_text=True)
    done = client.post(path, data={"csrf_token": token, "candidates": [people["hoa"].username]})
    assert done.status_code == 302
    assert enrolled(session.id) == {people["hoa"].id}
    after = client.get(path).get_data(as_text=True)
    assert "Đã ghi danh thêm 1 người" in after and "Đã ghi danh</td>" in after
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "session.enrol"))
    assert entry.actor_id == people["manager"].id and entry.details["added"] == [people["hoa"].username]


def test_someone_elses_people_are_refused_and_nothing_is_enrolled(client, bank, people, make_session, make_user):
    session = make_session([])
    token = sign_in(client, people["manager"])
    path = f"/quan-ly/don-vi/BTR-BATRI/ky-thi/{session.id}"
    for form, message in (
            ({"candidates": [people["hoa"].username, people["other"].username]},
             f"{people['other'].username} không thuộc đơn vị bạn quản lý."),
            ({"units": ["BTR-STC"]}, "Đơn vị BTR-STC không thuộc quyền quản lý của bạn."),
            ({"candidates": [people["hoa"].username, "khong-co-ai"]}, "Không có thí sinh khong-co-ai")):
        response = client.post(path, data={"csrf_token": token, **form})
        assert response.status_code in (403, 422)
        assert message in response.get_data(as_text=True), form
        assert enrolled(session.id) == set()
    assert client.post(path, data={"candidates": [people["hoa"].username]}).status_code == 400  # no CSRF
    assert enrolled(session.id) == set()
    # Another unit's pages are not theirs.
    assert client.get("/quan-ly/don-vi/BTR-STC/ghi-danh").status_code == 403
    assert client.post(f"/quan-ly/don-vi/BTR-STC/ky-thi/{session.id}",
                       data={"csrf_token": token, "candidates": [people["other"].username]}).status_code == 403
    assert enrolled(session.id) == set()
    # By unit: every candidate of the unit with the blueprint's audience.
    client.post(path, data={"csrf_token": token, "units": ["BTR-BATRI"]})
    assert enrolled(session.id) == {people["hoa"].id}


def test_unit_manager_downloads_one_pdf_or_a_zip_of_the_valid_ones(client, people, make_certificate, make_user,
                                                                   auth_headers):
    first, second = make_certificate(people["hoa"]), make_certificate(make_user("candidate", unit_code="BTR-BATRI"))
    revoked = make_certificate(make_user("candidate", unit_code="BTR-BATRI"))
    elsewhere = make_certificate(people["other"])
    issuing.revoke(revoked, "Thi hộ", make_user("admin"))
    db.session.commit()
    sign_in(client, people["manager"])
    page = client.get("/quan-ly/don-vi/BTR-BATRI/chung-nhan").get_data(as_text=True)
    assert "2 giấy chứng nhận đang có hiệu lực" in page and "Đã thu hồi" in page
    assert first.serial in page and revoked.serial in page and elsewhere.serial not in page

    pdf = client.get(f"/quan-ly/chung-nhan/{first.public_id}/tep-pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert f"chung-nhan-{first.serial}.pdf" in pdf.headers["Content-Disposition"]
    assert client.get(f"/quan-ly/chung-nhan/{elsewhere.public_id}/tep-pdf").status_code == 404

    response = client.get("/quan-ly/don-vi/BTR-BATRI/chung-nhan.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert sorted(archive.namelist()) == sorted([f"{first.serial}.pdf", f"{second.serial}.pdf"])
        assert archive.read(f"{first.serial}.pdf") == pdf.data  # the stored bytes, once rendered
    db.session.expire_all()
    assert second.pdf_sha256 is not None  # rendered for the download and kept
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificates.download_zip"))
    assert (entry.target_type, entry.target_id, entry.actor_id) == ("unit", "BTR-BATRI", people["manager"].id)
    assert sorted(entry.details["serials"]) == sorted([first.serial, second.serial])
    assert client.get("/quan-ly/don-vi/BTR-STC/chung-nhan.zip").status_code == 403

    api = client.get("/api/v1/units/BTR-BATRI/certificates.zip", headers=auth_headers(people["manager"]))
    assert api.status_code == 200 and zipfile.ZipFile(io.BytesIO(api.data)).namelist() == [
        f"{first.serial}.pdf", f"{second.serial}.pdf"]
    assert client.get("/api/v1/units/BTR-STC/certificates.zip",
                      headers=auth_headers(people["manager"])).status_code == 403


UNIT_PAGES = ["/quan-ly/don-vi/BTR-BATRI/ghi-danh", "/quan-ly/don-vi/BTR-BATRI/ky-thi/{session}",
              "/quan-ly/don-vi/BTR-BATRI/chung-nhan", "/quan-ly/don-vi/BTR-BATRI/chung-nhan.zip"]


@pytest.mark.parametrize("role", [None, *ROLES])
def test_who_may_open_the_unit_managers_pages(client, people, make_session, make_user, make_certificate, role):
    session = make_session([])
    cert = make_certificate(people["hoa"])
    if role is None:
        token = csrf_of(client.get("/dang-nhap").get_data(as_text=True))
    else:
        token = sign_in(client, make_user(role, unit_code="BTR-BATRI"))
    allowed = role in ("unit_manager", "admin")
    for path in [*UNIT_PAGES, f"/quan-ly/chung-nhan/{cert.public_id}/tep-pdf"]:
        response = client.get(path.format(session=session.id))
        response.close()  # a ZIP is streamed: closing it ends its request
        expected = 200 if allowed or (role == "proctor" and path.endswith("tep-pdf")) else 403
        if role is None:
            assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap?next=")
        else:
            assert response.status_code == expected, (path, role)
    response = client.post(f"/quan-ly/don-vi/BTR-BATRI/ky-thi/{session.id}",
                           data={"csrf_token": token, "candidates": [people["hoa"].username]})
    assert response.status_code == (302 if allowed or role is None else 403)
    assert enrolled(session.id) == ({people["hoa"].id} if allowed else set())
    downloads = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "certificates.download_zip"))
    assert downloads == (1 if allowed else 0)


def test_the_candidate_cannot_download_through_the_staff_page(client, people, make_certificate):
    cert = make_certificate(people["hoa"])
    sign_in(client, people["hoa"])
    assert client.get(f"/quan-ly/chung-nhan/{cert.public_id}/tep-pdf").status_code == 403
    assert re.match(rb"%PDF-", client.get(f"/chung-nhan/{cert.public_id}.pdf").data)  # their own page serves it


def test_every_page_shows_a_certificate_under_a_compromised_key_as_invalid(app, client, people, make_certificate,
                                                                          make_user):
    hoa, rendered = make_certificate(people["hoa"]), make_certificate(make_user("candidate", unit_code="BTR-BATRI"))
    issuing.render(rendered)  # its PDF was made while the key was trusted
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["keys", "compromise", hoa.token_kid, "--reason", "Lộ khóa"])
    assert result.exit_code == 0, result.output

    sign_in(client, people["hoa"])
    home = client.get("/thi-sinh").get_data(as_text=True)
    assert 'data-standing="invalid">Không hợp lệ (khóa ký đã bị lộ)' in home
    assert "Còn hiệu lực" not in home and "Tải PDF" not in home
    refused = client.get(f"/chung-nhan/{hoa.public_id}.pdf")
    assert refused.status_code == 409 and "khóa đã bị lộ" in refused.get_data(as_text=True)

    manager = app.test_client()
    sign_in(manager, people["manager"])
    page = manager.get("/quan-ly/don-vi/BTR-BATRI/chung-nhan").get_data(as_text=True)
    assert "0 giấy chứng nhận đang có hiệu lực" in page and "Tải tất cả" not in page
    assert page.count('data-standing="invalid"') == 2 and "Còn hiệu lực" not in page
    assert f"/quan-ly/chung-nhan/{rendered.public_id}/tep-pdf" in page  # its stored PDF, as it was
    assert f"/quan-ly/chung-nhan/{hoa.public_id}/tep-pdf" not in page  # no link to a refusal
    with zipfile.ZipFile(io.BytesIO(manager.get("/quan-ly/don-vi/BTR-BATRI/chung-nhan.zip").data)) as archive:
        assert archive.namelist() == []
    assert manager.get(f"/quan-ly/chung-nhan/{rendered.public_id}/tep-pdf").data == rendered.pdf  # as it was
    assert manager.get(f"/quan-ly/chung-nhan/{hoa.public_id}/tep-pdf").status_code == 409
    db.session.expire_all()
    assert db.session.get(type(hoa), hoa.id).pdf_sha256 is None

    admin = app.test_client()
    sign_in(admin, make_user("admin"))
    detail = admin.get(f"/quan-ly/chung-nhan/{hoa.public_id}").get_data(as_text=True)
    assert 'data-standing="invalid"' in detail and ">HỢP LỆ<" not in detail
    assert "người xác minh hôm nay thấy: <strong class=\"status status-invalid\">KHÔNG HỢP LỆ" in detail
    assert 'id="cap-lai"' in detail  # the remedy: a reissue, under the new key
    assert "không tạo nữa vì giấy không còn hiệu lực" in detail and "Tải tệp PDF" not in detail
    listing = admin.get("/quan-ly/chung-nhan", query_string={"status": "invalid"}).get_data(as_text=True)
    assert hoa.serial in listing and rendered.serial in listing
    assert "(còn hiệu lực 0)" in admin.get("/quan-ly/khoa").get_data(as_text=True)


def test_unit_pages_count_and_export_an_expired_certificate_as_expired(app, client, people, make_certificate,
                                                                      clock_at):
    cert = make_certificate(people["hoa"])
    sign_in(client, people["manager"])

    def status_cell(sheet):
        header = [cell.value for cell in sheet[2]]
        return sheet.cell(row=3, column=header.index("Tình trạng chứng nhận") + 1).value

    def export():
        return openpyxl.load_workbook(io.BytesIO(client.get("/quan-ly/don-vi/BTR-BATRI/ket-qua.xlsx").data)).active

    assert status_cell(export()) == "Còn hiệu lực"
    assert ">Còn hiệu lực<" in client.get("/quan-ly/don-vi?unit=BTR-BATRI").get_data(as_text=True)
    clock_at(datetime.combine(cert.expires_on + timedelta(days=1), time(12, 0)))
    sign_in(client, people["manager"])  # years later: a new sign-in
    page = client.get("/quan-ly/don-vi/BTR-BATRI/chung-nhan").get_data(as_text=True)
    assert "0 giấy chứng nhận đang có hiệu lực" in page and 'data-standing="expired">Hết hiệu lực' in page
    assert status_cell(export()) == "Hết hiệu lực"
    results = client.get("/quan-ly/don-vi?unit=BTR-BATRI").get_data(as_text=True)
    assert ">Hết hiệu lực<" in results and ">expired<" not in results and ">valid<" not in results
