"""The interchange item and the result of parsing a file.

An item is a plain dict (see ``make_item``); every parser returns items, every serializer
takes them. ``check_item`` applies the rules every format shares: the metadata's shapes here,
and the type's own definition rules (``ItemType.validate_definition``, the same the bank and
the authoring form apply), so an entry that comes out of any parser can be stored as it is.
"""

from dataclasses import dataclass, field
from typing import Literal

from ..item_types import ITEM_TYPES, get_item_type

# One file holds at most this many questions, in every format: reading stops beyond it, so a small file
# of many tiny questions cannot cost the server minutes and hundreds of megabytes.
MAX_QUESTIONS = 5000


def too_many_questions() -> "ParseResult":
    return file_error(f"Tệp có hơn {MAX_QUESTIONS} câu hỏi; hãy chia thành nhiều tệp nhỏ hơn.")

FILE_LOCATION = "tệp"

# Question types of Moodle (and GIFT) that SatHach does not hold, named for the person
# reading the import report.
UNSUPPORTED_TYPE_NAMES = {
    "essay": "tự luận (essay)",
    "match": "ghép đôi (matching)",
    "numerical": "trả lời bằng số (numerical)",
    "shortanswer": "trả lời ngắn (short answer)",
    "multianswer": "điền khuyết nhiều chỗ (cloze, embedded answers)",
    "description": "đoạn mô tả, không có phần trả lời (description)",
    "calculated": "tính toán (calculated)",
    "calculatedsimple": "tính toán đơn giản (calculated simple)",
    "calculatedmulti": "tính toán nhiều lựa chọn (calculated multichoice)",
    "randomsamatch": "ghép đôi ngẫu nhiên (random short-answer matching)",
    "ddwtos": "kéo thả vào văn bản (drag and drop into text)",
    "gapselect": "chọn từ điền vào chỗ trống (select missing words)",
    "ddimageortext": "kéo thả vào ảnh (drag and drop onto image)",
    "ddmarker": "kéo thả điểm đánh dấu (drag and drop markers)",
}


@dataclass
class Entry:
    location: str
    item: dict


@dataclass
class Issue:
    location: str
    field: str | None
    message: str
    kind: Literal["error", "skipped"] = "error"


@dataclass
class ParseResult:
    entries: list[Entry] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def add_item(self, location: str, item: dict, problems: list[tuple[str, str]]) -> None:
        """Keep the item, or report why not: the parser's problems plus check_item's."""
        reported = {field_name for field_name, _ in problems}
        problems = problems + [p for p in check_item(item) if p[0] not in reported]
        if problems:
            self.issues += [Issue(location, name, message, "error") for name, message in problems]
        else:
            self.entries.append(Entry(location, item))

    def skip(self, location: str, qtype: str) -> None:
        name = UNSUPPORTED_TYPE_NAMES.get(qtype, f"«{qtype}»")
        message = f"Bỏ qua: SatHach chưa hỗ trợ loại câu hỏi {name}."
        self.issues.append(Issue(location, "type", message, "skipped"))

    def error(self, location: str, field_name: str | None, message: str) -> None:
        self.issues.append(Issue(location, field_name, message, "error"))


def file_error(message: str) -> ParseResult:
    """The result for a file that cannot be read at all: one issue, no entries."""
    return ParseResult(issues=[Issue(FILE_LOCATION, None, message, "error")])


def make_item(
    type: str,
    stem: str,
    options: list[str],
    key,
    *,
    code: str | None = None,
    explanation: str = "",
    competence: str | None = None,
    level: str | None = None,
    audiences: list[str] | None = None,
    source: str | None = None,
    enemy_group: str | None = None,
) -> dict:
    return {
        "code": code,
        "type": type,
        "stem": stem,
        "options": options,
        "key": key,
        "explanation": explanation,
        "competence": competence,
        "level": level,
        "audiences": audiences or [],
        "source": source,
        "enemy_group": enemy_group,
    }


def check_item(item: dict) -> list[tuple[str, str]]:
    """Structural problems of an item as (field, Vietnamese message); [] if it is sound."""
    item_type = item.get("type")
    if item_type not in ITEM_TYPES:
        return [("type", f"Loại câu hỏi «{item_type}» không hợp lệ.")]
    problems = _check_metadata(item)
    if not isinstance(item.get("stem"), str) or not item["stem"].strip():
        problems.append(("stem", "Thiếu nội dung câu hỏi."))
    return problems + get_item_type(item_type).validate_definition(item.get("options"), item.get("key"))


def _check_metadata(item: dict) -> list[tuple[str, str]]:
    problems = []
    for name in ("code", "competence", "level", "source", "enemy_group"):
        value = item.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append((name, "Giá trị phải là chuỗi ký tự khác rỗng hoặc để trống."))
    if not isinstance(item.get("explanation"), str):
        problems.append(("explanation", "Giải thích phải là chuỗi ký tự."))
    audiences = item.get("audiences")
    if not isinstance(audiences, list) or not all(isinstance(a, str) and a.strip() for a in audiences):
        problems.append(("audiences", "Đối tượng phải là danh sách mã."))
    return problems


def require_exportable(items: list[dict]) -> None:
    """Refuse to write a file that would not read back.

    :raise ValueError: naming the first unsound item by its code (or its position).
    """
    for number, item in enumerate(items, start=1):
        problems = check_item(item) if isinstance(item, dict) else [(None, "không phải một câu hỏi.")]
        if problems:
            name = item.get("code") if isinstance(item, dict) else None
            label = f"«{name}»" if name else f"thứ {number}"
            raise ValueError(f"Không xuất được câu hỏi {label}: {problems[0][1]}")


# -- Moodle's answer weights ("fractions", in percent) to SatHach keys: GIFT and Moodle XML share them.

WEIGHT_TOLERANCE = 1.0  # Moodle writes thirds as 33.33333; the weights of a key must add up to 100 within this


def single_key_from_weights(weights: list[float], names: list[str], problems: list) -> int | None:
    """The one answer at 100 %; every other answer at 0 % or below (SatHach grades all or nothing)."""
    correct = [i for i, weight in enumerate(weights) if abs(weight - 100) < 0.01]
    for i, weight in enumerate(weights):
        if weight > 0 and i not in correct:
            problems.append(("key", f"{names[i]} được {weight:g}% số điểm: SatHach chấm cả câu đúng hoặc sai, "
                                    "nên câu một lựa chọn chỉ có một đáp án 100%, các phương án khác 0% hoặc âm."))
            return None
    if not correct:
        problems.append(("key", "Không có đáp án đúng (phương án có trọng số 100%, trong GIFT bắt đầu bằng «=»)."))
        return None
    if len(correct) > 1:
        problems.append(("key", "Câu một lựa chọn có nhiều hơn một đáp án đúng."))
        return None
    return correct[0]


def multiple_key_from_weights(weights: list[float], problems: list) -> list[int] | None:
    """The answers with a positive weight; at least two, adding up to 100 %."""
    correct = [i for i, weight in enumerate(weights) if weight > 0]
    if len(correct) < 2:
        problems.append(("key", "Câu nhiều lựa chọn cần ít nhất 2 đáp án đúng (trọng số dương)."))
        return None
    total = sum(weights[i] for i in correct)
    if abs(total - 100) > WEIGHT_TOLERANCE:
        problems.append(("key", f"Tổng trọng số các đáp án đúng là {total:g}%, phải là 100% "
                                "(SatHach chấm cả câu đúng hoặc sai)."))
        return None
    return correct
