"""GIFT: Moodle's own fixtures, and the SatHach additions (metadata, ordering)."""

import pytest

from question_bank.formats import check_item, parse
from tests.fixtures import MOODLE_GIFT


def moodle_fixture(name):
    """A file of Moodle's GIFT test data (tests/fixtures/moodle-gift), parsed."""
    return parse("gift", (MOODLE_GIFT / name).read_bytes())


@pytest.fixture(scope="module", params=["examples.txt", "questions.gift.txt"])
def fixture_result(request):
    return moodle_fixture(request.param)


@pytest.fixture(scope="module")
def examples():
    return moodle_fixture("examples.txt")


@pytest.fixture(scope="module")
def questions():
    return moodle_fixture("questions.gift.txt")


def at_line(result, line):
    """The entry or the issues reported for the question starting on that line."""
    location = f"dòng {line}"
    entries = [e.item for e in result.entries if e.location.split(" (")[0] == location]
    issues = [i for i in result.issues if i.location.split(" (")[0] == location]
    return (entries[0] if entries else None), issues


def gift(text):
    return parse("gift", text.encode("utf-8"))


def test_fixtures_give_only_consistent_entries(fixture_result):
    assert fixture_result.entries
    for entry in fixture_result.entries:
        assert entry.item["stem"]
        assert check_item(entry.item) == []
    for issue in fixture_result.issues:
        assert issue.kind in ("error", "skipped")
        assert issue.message


def test_examples_single_choice(examples):
    item, _ = at_line(examples, 8)
    assert item["stem"] == "Who's buried in Grant's tomb?"
    assert item["options"] == ["Grant", "Jefferson", "no one"]
    assert (item["type"], item["key"], item["code"]) == ("single_choice", 2, None)


def test_examples_missing_word_question_gets_a_blank(examples):
    item, _ = at_line(examples, 29)
    assert (
        item["stem"]
        == "The American holiday of Thanksgiving is celebrated on the _____ Thursday of November."
    )
    assert item["options"] == ["second", "third", "fourth"]
    assert item["key"] == 2


def test_examples_titled_question(examples):
    item, _ = at_line(examples, 184)
    assert item["code"] == "Grant's Tomb"
    assert item["stem"] == "Grant is _____ in Grant's tomb."
    assert (item["options"], item["key"]) == (["buried", "entombed", "living"], 1)


def test_examples_true_false(examples):
    assert at_line(examples, 49)[0]["key"] is False
    item, _ = at_line(examples, 51)
    assert (item["type"], item["stem"], item["options"], item["key"]) == (
        "true_false",
        "The sun rises in the east.",
        [],
        True,
    )


def test_examples_multiple_response(examples):
    item, _ = at_line(examples, 130)
    assert item["type"] == "multiple_response"
    assert item["options"] == ["No one", "Grant", "Grant's wife", "Grant's father"]
    assert item["key"] == [1, 2]


def test_examples_escaped_control_characters(examples):
    item, _ = at_line(examples, 143)
    assert item["options"] == ["= 2 + 2", "= 2 + 3", "= 2 + 4"] and item["key"] == 1
    item, _ = at_line(examples, 148)
    assert item["code"] == "GIFT Control Characters"
    assert item["options"] == ["~", "=", "#", "{", "}", "\\"]
    assert item["key"] == 5


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (14, "trả lời ngắn"),  # {=no one =nobody}
        (16, "trả lời bằng số"),  # {#1822:1}
        (55, "ghép đôi"),  # =subquestion1 -> subanswer1
        (90, "trả lời ngắn"),  # ::Kanji Origins:: {=China}
        (202, "trả lời bằng số"),
    ],
)
def test_examples_unsupported_types_are_skipped_with_a_reason(examples, line, reason):
    item, issues = at_line(examples, line)
    assert item is None
    [issue] = issues
    assert issue.kind == "skipped" and issue.field == "type"
    assert reason in issue.message


def test_examples_partial_credit_is_an_error(examples):
    # Difficult question.{~wrong answer ~%50%half credit answer =full credit answer}
    item, [issue] = at_line(examples, 115)
    assert item is None
    assert (issue.kind, issue.field) == ("error", "key")
    assert "50%" in issue.message


def test_questions_fixture(questions):
    item, _ = at_line(questions, 14)
    assert item["code"] == "Q2"
    assert item["stem"] == "What's between orange and green in the spectrum?"
    assert (item["options"], item["key"]) == (["yellow", "red", "blue"], 0)

    item, _ = at_line(questions, 22)
    assert (item["code"], item["type"]) == ("colours", "multiple_response")
    assert item["options"] == ["yellow", "red", "off-beige", "blue"]
    assert item["key"] == [0, 2]

    item, _ = at_line(questions, 41)
    assert (item["code"], item["type"], item["key"]) == ("Q1", "true_false", False)
    assert item["stem"].startswith("42 is the Absolute Answer to everything.")
    assert item["explanation"] == "This is, of course, a Hitchiker's Guide to the Galaxy reference."


@pytest.mark.parametrize(
    ("line", "reason"),
    [(2, "tự luận"), (5, "ghép đôi"), (31, "trả lời bằng số"), (34, "trả lời ngắn")],
)
def test_questions_unsupported_types_are_skipped(questions, line, reason):
    item, [issue] = at_line(questions, line)
    assert item is None
    assert issue.kind == "skipped" and reason in issue.message


def test_questions_repeated_title_is_an_error(questions):
    assert at_line(questions, 46)[0]["code"] == "2-08 TSL"
    item, [issue] = at_line(questions, 49)
    assert item is None and issue.field == "code" and "2-08 TSL" in issue.message


def test_category_comments_and_format_markers():
    result = gift(
        "$CATEGORY: $course$/An toàn thông tin\n\n"
        "// một chú thích\n"
        "::AT-1::[html]<p>Chọn phương án <b>đúng</b> &amp; đủ</p>{\n"
        "=[html]<i>Mật khẩu</i> mạnh#Đúng\n"
        "~[plain]Mật khẩu ngắn\n"
        "####[html]<p>Giải thích</p><p>dòng hai</p>\n"
        "}\n"
    )
    assert result.issues == []
    [entry] = result.entries
    assert entry.location == "dòng 4 (AT-1)"
    assert entry.item["stem"] == "Chọn phương án đúng & đủ"
    assert entry.item["options"] == ["Mật khẩu mạnh", "Mật khẩu ngắn"]
    assert entry.item["explanation"] == "Giải thích\ndòng hai"


def test_metadata_comment():
    result = gift(
        '// sathach: {"competence": "AT.3", "level": "co_ban", "audiences": ["cong_chuc"], "source": null}\n'
        "::AT-2::Dữ liệu sức khỏe là dữ liệu cá nhân nhạy cảm.{T}\n"
    )
    [entry] = result.entries
    assert entry.item["competence"] == "AT.3"
    assert (entry.item["level"], entry.item["audiences"], entry.item["source"]) == (
        "co_ban",
        ["cong_chuc"],
        None,
    )


def test_broken_metadata_comment_is_an_error_and_the_next_question_still_parses():
    result = gift("// sathach: {không phải json}\nCâu một?{T}\n\nCâu hai?{F}\n")
    assert [e.item["stem"] for e in result.entries] == ["Câu hai?"]
    [issue] = result.issues
    assert issue.kind == "error" and "JSON" in issue.message


def test_ordering_comment_block():
    result = gift(
        "// sathach: "
        '{"type": "ordering", "code": "ND-1", "stem": "Sắp xếp", "options": ["Một", "Hai", "Ba"]}\n'
    )
    [entry] = result.entries
    assert entry.item["type"] == "ordering"
    assert (entry.item["options"], entry.item["key"], entry.item["audiences"]) == (
        ["Một", "Hai", "Ba"],
        None,
        [],
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Câu hỏi?{~a ~b}", "key"),  # nothing is correct
        ("Câu hỏi?{=a =b ~c}", "key"),  # two answers at 100 % in a single-answer question
        ("Câu hỏi?{~%100%a ~b ~c}", "key"),  # multiple response with one correct answer
        ("Câu hỏi?{~%50%a ~%20%b ~c}", "key"),  # weights that do not add up to 100 %
        ("{=a ~b}", "stem"),
        ("Câu hỏi?{=a ~}", "options"),
        ("Câu hỏi?{=a ~b", "options"),  # no closing brace
        ('// sathach: {"type": "ordering", "stem": "Sắp xếp", "options": ["Một"]}', "options"),
    ],
)
def test_broken_questions_are_errors_naming_the_field(text, field):
    result = gift(text + "\n\nCâu hỏi tốt?{=đúng ~sai}\n")
    assert [e.item["stem"] for e in result.entries] == ["Câu hỏi tốt?"]
    assert result.issues and all(issue.kind == "error" for issue in result.issues)
    assert field in {issue.field for issue in result.issues}


def test_text_after_a_second_answer_block_is_skipped_as_cloze():
    [issue] = gift("Thủ đô {=Hà Nội ~Huế} là thành phố {=lớn ~nhỏ}.\n").issues
    assert issue.kind == "skipped" and "cloze" in issue.message


def test_bom_and_windows_line_breaks():
    result = parse("gift", "\ufeff::A::Câu?{\r\n=đúng\r\n~sai\r\n}\r\n".encode())
    [entry] = result.entries
    assert (entry.item["code"], entry.item["options"]) == ("A", ["đúng", "sai"])


def _peak_megabytes(parse, data):
    import tracemalloc

    tracemalloc.start()
    try:
        result = parse(data)
        return result, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("flood", ["{T}\n\n", "x{\n\n", "//\n", "// sathach: {}\n", "a\n"])
def test_a_flood_of_tiny_questions_or_lines_is_read_in_bounded_memory(flood):
    """A 4 MB file of tiny questions once held every question at once (hundreds of MB, minutes)."""
    data = (flood * (4_000_000 // len(flood))).encode()
    result, peak = _peak_megabytes(lambda d: parse("gift", d), data)
    assert peak < 40, f"{peak:.0f} MB for a {len(data) / 1e6:.0f} MB file"
    assert not result.entries
    messages = [issue.message for issue in result.issues]
    assert len(messages) <= 1


def test_more_questions_than_the_limit_is_one_file_error():
    from question_bank.formats.interchange import MAX_QUESTIONS

    result = parse("gift", ("::Q::Câu hỏi? {T}\n\n" * (MAX_QUESTIONS + 1)).encode())
    assert [(i.location, i.kind) for i in result.issues] == [("tệp", "error")] and not result.entries
    assert "5000" in result.issues[0].message
