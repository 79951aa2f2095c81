"""Certificates end to end: issue on a pass, the signed PDF, its QR, verification, lifecycle, keys."""

import base64
import hashlib
import io
import json
import threading
import unicodedata
import zipfile
from datetime import datetime, time, timedelta

import openpyxl
import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from sqlalchemy import func, select

from certificates.serial import is_valid_serial
from certificates.token import TokenClaims, TokenKey, issue_token
from certificates.verify_pdf import check_signed_pdf
from service import keystore
from service.extensions import db
from service.models import AuditEntry, Certificate, Unit
from service.models.types import utcnow

LONG_NAME = "Nguyễn Thị Hồng Nhung Tôn Nữ Phương Thảo"


def sit_and_pass(sit_exam, make_session, person, **session_overrides):
    body = sit_exam(person, make_session([person], **session_overrides).id)
    assert body["result"]["passed"], body
    return body


@pytest.fixture
def holder(make_user):
    return make_user("candidate", full_name=LONG_NAME)


@pytest.fixture
def issued(client, bank, make_session, sit_exam, holder):
    return sit_and_pass(sit_exam, make_session, holder)["certificate"]


def token_of(certificate):
    return certificate["verify_url"].rsplit("/v/", 1)[1]


def verify(client, token):
    response = client.get(f"/api/v1/verify/{token}")
    assert response.status_code == 200
    return response.get_json()


def download(client, auth_headers, person, certificate):
    response = client.get(f"/api/v1/certificates/{certificate['id']}/pdf", headers=auth_headers(person))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def test_a_pass_gets_one_certificate_that_verifies(client, issued, holder):
    assert is_valid_serial(issued["serial"]) and issued["serial"].startswith("BTR-")
    assert len(base64.urlsafe_b64decode(issued["id"] + "==")) == 16  # 128-bit public id
    assert issued["verify_url"].startswith("https://sathach.example.vn/v/")
    answer = verify(client, token_of(issued))
    assert answer["status"] == "valid"
    assert answer["certificate"]["holder_name"] == LONG_NAME
    assert answer["certificate"]["birth_year"] == 1990
    assert answer["certificate"]["serial"] == issued["serial"]
    assert all(check["ok"] for check in answer["checks"])
    assert {c["name"] for c in answer["checks"]} >= {"format", "signature", "key", "status", "dates"}
    # Only what HR needs: no full birth date, no username, no national id, no e-mail.
    text = json.dumps(answer, ensure_ascii=False)
    assert "1990-05-17" not in text and holder.username not in text


def test_verification_page_says_valid_in_vietnamese(client, issued):
    page = client.get(f"/v/{token_of(issued)}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "HỢP LỆ" in html and LONG_NAME in html and "căn cước" in html
    assert issued["serial"] in html


def test_pdf_is_stored_once_and_downloads_are_identical(client, issued, holder, auth_headers, app):
    first = download(client, auth_headers, holder, issued)
    stored = db.session.scalar(select(Certificate).where(Certificate.public_id == issued["id"]))
    assert stored.pdf_sha256 == hashlib.sha256(first).hexdigest()
    # A later change to the person or the issuer never alters the issued file.
    stored.user.full_name = "Tên Đã Đổi"
    app.config["ISSUER_NAME"] = "Sở Khoa học và Công nghệ tỉnh Vĩnh Long"
    db.session.commit()
    assert download(client, auth_headers, holder, issued) == first


def test_pdf_is_signed_trusted_and_covers_the_whole_file(client, issued, holder, auth_headers):
    pdf = download(client, auth_headers, holder, issued)
    check = check_signed_pdf(pdf, keystore.trust_roots())
    assert check.valid and check.intact and check.trusted and check.covers_whole_file
    assert check.certified_no_changes


def test_pdf_text_has_the_name_with_diacritics(client, issued, holder, auth_headers):
    from pypdf import PdfReader

    pdf = download(client, auth_headers, holder, issued)
    text = unicodedata.normalize("NFC", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert LONG_NAME in text and issued["serial"] in text
    assert "Ủy ban nhân dân huyện Ba Tri" in text


def test_qr_on_the_rendered_page_leads_to_valid(client, issued, holder, auth_headers):
    import pypdfium2
    import zxingcpp

    pdf = download(client, auth_headers, holder, issued)
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=2).to_pil()
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(codes) == 1
    url = codes[0].text
    assert url == issued["verify_url"]
    assert codes[0].symbology_identifier  # decoded as a real QR symbol
    answer = verify(client, url.rsplit("/v/", 1)[1])
    assert answer["status"] == "valid" and answer["certificate"]["holder_name"] == LONG_NAME


def test_uploaded_pdf_verifies_and_tampering_is_caught(client, issued, holder, auth_headers):
    pdf = download(client, auth_headers, holder, issued)

    def upload(data):
        response = client.post("/api/v1/verify/pdf", data={"file": (io.BytesIO(data), "chung-nhan.pdf")},
                               content_type="multipart/form-data")
        assert response.status_code == 200
        return response.get_json()

    genuine = upload(pdf)
    assert genuine["status"] == "valid" and genuine["certificate"]["serial"] == issued["serial"]
    position = pdf.index(LONG_NAME.encode("utf-16-be")[:4]) if False else len(pdf) // 3
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    assert upload(bytes(changed))["status"] == "invalid"
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root["/PageMode"] = generic.NameObject("/UseOutlines")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    assert upload(out.getvalue())["status"] == "invalid"
    assert upload(b"%PDF-1.7 not really")["status"] == "invalid"
    missing = client.post("/api/v1/verify/pdf", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422


def test_forged_and_malformed_tokens_get_the_same_answer(client, issued):
    genuine = token_of(issued)
    header, payload, signature = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["c"] = "gioi" if claims["c"] != "gioi" else "kha"
    changed_claim = ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="),
                              signature])
    other_key = TokenKey.generate()
    forged_header = json.loads(base64.urlsafe_b64decode(header + "=="))
    impostor = TokenKey(kid=forged_header["kid"], private_key=other_key.private_key,
                        public_key=other_key.public_key)
    signed_by_other_key = issue_token(TokenClaims(
        public_id=issued["id"], holder_name=LONG_NAME, unit_code="BTR-BATRI", classification="gioi", percent=100,
        issue_date=utcnow().date()), impostor)
    no_kid_header = base64.urlsafe_b64encode(b'{"alg":"EdDSA","typ":"shc1"}').decode().rstrip("=")
    kid_outside = ".".join([no_kid_header, payload, signature])
    answers = [verify(client, t) for t in (changed_claim, signed_by_other_key, kid_outside, "abc", "a.b.c",
                                           genuine[:-3], genuine + "x")]
    assert all(a == answers[0] for a in answers)
    assert answers[0]["status"] == "invalid" and answers[0]["certificate"] is None


def test_revoked_certificate(client, issued, make_user, auth_headers):
    admin = auth_headers(make_user("admin"))
    url = f"/api/v1/certificates/{issued['id']}/revoke"
    assert client.post(url, json={}, headers=admin).status_code == 422
    revoked = client.post(url, json={"reason": "Phát hiện thi hộ"}, headers=admin)
    assert revoked.status_code == 200
    answer = verify(client, token_of(issued))
    assert answer["status"] == "revoked" and answer["revoked"]["reason"] == "Phát hiện thi hộ"
    assert "ĐÃ THU HỒI" in client.get(f"/v/{token_of(issued)}").get_data(as_text=True)
    assert client.post(url, json={"reason": "Lần nữa"}, headers=admin).status_code == 409
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.revoke"))
    assert entry.details["reason"] == "Phát hiện thi hộ" and entry.actor_id is not None


def test_expired_certificate(client, issued, clock_at):
    clock_at(utcnow() + timedelta(days=365 * 3 + 10))  # BP-CCVC certificates are valid 36 months
    answer = verify(client, token_of(issued))
    assert answer["status"] == "expired"
    assert [c["ok"] for c in answer["checks"] if c["name"] == "dates"] == [False]
    assert "HẾT HIỆU LỰC" in client.get(f"/v/{token_of(issued)}").get_data(as_text=True)


def test_reissue_after_name_correction_supersedes_the_old(client, issued, make_user, auth_headers):
    admin = auth_headers(make_user("admin"))
    new = client.post(f"/api/v1/certificates/{issued['id']}/reissue", headers=admin, json={
        "holder_name": "Nguyễn Thị Hồng Nhung", "reason": "Sửa họ tên theo căn cước"})
    assert new.status_code == 201
    body = new.get_json()
    assert body["serial"] != issued["serial"] and body["holder_name"] == "Nguyễn Thị Hồng Nhung"
    assert verify(client, token_of(body))["status"] == "valid"
    assert verify(client, token_of(issued))["status"] == "revoked"


def test_key_rotation_retired_keys_verify_compromised_keys_do_not(client, bank, make_user, make_session, sit_exam,
                                                                  auth_headers, app):
    first = sit_and_pass(sit_exam, make_session, make_user("candidate"))["certificate"]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    second = sit_and_pass(sit_exam, make_session, make_user("candidate"))["certificate"]
    old_kid = db.session.scalar(select(Certificate.token_kid).where(Certificate.public_id == first["id"]))
    new_kid = db.session.scalar(select(Certificate.token_kid).where(Certificate.public_id == second["id"]))
    assert old_kid != new_kid
    admin = make_user("admin")
    pdfs = {c["id"]: download(client, auth_headers, admin, c) for c in (first, second)}

    def pdf_status(certificate):
        upload = {"file": (io.BytesIO(pdfs[certificate["id"]]), "chung-nhan.pdf")}
        return client.post("/api/v1/verify/pdf", data=upload).get_json()["status"]

    assert pdf_status(first) == "valid"
    assert verify(client, token_of(first))["status"] == "valid"
    keys = {k["kid"]: k for k in client.get("/api/v1/verify/keys").get_json()["keys"]}
    assert keys[old_kid]["status"] == "retired" and keys[new_kid]["status"] == "active"
    assert keys[old_kid]["alg"] == "EdDSA" and keys[old_kid]["crv"] == "Ed25519"
    result = runner.invoke(args=["keys", "compromise", old_kid, "--reason", "Lộ khóa"])
    assert result.exit_code == 0, result.output
    assert verify(client, token_of(first))["status"] == "invalid"
    assert verify(client, token_of(second))["status"] == "valid"
    # The PDF carries the compromised key's QR code: it is invalid too; the other one stays valid.
    assert pdf_status(first) == "invalid" and pdf_status(second) == "valid"


def test_compromising_the_active_key_replaces_it_and_a_key_is_compromised_once(client, issued, app):
    runner = app.test_cli_runner()
    kid = db.session.scalar(select(Certificate.token_kid).where(Certificate.public_id == issued["id"]))
    result = runner.invoke(args=["keys", "compromise", kid, "--reason", "Máy chủ bị xâm nhập"])
    assert result.exit_code == 0, result.output
    keys = {k["kid"]: k["status"] for k in client.get("/api/v1/verify/keys").get_json()["keys"]}
    assert keys.pop(kid) == "compromised" and list(keys.values()) == ["active"]  # issuing goes on, with a new key
    assert verify(client, token_of(issued))["status"] == "invalid"
    rotation = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "key.rotate"))
    assert rotation.details["reason"].startswith(f"Thay khóa bị lộ {kid}") and rotation.details["via"] == "cli"
    again = runner.invoke(args=["keys", "compromise", kid, "--reason", "Lần nữa"])
    assert again.exit_code == 1 and "đã được đánh dấu lộ từ trước" in again.output
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "key.compromise")) == 1


def test_unit_zip_holds_the_valid_certificates_of_the_units_people(app, client, bank, make_session, sit_exam,
                                                                   make_user, auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    mine = [make_user("candidate", unit_code=code) for code in ("BTR-BATRI", "BTR-BATRI")]
    theirs = make_user("candidate", unit_code="BTR-STC")
    certificates = [sit_and_pass(sit_exam, make_session, person)["certificate"] for person in [*mine, theirs]]
    admin = auth_headers(make_user("admin"))
    client.post(f"/api/v1/certificates/{certificates[1]['id']}/revoke", json={"reason": "Thi hộ"}, headers=admin)
    manager = auth_headers(make_user("unit_manager", unit_code="BTR-BATRI"))
    response = client.get("/api/v1/units/BTR-BATRI/certificates.zip", headers=manager)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == [f"{certificates[0]['serial']}.pdf"]
    assert check_signed_pdf(archive.read(archive.namelist()[0]), keystore.trust_roots()).valid
    assert client.get("/api/v1/units/BTR-STC/certificates.zip", headers=manager).status_code == 403
    assert client.get("/api/v1/units/KHONG-CO/certificates.zip", headers=manager).status_code == 404
    whole = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/units/BTR/certificates.zip", headers=admin).data))
    assert sorted(whole.namelist()) == sorted(f"{c['serial']}.pdf" for c in (certificates[0], certificates[2]))


def test_offline_verifier_uses_published_keys_only(client, issued, app, tmp_path):
    published = tmp_path / "keys.json"
    published.write_text(client.get("/api/v1/verify/keys").get_data(as_text=True), encoding="utf-8")
    runner = app.test_cli_runner()
    good = runner.invoke(args=["verify-offline", issued["verify_url"], "--keys", str(published)])
    assert good.exit_code == 0, good.output
    assert LONG_NAME in good.output
    header, payload, signature = token_of(issued).split(".")
    bad = runner.invoke(args=["verify-offline", f"{header}.{payload}.{signature[::-1]}", "--keys", str(published)])
    assert bad.exit_code != 0 and "KHÔNG HỢP LỆ" in bad.output


def test_burst_of_random_tokens_is_rate_limited(client, app):
    app.config["VERIFY_RATE_LIMIT"] = "20/minute"
    statuses = []
    for i in range(25):
        response = client.get(f"/api/v1/verify/{base64.urlsafe_b64encode(bytes([i]) * 40).decode()}")
        statuses.append(response.status_code)
        if response.status_code == 200:
            assert response.get_json()["status"] == "invalid"
    assert statuses[:20] == [200] * 20 and statuses[20:] == [429] * 5
    assert client.get("/api/v1/verify/x").get_json()["code"] == "too_many_requests"


def test_serials_are_sequential_and_unique(client, bank, make_user, make_session, sit_exam):
    serials = [sit_and_pass(sit_exam, make_session, make_user("candidate"))["certificate"]["serial"]
               for _ in range(3)]
    numbers = [int(s.split("-")[2]) for s in serials]
    assert numbers == [1, 2, 3]
    assert all(is_valid_serial(s) for s in serials)


def test_certificate_keeps_the_unit_printed_when_units_change(client, issued, holder, auth_headers):
    unit = db.session.scalar(select(Unit).where(Unit.code == "BTR-BATRI"))
    unit.name = "Ủy ban nhân dân xã Ba Tri"
    db.session.commit()
    assert verify(client, token_of(issued))["certificate"]["unit"] == "Ủy ban nhân dân huyện Ba Tri"


def test_a_certificate_keeps_its_place_and_address_when_the_configuration_changes(client, issued, holder,
                                                                                   auth_headers, app):
    from pypdf import PdfReader

    app.config.update(PUBLIC_BASE_URL="https://sathach.vinhlong.gov.vn", ISSUER_PLACE="Vĩnh Long")
    shown = client.get(f"/api/v1/certificates/{issued['id']}", headers=auth_headers(holder)).get_json()
    assert shown["verify_url"] == issued["verify_url"]
    pdf = download(client, auth_headers, holder, issued)  # rendered for the first time after the change
    text = unicodedata.normalize("NFC", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "Bến Tre, ngày" in text and "Vĩnh Long" not in text
    assert "sathach.example.vn" in text


def test_others_cannot_download_a_certificate(client, issued, make_user, auth_headers):
    other = auth_headers(make_user("candidate"))
    assert client.get(f"/api/v1/certificates/{issued['id']}/pdf", headers=other).status_code == 404
    manager_elsewhere = auth_headers(make_user("unit_manager"))
    assert client.get(f"/api/v1/certificates/{issued['id']}", headers=manager_elsewhere).status_code == 404


def test_bulk_issue_and_zip_for_a_session(client, bank, make_user, make_session, auth_headers, sit_exam):
    people = [make_user("candidate") for _ in range(2)]
    session = make_session(people)
    for person in people:
        sit_exam(person, session.id)
    proctor = auth_headers(make_user("proctor"))
    url = f"/api/v1/exam-sessions/{session.id}/certificates"
    assert client.get(url, headers=proctor).get_json() == {"certificates": 2, "rendered": 0, "pending": 2}
    assert client.post(url, headers=proctor).get_json() == {"certificates": 2, "rendered": 2, "pending": 0}
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{url}.zip", headers=proctor).data))
    stored = {c.serial: c.pdf for c in db.session.scalars(select(Certificate))}
    assert {name: archive.read(name) for name in archive.namelist()} == {f"{s}.pdf": pdf for s, pdf in stored.items()}


def test_concurrent_first_downloads_sign_once(app, client, issued, holder, auth_headers):
    headers = auth_headers(holder)
    bodies, barrier = [], threading.Barrier(4)

    def fetch():
        with app.test_client() as own:
            barrier.wait()
            bodies.append(own.get(f"/api/v1/certificates/{issued['id']}/pdf", headers=headers).data)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = db.session.scalar(select(Certificate.pdf).where(Certificate.public_id == issued["id"]))
    assert all(body == stored for body in bodies)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_a_name_too_long_for_the_qr_is_cut_in_the_token_only(client, bank, make_user, make_session, sit_exam,
                                                            auth_headers):
    import pypdfium2
    import zxingcpp

    from certificates.qr import make_qr

    name = "Nguyễn Thị Hồng Nhung Tôn Nữ Phương Thảo Huỳnh Hoàng Bảo Ngọc Trâm Anh Hương Giang"
    person = make_user("candidate", full_name=name)
    certificate = sit_and_pass(sit_exam, make_session, person)["certificate"]
    assert make_qr(certificate["verify_url"]).version <= 15
    header, payload, _ = token_of(certificate).split(".")
    claimed = json.loads(base64.urlsafe_b64decode(payload + "=="))["n"]
    assert claimed.endswith("…") and name.startswith(claimed[:-1])
    answer = verify(client, token_of(certificate))
    assert answer["status"] == "valid" and answer["certificate"]["holder_name"] == name
    pdf = download(client, auth_headers, person, certificate)
    codes = zxingcpp.read_barcodes(
        pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert [c.text for c in codes] == [certificate["verify_url"]]


def test_render_command_signs_pending_pdfs(app, issued):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["certificates", "render", "--shard", "2/1"]).exit_code != 0
    other_shard = f"{(db.session.scalar(select(Certificate.id)) + 1) % 2}/2"
    assert " 0 tệp PDF trong " in runner.invoke(args=["certificates", "render", "--shard", other_shard]).output
    result = runner.invoke(args=["certificates", "render"])
    assert result.exit_code == 0 and "1 tệp PDF" in result.output
    stored = db.session.scalar(select(Certificate).where(Certificate.public_id == issued["id"]))
    db.session.refresh(stored)
    assert check_signed_pdf(stored.pdf, keystore.trust_roots()).valid


def test_a_compromised_key_makes_its_certificates_invalid_for_holders_staff_and_bundles_too(
        app, client, bank, make_session, sit_exam, make_user, auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    first, second = (make_user("candidate", unit_code="BTR-BATRI") for _ in range(2))
    session = make_session([first, second])
    certificates = [sit_exam(person, session.id)["certificate"] for person in (first, second)]
    pdf = download(client, auth_headers, first, certificates[0])  # rendered while valid
    kid = db.session.scalar(select(Certificate.token_kid).where(Certificate.public_id == certificates[0]["id"]))
    result = app.test_cli_runner().invoke(args=["keys", "compromise", kid, "--reason", "Lộ khóa"])
    assert result.exit_code == 0, result.output
    assert verify(client, token_of(certificates[0]))["status"] == "invalid"

    for person, certificate in zip((first, second), certificates, strict=True):
        mine = client.get(f"/api/v1/certificates/{certificate['id']}", headers=auth_headers(person)).get_json()
        assert (mine["status"], mine["verify_status"]) == ("invalid", "invalid")
    manager = auth_headers(make_user("unit_manager", unit_code="BTR-BATRI"))
    bundle = client.get("/api/v1/units/BTR-BATRI/certificates.zip", headers=manager)
    assert bundle.status_code == 200 and zipfile.ZipFile(io.BytesIO(bundle.data)).namelist() == []
    proctor = auth_headers(make_user("proctor"))
    progress = client.get(f"/api/v1/exam-sessions/{session.id}/certificates", headers=proctor).get_json()
    assert progress == {"certificates": 0, "rendered": 0, "pending": 0}
    assert client.post(f"/api/v1/exam-sessions/{session.id}/certificates", headers=proctor).get_json() == progress
    results = client.get("/api/v1/units/BTR-BATRI/results", headers=manager).get_json()["items"]
    assert [row["certificate_status"] for row in results] == ["invalid", "invalid"]
    # What was signed while the key was trusted stays downloadable as it was; nothing new is signed.
    assert download(client, auth_headers, first, certificates[0]) == pdf
    refused = client.get(f"/api/v1/certificates/{certificates[1]['id']}/pdf", headers=auth_headers(second))
    assert refused.status_code == 409 and "khóa đã bị lộ" in refused.get_json()["message"]
    assert db.session.scalar(select(Certificate.pdf_sha256).where(
        Certificate.public_id == certificates[1]["id"])) is None


def test_an_expired_certificate_is_counted_bundled_and_exported_as_expired(
        app, client, bank, make_session, sit_exam, make_user, auth_headers, clock_at):
    app.test_cli_runner().invoke(args=["units", "load"])
    holder = make_user("candidate", unit_code="BTR-BATRI")
    certificate = sit_and_pass(sit_exam, make_session, holder)["certificate"]
    manager = auth_headers(make_user("unit_manager", unit_code="BTR-BATRI"))

    def bundled():
        response = client.get("/api/v1/units/BTR-BATRI/certificates.zip", headers=manager)
        return zipfile.ZipFile(io.BytesIO(response.data)).namelist()

    def exported():
        return client.get("/api/v1/units/BTR-BATRI/results", headers=manager).get_json()["items"][0]

    assert bundled() == [f"{certificate['serial']}.pdf"] and exported()["certificate_status"] == "valid"
    expires_on = db.session.scalar(select(Certificate.expires_on).where(Certificate.public_id == certificate["id"]))
    # Its last day in Viet Nam (17:00 UTC is midnight there) still counts; the next day it has expired.
    clock_at(datetime.combine(expires_on, time(16, 59)))
    assert exported()["certificate_status"] == "valid" and len(bundled()) == 1
    clock_at(datetime.combine(expires_on, time(17, 0)))
    assert verify(client, token_of(certificate))["status"] == "expired"
    mine = client.get(f"/api/v1/certificates/{certificate['id']}", headers=auth_headers(holder)).get_json()
    assert (mine["status"], mine["verify_status"]) == ("expired", "expired")
    assert bundled() == [] and exported()["certificate_status"] == "expired"
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/units/BTR-BATRI/results?format=xlsx",
                                                         headers=manager).data)).active
    header = [cell.value for cell in sheet[2]]
    assert sheet.cell(row=3, column=header.index("Tình trạng chứng nhận") + 1).value == "Hết hiệu lực"


@pytest.mark.parametrize("same", [LONG_NAME, f"  {LONG_NAME.replace(' ', '   ')}\t",
                                  unicodedata.normalize("NFD", LONG_NAME)])
def test_a_reissue_with_the_name_already_printed_is_refused(client, issued, make_user, auth_headers, same):
    admin = auth_headers(make_user("admin"))
    refused = client.post(f"/api/v1/certificates/{issued['id']}/reissue", headers=admin,
                          json={"holder_name": same, "reason": "Sửa họ tên"})
    assert refused.status_code == 422
    assert "trùng với họ tên trên giấy chứng nhận" in refused.get_json()["errors"]["holder_name"][0]
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert db.session.scalar(select(Certificate.status)) == "valid"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "certificate.reissue")) == 0
    assert verify(client, token_of(issued))["status"] == "valid"


def test_a_certificate_no_longer_valid_never_gets_a_newly_signed_pdf(app, client, bank, make_session, sit_exam,
                                                                    make_user, auth_headers):
    people = [make_user("candidate") for _ in range(3)]
    session = make_session(people)
    rendered, revoked, superseded = (sit_exam(person, session.id)["certificate"] for person in people)
    pdf = download(client, auth_headers, people[0], rendered)
    admin = auth_headers(make_user("admin"))
    for certificate in (rendered, revoked):
        assert client.post(f"/api/v1/certificates/{certificate['id']}/revoke", json={"reason": "Thi hộ"},
                           headers=admin).status_code == 200
    new = client.post(f"/api/v1/certificates/{superseded['id']}/reissue", headers=admin,
                      json={"holder_name": "Nguyễn Văn Mới", "reason": "Sửa họ tên"}).get_json()
    # Rendered while valid: the same bytes as before; never rendered: refused, and nothing is stored.
    assert download(client, auth_headers, people[0], rendered) == pdf
    for person, certificate, why in ((people[1], revoked, "đã bị thu hồi"),
                                     (people[2], superseded, "đã được cấp lại")):
        response = client.get(f"/api/v1/certificates/{certificate['id']}/pdf", headers=auth_headers(person))
        assert response.status_code == 409 and why in response.get_json()["message"]
    proctor = auth_headers(make_user("proctor"))
    assert client.post(f"/api/v1/exam-sessions/{session.id}/certificates", headers=proctor).get_json() == {
        "certificates": 1, "rendered": 1, "pending": 0}  # the reissue only
    result = app.test_cli_runner().invoke(args=["certificates", "render"])
    assert result.exit_code == 0 and "Đã tạo và ký 0 tệp PDF" in result.output and "bỏ qua 2 " in result.output
    stored = dict(db.session.execute(select(Certificate.public_id, Certificate.pdf_sha256)).all())
    assert stored[revoked["id"]] is None and stored[superseded["id"]] is None and stored[new["id"]] is not None


@pytest.mark.parametrize(("reason", "shown"), [
    ("Phát hiện thi hộ", "đã bị thu hồi: Phát hiện thi hộ.</p>"),
    ("Phát hiện thi hộ.", "đã bị thu hồi: Phát hiện thi hộ.</p>"),
    ("Thi hộ!", "đã bị thu hồi: Thi hộ!</p>"),
    ("Vì sao ư?  ", "đã bị thu hồi: Vì sao ư?</p>"),
])
def test_a_revocation_reason_ends_the_sentence_with_one_stop(client, issued, make_user, auth_headers, reason,
                                                              shown):
    admin = auth_headers(make_user("admin"))
    assert client.post(f"/api/v1/certificates/{issued['id']}/revoke", json={"reason": reason},
                       headers=admin).status_code == 200
    page = client.get(f"/v/{token_of(issued)}").get_data(as_text=True)
    assert shown in page and ".." not in page


def test_a_superseded_certificate_says_so_with_one_stop(client, issued, make_user, auth_headers):
    admin = auth_headers(make_user("admin"))
    assert client.post(f"/api/v1/certificates/{issued['id']}/reissue", headers=admin, json={
        "holder_name": "Nguyễn Thị Hồng Nhung", "reason": "Sửa họ tên"}).status_code == 201
    page = client.get(f"/v/{token_of(issued)}").get_data(as_text=True)
    assert "đã bị thu hồi: Đã được cấp lại bằng chứng nhận khác.</p>" in page and "khác.." not in page
