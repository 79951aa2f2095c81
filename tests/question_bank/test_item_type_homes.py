"""An item type is the one home of its rules: the importers, the blueprint's partial-credit settings, the
options a candidate is shown and the author's form all ask the type."""

import itertools
import random

import pytest

from question_bank.formats import check_item
from question_bank.item_types import ITEM_TYPES, get_item_type
from question_bank.scoring import ScoringRule

SOUND = {  # type: (interchange options, key)
    "single_choice": (["Một", "Hai", "Ba"], 2),
    "multiple_response": (["Một", "Hai", "Ba", "Bốn"], [0, 3]),
    "true_false": ([], False),
    "ordering": (["Mở", "Sửa", "Lưu"], None),
}
BLUEPRINT = {"pass_percent": 60, "area_min_percent": 40, "bands": [
    {"code": "dat", "name": "Đạt", "min_percent": 60}, {"code": "chua", "name": "Chưa", "min_percent": 0}]}


def interchange(kind, options, key):
    return {"code": None, "type": kind, "stem": "Câu?", "options": options, "key": key, "explanation": "",
            "competence": None, "level": None, "audiences": [], "source": None}


@pytest.mark.parametrize(("options", "key"), [
    (["Một", "Hai", "Ba"], [0, 1, 2]),  # every option keyed: ticking everything would always be right
    ([f"Phương án {n}" for n in range(1, 10)], [0, 1]),  # more options than a form shows
    (["Một", "một ", "Hai"], [0, 2]),  # the same option twice, but for case and spacing
])
def test_importers_refuse_what_the_type_refuses(options, key):
    item = interchange("multiple_response", options, key)
    assert check_item(item) == get_item_type("multiple_response").validate_definition(options, key) != []


@pytest.mark.parametrize("kind", sorted(ITEM_TYPES))
def test_importers_accept_what_the_type_accepts(kind):
    assert check_item(interchange(kind, *SOUND[kind])) == []


def test_the_types_partial_credit_settings_are_the_blueprints():
    settings = {code: kind.partial_setting for code, kind in ITEM_TYPES.items()}
    assert settings == {"single_choice": None, "multiple_response": "multiple_response_scoring",
                        "true_false": None, "ordering": "ordering_scoring"}
    for code, setting in settings.items():
        if setting:
            assert ScoringRule.from_blueprint({**BLUEPRINT, setting: "partial"}).partial_for(code)
            assert not ScoringRule.from_blueprint(BLUEPRINT).partial_for(code)


@pytest.mark.parametrize("kind", sorted(ITEM_TYPES))
def test_shown_options_follow_the_recorded_order(kind):
    options, key = SOUND[kind]
    counter = itertools.count(1)
    item_type = get_item_type(kind)
    stored, _ = item_type.to_stored(options, key, lambda: f"o{next(counter)}")
    drawn = item_type.candidate_options(stored, random.Random(7))
    assert item_type.shown_options(stored, [o["id"] for o in drawn]) == drawn


@pytest.mark.parametrize("kind", sorted(ITEM_TYPES))
def test_the_authors_form_maps_to_the_key_and_back(kind):
    item_type = get_item_type(kind)
    key = SOUND[kind][1]
    ticked, truth = item_type.form_of_key(key)
    assert item_type.key_from_form(sorted(ticked), truth) == key


def test_the_form_passes_on_a_key_the_type_refuses():
    assert get_item_type("single_choice").key_from_form([0, 2], "") == [0, 2]  # two ticks: refused, not guessed
    assert get_item_type("single_choice").key_from_form([], "") is None
    assert get_item_type("true_false").key_from_form([], "") is None
    assert get_item_type("ordering").key_from_form([1], "") == [1]
