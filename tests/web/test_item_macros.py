"""One template macro per item type, used by the exam page, the candidate's review and the staff's item pages."""

import itertools
import random

import pytest
from flask import render_template_string

from question_bank.item_types import ITEM_TYPES, get_item_type

ITEMS = {  # type: (interchange options, key)
    "single_choice": (["Một", "Hai", "Ba"], 1),
    "multiple_response": (["Một", "Hai", "Ba", "Bốn"], [0, 2]),
    "true_false": ([], True),
    "ordering": (["Mở tệp", "Sửa", "Lưu tệp"], None),
}


def stored(kind):
    counter = itertools.count(1)
    options, key = get_item_type(kind).to_stored(*ITEMS[kind], lambda: f"o{next(counter)}")
    return {"type": kind, "options": options, "key": key}


def draw(app, kind, item, answering):
    with app.test_request_context():
        return render_template_string('{% import "item_types.html" as item_types %}'
                                      "{{ item_types[item.type](item, answering) }}", item=item, answering=answering)


def test_every_type_has_its_macro(app):
    with app.test_request_context():
        module = app.jinja_env.get_template("item_types.html").module
    assert all(callable(getattr(module, code, None)) for code in ITEM_TYPES)


@pytest.mark.parametrize("kind", sorted(ITEM_TYPES))
def test_the_exam_page_asks_for_an_answer_and_shows_no_key(app, kind):
    version = stored(kind)
    shown = get_item_type(kind).candidate_options(version["options"], random.Random(3))
    html = draw(app, kind, {"position": 4, "type": kind, "options": shown, "answer": None}, True)
    assert "(đáp án)" not in html and "Đáp án" not in html
    if kind == "ordering":
        assert html.count('<li data-id="') == 3 and 'class="up"' in html
    else:
        assert html.count('name="q4"') == len(shown) and "checked" not in html


@pytest.mark.parametrize("kind", sorted(ITEM_TYPES))
def test_the_staff_and_the_review_see_the_key(app, kind):
    version = stored(kind)
    html = draw(app, kind, version, False)
    if kind == "single_choice":
        assert "<li>Hai <strong>(đáp án)</strong></li>" in html and html.count("(đáp án)") == 1
    elif kind == "multiple_response":
        assert "<li>Một <strong>(đáp án)</strong></li>" in html and html.count("(đáp án)") == 2
    elif kind == "true_false":
        assert "Đáp án: <strong>Đúng</strong>" in html and "bạn chọn" not in html
    else:
        assert html.index("Mở tệp") < html.index("Sửa") < html.index("Lưu tệp")
    key = version["key"]
    answer = {"single_choice": lambda: key, "multiple_response": lambda: key[:1], "true_false": lambda: not key,
              "ordering": lambda: list(reversed(key))}[kind]()
    review = draw(app, kind, {**version, "answer": answer}, False)
    assert "bạn chọn" in review or "bạn sắp" in review
