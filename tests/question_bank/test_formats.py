"""The formats API: round-trips for every format, and what every parser promises."""

import os
import unicodedata

import pytest

from question_bank.formats import (
    FORMATS,
    ITEM_TYPES,
    UnknownFormat,
    check_item,
    parse,
    serialize,
)


def make_item(**overrides):
    item = {
        "code": "GT-001",
        "type": "single_choice",
        "stem": "Câu hỏi mẫu?",
        "options": ["Phương án một", "Phương án hai"],
        "key": 0,
        "explanation": "",
        "competence": None,
        "level": None,
        "audiences": [],
        "source": None,
        "enemy_group": None,
    }
    item.update(overrides)
    return item


NASTY_ITEMS = [
    make_item(
        code="GT-001",
        stem="Chữ ký số = ~ # { } : \\ và ký tự đặc biệt\nở dòng thứ hai: «trích dẫn» & <thẻ>",
        options=[
            "=bằng",
            "~ngã",
            "#thăng {ngoặc}",
            "[html] không phải định dạng",
            "%50% không phải trọng số",
            "a:b",
        ],
        key=3,
        explanation="Giải thích ####\n  thụt lề dòng hai",
        competence="GT.3",
        level="co_ban",
        audiences=["cong_chuc", "lanh_dao"],
        source="Luật Giao dịch điện tử 2023, Điều 22",
    ),
    make_item(
        code=None,
        type="multiple_response",
        stem="// không phải chú thích: chọn các biện pháp an toàn",
        options=[
            "Bật xác thực hai yếu tố",
            "Dùng chung mật khẩu",
            "Cập nhật phần mềm",
            "-1",
            "@tên",
            "+84",
            "'=z",
        ],
        key=[0, 2, 3],
        competence="AT.1",
        level="trung_cap",
        audiences=["chuyen_trach"],
        enemy_group="mat-khau-manh",
    ),
    make_item(
        code="AT:TF-1",
        type="true_false",
        stem="$CATEGORY: dòng này không phải danh mục",
        options=[],
        key=False,
        explanation="Sai, vì …",
        level="nang_cao",
    ),
    make_item(
        code="AT-TF-2",
        type="true_false",
        stem="Mã OTP không được cung cấp cho người khác.",
        options=[],
        key=True,
    ),
    make_item(
        code="ND-007",
        type="ordering",
        stem="Sắp xếp các bước ký số một văn bản:\n\n(theo đúng thứ tự)",
        options=["Mở tệp văn bản", "Chọn chứng thư số", "Ký số", "Kiểm tra chữ ký {hợp lệ}"],
        key=None,
        explanation="Theo quy trình ký số.",
        competence="GT.3",
        audiences=["cong_chuc"],
        source="Nghị định 130/2018/NĐ-CP",
    ),
    make_item(
        code="DL-010",
        stem="=SUM(A1:A3) là gì trong bảng tính?",
        options=[f"Phương án {n}" for n in range(1, 8)],
        key=6,
    ),
]


def test_nasty_items_are_sound():
    assert all(check_item(item) == [] for item in NASTY_ITEMS)
    assert {item["type"] for item in NASTY_ITEMS} == set(ITEM_TYPES)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip(fmt):
    result = parse(fmt, serialize(fmt, NASTY_ITEMS))
    assert result.issues == []
    assert [entry.item for entry in result.entries] == NASTY_ITEMS


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip_of_nothing_reports_no_question(fmt):
    result = parse(fmt, serialize(fmt, []))
    assert result.entries == []
    assert [issue.message for issue in result.issues] == ["Không tìm thấy câu hỏi nào trong tệp."]


def test_unknown_format():
    with pytest.raises(UnknownFormat) as raised:
        parse("docx", b"")
    assert isinstance(raised.value, ValueError)
    with pytest.raises(UnknownFormat):
        serialize("docx", [])


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_serialize_refuses_an_unsound_item_and_names_it(fmt):
    broken = make_item(code="AT-404", key=5)
    with pytest.raises(ValueError, match="AT-404"):
        serialize(fmt, [make_item(code="AT-001"), broken])


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01\x02", b"PK\x03\x04 not really a zip", os.urandom(4096), "Xin chào".encode("utf-16")],
    ids=["empty", "control", "fake-zip", "random", "utf16"],
)
def test_garbage_gives_issues_not_exceptions(fmt, data):
    result = parse(fmt, data)
    assert result.entries == []
    assert result.issues


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_repeated_code_is_an_error_on_the_later_question(fmt):
    items = [make_item(code="GT-001"), make_item(code="GT-002"), make_item(code="GT-001", stem="Khác?")]
    result = parse(fmt, serialize(fmt, items))
    assert [entry.item["code"] for entry in result.entries] == ["GT-001", "GT-002"]
    [issue] = result.issues
    assert (issue.field, issue.kind) == ("code", "error")
    assert "GT-001" in issue.message and result.entries[0].location in issue.message


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_parsed_text_is_nfc_and_stripped(fmt):
    decomposed = unicodedata.normalize("NFD", "  Nội dung câu hỏi tiếng Việt  ")
    item = make_item(stem=decomposed, options=[unicodedata.normalize("NFD", "Đúng rồi"), "Sai"])
    [entry] = parse(fmt, serialize(fmt, [item])).entries
    assert entry.item["stem"] == "Nội dung câu hỏi tiếng Việt"
    assert unicodedata.is_normalized("NFC", entry.item["stem"])
    assert entry.item["options"] == ["Đúng rồi", "Sai"]
