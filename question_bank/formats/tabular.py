"""Spreadsheets, the format admins actually use: XLSX and CSV, one row per item.

Row 1 holds the headers; issues name spreadsheet rows ("hàng 5"), the header being row 1.
Headers are matched ignoring case, extra spaces and Unicode composition (NFC/NFD); their
order is free and unknown columns are ignored:

    Mã câu hỏi | Loại câu hỏi* | Năng lực | Mức độ | Đối tượng | Nội dung câu hỏi* |
    Phương án A | Phương án B | … | Đáp án* | Giải thích | Nguồn

- Loại câu hỏi: a code (single_choice …) or its label (Một lựa chọn, Nhiều lựa chọn,
  Đúng/Sai, Sắp xếp). Export writes the label.
- Phương án A, B, …: as many columns as needed (at least A–E on export), filled from A
  without gaps. Empty for Đúng/Sai; for Sắp xếp, the items in the correct order.
- Đáp án: one letter; several letters separated by ";" or ","; "Đúng"/"Sai"; empty for Sắp xếp.
- Mức độ: a level code (co_ban) or its name (Cơ bản). Export writes the code.
- Đối tượng: audience codes separated by ";".

XLSX is read with openpyxl (read_only, data_only) after checking that the upload is a zip
holding a workbook whose members unpack to at most 20 MB; at most 5000 questions per file.
CSV is UTF-8, comma-separated; export adds a BOM so that Excel shows Vietnamese correctly,
and import accepts files with or without it. So that Excel never runs a cell of a CSV
export as a formula, a text starting with = + - or @ is written with a leading apostrophe,
which import removes again.
"""

import csv
import functools
import io
import re
import zipfile

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..item_types import ITEM_TYPES
from . import vocabulary
from .interchange import MAX_QUESTIONS, ParseResult, file_error, make_item, too_many_questions
from .text import clean_text, normalise_label, optional_text

MAX_ROWS = MAX_QUESTIONS
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024
SHEET_TITLE = "Câu hỏi"
MIN_OPTION_COLUMNS = 5
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

COLUMNS = {
    "code": "Mã câu hỏi",
    "type": "Loại câu hỏi",
    "competence": "Năng lực",
    "level": "Mức độ",
    "audiences": "Đối tượng",
    "stem": "Nội dung câu hỏi",
    "key": "Đáp án",
    "explanation": "Giải thích",
    "source": "Nguồn",
    "enemy_group": "Nhóm loại trừ",
}
REQUIRED = ("type", "stem", "key")
COLUMN_WIDTHS = {
    "code": 14,
    "type": 16,
    "competence": 11,
    "level": 12,
    "audiences": 18,
    "stem": 60,
    "key": 10,
    "explanation": 45,
    "source": 32,
    "enemy_group": 22,
}
OPTION_WIDTH = 28

TYPE_LABELS = {code: kind.short_name for code, kind in ITEM_TYPES.items()}
TRUE_LABEL, FALSE_LABEL = "Đúng", "Sai"

_OPTION_HEADER = re.compile(r"phương án ([a-z])")
_TRUTH = {"đúng": True, "đ": True, "true": True, "sai": False, "s": False, "false": False}
_CSV_FORMULA = re.compile(r"'*[=+\-@]")
_CSV_QUOTED_FORMULA = re.compile(r"'+[=+\-@]")

_NOT_XLSX = (
    "Tệp không phải bảng tính Excel (.xlsx) hợp lệ. "
    "Hãy lưu tệp dưới dạng «Excel Workbook (.xlsx)», tốt nhất là từ tệp mẫu của hệ thống."
)


# Columns after the options; "Nhóm loại trừ" (enemy group: items testing the same fact, never in one form) is
# optional, so files made from an older template still read.
AFTER_OPTIONS = ("key", "explanation", "source", "enemy_group")


def option_header(letter: str) -> str:
    return f"Phương án {letter}"


def headers(option_count: int) -> list[str]:
    """Column headers of an export with option_count option columns, in the template's order."""
    options = [option_header(letter) for letter in LETTERS[:option_count]]
    before = [COLUMNS[name] for name in ("code", "type", "competence", "level", "audiences", "stem")]
    after = [COLUMNS[name] for name in AFTER_OPTIONS]
    return before + options + after


# Reading, shared by XLSX and CSV


def parse_table(rows) -> ParseResult:
    """Items from rows of cell texts, the first row being the headers."""
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        return file_error("Tệp trống: không có hàng tiêu đề.")
    columns, option_columns, problem = _read_header(header)
    if problem:
        return file_error(problem)

    result = ParseResult()
    count = 0
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        if count > MAX_ROWS:
            return too_many_questions()
        item, problems = _read_row(row, columns, option_columns)
        result.add_item(f"hàng {number}", item, problems)
    return result


def _read_header(cells: list[str]) -> tuple[dict, list, str | None]:
    """({field: column index}, [option column indexes], problem or None)."""
    fields_by_label = {normalise_label(label): name for name, label in COLUMNS.items()}
    columns: dict[str, int] = {}
    options: dict[str, int] = {}
    for index, cell in enumerate(cells):
        label = normalise_label(cell)
        match = _OPTION_HEADER.fullmatch(label)
        if match:
            name, target = match.group(1).upper(), options
        elif label in fields_by_label:
            name, target = fields_by_label[label], columns
        else:
            continue
        if name in target:
            return {}, [], f"Cột «{cell.strip()}» xuất hiện hai lần ở hàng tiêu đề."
        target[name] = index

    missing = [f"«{COLUMNS[name]}»" for name in REQUIRED if name not in columns]
    if missing:
        return (
            {},
            [],
            ("Hàng 1 phải là hàng tiêu đề như trong tệp mẫu; thiếu cột " + ", ".join(missing) + "."),
        )
    letters = LETTERS[: len(options)]
    for letter in letters:
        if letter not in options:
            return (
                {},
                [],
                f"Các cột phương án phải liền nhau từ «Phương án A»; thiếu cột «{option_header(letter)}».",
            )
    return columns, [options[letter] for letter in letters], None


def _read_row(row: list[str], columns: dict, option_columns: list) -> tuple[dict, list]:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index] if index is not None and index < len(row) else ""

    problems: list[tuple[str, str]] = []
    item_type = _read_type(cell("type"), problems)
    options = _read_options([row[i] if i < len(row) else "" for i in option_columns], problems)
    key = _read_key(item_type, cell("key"), options, problems) if item_type else None
    item = make_item(
        item_type or clean_text(cell("type")),
        clean_text(cell("stem")),
        options,
        key,
        code=optional_text(cell("code")),
        explanation=clean_text(cell("explanation")),
        competence=optional_text(cell("competence")),
        level=_read_level(cell("level")),
        audiences=_split_codes(cell("audiences")),
        source=optional_text(cell("source")),
        enemy_group=optional_text(cell("enemy_group")),
    )
    return item, problems


def _read_type(text: str, problems: list) -> str | None:
    text = clean_text(text)
    if not text:
        problems.append(("type", "Thiếu loại câu hỏi."))
        return None
    item_type = _type_lookup().get(_compact(text))
    if item_type is None:
        allowed = ", ".join(TYPE_LABELS.values())
        problems.append(("type", f"Loại câu hỏi «{text}» không hợp lệ; dùng một trong: {allowed}."))
    return item_type


def _read_options(cells: list[str], problems: list) -> list[str]:
    options = [clean_text(cell) for cell in cells]
    while options and not options[-1]:
        options.pop()
    for index, option in enumerate(options):
        if not option:
            problems.append(
                (
                    "options",
                    f"Ô «{option_header(LETTERS[index])}» trống nhưng các phương án sau nó có nội dung.",
                )
            )
            break
    return options


def _read_key(item_type: str, text: str, options: list[str], problems: list):
    text = clean_text(text)
    if item_type == "true_false":
        return _read_truth(text, options, problems)
    if item_type == "ordering":
        if text:
            problems.append(("key", "Câu sắp xếp để trống ô «Đáp án»: ghi các phương án theo đúng thứ tự."))
        return None
    indexes = _read_letters(text, options, problems)
    if indexes is None:
        return None
    if item_type == "single_choice":
        if len(indexes) != 1:
            problems.append(("key", f"Câu một lựa chọn chỉ có một đáp án, không phải «{text}»."))
            return None
        return indexes[0]
    if len(indexes) < 2:
        problems.append(("key", "Câu nhiều lựa chọn cần ít nhất 2 đáp án đúng, ví dụ «A;C»."))
        return None
    return indexes


def _read_truth(text: str, options: list[str], problems: list) -> bool | None:
    if options:
        problems.append(("options", "Câu Đúng/Sai không dùng các cột phương án; hãy để trống các ô này."))
    value = _TRUTH.get(normalise_label(text))
    if value is None:
        found = f", không phải «{text}»" if text else ""
        problems.append(("key", f"Đáp án câu Đúng/Sai phải là «{TRUE_LABEL}» hoặc «{FALSE_LABEL}»{found}."))
    return value


def _read_letters(text: str, options: list[str], problems: list) -> list[int] | None:
    tokens = [token for token in re.split(r"[;,\s]+", text) if token]
    if not tokens:
        problems.append(("key", "Thiếu đáp án."))
        return None
    indexes = set()
    for token in tokens:
        letter = token.upper()
        if len(letter) != 1 or letter not in LETTERS:
            problems.append(("key", f"«{token}» không phải chữ cái của một phương án (A, B, C…)."))
            return None
        if LETTERS.index(letter) >= len(options):
            problems.append(
                ("key", f"Đáp án «{letter}» không có phương án tương ứng: ô «{option_header(letter)}» trống.")
            )
            return None
        indexes.add(LETTERS.index(letter))
    return sorted(indexes)


def _read_level(text: str) -> str | None:
    level = optional_text(text)
    if level is None:
        return None
    return _level_lookup().get(normalise_label(level), level)


def _split_codes(text: str) -> list[str]:
    codes = [clean_text(part) for part in re.split(r"[;,]", text)]
    return list(dict.fromkeys(code for code in codes if code))


def _compact(text: str) -> str:
    """Label key that also ignores spaces, so "Đúng / Sai" is "Đúng/Sai"."""
    return normalise_label(text).replace(" ", "")


@functools.cache
def _type_lookup() -> dict[str, str]:
    lookup = {_compact(code): code for code in TYPE_LABELS}
    lookup.update({_compact(label): code for code, label in TYPE_LABELS.items()})
    return lookup


@functools.cache
def _level_lookup() -> dict[str, str]:
    lookup = {}
    for code, name in vocabulary.levels():
        lookup[normalise_label(code)] = code
        lookup[normalise_label(name)] = code
    return lookup


# Writing, shared by XLSX and CSV


def _option_count(items: list[dict]) -> int:
    return max([MIN_OPTION_COLUMNS] + [len(item["options"]) for item in items])


def _item_row(item: dict, option_count: int) -> list[str]:
    options = item["options"] + [""] * (option_count - len(item["options"]))
    return [
        item["code"] or "",
        TYPE_LABELS[item["type"]],
        item["competence"] or "",
        item["level"] or "",
        "; ".join(item["audiences"]),
        item["stem"],
        *options,
        _key_text(item),
        item["explanation"],
        item["source"] or "",
        item.get("enemy_group") or "",
    ]


def _key_text(item: dict) -> str:
    if item["type"] == "single_choice":
        return LETTERS[item["key"]]
    if item["type"] == "multiple_response":
        return ";".join(LETTERS[index] for index in item["key"])
    if item["type"] == "true_false":
        return TRUE_LABEL if item["key"] else FALSE_LABEL
    return ""


# CSV


def parse_csv(data: bytes) -> ParseResult:
    rows, problem = csv_rows(data)
    return file_error(problem) if problem else parse_table(rows)


def csv_rows(data: bytes) -> tuple[list[list[str]], str | None]:
    """The cells of a UTF-8 CSV file (with or without BOM), or the reason it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ("Tệp CSV không đọc được: tệp phải dùng mã UTF-8 "
                    "(trong Excel, lưu dưới dạng «CSV UTF-8 (Comma delimited)»).")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [[_from_csv_cell(cell) for cell in row] for row in reader], None
    except csv.Error:
        return [], f"Tệp CSV không hợp lệ: lỗi định dạng ở dòng {reader.line_num}."


def serialize_csv(items: list[dict]) -> bytes:
    option_count = _option_count(items)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers(option_count))
    for item in items:
        writer.writerow([_to_csv_cell(cell) for cell in _item_row(item, option_count)])
    return out.getvalue().encode("utf-8-sig")


def _to_csv_cell(text: str) -> str:
    return "'" + text if _CSV_FORMULA.match(text) else text


def _from_csv_cell(text: str) -> str:
    return text[1:] if _CSV_QUOTED_FORMULA.match(text) else text


# XLSX


def parse_xlsx(data: bytes) -> ParseResult:
    rows, problem = xlsx_rows(data, SHEET_TITLE)
    return file_error(problem) if problem else parse_table(rows)


def xlsx_rows(data: bytes, sheet_title: str | None = None) -> tuple[list[list[str]], str | None]:
    """The cells (as text) of the sheet named `sheet_title`, else the first sheet, or the reason the
    upload cannot be read. Zip bombs and files that are not workbooks are refused before openpyxl opens them."""
    problem = _check_zip(data)
    if problem:
        return [], problem
    # openpyxl raises many kinds of exception on a damaged workbook (KeyError, ValueError,
    # XML errors…); any of them means the same to the person uploading it.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        return [], _NOT_XLSX
    try:
        sheet = workbook[sheet_title] if sheet_title in workbook.sheetnames else workbook.worksheets[0]
        sheet.reset_dimensions()
        rows, filled = [], 0
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(value) for value in row])
            filled += any(value is not None for value in row)
            if filled > MAX_ROWS + 1:  # the header, the limit, and one more for the caller to report
                break
        return rows, None
    except Exception:
        return [], _NOT_XLSX
    finally:
        workbook.close()


def _check_zip(data: bytes) -> str | None:
    """Why the upload cannot be opened as a workbook, or None.

    zipfile never inflates a member past the size its header declares, so the declared
    sizes bound what openpyxl can unpack: checking their sum stops zip bombs.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return _NOT_XLSX
    if "[Content_Types].xml" not in {member.filename for member in members}:
        return _NOT_XLSX
    if sum(member.file_size for member in members) > MAX_UNZIPPED_BYTES:
        megabytes = MAX_UNZIPPED_BYTES // (1024 * 1024)
        return f"Tệp Excel quá lớn: nội dung giải nén vượt {megabytes} MB. Hãy chia thành nhiều tệp nhỏ hơn."
    return None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return TRUE_LABEL if value else FALSE_LABEL
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def build_workbook(items: list[dict]) -> openpyxl.Workbook:
    """The questions sheet: headers, one row per item, column widths and pick lists."""
    option_count = _option_count(items)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    header = headers(option_count)
    sheet.append(header)
    for row_number, item in enumerate(items, start=2):
        for column, text in enumerate(_item_row(item, option_count), start=1):
            cell = sheet.cell(row=row_number, column=column, value=text or None)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if text.startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text
    _style_header(sheet, option_count)
    _add_pick_lists(sheet, header)
    return workbook


def serialize_xlsx(items: list[dict]) -> bytes:
    return workbook_bytes(build_workbook(items))


def workbook_bytes(workbook: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _style_header(sheet, option_count: int) -> None:
    widths = [COLUMN_WIDTHS[name] for name in ("code", "type", "competence", "level", "audiences", "stem")]
    widths += [OPTION_WIDTH] * option_count
    widths += [COLUMN_WIDTHS[name] for name in AFTER_OPTIONS]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
        cell = sheet.cell(row=1, column=column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.freeze_panes = "A2"


def _add_pick_lists(sheet, header: list[str]) -> None:
    """Drop-down lists for Loại câu hỏi and Mức độ; a warning, not a block, when typed."""
    lists = {
        COLUMNS["type"]: list(TYPE_LABELS.values()),
        COLUMNS["level"]: [code for code, _ in vocabulary.levels()],
    }
    for title, choices in lists.items():
        letter = get_column_letter(header.index(title) + 1)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle=title,
            error="Nên chọn một giá trị trong danh sách: " + ", ".join(choices) + ".",
        )
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(validation)
