"""Import and export of the question bank through the API."""

import io

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from question_bank import criteria
from question_bank.formats import FORMATS, parse
from service.bank import load_blueprints, load_framework
from service.extensions import db
from service.models import AuditEntry, Item, ItemVersion
from tests.fixtures import MOODLE_GIFT


def item_count():
    return db.session.scalar(select(func.count()).select_from(ItemVersion))


def upload(client, headers, data, filename, **form):
    # The body is encoded in memory: the test client spools a body over 500 KB (a whole bank's export) to a
    # temporary file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename), **form})
    return client.post("/api/v1/items/import", headers=headers, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_reimports_to_the_same_bank(client, app, bank, database, make_user, auth_headers, fmt):
    headers = auth_headers(make_user("admin"))
    exported = client.get(f"/api/v1/items/export?format={fmt}", headers=headers)
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == FORMATS[fmt].media_type  # e.g. "text/csv; charset=utf-8", once
    original = parse(fmt, exported.data)
    assert not original.issues and len(original.entries) == db.session.scalar(select(func.count()).select_from(Item))
    # Re-importing into the same bank changes nothing.
    again = upload(client, headers, exported.data, f"bank{FORMATS[fmt].extension}", format=fmt).get_json()
    assert again["imported"] and not again["created"] and not again["updated"]
    assert len(again["skipped"]) == len(original.entries)
    # Into an empty bank it creates every item, and exporting that gives the same items back.
    db.session.remove()
    database.reset(bank=False)
    with app.app_context():
        framework = criteria.read_framework()
        version, _ = load_framework(framework)
        load_blueprints(criteria.read_blueprints(framework), version.version)
        db.session.commit()
    headers = auth_headers(make_user("admin"))
    report = upload(client, headers, exported.data, "bank", format=fmt).get_json()
    assert len(report["created"]) == len(original.entries) and not report["errors"]
    round_trip = parse(fmt, client.get(f"/api/v1/items/export?format={fmt}", headers=headers).data)
    assert [e.item for e in round_trip.entries] == [e.item for e in original.entries]


def test_a_file_with_an_error_imports_nothing_unless_asked(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("author"))
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/items/template.xlsx", headers=headers).data))
    sheet = workbook.worksheets[0]
    example = [cell.value for cell in sheet[2]]
    bad = list(example)
    bad[0] = "MAU-002"
    bad[2] = "ZZ.9"  # no such competence
    sheet.append(bad)
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = item_count()
    refused = upload(client, headers, buffer.getvalue(), "cau-hoi.xlsx")
    assert refused.status_code == 422
    report = refused.get_json()
    assert report["imported"] is False
    assert report["errors"] == [{"location": "hàng 3", "field": "competence",
                                 "message": "Mã năng lực không tồn tại: 'ZZ.9'"}]
    assert item_count() == before
    partial = upload(client, headers, buffer.getvalue(), "cau-hoi.xlsx", import_valid="true").get_json()
    assert partial["imported"] is True and [c["code"] for c in partial["created"]] == ["MAU-001"]
    assert item_count() == before + 1
    created = db.session.scalar(select(ItemVersion).join(Item).where(Item.code == "MAU-001"))
    assert created.status == "draft"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.import")) is not None


def test_malicious_xml_is_refused(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("author"))
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<quiz><question type="truefalse"><name><text>&lol3;</text></name></question></quiz>"""
    before = item_count()
    response = upload(client, headers, bomb, "bomb.xml")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["location"] == "tệp"
    assert item_count() == before


def test_moodle_gift_fixtures_import_what_is_supported(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("author"))
    data = (MOODLE_GIFT / "examples.txt").read_bytes()
    before = item_count()
    report = upload(client, headers, data, "examples.txt", format="gift", competence="DL.1", level="co_ban",
                    audiences="cong_chuc", import_valid="true").get_json()
    assert report["imported"] and report["created"]
    reasons = " ".join(s["reason"] for s in report["skipped"])
    assert "short answer" in reasons and "numerical" in reasons
    assert item_count() == before + len(report["created"])
    for entry in report["created"]:
        version = db.session.scalar(select(ItemVersion).join(Item).where(Item.code == entry["code"]))
        assert version.stem and version.status == "draft"


def test_uploads_are_size_limited_and_need_a_known_format(client, bank, make_user, auth_headers, app):
    headers = auth_headers(make_user("author"))
    assert upload(client, headers, b"x", "cau-hoi.docx").status_code == 422
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    too_big = upload(client, headers, b"x" * 20_000, "cau-hoi.csv")
    assert too_big.status_code == 413 and too_big.get_json()["code"] == "payload_too_large"


def test_an_import_without_a_file_is_refused_in_vietnamese(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("author"))
    before = item_count()
    not_a_file = "Phải là một tệp gửi theo multipart/form-data."
    for data, message in (({"format": "csv"}, "Cần gửi tệp."), ({"format": "csv", "file": "chữ"}, not_a_file)):
        response = client.post("/api/v1/items/import", headers=headers, data=data, content_type="multipart/form-data")
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"file": [message]}
    empty = client.post("/api/v1/items/import", headers=headers, content_type="multipart/form-data",
                        data={"format": "csv", "file": (io.BytesIO(b""), "")})
    assert empty.status_code == 422 and empty.get_json()["errors"] == {"file": ["Cần gửi tệp."]}
    assert item_count() == before


def test_not_a_real_xlsx_gets_one_clear_error(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("author"))
    response = upload(client, headers, b"PK\x03\x04 not really a zip", "cau-hoi.xlsx")
    assert response.status_code == 422
    assert len(response.get_json()["errors"]) == 1
