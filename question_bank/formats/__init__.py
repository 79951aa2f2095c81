"""Question import and export: XLSX, CSV, Moodle XML and GIFT.

Every format reads bytes into a ParseResult (items that are sound, and issues: "error" for
a broken question, "skipped" for a type SatHach does not hold) and writes a list of items
back to bytes. serialize then parse gives back the same items. An item is a plain dict:

    {"code": "GT-001" | None, "type": "single_choice" | "multiple_response" | "true_false" | "ordering",
     "stem": str, "options": [str, ...], "key": int | list[int] | bool | None,
     "explanation": str, "competence": str | None, "level": str | None,
     "audiences": [str, ...], "source": str | None}

options is [] for true_false and in the correct order for ordering; key is the 0-based index
(single_choice), the sorted indices (multiple_response), a bool (true_false) or None
(ordering). Parsers return text in NFC without surrounding whitespace, and codes that are
unique within a file (a repeated code is an error on the later question).

Each module documents how its format carries the item: tabular (XLSX, CSV), moodle_xml, gift.
"""

from collections.abc import Callable
from dataclasses import dataclass

from ..item_types import ITEM_TYPES
from . import gift, moodle_xml, tabular
from .interchange import FILE_LOCATION, Entry, Issue, ParseResult, check_item, require_exportable
from .template import build_template

__all__ = [
    "FORMATS",
    "ITEM_TYPES",
    "Entry",
    "Format",
    "Issue",
    "ParseResult",
    "UnknownFormat",
    "build_template",
    "check_item",
    "format_of_file",
    "parse",
    "serialize",
]


class UnknownFormat(ValueError):
    """A format name that is not in FORMATS."""


@dataclass(frozen=True)
class Format:
    name: str
    label: str  # shown to people choosing a format
    extension: str
    media_type: str
    parse: Callable[[bytes], ParseResult]
    serialize: Callable[[list[dict]], bytes]


FORMATS: dict[str, Format] = {
    "xlsx": Format(
        "xlsx",
        "Bảng tính Excel (.xlsx)",
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        tabular.parse_xlsx,
        tabular.serialize_xlsx,
    ),
    "csv": Format(
        "csv", "CSV (UTF-8)", ".csv", "text/csv; charset=utf-8", tabular.parse_csv, tabular.serialize_csv
    ),
    "moodle_xml": Format(
        "moodle_xml", "Moodle XML", ".xml", "application/xml", moodle_xml.parse, moodle_xml.serialize
    ),
    "gift": Format(
        "gift", "GIFT (Moodle)", ".gift.txt", "text/plain; charset=utf-8", gift.parse, gift.serialize
    ),
}


def get_format(fmt: str) -> Format:
    """:raise UnknownFormat: if fmt is not a key of FORMATS."""
    try:
        return FORMATS[fmt]
    except KeyError:
        names = ", ".join(FORMATS)
        raise UnknownFormat(f"Định dạng «{fmt}» không được hỗ trợ; chọn một trong: {names}.") from None


def format_of_file(filename: str) -> str | None:
    """The format a file's name says (its extension; a GIFT file may also end in .gift), or None."""
    name = filename.lower()
    for fmt in FORMATS.values():
        if name.endswith(fmt.extension) or (fmt.name == "gift" and name.endswith(".gift")):
            return fmt.name
    return None


def parse(fmt: str, data: bytes) -> ParseResult:
    """Read a whole file; never raises on its content, only on an unknown format."""
    result = get_format(fmt).parse(data)
    _reject_repeated_codes(result)
    if not result.entries and not result.issues:
        result.issues.append(Issue(FILE_LOCATION, None, "Không tìm thấy câu hỏi nào trong tệp.", "error"))
    return result


def serialize(fmt: str, items: list[dict]) -> bytes:
    """Write items in the format.

    :raise UnknownFormat: if fmt is not a key of FORMATS.
    :raise ValueError: if an item is not sound (see check_item), naming it.
    """
    format_ = get_format(fmt)
    require_exportable(items)
    return format_.serialize(items)


def _reject_repeated_codes(result: ParseResult) -> None:
    """Turn every later question that repeats a code into an error: the import would be ambiguous."""
    first_seen: dict[str, str] = {}
    kept = []
    for entry in result.entries:
        code = entry.item["code"]
        if code is not None and code in first_seen:
            message = f"Mã câu hỏi «{code}» trùng với câu hỏi ở {first_seen[code]}."
            result.issues.append(Issue(entry.location, "code", message, "error"))
            continue
        if code is not None:
            first_seen[code] = entry.location
        kept.append(entry)
    result.entries = kept
