"""Moodle XML: a hand-written export, and files that must be refused whole."""

import pytest

from question_bank.formats import parse

MOODLE_FILE = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$course$/top/An toàn thông tin</text></category>
  </question>

  <question type="multichoice">
    <name><text>Mật khẩu mạnh</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Mật khẩu nào <strong>an toàn nhất</strong>?</p>
<p>Chọn&nbsp;một &amp; chỉ một.</p>]]></text>
    </questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>Cụm mật khẩu dài khó dò.</p>]]></text></generalfeedback>
    <idnumber>AT-001</idnumber>
    <single>true</single>
    <answer fraction="0" format="html"><text><![CDATA[<p>123456</p>]]></text></answer>
    <answer fraction="100" format="html">
      <text><![CDATA[<p>Tram-mua-song-nuoc-chieu-tim-19</p>]]></text>
      <feedback format="html"><text>Đúng</text></feedback>
    </answer>
    <answer fraction="-33.33333" format="html"><text>Ngày sinh</text></answer>
    <tags>
      <tag><text>competence:AT.1</text></tag>
      <tag><text>level:co_ban</text></tag>
      <tag><text>audience:cong_chuc</text></tag>
      <tag><text>audience:lanh_dao</text></tag>
      <tag><text>source:Nghị định 13/2023/NĐ-CP, Điều 2</text></tag>
      <tag><text>chủ đề tự do</text></tag>
    </tags>
  </question>

  <question type="multichoice">
    <name><text>AT-002</text></name>
    <questiontext format="moodle_auto_format"><text>Chọn các biện pháp
bảo vệ tài khoản</text></questiontext>
    <single>false</single>
    <answer fraction="50"><text>Bật xác thực hai yếu tố</text></answer>
    <answer fraction="-100"><text>Gửi mật khẩu qua Zalo</text></answer>
    <answer fraction="50"><text>Khóa màn hình khi rời máy</text></answer>
  </question>

  <question type="truefalse">
    <name><text>Câu đúng sai</text></name>
    <questiontext format="plain_text">
      <text>Mã OTP có thể đọc cho nhân viên ngân hàng qua điện thoại.</text>
    </questiontext>
    <idnumber></idnumber>
    <answer fraction="0" format="moodle_auto_format"><text>true</text></answer>
    <answer fraction="100" format="moodle_auto_format"><text>false</text></answer>
  </question>

  <question type="essay">
    <name><text>Bài luận</text></name>
    <questiontext format="html"><text>Trình bày về chuyển đổi số.</text></questiontext>
  </question>

  <question type="multichoice">
    <name><text>Hỏng</text></name>
    <questiontext format="html"><text>Không có đáp án đúng?</text></questiontext>
    <single>true</single>
    <answer fraction="0"><text>Một</text></answer>
    <answer fraction="0"><text>Hai</text></answer>
  </question>

  <question type="ordering">
    <name><text>ND-007</text></name>
    <questiontext format="html"><text>Sắp xếp các bước ký số</text></questiontext>
    <answer fraction="3.0000000" format="html"><text>Ký số</text></answer>
    <answer fraction="1.0000000" format="html"><text>Mở văn bản</text></answer>
    <answer fraction="2.0000000" format="html"><text>Chọn chứng thư số</text></answer>
  </question>

  <question type="multianswer">
    <name><text>Cloze</text></name>
    <questiontext format="html"><text>Thủ đô là {1:MULTICHOICE:=Hà Nội~Huế}</text></questiontext>
  </question>
</quiz>
"""


@pytest.fixture(scope="module")
def result():
    return parse("moodle_xml", MOODLE_FILE.encode("utf-8"))


def entry_named(result, name):
    [entry] = [e for e in result.entries if e.location.endswith(f"({name})")]
    return entry


def test_supported_questions_are_read(result):
    assert [e.location for e in result.entries] == [
        "câu hỏi 1 (Mật khẩu mạnh)",
        "câu hỏi 2 (AT-002)",
        "câu hỏi 3 (Câu đúng sai)",
        "câu hỏi 6 (ND-007)",
    ]


def test_single_choice_with_html_and_tags(result):
    assert entry_named(result, "Mật khẩu mạnh").item == {
        "code": "AT-001",
        "type": "single_choice",
        "stem": "Mật khẩu nào an toàn nhất?\nChọn một & chỉ một.",
        "options": ["123456", "Tram-mua-song-nuoc-chieu-tim-19", "Ngày sinh"],
        "key": 1,
        "explanation": "Cụm mật khẩu dài khó dò.",
        "competence": "AT.1",
        "level": "co_ban",
        "audiences": ["cong_chuc", "lanh_dao"],
        "source": "Nghị định 13/2023/NĐ-CP, Điều 2",
        "enemy_group": None,
    }


def test_multiple_response_and_name_as_code(result):
    item = entry_named(result, "AT-002").item
    assert item["code"] == "AT-002"  # no <idnumber>: the name is the code
    assert item["type"] == "multiple_response"
    assert item["stem"] == "Chọn các biện pháp\nbảo vệ tài khoản"
    assert item["key"] == [0, 2]


def test_true_false(result):
    item = entry_named(result, "Câu đúng sai").item
    assert (item["type"], item["options"], item["key"]) == ("true_false", [], False)
    assert item["code"] == "Câu đúng sai"


def test_ordering_follows_the_fractions(result):
    item = entry_named(result, "ND-007").item
    assert item["options"] == ["Mở văn bản", "Chọn chứng thư số", "Ký số"]
    assert item["key"] is None


def test_unsupported_and_broken_questions(result):
    issues = {issue.location: issue for issue in result.issues}
    assert set(issues) == {"câu hỏi 4 (Bài luận)", "câu hỏi 5 (Hỏng)", "câu hỏi 7 (Cloze)"}
    essay = issues["câu hỏi 4 (Bài luận)"]
    assert (essay.kind, essay.field) == ("skipped", "type") and "tự luận" in essay.message
    assert "cloze" in issues["câu hỏi 7 (Cloze)"].message
    broken = issues["câu hỏi 5 (Hỏng)"]
    assert (broken.kind, broken.field) == ("error", "key")
    assert "Không có đáp án đúng" in broken.message


def question(body, qtype="multichoice"):
    xml = f'<quiz><question type="{qtype}"><name><text>Q</text></name>{body}</question></quiz>'
    return parse("moodle_xml", xml.encode())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # Partial credit in a single-answer question.
        (
            "<questiontext><text>Hỏi?</text></questiontext><single>true</single>"
            '<answer fraction="100"><text>a</text></answer><answer fraction="50"><text>b</text></answer>',
            "key",
        ),
        # Multiple response with only one correct answer.
        (
            "<questiontext><text>Hỏi?</text></questiontext><single>false</single>"
            '<answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>',
            "key",
        ),
        # Fraction that is not a number.
        (
            "<questiontext><text>Hỏi?</text></questiontext>"
            '<answer fraction="nhiều"><text>a</text></answer><answer fraction="0"><text>b</text></answer>',
            "key",
        ),
        # Empty stem.
        (
            "<questiontext><text><![CDATA[<p> </p>]]></text></questiontext>"
            '<answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>',
            "stem",
        ),
        # Empty answer.
        (
            "<questiontext><text>Hỏi?</text></questiontext>"
            '<answer fraction="100"><text>a</text></answer><answer fraction="0"><text></text></answer>',
            "options",
        ),
    ],
)
def test_broken_questions_name_the_field(body, field):
    result = question(body)
    assert result.entries == []
    assert field in {issue.field for issue in result.issues}
    assert all(issue.kind == "error" for issue in result.issues)


def test_utf8_bom_is_accepted():
    data = "\ufeff" + MOODLE_FILE
    assert len(parse("moodle_xml", data.encode("utf-8")).entries) == 4


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz><question type="truefalse"><name><text>&lol3;</text></name></question></quiz>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><name><text>X</text></name>
<questiontext><text>&secret;</text></questiontext>
<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>
</question></quiz>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_unsafe_xml_is_refused_whole(data):
    result = parse("moodle_xml", data)
    assert result.entries == []
    [issue] = result.issues
    assert issue.kind == "error" and issue.field is None
    assert issue.message.startswith("Tệp XML không hợp lệ hoặc không an toàn: ")


def test_malformed_xml_names_the_line():
    [issue] = parse("moodle_xml", b"<quiz>\n<question>\n</quiz>").issues
    assert issue.message.startswith("Tệp XML không hợp lệ hoặc không an toàn: ")
    assert "dòng 3" in issue.message


def test_text_is_decoded_as_utf8_whatever_the_declaration_says():
    xml = MOODLE_FILE.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    result = parse("moodle_xml", xml.encode("utf-8"))
    assert result.entries[0].item["stem"].startswith("Mật khẩu nào")
