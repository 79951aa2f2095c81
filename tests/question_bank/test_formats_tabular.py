"""XLSX and CSV: the admins' format, its errors by row and column, and unsafe uploads."""

import csv
import io
import unicodedata
import zipfile

import openpyxl
import pytest

from question_bank.formats import FORMATS, build_template, parse, serialize
from question_bank.formats.tabular import MAX_ROWS, headers
from question_bank.formats.template import EXAMPLE_ITEM, TEMPLATE_PATH

HEADER = headers(4)


def xlsx(rows, header=HEADER):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def row(type_="Một lựa chọn", stem="Câu hỏi?", options=("Một", "Hai", "Ba", ""), key="A", **columns):
    """A row in HEADER's order: code, type, metadata, stem, options A–D, key, explanation, source, enemy group."""
    return [
        columns.get("code", ""),
        type_,
        columns.get("competence", ""),
        columns.get("level", ""),
        columns.get("audiences", ""),
        stem,
        *options,
        key,
        columns.get("explanation", ""),
        columns.get("source", ""),
        columns.get("enemy_group", ""),
    ]


@pytest.fixture(params=["xlsx", "csv"])
def table(request):
    """parse() of rows written as XLSX or as CSV."""
    write = xlsx if request.param == "xlsx" else csv_bytes

    def read(rows, header=HEADER):
        return parse(request.param, write(rows, header))

    return read


def test_bad_rows_are_named_by_row_and_field_and_good_rows_still_parse(table):
    result = table(
        [
            row(code="AT-001", key="B"),  # row 2
            row(code="AT-002", key="F"),  # row 3: no option F
            row(code="AT-003", stem="   "),  # row 4: empty stem
            [],  # row 5: empty, ignored
            row("Nhiều lựa chọn", code="AT-004", key="A; c"),  # row 6
            row("Câu đố", code="AT-005"),  # row 7: unknown type
            row(code="AT-006", options=("Một", "", "Ba", "")),  # row 8: gap in the options
            row("Nhiều lựa chọn", code="AT-007", key="A"),  # row 9: one correct answer only
        ]
    )
    assert [(e.location, e.item["code"], e.item["key"]) for e in result.entries] == [
        ("hàng 2", "AT-001", 1),
        ("hàng 6", "AT-004", [0, 2]),
    ]
    problems = {(issue.location, issue.field) for issue in result.issues}
    assert problems == {
        ("hàng 3", "key"),
        ("hàng 4", "stem"),
        ("hàng 7", "type"),
        ("hàng 8", "options"),
        ("hàng 9", "key"),
    }
    assert all(issue.kind == "error" for issue in result.issues)
    [key_issue] = [issue for issue in result.issues if issue.location == "hàng 3"]
    assert "«F»" in key_issue.message and "Phương án F" in key_issue.message


def test_every_type_with_labels_codes_and_metadata(table):
    result = table(
        [
            row("single_choice", key="c", level="Cơ bản", audiences="cong_chuc; lanh_dao", competence="AT.3"),
            row("Đúng / Sai", stem="Đúng không?", options=("", "", "", ""), key="đúng", level="trung_cap"),
            row("true_false", stem="Sai không?", options=("", "", "", ""), key="Sai"),
            row("Sắp xếp", stem="Sắp xếp", options=("Một", "Hai", "Ba", "Bốn"), key="", source="Luật"),
            row("NHIỀU LỰA CHỌN", options=("Một", "Hai", "Ba", "Bốn"), key="A,B,C", explanation="Vì…"),
        ]
    )
    assert result.issues == []
    items = [entry.item for entry in result.entries]
    assert [item["type"] for item in items] == [
        "single_choice",
        "true_false",
        "true_false",
        "ordering",
        "multiple_response",
    ]
    assert items[0]["key"] == 2
    assert (items[0]["level"], items[0]["audiences"], items[0]["competence"]) == (
        "co_ban",
        ["cong_chuc", "lanh_dao"],
        "AT.3",
    )
    assert (items[1]["key"], items[1]["options"], items[1]["level"]) == (True, [], "trung_cap")
    assert items[2]["key"] is False
    assert (items[3]["options"], items[3]["key"], items[3]["source"]) == (
        ["Một", "Hai", "Ba", "Bốn"],
        None,
        "Luật",
    )
    assert (items[4]["key"], items[4]["explanation"], items[4]["code"]) == ([0, 1, 2], "Vì…", None)


def test_wrong_keys_for_true_false_and_ordering(table):
    result = table(
        [
            row("Đúng/Sai", options=("", "", "", ""), key="Có"),
            row("Đúng/Sai", options=("Một", "", "", ""), key="Đúng"),
            row("Sắp xếp", key="A;B;C"),
        ]
    )
    assert result.entries == []
    assert {(issue.location, issue.field) for issue in result.issues} == {
        ("hàng 2", "key"),
        ("hàng 3", "options"),
        ("hàng 4", "key"),
    }


def test_headers_are_matched_tolerantly(table):
    messy = [unicodedata.normalize("NFD", f"  {title.upper()} ") for title in HEADER]
    messy.reverse()
    result = table([list(reversed(row(key="B")))], header=messy)
    assert result.issues == []
    [entry] = result.entries
    assert (entry.item["key"], entry.item["options"]) == (1, ["Một", "Hai", "Ba"])


def test_missing_required_columns_is_one_issue(table):
    result = table([["Câu hỏi?"]], header=["Nội dung câu hỏi"])
    assert result.entries == []
    [issue] = result.issues
    assert issue.location == "tệp"
    assert "«Loại câu hỏi»" in issue.message and "«Đáp án»" in issue.message


def test_too_many_rows_is_one_issue(table):
    result = table([row()] * (MAX_ROWS + 1))
    assert result.entries == []
    [issue] = result.issues
    assert str(MAX_ROWS) in issue.message


def test_csv_export_has_a_bom_and_commas_and_import_takes_either():
    data = serialize("csv", [EXAMPLE_ITEM])
    assert data.startswith(b"\xef\xbb\xbf")
    first_line = data[3:].decode("utf-8").splitlines()[0]
    assert first_line.split(",")[:2] == ["Mã câu hỏi", "Loại câu hỏi"]
    assert parse("csv", data).entries[0].item == EXAMPLE_ITEM
    assert parse("csv", data[3:]).entries[0].item == EXAMPLE_ITEM


def test_csv_export_never_starts_a_cell_with_a_formula():
    item = dict(EXAMPLE_ITEM, stem='=HYPERLINK("http://x")', options=["+1", "-1", "@a", "'=b"], key=0)
    rows = list(csv.reader(io.StringIO(serialize("csv", [item]).decode("utf-8-sig"), newline="")))
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])
    assert parse("csv", serialize("csv", [item])).entries[0].item == item


def test_csv_that_is_not_utf8_is_one_issue():
    # What Excel writes when saving as "Unicode Text".
    result = parse("csv", csv_bytes([row(stem="Câu hỏi tiếng Việt?")], encoding="utf-16"))
    [issue] = result.issues
    assert "UTF-8" in issue.message


def test_xlsx_cell_types_are_read_as_text():
    result = parse("xlsx", xlsx([row(code=101, key=True, type_="Đúng/Sai", options=("", "", "", ""))]))
    [entry] = result.entries
    assert (entry.item["code"], entry.item["key"]) == ("101", True)


def test_xlsx_uses_the_questions_sheet_when_there_are_several():
    workbook = openpyxl.load_workbook(io.BytesIO(serialize("xlsx", [EXAMPLE_ITEM])))
    workbook.move_sheet("Câu hỏi", offset=1)
    workbook.create_sheet("Ghi chú", 0)
    out = io.BytesIO()
    workbook.save(out)
    assert parse("xlsx", out.getvalue()).entries[0].item == EXAMPLE_ITEM


@pytest.mark.parametrize(
    "data",
    [
        b"Ma cau hoi,Loai cau hoi\n",
        b"%PDF-1.7 not a spreadsheet",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old .xls",
    ],
    ids=["csv-text", "pdf", "xls"],
)
def test_non_xlsx_upload_is_one_clear_issue(data):
    result = parse("xlsx", data)
    assert result.entries == []
    [issue] = result.issues
    assert (issue.location, issue.kind) == ("tệp", "error")
    assert ".xlsx" in issue.message


def zip_file(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_zip_that_is_not_a_workbook_is_one_issue():
    docx_like = zip_file({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
    [issue] = parse("xlsx", docx_like).issues
    assert ".xlsx" in issue.message
    [issue] = parse("xlsx", zip_file({"readme.txt": "xin chào"})).issues
    assert ".xlsx" in issue.message


def test_oversized_zip_is_refused_before_opening():
    bomb = zip_file(
        {"[Content_Types].xml": "<Types/>", "xl/worksheets/sheet1.xml": b"\0" * (21 * 1024 * 1024)}
    )
    assert len(bomb) < 100_000
    result = parse("xlsx", bomb)
    assert result.entries == []
    [issue] = result.issues
    assert "20 MB" in issue.message


def test_shipped_template_is_current_and_reads_back():
    shipped = TEMPLATE_PATH.read_bytes()
    result = parse("xlsx", shipped)
    assert result.issues == []
    assert [entry.item for entry in result.entries] == [EXAMPLE_ITEM]
    assert [entry.item for entry in parse("xlsx", build_template()).entries] == [EXAMPLE_ITEM]

    workbook = openpyxl.load_workbook(io.BytesIO(shipped))
    assert workbook.sheetnames == ["Câu hỏi", "Hướng dẫn"]
    questions = workbook["Câu hỏi"]
    assert [cell.value for cell in questions[1]] == headers(5)
    pick_lists = {str(v.sqref): v.formula1 for v in questions.data_validations.dataValidation}
    assert pick_lists["B2:B5001"] == '"Một lựa chọn,Nhiều lựa chọn,Đúng/Sai,Sắp xếp"'
    assert pick_lists["D2:D5001"] == '"co_ban,trung_cap,nang_cao"'
    guide = [cell.value for cell in workbook["Hướng dẫn"]["A"] if cell.value]
    assert set(HEADER[:6]) <= set(guide) and "Đáp án" in guide


def test_formats_registry_describes_each_format():
    assert set(FORMATS) == {"xlsx", "csv", "moodle_xml", "gift"}
    for name, fmt in FORMATS.items():
        assert fmt.name == name and fmt.extension.startswith(".") and fmt.label
