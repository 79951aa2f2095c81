"""Moodle XML question format.

Reading (parsed only with defusedxml: a DTD, an entity declaration or an external reference
makes the whole file one error):

- ``multichoice`` with ``<single>true</single>`` becomes single_choice: the answer worth 100 %
  is the key, the others must be worth 0 % or less. ``<single>false</single>`` becomes
  multiple_response: the answers with a positive fraction are the key (at least two, adding
  up to 100 % within 1 %). SatHach grades a question right or wrong as a whole, so partial
  credit that does not fit these rules is an error, never a guess.
- ``truefalse`` becomes true_false; ``ordering`` (the qtype_ordering plugin) becomes ordering,
  its answers sorted by their fraction, which that plugin uses as the correct position.
- ``category`` entries are ignored; every other type is reported as skipped.
- Question text and answers in ``html`` format (Moodle's default) become plain text, one line
  per paragraph or ``<br>``; ``moodle_auto_format`` keeps its line breaks; ``plain_text`` and
  ``markdown`` are kept as written. General feedback becomes the explanation.
- code: ``<idnumber>`` when it is filled, else ``<name>``, else none.
- Metadata rides in ``<tags>``, one tag each: ``competence:AT.3``, ``level:co_ban``,
  ``audience:cong_chuc`` (one tag per audience), ``source:…``, ``enemy_group:…`` (items testing the
  same fact, never drawn into one form). Other tags are ignored.

Writing uses ``plain_text`` for every text, which Moodle shows as written (line breaks and
all), so an export reads back unchanged. An item without a code gets an empty ``<name>``.
Moodle cuts tags at 50 characters, so a long ``source:`` tag is complete only for SatHach.
"""

import xml.etree.ElementTree as ET

import defusedxml
import defusedxml.ElementTree

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

SUPPORTED_TYPES = {"multichoice", "truefalse", "ordering"}

_TAG_FIELDS = {"competence": "competence", "level": "level", "source": "source", "enemy_group": "enemy_group"}
_AUDIENCE_TAG = "audience"

_INVALID = "Tệp XML không hợp lệ hoặc không an toàn: "


def parse(data: bytes) -> ParseResult:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return file_error(_INVALID + "tệp phải dùng mã UTF-8.")
    try:
        # Parsing the decoded text makes UTF-8 win over any encoding the XML declaration names.
        root = defusedxml.ElementTree.fromstring(text, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        return file_error(_INVALID + "tệp khai báo DTD hoặc thực thể (ENTITY), không được phép.")
    except ET.ParseError as error:
        line, column = error.position
        return file_error(_INVALID + f"lỗi cú pháp XML ở dòng {line}, cột {column + 1}.")
    if root.tag != "quiz":
        return file_error(_INVALID + "phần tử gốc phải là <quiz> của Moodle XML.")

    result = ParseResult()
    number = 0
    for question in root.findall("question"):
        if question.get("type") == "category":
            continue
        number += 1
        if number > MAX_QUESTIONS:
            return too_many_questions()
        _read_question(result, number, question)
    return result


def _read_question(result: ParseResult, number: int, question: ET.Element) -> None:
    name = optional_text(question.findtext("name/text") or "")
    location = f"câu hỏi {number} ({name})" if name else f"câu hỏi {number}"
    qtype = question.get("type") or ""
    if qtype not in SUPPORTED_TYPES:
        result.skip(location, qtype or "không rõ")
        return

    problems: list[tuple[str, str]] = []
    answers = [_answer(element, problems) for element in question.findall("answer")]
    if qtype == "truefalse":
        item_type, options, key = "true_false", [], _true_false_key(answers, problems)
    elif qtype == "ordering":
        item_type, options, key = "ordering", _ordering_options(answers), None
    elif _is_single(question):
        item_type, options, key = "single_choice", _texts(answers), _single_key(answers, problems)
    else:
        item_type, options, key = "multiple_response", _texts(answers), _multiple_key(answers, problems)

    metadata = _metadata(question, problems)
    code = optional_text(question.findtext("idnumber") or "") or name
    stem = _rich_text(question.find("questiontext"), default_format="html")
    explanation = _rich_text(question.find("generalfeedback"))
    item = make_item(item_type, stem, options, key, code=code, explanation=explanation, **metadata)
    result.add_item(location, item, problems)


def _answer(element: ET.Element, problems: list) -> tuple[str, float | None]:
    """(text, fraction in percent) of an <answer>; fraction is None if it is not a number."""
    text = _rich_text(element)
    raw = element.get("fraction", "0")
    try:
        return text, float(raw)
    except ValueError:
        problems.append(("key", f"Trọng số «{raw}» của phương án «{text}» không phải là số."))
        return text, None


def _texts(answers: list) -> list[str]:
    return [text for text, _ in answers]


def _is_single(question: ET.Element) -> bool:
    return (question.findtext("single") or "true").strip().lower() in ("true", "1")


def _single_key(answers: list, problems: list) -> int | None:
    if not answers or any(fraction is None for _, fraction in answers):
        return None
    return single_key_from_weights([f for _, f in answers], [f"Phương án «{t}»" for t, _ in answers], problems)


def _multiple_key(answers: list, problems: list) -> list[int] | None:
    if not answers or any(fraction is None for _, fraction in answers):
        return None
    return multiple_key_from_weights([f for _, f in answers], problems)


def _true_false_key(answers: list, problems: list) -> bool | None:
    correct = [text.lower() for text, fraction in answers if fraction is not None and fraction >= 100]
    if len(correct) != 1 or correct[0] not in ("true", "false"):
        problems.append(("key", "Câu Đúng/Sai cần đúng một đáp án «true» hoặc «false» có trọng số 100%."))
        return None
    return correct[0] == "true"


def _ordering_options(answers: list) -> list[str]:
    # qtype_ordering stores each answer's correct position (1, 2, 3…) as its fraction;
    # sorted() is stable, so equal or missing positions keep the order of the file.
    positioned = [(fraction if fraction is not None else 0.0, text) for text, fraction in answers]
    return [text for _, text in sorted(positioned, key=lambda pair: pair[0])]


def _metadata(question: ET.Element, problems: list) -> dict:
    metadata = {"competence": None, "level": None, "audiences": [], "source": None, "enemy_group": None}
    for raw in question.findall("tags/tag/text"):
        prefix, _, value = (raw.text or "").partition(":")
        prefix, value = prefix.strip().lower(), optional_text(value)
        if prefix == _AUDIENCE_TAG and value:
            metadata["audiences"].append(value)
        elif prefix in _TAG_FIELDS and value:
            field = _TAG_FIELDS[prefix]
            if metadata[field] is not None:
                problems.append((field, f"Có nhiều hơn một thẻ «{prefix}:»."))
            metadata[field] = value
    return metadata


def _rich_text(element: ET.Element | None, default_format: str = "moodle_auto_format") -> str:
    if element is None:
        return ""
    text = element.findtext("text") or ""
    text_format = element.get("format", default_format)
    if text_format == "html":
        return html_to_text(text)
    if text_format == "moodle_auto_format":
        return html_to_text(text, keep_newlines=True)
    return clean_text(text)


# Writing


def serialize(items: list[dict]) -> bytes:
    quiz = ET.Element("quiz")
    quiz.append(ET.Comment(" Ngân hàng câu hỏi SatHach "))
    for item in items:
        quiz.append(_question_element(item))
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"


def _question_element(item: dict) -> ET.Element:
    qtype = {"true_false": "truefalse", "ordering": "ordering"}.get(item["type"], "multichoice")
    question = ET.Element("question", type=qtype)
    _text_element(question, "name", item["code"] or "", with_format=False)
    _text_element(question, "questiontext", item["stem"])
    _text_element(question, "generalfeedback", item["explanation"])
    ET.SubElement(question, "defaultgrade").text = "1"
    ET.SubElement(question, "penalty").text = "0"
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "idnumber").text = item["code"] or ""
    if item["type"] in ("single_choice", "multiple_response"):
        ET.SubElement(question, "single").text = "true" if item["type"] == "single_choice" else "false"
        ET.SubElement(question, "shuffleanswers").text = "true"
        ET.SubElement(question, "answernumbering").text = "abc"
    elif item["type"] == "ordering":
        for tag, value in (
            ("layouttype", "VERTICAL"),
            ("selecttype", "ALL"),
            ("selectcount", "0"),
            ("gradingtype", "ALL_OR_NOTHING"),
            ("showgrading", "SHOW"),
            ("numberingstyle", "none"),
        ):
            ET.SubElement(question, tag).text = value
    for text, fraction in _answers(item):
        answer = _text_element(question, "answer", text)
        answer.set("fraction", fraction)
        _text_element(answer, "feedback", "")
    _tags_element(question, item)
    return question


def _answers(item: dict) -> list[tuple[str, str]]:
    """(text, fraction) pairs as Moodle expects them for the item's type."""
    if item["type"] == "true_false":
        return [("true", "100" if item["key"] else "0"), ("false", "0" if item["key"] else "100")]
    if item["type"] == "ordering":
        return [(text, str(position)) for position, text in enumerate(item["options"], start=1)]
    if item["type"] == "single_choice":
        return [(text, "100" if i == item["key"] else "0") for i, text in enumerate(item["options"])]
    share = f"{100 / len(item['key']):.5f}".rstrip("0").rstrip(".")
    return [(text, share if i in item["key"] else "-100") for i, text in enumerate(item["options"])]


def _tags_element(question: ET.Element, item: dict) -> None:
    values = [("competence", item["competence"]), ("level", item["level"])]
    values += [(_AUDIENCE_TAG, audience) for audience in item["audiences"]]
    values += [("source", item["source"]), ("enemy_group", item.get("enemy_group"))]
    values = [(prefix, value) for prefix, value in values if value]
    if not values:
        return
    tags = ET.SubElement(question, "tags")
    for prefix, value in values:
        ET.SubElement(ET.SubElement(tags, "tag"), "text").text = f"{prefix}:{value}"


def _text_element(parent: ET.Element, tag: str, text: str, with_format: bool = True) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if with_format:
        element.set("format", "plain_text")
    ET.SubElement(element, "text").text = text
    return element
