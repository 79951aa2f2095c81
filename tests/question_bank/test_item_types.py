import itertools
import random
from fractions import Fraction

import pytest

from question_bank.item_types import (
    ITEM_TYPES,
    AnswerShapeError,
    InvalidDefinition,
    MultipleResponse,
    Ordering,
    SingleChoice,
    TrueFalse,
    UnknownItemType,
    get_item_type,
)


@pytest.fixture
def new_id():
    """A factory of predictable option ids: o1, o2, ..."""
    counter = itertools.count(1)
    return lambda: f"o{next(counter)}"


@pytest.fixture
def make_stored():
    """Store an interchange item, its option ids numbered o1, o2, ... afresh for each item."""
    def make(code, options, key):
        counter = itertools.count(1)
        return get_item_type(code).to_stored(options, key, lambda: f"o{next(counter)}")
    return make


# -- registry ---------------------------------------------------------------------------------

def test_registry_maps_codes_to_classes():
    assert ITEM_TYPES == {
        "single_choice": SingleChoice,
        "multiple_response": MultipleResponse,
        "true_false": TrueFalse,
        "ordering": Ordering,
    }
    for code, cls in ITEM_TYPES.items():
        assert get_item_type(code) is cls
        assert cls.code == code


@pytest.mark.parametrize("code", ["essay", "", None, "Single_Choice", ["single_choice"]])
def test_unknown_type_raises(code):
    with pytest.raises(UnknownItemType, match="không được hỗ trợ") as error:
        get_item_type(code)
    assert isinstance(error.value, ValueError)


# -- definitions ------------------------------------------------------------------------------

VALID_DEFINITIONS = [
    ("single_choice", ["A", "B"], 1),
    ("single_choice", [f"Phương án {i}" for i in range(8)], 7),
    ("multiple_response", ["A", "B", "C"], [0, 2]),
    ("multiple_response", ["A", "B", "C", "D", "E"], [0, 1, 2, 3]),
    ("true_false", [], True),
    ("true_false", [], False),
    ("ordering", ["Bước 1", "Bước 2"], None),
    ("ordering", [f"Bước {i}" for i in range(8)], None),
]


@pytest.mark.parametrize(("code", "options", "key"), VALID_DEFINITIONS)
def test_valid_definitions_have_no_problems(code, options, key):
    assert get_item_type(code).validate_definition(options, key) == []


INVALID_DEFINITIONS = [
    # option counts
    ("single_choice", ["A"], 0, "options"),
    ("single_choice", [str(i) for i in range(9)], 0, "options"),
    ("multiple_response", ["A", "B"], [0, 1], "options"),
    ("ordering", ["Chỉ một bước"], None, "options"),
    ("ordering", [str(i) for i in range(9)], None, "options"),
    ("true_false", ["Đúng", "Sai"], True, "options"),
    ("single_choice", "A;B", 0, "options"),
    # option texts
    ("single_choice", ["A", "  "], 0, "options"),
    ("single_choice", ["A", ""], 0, "options"),
    ("single_choice", ["A", 2], 0, "options"),
    ("single_choice", ["Mật khẩu mạnh", "mật khẩu  MẠNH "], 0, "options"),
    ("ordering", ["Bước 1", "Bước 1"], None, "options"),
    # single_choice keys
    ("single_choice", ["A", "B"], 2, "key"),
    ("single_choice", ["A", "B"], -1, "key"),
    ("single_choice", ["A", "B"], True, "key"),
    ("single_choice", ["A", "B"], "0", "key"),
    ("single_choice", ["A", "B"], None, "key"),
    # multiple_response keys
    ("multiple_response", ["A", "B", "C"], [0], "key"),
    ("multiple_response", ["A", "B", "C"], [], "key"),
    ("multiple_response", ["A", "B", "C"], [0, 1, 2], "key"),
    ("multiple_response", ["A", "B", "C"], [2, 0], "key"),
    ("multiple_response", ["A", "B", "C"], [0, 0, 1], "key"),
    ("multiple_response", ["A", "B", "C"], [0, 3], "key"),
    ("multiple_response", ["A", "B", "C"], [True, 2], "key"),
    ("multiple_response", ["A", "B", "C"], 0, "key"),
    # true_false keys
    ("true_false", [], 1, "key"),
    ("true_false", [], 0, "key"),
    ("true_false", [], "true", "key"),
    ("true_false", [], None, "key"),
    # ordering keys
    ("ordering", ["A", "B"], [0, 1], "key"),
]


@pytest.mark.parametrize(("code", "options", "key", "field"), INVALID_DEFINITIONS)
def test_invalid_definitions_are_reported_by_field(code, options, key, field):
    problems = get_item_type(code).validate_definition(options, key)
    assert problems
    assert {problem_field for problem_field, _ in problems} == {field}
    assert all(isinstance(message, str) and message for _, message in problems)


def test_problem_messages_are_vietnamese():
    problems = SingleChoice.validate_definition(["Có", "có"], 5)
    assert problems == [("options", "Phương án 2 trùng với phương án 1.")]
    [(_, message)] = TrueFalse.validate_definition([], 1)
    assert "không dùng 0/1" in message
    [(_, message)] = MultipleResponse.validate_definition(["A", "B", "C"], [1])
    assert "ít nhất 2 phương án đúng" in message


# -- stored form ------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "options", "key"), VALID_DEFINITIONS)
def test_round_trip_is_exact(code, options, key, make_stored):
    stored_options, stored_key = make_stored(code, options, key)
    assert get_item_type(code).to_interchange(stored_options, stored_key) == (options, key)


def test_stored_shapes(make_stored):
    assert make_stored("single_choice", ["A", "B", "C"], 1) == (
        [{"id": "o1", "text": "A"}, {"id": "o2", "text": "B"}, {"id": "o3", "text": "C"}], "o2")
    assert make_stored("multiple_response", ["A", "B", "C", "D"], [1, 3])[1] == ["o2", "o4"]
    assert make_stored("true_false", [], False) == ([], False)
    assert make_stored("ordering", ["Một", "Hai", "Ba"], None) == (
        [{"id": "o1", "text": "Một"}, {"id": "o2", "text": "Hai"}, {"id": "o3", "text": "Ba"}],
        ["o1", "o2", "o3"])


def test_to_interchange_follows_the_key_not_the_stored_order():
    stored = [{"id": "b", "text": "Hai"}, {"id": "a", "text": "Một"}]
    assert Ordering.to_interchange(stored, ["a", "b"]) == (["Một", "Hai"], None)
    assert MultipleResponse.to_interchange(
        [{"id": "x", "text": "A"}, {"id": "y", "text": "B"}, {"id": "z", "text": "C"}], ["z", "x"]
    ) == (["A", "B", "C"], [0, 2])


def test_to_stored_refuses_an_invalid_definition(new_id):
    with pytest.raises(InvalidDefinition) as error:
        SingleChoice.to_stored(["A", "B"], 5, new_id)
    assert error.value.problems[0][0] == "key"


def test_to_stored_refuses_repeated_ids():
    with pytest.raises(ValueError, match="distinct"):
        SingleChoice.to_stored(["A", "B"], 0, lambda: "same")


@pytest.mark.parametrize(("cls", "options", "key"), [
    (SingleChoice, [{"id": "a", "text": "A"}], "zz"),
    (MultipleResponse, [{"id": "a", "text": "A"}], ["a", "zz"]),
    (TrueFalse, [], 1),
    (Ordering, [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}], ["a"]),
])
def test_to_interchange_refuses_a_key_that_does_not_fit(cls, options, key):
    with pytest.raises(ValueError):
        cls.to_interchange(options, key)


# -- answer shapes ----------------------------------------------------------------------------

OPTIONS = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}]

VALID_ANSWERS = [
    (SingleChoice, "b"),
    (MultipleResponse, ["c", "a"]),
    (MultipleResponse, []),
    (TrueFalse, True),
    (TrueFalse, False),
    (Ordering, ["c", "a", "b"]),
]


@pytest.mark.parametrize(("cls", "answer"), VALID_ANSWERS)
def test_valid_answers_pass(cls, answer):
    cls.validate_answer([] if cls is TrueFalse else OPTIONS, answer)


@pytest.mark.parametrize("cls", list(ITEM_TYPES.values()))
def test_no_answer_is_always_valid(cls):
    cls.validate_answer(OPTIONS, None)


INVALID_ANSWERS = [
    (SingleChoice, True, "mã của một phương án"),  # a bool is not an option id
    (SingleChoice, 1, "mã của một phương án"),
    (SingleChoice, ["a"], "mã của một phương án"),
    (SingleChoice, "zz", "Không có phương án"),
    (MultipleResponse, "a", "danh sách"),
    (MultipleResponse, ["a", True], "danh sách"),
    (MultipleResponse, ["a", "zz"], "Không có phương án"),
    (MultipleResponse, ["a", "a"], "nhiều lần"),
    (MultipleResponse, {"a": True}, "danh sách"),
    (TrueFalse, 1, "true"),  # 1 is not a boolean
    (TrueFalse, 0, "true"),
    (TrueFalse, "true", "true"),
    (Ordering, ["a", "b"], "thiếu phương án: c"),
    (Ordering, ["a", "b", "b"], "nhiều lần"),
    (Ordering, ["a", "b", "c", "zz"], "Không có phương án"),
    (Ordering, "abc", "danh sách"),
]


@pytest.mark.parametrize(("cls", "answer", "message"), INVALID_ANSWERS)
def test_wrong_answer_shapes_are_refused(cls, answer, message):
    with pytest.raises(AnswerShapeError, match=message) as error:
        cls.validate_answer([] if cls is TrueFalse else OPTIONS, answer)
    assert isinstance(error.value, ValueError)


# -- grading ----------------------------------------------------------------------------------

@pytest.mark.parametrize("partial", [False, True])
def test_single_choice_grade(partial):
    assert SingleChoice.grade("b", "b", partial=partial) == 1.0
    assert SingleChoice.grade("b", "a", partial=partial) == 0.0
    assert SingleChoice.grade("b", None, partial=partial) == 0.0


@pytest.mark.parametrize("partial", [False, True])
def test_true_false_grade(partial):
    assert TrueFalse.grade(True, True, partial=partial) == 1.0
    assert TrueFalse.grade(False, False, partial=partial) == 1.0
    assert TrueFalse.grade(True, False, partial=partial) == 0.0
    assert TrueFalse.grade(True, 1, partial=partial) == 0.0  # 1 is not True here
    assert TrueFalse.grade(False, None, partial=partial) == 0.0


# Key: a, b correct (2 keys) among a, b, c, d (2 wrong options): +1/2 per key, -1/2 per wrong option.
MR_KEY = ["a", "b"]


@pytest.mark.parametrize(("answer", "all_or_nothing", "partial"), [
    (["a", "b"], 1, 1),
    (["b", "a"], 1, 1),
    (["a"], 0, Fraction(1, 2)),
    (["a", "c"], 0, 0),  # +1/2 - 1/2
    (["a", "b", "c"], 0, Fraction(1, 2)),
    (["a", "b", "c", "d"], 0, 0),  # ticking everything never pays
    (["c", "d"], 0, 0),  # all wrong: floored at 0, not -1
    (["c"], 0, 0),
    ([], 0, 0),
    (None, 0, 0),
])
def test_multiple_response_credit(answer, all_or_nothing, partial):
    assert MultipleResponse.credit(MR_KEY, answer, partial=False) == all_or_nothing
    assert MultipleResponse.credit(MR_KEY, answer, partial=True, option_count=4) == partial
    assert MultipleResponse.grade(MR_KEY, answer, partial=True, option_count=4) == float(partial)


def test_multiple_response_partial_with_three_keys_among_four():
    # 3 keys, 1 wrong option: +1/3 per key, -1 for the wrong one.
    key = ["a", "b", "c"]
    assert MultipleResponse.credit(key, ["a", "b"], partial=True, option_count=4) == Fraction(2, 3)
    assert MultipleResponse.credit(key, ["a", "b", "d"], partial=True, option_count=4) == 0
    assert MultipleResponse.credit(key, ["a", "b", "c", "d"], partial=True, option_count=4) == 0  # was 2/3
    assert MultipleResponse.grade(key, ["a"], partial=True, option_count=4) == pytest.approx(1 / 3)


def test_multiple_response_partial_with_two_keys_among_five():
    # 2 keys, 3 wrong options: +1/2 per key, -1/3 per wrong option.
    key = ["a", "b"]
    assert MultipleResponse.credit(key, ["a", "b", "c"], partial=True, option_count=5) == Fraction(2, 3)
    assert MultipleResponse.credit(key, ["a", "c"], partial=True, option_count=5) == Fraction(1, 6)
    assert MultipleResponse.credit(key, ["a", "b", "c", "d"], partial=True, option_count=5) == Fraction(1, 3)
    assert MultipleResponse.credit(key, ["a", "b", "c", "d", "e"], partial=True, option_count=5) == 0


@pytest.mark.parametrize("option_count", [None, 2, 3])
def test_multiple_response_partial_needs_a_wrong_option_to_count(option_count):
    with pytest.raises(ValueError, match="option count"):
        MultipleResponse.credit(["a", "b", "c"], ["a"], partial=True, option_count=option_count)
    assert MultipleResponse.credit(["a", "b", "c"], ["a"], partial=False, option_count=option_count) == 0


ORDER_KEY = ["a", "b", "c", "d"]


@pytest.mark.parametrize(("answer", "partial"), [
    (["a", "b", "c", "d"], 1),
    (["b", "a", "c", "d"], Fraction(2, 3)),  # (b,a) wrong, (a,c) and (c,d) right
    (["a", "c", "b", "d"], Fraction(2, 3)),
    (["d", "a", "b", "c"], Fraction(2, 3)),
    (["d", "c", "b", "a"], 0),
    (["b", "d", "a", "c"], Fraction(2, 3)),  # (b,d) right, (d,a) wrong, (a,c) right
    (["a", "b", "c"], 0),  # not a permutation: no credit
    (["a", "b", "c", "c"], 0),
    (None, 0),
])
def test_ordering_credit(answer, partial):
    expected_all_or_nothing = 1 if answer == ORDER_KEY else 0
    assert Ordering.credit(ORDER_KEY, answer, partial=False) == expected_all_or_nothing
    assert Ordering.credit(ORDER_KEY, answer, partial=True) == partial


def test_grade_is_a_float_in_the_unit_interval():
    value = Ordering.grade(ORDER_KEY, ["b", "a", "c", "d"], partial=True)
    assert isinstance(value, float) and value == pytest.approx(2 / 3)


# -- what a candidate sees --------------------------------------------------------------------

EIGHT = [{"id": f"id{i}", "text": f"Phương án {i}"} for i in range(8)]


@pytest.mark.parametrize("cls", [SingleChoice, MultipleResponse, Ordering])
def test_candidate_options_are_a_shuffled_copy(cls):
    shown = cls.candidate_options(EIGHT, random.Random(7))
    assert sorted(shown, key=lambda o: o["id"]) == EIGHT
    assert all(set(option) == {"id", "text"} for option in shown)
    assert shown == cls.candidate_options(EIGHT, random.Random(7))  # replayable from the seed
    orders = {tuple(o["id"] for o in cls.candidate_options(EIGHT, random.Random(s))) for s in range(20)}
    assert len(orders) > 1
    shown[0]["text"] = "changed"
    assert EIGHT[int(shown[0]["id"][2:])]["text"] != "changed"


def test_candidate_options_carry_no_key_material(make_stored):
    options, _ = make_stored("single_choice", ["A", "B", "C"], 0)
    options[0]["correct"] = True  # even if a caller's stored dicts carry extra fields
    assert all(set(o) == {"id", "text"} for o in SingleChoice.candidate_options(options, random.Random(1)))


@pytest.mark.parametrize("size", [2, 3])
def test_ordering_is_never_shown_in_the_correct_order(size):
    options = EIGHT[:size]
    correct = [o["id"] for o in options]
    for seed in range(200):
        assert [o["id"] for o in Ordering.candidate_options(options, random.Random(seed))] != correct


def test_true_false_options_are_fixed():
    expected = [{"id": "true", "text": "Đúng"}, {"id": "false", "text": "Sai"}]
    assert TrueFalse.candidate_options([], random.Random(1)) == expected
    assert TrueFalse.candidate_options([], random.Random(2)) == expected
