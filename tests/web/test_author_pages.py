"""The author's web pages: who may open them, and that their forms store what the API would store."""

import io
import re
import unicodedata

import openpyxl
import pytest
from sqlalchemy import func, select

from service import bank as bank_ops
from service.extensions import db
from service.models import AuditEntry, Item, ItemVersion
from service.models.org import ROLES
from tests.fixtures import MOODLE_GIFT
from tests.web.pages import sign_in

BASE = "/quan-ly/cau-hoi"
ALLOWED = {"author", "admin"}


def version_count():
    return db.session.scalar(select(func.count()).select_from(ItemVersion))


def item_form(token, **changes):
    """A valid single-choice item as the form posts it; the third option is the right one."""
    form = {"csrf_token": token, "type": "single_choice", "stem": "Tổ hợp phím nào dùng để cắt văn bản đã chọn?",
            "option": ["Ctrl + C", "Ctrl + V", "Ctrl + X", "", "", ""], "correct": ["2"],
            "explanation": "Ctrl + X cắt, Ctrl + C sao chép, Ctrl + V dán.", "competence": "DL.1",
            "level": "co_ban", "audiences": ["cong_chuc", "lanh_dao"], "source": "Tài liệu bồi dưỡng kỹ năng số"}
    form.update(changes)
    return form


def text_of(response) -> str:
    page = response.get_data(as_text=True)
    assert unicodedata.is_normalized("NFC", page)
    return page


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client, make_user, role):
    anonymous = client.get(BASE)
    assert anonymous.status_code == 302 and "/dang-nhap" in anonymous.headers["Location"]
    token = sign_in(client, make_user(role))
    if role in ALLOWED:
        assert client.get(BASE).status_code == 200
        assert client.get(f"{BASE}/moi").status_code == 200
        assert client.get(f"{BASE}/nhap-tep").status_code == 200
        assert client.get(f"{BASE}/999").status_code == 404
        return
    for path in ("", "/moi", "/nhap-tep", "/999", "/999/sua", "/mau-nhap-cau-hoi.xlsx", "/xuat?format=csv"):
        assert client.get(BASE + path).status_code == 403, path
    for path in ("/moi", "/999/gui-duyet", "/nhap-tep"):
        assert client.post(BASE + path, data={"csrf_token": token}).status_code == 403, path


def test_author_writes_edits_and_submits_an_item(client, bank, make_user):
    author = make_user("author", full_name="Trần Thị Soạn")
    token = sign_in(client, author)
    created = client.post(f"{BASE}/moi", data=item_form(token))
    assert created.status_code == 302
    item_id = int(created.headers["Location"].rsplit("/", 1)[1])
    version = db.session.get(Item, item_id).latest
    assert (version.number, version.status, version.type) == (1, "draft", "single_choice")
    assert [o["text"] for o in version.options] == ["Ctrl + C", "Ctrl + V", "Ctrl + X"]
    assert version.key == version.options[2]["id"]
    assert (version.competence_code, version.level_code) == ("DL.1", "co_ban")
    assert version.audience_codes == ["cong_chuc", "lanh_dao"]
    assert version.author_id == author.id and version.source == "Tài liệu bồi dưỡng kỹ năng số"

    page = text_of(client.get(f"{BASE}/{item_id}"))
    assert "Đã tạo câu hỏi" in page and "Trần Thị Soạn" in page and "nháp" in page
    form = text_of(client.get(f"{BASE}/{item_id}/sua"))
    assert 'value="Ctrl + X"' in form and re.search(r'value="2" checked', form)

    edited = client.post(f"{BASE}/{item_id}/sua", data=item_form(token, stem="Tổ hợp phím nào dùng để cắt?",
                                                                  enemy_group=" phim-tat\u200b-cat "))
    assert edited.status_code == 302
    db.session.expire_all()
    item = db.session.get(Item, item_id)
    assert [(v.number, v.status) for v in item.versions] == [(1, "retired"), (2, "draft")]
    assert item.latest.stem == "Tổ hợp phím nào dùng để cắt?"
    assert item.latest.enemy_group == "phim-tat-cat"  # trimmed, the zero-width space gone
    # Editing again keeps the group: the form is prefilled with it.
    assert 'value="phim-tat-cat"' in text_of(client.get(f"{BASE}/{item_id}/sua"))

    client.post(f"{BASE}/{item_id}/gui-duyet", data={"csrf_token": token, "version": "2"})
    db.session.expire_all()
    assert db.session.get(Item, item_id).latest.status == "in_review"
    submitted = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "item.submit",
                                                           AuditEntry.target_id == str(item_id)))
    assert submitted.actor_id == author.id and submitted.details["version"] == 2

    # A reviewer sends it back: the author sees why on the list and on the item.
    bank_ops.transition(db.session.get(Item, item_id).latest, "reject", make_user("reviewer"), "Chưa rõ nghĩa.")
    db.session.commit()
    assert "Bị trả lại: Chưa rõ nghĩa." in text_of(client.get(BASE))
    assert "Chưa rõ nghĩa." in text_of(client.get(f"{BASE}/{item_id}"))


def test_every_type_stores_its_key(client, bank, make_user):
    token = sign_in(client, make_user("author"))
    forms = {  # type: (what is posted, the stored key given the stored option ids)
        "multiple_response": ({"option": ["Mật khẩu dài", "Dùng chung mật khẩu", "Xác thực hai lớp"],
                               "correct": ["0", "2"]}, lambda ids: [ids[0], ids[2]]),
        "true_false": ({"option": ["", "", ""], "correct": [], "truth": "false"}, lambda ids: False),
        "ordering": ({"option": ["Mở tệp", "Sửa nội dung", "Lưu tệp"], "correct": []}, lambda ids: ids),
    }
    for kind, (changes, expected) in forms.items():
        response = client.post(f"{BASE}/moi", data=item_form(token, type=kind, stem=f"Câu {kind}", **changes))
        assert response.status_code == 302, text_of(response)
        version = db.session.get(Item, int(response.headers["Location"].rsplit("/", 1)[1])).latest
        ids = [o["id"] for o in version.options]
        assert (version.type, version.key) == (kind, expected(ids))


def test_errors_are_shown_next_to_the_fields_and_nothing_is_stored(client, bank, make_user):
    token = sign_in(client, make_user("author"))
    before = version_count()
    refused = client.post(f"{BASE}/moi", data=item_form(token, stem="  ", correct=[], competence="ZZ.9"))
    assert refused.status_code == 422
    page = text_of(refused)
    assert "Chưa lưu được câu hỏi" in page
    assert re.search(r'id="loi-stem"><li>Thiếu nội dung câu hỏi.</li>', page)
    assert re.search(r'id="loi-key"><li>Hãy đánh dấu phương án đúng.</li>', page)
    assert re.search(r'id="loi-competence"><li>Mã năng lực không tồn tại: &#39;ZZ.9&#39;', page)
    assert 'value="Ctrl + X"' in page and 'value="lanh_dao" checked' in page  # the input is kept
    too_long = text_of(client.post(f"{BASE}/moi", data=item_form(token, stem="á" * 5001)))
    assert "Độ dài phải từ 1 đến 5000 ký tự." in too_long
    assert version_count() == before


def test_a_post_without_the_csrf_token_is_refused(client, bank, make_user):
    sign_in(client, make_user("author"))
    before = version_count()
    refused = client.post(f"{BASE}/moi", data=item_form(None) | {"csrf_token": ""})
    assert refused.status_code == 400 and "Yêu cầu không hợp lệ." in text_of(refused)
    assert version_count() == before


def test_html_in_a_stem_is_shown_as_text(client, bank, make_user):
    token = sign_in(client, make_user("author"))
    stem = '<script>alert("x")</script><b>đậm</b>'
    response = client.post(f"{BASE}/moi", data=item_form(token, stem=stem, option=["<i>A</i>", "B"], correct=["0"]))
    item_id = int(response.headers["Location"].rsplit("/", 1)[1])
    for path in (BASE, f"{BASE}/{item_id}", f"{BASE}/{item_id}/sua"):
        page = text_of(client.get(path))
        assert "&lt;script&gt;alert(" in page and "<script>alert" not in page and "<b>đậm" not in page, path
    assert "&lt;i&gt;A&lt;/i&gt;" in text_of(client.get(f"{BASE}/{item_id}"))


def test_list_filters_pages_and_exports(client, bank, make_user):
    token = sign_in(client, make_user("author"))
    client.post(f"{BASE}/moi", data=item_form(token, stem="Câu hỏi riêng về phím tắt cắt dán"))
    mine = text_of(client.get(BASE))
    assert "Câu hỏi (1)" in mine and "Câu hỏi riêng về phím tắt" in mine
    everyone = text_of(client.get(f"{BASE}?mine=0"))
    total = db.session.scalar(select(func.count()).select_from(Item))
    assert f"Câu hỏi ({total})" in everyone and total > 50 and "Trang 1/" in everyone
    assert everyone.count("<tr>") - 1 == 50  # 50 rows per page, plus the header row
    assert "Câu hỏi (0)" in text_of(client.get(f"{BASE}?mine=0&status=in_review"))
    assert "Câu hỏi (1)" in text_of(client.get(f"{BASE}?mine=0&q=phím tắt cắt dán"))
    assert client.get(f"{BASE}?status=unknown").status_code == 400
    exported = client.get(f"{BASE}/xuat?format=xlsx&mine=1")
    assert exported.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(exported.data)).worksheets[0].values)
    assert len(rows) == 2 and "Câu hỏi riêng về phím tắt cắt dán" in rows[1]


def xlsx_with_a_bad_row(client) -> bytes:
    """The template's example row (MAU-001) and a copy of it whose competence does not exist."""
    template = client.get(f"{BASE}/mau-nhap-cau-hoi.xlsx")
    assert template.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(template.data))
    sheet = workbook.worksheets[0]
    bad = [cell.value for cell in sheet[2]]
    bad[0], bad[2] = "MAU-002", "ZZ.9"
    sheet.append(bad)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, token, data, filename, **form):
    return client.post(f"{BASE}/nhap-tep", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), filename), **form})


def test_a_file_with_a_bad_row_imports_nothing_unless_asked(client, bank, make_user):
    token = sign_in(client, make_user("author"))
    data, before = xlsx_with_a_bad_row(client), version_count()
    refused = upload(client, token, data, "cau-hoi.xlsx")
    assert refused.status_code == 422
    page = text_of(refused)
    assert "chưa nhập câu hỏi nào" in page
    assert re.search(r"<td>hàng 3</td><td>Năng lực</td><td>Mã năng lực không tồn tại: &#39;ZZ.9&#39;</td>", page)
    assert version_count() == before
    partial = upload(client, token, data, "cau-hoi.xlsx", import_valid="1")
    assert partial.status_code == 200 and "MAU-001" in text_of(partial)
    assert version_count() == before + 1
    assert db.session.scalar(select(ItemVersion).join(Item).where(Item.code == "MAU-001")).status == "draft"


def test_moodle_gift_fixture_shows_created_and_skipped(client, bank, make_user):
    token = sign_in(client, make_user("author"))
    data, before = (MOODLE_GIFT / "questions.gift.txt").read_bytes(), version_count()
    defaults = {"competence": "DL.1", "level": "co_ban", "audiences": ["cong_chuc"]}
    assert upload(client, token, data, "questions.gift.txt", **defaults).status_code == 422  # a repeated code
    assert version_count() == before
    page = text_of(upload(client, token, data, "questions.gift.txt", import_valid="1", **defaults))
    assert "Tạo mới" in page and "Bỏ qua" in page
    assert re.search(r"<td>dòng 2 \(Q8\)</td><td></td><td>Bỏ qua: [^<]*tự luận \(essay\)", page)
    assert "dòng 49 (2-08 TSL)" in page  # the error is reported though the valid part was imported
    assert version_count() == before + 4
    assert db.session.scalar(select(ItemVersion).join(Item).where(Item.code == "Q2")).competence_code == "DL.1"


def test_an_upload_too_large_gets_the_error_page(app, client, bank, make_user):
    token = sign_in(client, make_user("author"))
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload(client, token, b"x" * 20_000, "cau-hoi.csv")
    assert response.status_code == 413 and "Dữ liệu gửi lên quá lớn." in text_of(response)
    assert response.mimetype == "text/html"
