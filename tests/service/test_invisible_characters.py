"""Zero-width and bidirectional-control characters are removed, and texts stored in NFC, in every field of an item
and in people's names, whichever way they come: the API, the authoring page, each import format, `bank load`,
the account commands and imports, a certificate's reissue. One rule (question_bank/formats/text.py) at one
place per kind of record (service/bank.py for items, the account and certificate operations for names)."""

import csv
import io
import unicodedata

import openpyxl
import pytest
import yaml
from sqlalchemy import func, select

from question_bank import criteria
from question_bank.formats import FORMATS, serialize
from question_bank.formats.text import INVISIBLE_CHARS, clean_text, one_line
from service import bank as bank_ops
from service.extensions import db
from service.models import Certificate, Item, ItemVersion, User
from tests.web.pages import sign_in

RANGES = [(0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x2069), (0xFEFF, 0xFEFF),
          (0x061C, 0x061C)]
INVISIBLES = [chr(code) for first, last in RANGES for code in range(first, last + 1)]

ITEM = {"code": "AT-AN-1", "type": "single_choice", "stem": "Thư điện tử giả mạo thường yêu cầu người nhận làm gì?",
        "options": ["Đăng nhập lại qua một liên kết lạ", "Đổi hình nền máy tính", "Tắt máy đúng giờ"], "key": 0,
        "explanation": "Liên kết lạ dẫn tới trang đăng nhập giả để lấy mật khẩu.", "competence": "AT.1",
        "level": "co_ban", "audiences": ["cong_chuc"], "source": "Tài liệu bồi dưỡng kỹ năng số",
        "enemy_group": "thu-gia-mao"}
NAME = "Nguyễn Thị Hồng Nhung"


def hide(text: str) -> str:
    """`text` decomposed (NFD) with an invisible character after each character, every kind in turn: after a
    letter and between it and its accent."""
    return "".join(char + INVISIBLES[n % len(INVISIBLES)] for n, char in enumerate(unicodedata.normalize("NFD", text)))


def hidden(item: dict) -> dict:
    """Every text of `item` hidden, codes and each option and audience included (not the type: a name from a
    fixed list, which the API's schema and each format check as such)."""
    return {name: value if name == "type" else hide(value) if isinstance(value, str) else
            [hide(v) for v in value] if isinstance(value, list) else value for name, value in item.items()}


def stored_as(version: ItemVersion) -> dict:
    return {"code": version.item.code, "type": version.type, "stem": version.stem,
            "options": [o["text"] for o in version.options], "explanation": version.explanation,
            "competence": version.competence_code, "level": version.level_code, "audiences": version.audience_codes,
            "source": version.source, "enemy_group": version.enemy_group}


def expected(item: dict = ITEM) -> dict:
    return {name: value for name, value in item.items() if name != "key"}


def latest(code: str) -> ItemVersion:
    db.session.expire_all()
    return db.session.scalar(select(Item).where(Item.code == code)).latest


def test_the_rule_removes_every_listed_character_and_composes_after():
    assert len(INVISIBLES) == 5 + 5 + 5 + 4 + 1 + 1
    assert all(INVISIBLE_CHARS.fullmatch(char) for char in INVISIBLES)
    assert clean_text(hide("Bảo vệ dữ liệu cá nhân\nLuật 2025")) == "Bảo vệ dữ liệu cá nhân\nLuật 2025"
    assert unicodedata.is_normalized("NFC", clean_text("e\u200b\u0301"))  # é, once the space between is gone
    assert clean_text("\u202eabc\u202c") == "abc"  # shown reversed as "cba" before
    assert one_line(" Nguyễn \u200b Văn\nAn ") == "Nguyễn Văn An"
    assert clean_text("\u00a0Giữ\u00a0nguyên") == "Giữ\u00a0nguyên"  # visible characters are not touched


def test_every_shipped_item_is_stored_as_it_is_written():
    """The rule changes no shipped text, so `bank load` on a bank loaded before it makes no new versions."""
    for item in criteria.read_item_files():
        assert bank_ops.stored_texts(item) == {**item, "source": item["source"] or None,
                                               "enemy_group": item["enemy_group"] or None}, item["code"]


def test_the_api_stores_every_field_of_an_item_cleaned(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("author"))
    created = client.post("/api/v1/items", headers=headers, json=hidden(ITEM))
    assert created.status_code == 201, created.get_json()
    assert stored_as(latest("AT-AN-1")) == expected()
    assert created.get_json()["stem"] == ITEM["stem"]
    changed = {**ITEM, "stem": "Khi nghi thư giả mạo, cán bộ nên làm gì trước tiên?", "enemy_group": "bao-cao"}
    edited = client.put(f"/api/v1/items/{created.get_json()['id']}", headers=headers, json=hidden(changed))
    assert edited.status_code == 200, edited.get_json()
    assert stored_as(latest("AT-AN-1")) == expected(changed)


def test_what_only_invisible_characters_tell_apart_is_refused_as_the_same(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("author"))
    before = db.session.scalar(select(func.count()).select_from(ItemVersion))
    twins = client.post("/api/v1/items", headers=headers, json={
        **ITEM, "options": ["Có", "C\u200bó", "Không"]})
    assert twins.status_code == 422 and "trùng" in str(twins.get_json()["errors"]["options"])
    empty = client.post("/api/v1/items", headers=headers, json={**ITEM, "stem": "".join(INVISIBLES)})
    assert empty.status_code == 422 and "stem" in empty.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(ItemVersion)) == before


def test_the_authoring_page_stores_an_item_cleaned(client, bank, make_user):
    token = sign_in(client, make_user("author"))
    form = {"csrf_token": token, "type": "single_choice", "stem": hide(ITEM["stem"]),
            "option": [hide(text) for text in ITEM["options"]] + ["", "", ""], "correct": ["0"],
            "explanation": hide(ITEM["explanation"]), "competence": hide("AT.1"), "level": "co_ban",
            "audiences": [hide("cong_chuc")], "source": hide(ITEM["source"])}
    created = client.post("/quan-ly/cau-hoi/moi", data=form)
    assert created.status_code == 302, created.get_data(as_text=True)
    item = db.session.get(Item, int(created.headers["Location"].rsplit("/", 1)[1]))
    assert stored_as(item.latest) == {**expected(), "code": item.code, "enemy_group": None}
    edited = client.post(f"/quan-ly/cau-hoi/{item.id}/sua", data={**form, "stem": hide("Câu hỏi đã sửa?")})
    assert edited.status_code == 302
    assert latest(item.code).stem == "Câu hỏi đã sửa?"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_import_format_stores_an_item_cleaned(client, bank, make_user, auth_headers, fmt):
    data = serialize(fmt, [hidden(ITEM)])
    report = client.post("/api/v1/items/import", headers=auth_headers(make_user("author")),
                         content_type="multipart/form-data",
                         data={"file": (io.BytesIO(data), f"cau-hoi{FORMATS[fmt].extension}"), "format": fmt})
    assert report.status_code == 200, report.get_json()
    assert report.get_json()["created"] == [{"location": report.get_json()["created"][0]["location"],
                                             "code": "AT-AN-1"}]
    assert stored_as(latest("AT-AN-1")) == expected()


def test_bank_load_stores_an_item_cleaned(app, bank, tmp_path):
    authored = {**hidden(ITEM), "key": "A", "type": "single_choice"}
    (tmp_path / "an.yaml").write_text(yaml.safe_dump({"items": [authored]}, allow_unicode=True), encoding="utf-8")
    (item,) = criteria.read_item_files(tmp_path)
    assert bank_ops.upsert_loaded_item(item).result == "created"
    assert stored_as(latest("AT-AN-1")) == expected()
    assert bank_ops.upsert_loaded_item(item).result == "skipped"  # and loading it again changes nothing


def person(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_account_names_are_stored_cleaned(app, client, bank, make_user, auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    runner = app.test_cli_runner()
    done = runner.invoke(args=["users", "create", "nhung", "--role", "author", "--full-name", hide(NAME),
                               "--password-stdin"], input="mat-khau-dung-123\n")
    assert done.exit_code == 0, done.output
    assert person("nhung").full_name == NAME
    empty = runner.invoke(args=["users", "create", "khongten", "--role", "author", "--full-name", "\u200b\u2060",
                                "--password-stdin"], input="mat-khau-dung-123\n")
    assert empty.exit_code != 0 and "Họ và tên" in empty.output and person("khongten") is None

    admin = auth_headers(make_user("admin"))
    rows = [["Tên đăng nhập", "Họ và tên", "Ngày sinh", "Mã đơn vị", "Đối tượng"],
            ["nhungcsv", hide(NAME), "17/09/1992", "BTR-BATRI", "cong_chuc"]]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    workbook = openpyxl.Workbook()
    for row in [rows[0], ["nhungxlsx", *rows[1][1:]]]:
        workbook.active.append(row)
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    for data, filename in ((text.getvalue().encode(), "can-bo.csv"), (xlsx.getvalue(), "can-bo.xlsx")):
        imported = client.post("/api/v1/users/import", headers=admin, content_type="multipart/form-data",
                               data={"file": (io.BytesIO(data), filename)})
        assert imported.status_code == 201, imported.get_json()
    assert person("nhungcsv").full_name == NAME and person("nhungxlsx").full_name == NAME


def test_a_reissued_certificate_carries_the_name_cleaned(client, bank, make_user, make_session, sit_exam,
                                                        auth_headers):
    holder = make_user("candidate", full_name="Nguyễn Thị Hồng Nhug")
    cert = sit_exam(holder, make_session([holder]).id)["certificate"]
    admin = auth_headers(make_user("admin"))
    empty = client.post(f"/api/v1/certificates/{cert['id']}/reissue", headers=admin,
                        json={"holder_name": "\u200b\u202e\u2066N", "reason": "Sửa họ tên"})
    assert empty.status_code == 422 and "holder_name" in empty.get_json()["errors"]
    new = client.post(f"/api/v1/certificates/{cert['id']}/reissue", headers=admin,
                      json={"holder_name": hide(NAME), "reason": "Sửa họ tên theo căn cước"})
    assert new.status_code == 201, new.get_json()
    stored = db.session.scalar(select(Certificate).where(Certificate.public_id == new.get_json()["id"]))
    assert stored.holder_name == NAME
    token = stored.verify_url.rsplit("/v/", 1)[1]
    assert client.get(f"/api/v1/verify/{token}").get_json()["certificate"]["holder_name"] == NAME
