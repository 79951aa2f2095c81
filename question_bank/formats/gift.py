"""GIFT, Moodle's plain-text question format.

Reading follows Moodle's own importer (question/format/gift):

- Questions are separated by blank lines; lines starting with ``//`` are comments.
- ``::title::`` names the question: SatHach reads it as the item's code.
- The answers are between the first ``{`` and the next ``}``. Text after the closing brace
  makes a "missing word" question: the block is replaced by ``_____`` in the stem.
- Escapes: ``\\~ \\= \\# \\{ \\} \\:`` for the control characters, ``\\\\`` for a backslash,
  ``\\n`` for a line break. A line break in the file is kept as a line break.
- ``[html]``, ``[moodle]``, ``[plain]``, ``[markdown]`` may start a text; ``[html]`` text is
  turned into plain text, the others are kept as written.
- ``$CATEGORY:`` blocks are ignored. Per-answer feedback (``#…``) is dropped; general
  feedback (``####…``) becomes the explanation.

Mapping to SatHach types:

- ``{=a ~b ~c}``: single_choice. As in Moodle, a block containing ``=`` is single-answer;
  exactly one answer must be worth 100 % and the others 0 % or less. Partial credit has no
  meaning when a question is right or wrong as a whole, so it is an error.
- ``{~%50%a ~%50%b ~%-100%c}`` (no ``=``): multiple_response. The answers with a positive
  weight are the key; there must be at least two and their weights must add up to 100 %
  (within 1 %, so 33/33/33 is accepted).
- ``{T}``, ``{TRUE}``, ``{F}``, ``{FALSE}``: true_false.
- Anything else is reported as skipped: essay ``{}``, numerical ``{#…}``, matching
  ``{=a -> b}``, short answer ``{=a =b}``, description (no braces) and text with more than
  one answer block (cloze style).

SatHach additions, which Moodle reads as plain comments:

- Metadata: a comment line in the same block, before the question::

      // sathach: {"competence": "AT.3", "level": "co_ban", "audiences": ["cong_chuc"], "source": null}

  with ``"enemy_group": "…"`` added when the item has one (items testing the same fact, never in one form).

  It is written only when the item has metadata; keys left out mean "none".
- Ordering: GIFT has no ordering type. An ordering item is exported as a block of comment
  lines only, the last of them holding the whole item::

      // sathach: {"type": "ordering", "code": "ND-007", "stem": "…", "options": ["…", "…"], …}

  with the options in the correct order. Moodle skips such a block; SatHach reads it back,
  so a GIFT export re-imports to the same bank.
"""

import io
import json
import re

from .interchange import (
    MAX_QUESTIONS,
    ParseResult,
    file_error,
    make_item,
    multiple_key_from_weights,
    single_key_from_weights,
    too_many_questions,
)
from .text import clean_text, html_to_text, optional_text

# While the structure of a question is parsed, each escaped control character stands as a
# private-use character, so it cannot be mistaken for syntax; it is put back in the text.
_ESCAPABLE = "\\:#={}~"
_PLACEHOLDERS = {char: chr(0xE000 + i) for i, char in enumerate(_ESCAPABLE)}
_RESTORE = str.maketrans({placeholder: char for char, placeholder in _PLACEHOLDERS.items()})
_ESCAPE = re.compile(r"\\([\\:#={}~n])")

_FORMAT_MARKER = re.compile(r"\s*\[(html|moodle|plain|markdown)\]")
_WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d*)?)%")
_SATHACH_COMMENT = re.compile(r"//\s*sathach:(.*)$")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}

_HEADER = "// Ngân hàng câu hỏi SatHach, định dạng GIFT (Moodle)."
_ORDERING_NOTE = "// Câu hỏi sắp xếp: GIFT không có loại này nên SatHach ghi cả câu hỏi vào dòng dưới đây."


def parse(data: bytes) -> ParseResult:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return file_error("Tệp GIFT không đọc được: tệp phải dùng mã UTF-8.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    result = ParseResult()
    for count, (first_line, lines) in enumerate(_blocks(text), start=1):
        if count > MAX_QUESTIONS:
            return too_many_questions()
        if len(lines) > MAX_LINES_PER_QUESTION:
            result.error(f"dòng {first_line}", None, f"Câu hỏi dài hơn {MAX_LINES_PER_QUESTION} dòng.")
            continue
        _read_block(result, lines)
    return result


# A question longer than this is not a question; its further lines are not kept.
MAX_LINES_PER_QUESTION = 200


def _blocks(text: str):
    """(number of the first line, [(number, line), …]) for each run of non-blank lines that holds a question
    or a «// sathach:» line. Lines are read one at a time and plain comments are dropped as they are read, so
    memory follows the questions, not the file; a block stops keeping lines beyond MAX_LINES_PER_QUESTION."""
    block: list[tuple[int, str]] = []
    start = 0
    # A StringIO with newline="\n" splits on "\n" only, as Moodle does (not on other line separators).
    for number, line in enumerate(io.StringIO(text, newline="\n"), start=1):
        line = line.strip()
        if not line:
            if start:
                yield start, block
            block, start = [], 0
            continue
        start = start or number
        keep = not line.startswith("//") or ("sathach" in line and _SATHACH_COMMENT.match(line))
        if keep and len(block) <= MAX_LINES_PER_QUESTION:
            block.append((number, line))
    if start:
        yield start, block


def _read_block(result: ParseResult, lines: list[tuple[int, str]]) -> None:
    text_lines, sathach_lines = [], []
    question_line = None
    for number, line in lines:
        if line.startswith("//"):
            sathach_lines.append((number, _SATHACH_COMMENT.match(line).group(1)))
        else:
            question_line = question_line or number
            text_lines.append(line)
    text = "\n".join(text_lines).strip()
    if text.startswith("$CATEGORY:"):
        return
    if len(sathach_lines) > 1:
        result.error(f"dòng {sathach_lines[1][0]}", None, "Mỗi câu hỏi chỉ có một dòng «// sathach:».")
        return
    data, problems = _load_json(sathach_lines[0][1]) if sathach_lines else ({}, [])
    if not text:
        if sathach_lines:
            _read_ordering(result, sathach_lines[0][0], data, problems)
        return
    metadata = _metadata(data, problems)
    _read_question(result, question_line, text, metadata, problems)


def _read_question(result, line_number, text, metadata, problems) -> None:
    text = _protect(text)
    code = None
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            result.error(f"dòng {line_number}", "code", "Thiếu dấu «::» đóng tên câu hỏi.")
            return
        code = optional_text(_restore(text[2:end]))
        text = text[end + 2 :].strip()
    location = f"dòng {line_number} ({code})" if code else f"dòng {line_number}"

    start = text.find("{")
    if start < 0:
        result.skip(location, "description")
        return
    end = text.find("}", start)
    if end < 0:
        result.error(location, "options", "Thiếu dấu «}» đóng phần đáp án.")
        return
    if "{" in text[end + 1 :]:
        result.skip(location, "multianswer")
        return
    if end == len(text) - 1:
        stem = text[:start]
    else:
        stem = text[:start] + "_____" + text[end + 1 :]

    answers = text[start + 1 : end]
    explanation = ""
    feedback_at = answers.rfind("####")
    if feedback_at >= 0:
        explanation = _formatted_text(answers[feedback_at + 4 :])
        answers = answers[:feedback_at]
    answers = answers.strip()

    qtype = _moodle_type(answers)
    if qtype == "truefalse":
        item_type, options, key = "true_false", [], _TRUE_FALSE[answers.split("#", 1)[0].strip().upper()]
    elif qtype == "multichoice":
        item_type, options, key = _read_choices(answers, problems)
    else:
        result.skip(location, qtype)
        return
    item = make_item(
        item_type, _formatted_text(stem), options, key, code=code, explanation=explanation, **metadata
    )
    result.add_item(location, item, problems)


def _moodle_type(answers: str) -> str:
    """The Moodle question type of an answer block, decided in the order Moodle does."""
    if not answers:
        return "essay"
    if answers.startswith("#"):
        return "numerical"
    if "~" in answers:
        return "multichoice"
    if "=" in answers and "->" in answers:
        return "match"
    if answers.split("#", 1)[0].strip().upper() in _TRUE_FALSE:
        return "truefalse"
    return "shortanswer"


def _read_choices(answers: str, problems: list) -> tuple[str, list[str], object]:
    head, *parts = re.split(r"(?=[~=])", answers)
    if head.strip():
        problems.append(("options", "Mỗi phương án phải bắt đầu bằng «=» (đúng) hoặc «~» (sai)."))
    options, weights = [], []
    for part in parts:
        marker, body = part[0], part[1:]
        weight = 100.0 if marker == "=" else 0.0
        match = _WEIGHT.match(body)
        if match:
            weight, body = float(match.group(1)), body[match.end() :]
        options.append(_formatted_text(body.split("#", 1)[0]))
        weights.append(weight)
    if any(part.startswith("=") for part in parts):
        names = [f"Phương án thứ {i + 1}" for i in range(len(options))]
        return "single_choice", options, single_key_from_weights(weights, names, problems)
    return "multiple_response", options, multiple_key_from_weights(weights, problems)


def _read_ordering(result: ParseResult, line_number: int, data: dict, problems: list) -> None:
    """A comment-only block: an ordering item written by SatHach, or a stray sathach line."""
    location = f"dòng {line_number}"
    if data.get("type") != "ordering":
        for name, message in problems or [(None, "Dòng «// sathach:» không đi kèm câu hỏi nào.")]:
            result.error(location, name, message)
        return
    metadata = _metadata(data, problems)
    code = _json_text(data, "code", problems)
    if code:
        location = f"dòng {line_number} ({code})"
    options = data.get("options")
    if not isinstance(options, list) or not all(isinstance(option, str) for option in options):
        problems.append(("options", "«options» trong dòng sathach phải là danh sách chuỗi ký tự."))
        options = []
    item = make_item(
        "ordering",
        _json_text(data, "stem", problems) or "",
        [clean_text(option) for option in options],
        None,
        code=code,
        explanation=_json_text(data, "explanation", problems) or "",
        **metadata,
    )
    result.add_item(location, item, problems)


def _metadata(data: dict, problems: list) -> dict:
    """competence, level, audiences, source and enemy group from a sathach comment."""
    audiences = data.get("audiences") or []
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        problems.append(("audiences", "«audiences» trong dòng sathach phải là danh sách mã."))
        audiences = []
    return {
        "competence": _json_text(data, "competence", problems),
        "level": _json_text(data, "level", problems),
        "audiences": [clean_text(audience) for audience in audiences],
        "source": _json_text(data, "source", problems),
        "enemy_group": _json_text(data, "enemy_group", problems),
    }


def _load_json(raw_json: str) -> tuple[dict, list]:
    try:
        data = json.loads(raw_json)
    except ValueError:
        return {}, [(None, "Dòng «// sathach:» không phải JSON hợp lệ.")]
    if not isinstance(data, dict):
        return {}, [(None, "Dòng «// sathach:» phải chứa một đối tượng JSON {…}.")]
    return data, []


def _json_text(data: dict, name: str, problems: list) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append((name, f"«{name}» trong dòng sathach phải là chuỗi ký tự."))
        return None
    return optional_text(value)


def _protect(text: str) -> str:
    def replace(match):
        char = match.group(1)
        return "\n" if char == "n" else _PLACEHOLDERS[char]

    return _ESCAPE.sub(replace, text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _formatted_text(raw: str) -> str:
    """Text of a question, answer or feedback: format marker read, escapes put back."""
    match = _FORMAT_MARKER.match(raw)
    text_format = match.group(1) if match else "moodle"
    text = _restore(raw[match.end() :] if match else raw)
    if text_format == "html":
        return html_to_text(text)
    return clean_text(text)


# Writing


def serialize(items: list[dict]) -> bytes:
    blocks = [_HEADER]
    for item in items:
        if item["type"] == "ordering":
            blocks.append(_ordering_block(item))
        else:
            blocks.append(_question_block(item))
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def _question_block(item: dict) -> str:
    lines = []
    metadata = _item_metadata(item)
    if any(metadata.values()):
        lines.append("// sathach: " + json.dumps(metadata, ensure_ascii=False))
    title = f"::{_escape(item['code'])}::" if item["code"] else ""
    lines.append(f"{title}{_escape_text(item['stem'])} {{")
    lines += _answer_lines(item)
    if item["explanation"]:
        lines.append("####" + _escape_text(item["explanation"]))
    lines.append("}")
    return "\n".join(lines)


def _answer_lines(item: dict) -> list[str]:
    options = [_escape_text(option) for option in item["options"]]
    if item["type"] == "true_false":
        return ["TRUE" if item["key"] else "FALSE"]
    if item["type"] == "single_choice":
        return [("=" if i == item["key"] else "~") + text for i, text in enumerate(options)]
    weight = _percent(100 / len(item["key"]))
    return [(f"~%{weight}%" if i in item["key"] else "~%-100%") + text for i, text in enumerate(options)]


def _ordering_block(item: dict) -> str:
    data = {
        "type": "ordering",
        "code": item["code"],
        "stem": item["stem"],
        "options": item["options"],
        "explanation": item["explanation"],
        **_item_metadata(item),
    }
    return _ORDERING_NOTE + "\n// sathach: " + json.dumps(data, ensure_ascii=False)


def _item_metadata(item: dict) -> dict:
    """The metadata a sathach comment carries; an enemy group only when the item has one."""
    metadata = {name: item[name] for name in ("competence", "level", "audiences", "source")}
    if item.get("enemy_group"):
        metadata["enemy_group"] = item["enemy_group"]
    return metadata


def _percent(value: float) -> str:
    """A weight as Moodle writes it: 50, 33.33333."""
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _escape(text: str) -> str:
    for char in _ESCAPABLE:
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _escape_text(text: str) -> str:
    """Escaped text that cannot be misread at the start of a question or an answer.

    A leading "[" would look like a format marker, "%" like a weight, "//" like a comment and
    "$" like a category; an explicit [moodle] marker (Moodle's default format) protects them.
    """
    escaped = _escape(text)
    if text[:1] in ("[", "%", "/", "$"):
        return "[moodle]" + escaped
    return escaped
