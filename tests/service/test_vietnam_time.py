"""Times a person reads are Viet Nam's (UTC+7): at 23:30 UTC on 31 December it is already 06:30 on 1 January in
Viet Nam, and that is the day a certificate is issued on, the year of its serial, the day its validity counts
from, and "today" when its status is judged; pages, PDFs and exports show the same."""

import io
import unicodedata
from datetime import date, datetime

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from service.extensions import db
from service.models import Certificate
from tests.web.pages import sign_in

NEW_YEARS_EVE_UTC = datetime(2026, 12, 31, 23, 30)  # 06:30 on 1 January 2027 in Viet Nam


@pytest.fixture
def passed_at_midnight(client, bank, make_user, make_session, sit_exam, clock_at):
    """A pass by a candidate of Ba Tri whose attempt closes at 23:30 UTC on New Year's Eve."""
    clock_at(NEW_YEARS_EVE_UTC)
    person = make_user("candidate", full_name="Huỳnh Thị Ngọc Hân")
    body = sit_exam(person, make_session([person]).id)
    assert body["result"]["passed"]
    return person, db.session.scalar(select(Certificate).where(Certificate.public_id == body["certificate"]["id"]))


def pdf_text(client, auth_headers, person, cert) -> str:
    pdf = client.get(f"/api/v1/certificates/{cert.public_id}/pdf", headers=auth_headers(person)).data
    return unicodedata.normalize("NFC", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def test_a_certificate_is_dated_by_the_day_in_viet_nam(client, passed_at_midnight, auth_headers):
    person, cert = passed_at_midnight
    assert cert.issued_on == date(2027, 1, 1)
    assert cert.serial.startswith("BTR-2027-000001-")  # the first of 2027, not the next of 2026
    assert cert.expires_on == date(2030, 1, 1)  # BP-CCVC: 36 months from the issue date
    text = pdf_text(client, auth_headers, person, cert)
    assert "Ngày cấp:\n01/01/2027" in text and "01/01/2030" in text and "ngày 01 tháng 01 năm 2027" in text
    token = cert.verify_url.rsplit("/v/", 1)[1]
    assert client.get(f"/api/v1/verify/{token}").get_json()["certificate"]["issued_on"] == "2027-01-01"
    assert "01/01/2027" in client.get(f"/v/{token}").get_data(as_text=True)
    sign_in(client, person)
    assert "cấp ngày 01/01/2027" in client.get("/thi-sinh").get_data(as_text=True)


def test_a_reissue_is_dated_by_the_day_in_viet_nam(client, passed_at_midnight, make_user, auth_headers, clock_at):
    _, cert = passed_at_midnight
    clock_at(datetime(2027, 3, 9, 18, 5))  # 01:05 on 10 March in Viet Nam
    new = client.post(f"/api/v1/certificates/{cert.public_id}/reissue", headers=auth_headers(make_user("admin")),
                      json={"holder_name": "Huỳnh Thị Ngọc Hằng", "reason": "Sửa họ tên theo căn cước"}).get_json()
    assert new["issued_on"] == "2027-03-10" and new["expires_on"] == "2030-01-01"


def test_a_certificate_expires_when_its_last_day_ends_in_viet_nam(client, passed_at_midnight, auth_headers,
                                                                  clock_at):
    person, cert = passed_at_midnight
    token = cert.verify_url.rsplit("/v/", 1)[1]
    clock_at(datetime(2030, 1, 1, 16, 59))  # 23:59 on the last day in Viet Nam
    assert client.get(f"/api/v1/verify/{token}").get_json()["status"] == "valid"
    clock_at(datetime(2030, 1, 1, 17, 0))  # 00:00 on 2 January in Viet Nam; still 1 January in UTC
    assert client.get(f"/api/v1/verify/{token}").get_json()["status"] == "expired"
    assert "HẾT HIỆU LỰC" in client.get(f"/v/{token}").get_data(as_text=True)
    own = client.get(f"/api/v1/certificates/{cert.public_id}", headers=auth_headers(person)).get_json()
    assert own["verify_status"] == "expired"
    sign_in(client, person)
    assert "Hết hiệu lực" in client.get("/thi-sinh").get_data(as_text=True)


def test_exports_and_reports_count_the_day_and_year_in_viet_nam(app, client, passed_at_midnight, make_user,
                                                              auth_headers):
    person, _ = passed_at_midnight
    admin = auth_headers(make_user("admin"))
    row = client.get("/api/v1/units/BTR-BATRI/results", headers=admin).get_json()["items"][0]
    assert (row["full_name"], row["closed_at"]) == (person.full_name, "2027-01-01")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/units/BTR-BATRI/results?format=xlsx",
                                                         headers=admin).data)).active
    assert [cell.value for cell in sheet[3]][5] == "2027-01-01"
    sat = {year: client.get(f"/api/v1/reports/progress?year={year}", headers=admin).get_json()["by_audience"]
           for year in (2026, 2027)}
    assert [a["sat"] for a in sat[2027] if a["code"] == "cong_chuc"] == [1]
    assert [a["certified"] for a in sat[2027] if a["code"] == "cong_chuc"] == [1]
    assert [a["sat"] for a in sat[2026] if a["code"] == "cong_chuc"] == [0]
    # Without a year, the report is of the year it is in Viet Nam.
    assert client.get("/api/v1/reports/progress", headers=admin).get_json()["year"] == 2027


def test_pages_and_messages_show_vietnam_time(client, bank, make_user, make_session, sit_exam, clock_at):
    clock_at(NEW_YEARS_EVE_UTC)
    person = make_user("candidate")
    session = make_session([person], closes_at=datetime(2027, 1, 1, 16, 0), max_attempts=2, retake_gap_minutes=60)
    sit_exam(person, session.id, right=False)
    sign_in(client, person)
    home = client.get("/thi-sinh").get_data(as_text=True)
    assert "23:00 01/01/2027 (giờ Việt Nam)" in home and "UTC" not in home
    from service.auth import issue_token

    too_soon = client.post(f"/api/v1/exam-sessions/{session.id}/attempts",
                           headers={"Authorization": f"Bearer {issue_token(person)}"}).get_json()
    assert too_soon["code"] == "retake_too_soon" and "07:30 01/01/2027, giờ Việt Nam" in too_soon["message"]
