"""Modified Angoff: panels worked out by hand."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest

from question_bank.standard_setting import Rating, angoff_cut, blueprint_weights

ITEMS = ["q1", "q2", "q3", "q4"]
ROUND_ONE = {
    "Lan": [0.6, 0.7, 0.5, 0.8],  # mean .65 -> 65 %
    "Minh": [0.5, 0.6, 0.4, 0.7],  # .55 -> 55 %
    "Hùng": ["0.7", "0.8", "0.6", "0.9"],  # .75 -> 75 %
}


def ratings(table, round_number=1):
    return [Rating(rater, item, value, round_number) for rater, values in table.items()
            for item, value in zip(ITEMS, values, strict=True)]


def test_one_round():
    result = angoff_cut(ratings(ROUND_ONE))
    assert result.cut == 65 and result.cut_percent == Decimal("65.00")
    assert result.rater_cuts == {"Hùng": 75, "Lan": 65, "Minh": 55}
    # deviations 10, 0, −10: variance 200 / 2 = 100
    assert result.spread == pytest.approx(10.0, abs=1e-12)
    assert result.standard_error == pytest.approx(10 / math.sqrt(3), abs=1e-12)
    assert (result.raters, result.items, result.last_round, result.rounds) == (3, 4, 1, {1: Decimal("65.00")})


def test_the_latest_round_counts_and_unchanged_ratings_carry_over():
    # Round 2: Minh raises q3 from .4 to .8 (now .65 -> 65 %); nobody else re-rates.
    result = angoff_cut([*ratings(ROUND_ONE), Rating("Minh", "q3", 0.8, 2)])
    assert result.rater_cuts["Minh"] == 65
    assert result.cut == Fraction(205, 3) and result.cut_percent == Decimal("68.33")
    # deviations 20/3, −10/3, −10/3: variance (400 + 100 + 100) / 9 / 2 = 100/3
    assert result.spread == pytest.approx(math.sqrt(100 / 3), abs=1e-12)
    assert result.standard_error == pytest.approx(10 / 3, abs=1e-12)
    assert result.last_round == 2 and result.rounds == {1: Decimal("65.00"), 2: Decimal("68.33")}
    assert result.to_dict() == {"cut_percent": 68.33, "rater_cuts": {"Hùng": 75.0, "Lan": 65.0, "Minh": 65.0},
                                "spread": 5.77, "standard_error": 3.33, "raters": 3, "items": 4, "last_round": 2,
                                "rounds": {"1": 65.0, "2": 68.33}}


def test_a_single_rater_has_no_spread():
    result = angoff_cut([Rating("Lan", "q1", Fraction(2, 3)), Rating("Lan", "q2", 1)])
    assert result.cut == Fraction(250, 3) and result.cut_percent == Decimal("83.33")
    assert result.spread is None and result.standard_error is None


def test_weights_for_a_blueprint_of_random_forms():
    # cells A (6 items in a form, 2 rated) and B (4 items, 1 rated): weights 3, 3 and 4.
    weights = blueprint_weights({("A", "x"): 6, ("B", "x"): 4},
                                {"a1": ("A", "x"), "a2": ("A", "x"), "b1": ("B", "x")})
    assert weights == {"a1": 3, "a2": 3, "b1": 4}
    given = [Rating("Lan", "a1", 0.5), Rating("Lan", "a2", 0.7), Rating("Lan", "b1", 0.9)]
    assert angoff_cut(given, weights=weights).cut == 72  # (1.5 + 2.1 + 3.6) / 10
    assert angoff_cut(given).cut == 70  # one form of these three items


def test_blueprint_weights_refuse_gaps():
    with pytest.raises(ValueError, match="B/x"):
        blueprint_weights({("A", "x"): 6, ("B", "x"): 4}, {"a1": ("A", "x")})
    with pytest.raises(ValueError, match="C/x"):
        blueprint_weights({("A", "x"): 6}, {"a1": ("A", "x"), "c1": ("C", "x")})


@pytest.mark.parametrize(("given", "options", "message"), [
    ([], {}, "Chưa có đánh giá"),
    ([Rating("Lan", "q1", 1.2)], {}, "0–1"),
    ([Rating("Lan", "q1", "nhiều")], {}, "từ 0 đến 1"),
    ([Rating("Lan", "q1", True)], {}, "true/false"),
    ([Rating("Lan", "q1", 0.5), Rating("Lan", "q1", 0.6)], {}, "đã được đánh giá trong vòng này"),
    ([Rating("Lan", "q1", 0.5), Rating("Minh", "q2", 0.6)], {}, "“Lan” chưa đánh giá 1 câu: q2"),
    ([Rating("Lan", "q1", 0.5)], {"items": ["q1", "q2"]}, "chưa đánh giá 1 câu: q2"),
    ([Rating(" ", "q1", 0.5)], {}, "người đánh giá"),
    ([Rating("Lan", "q1", 0.5, 0)], {}, "vòng đánh giá"),
    ([Rating("Lan", "q1", 0.5)], {"weights": {"q1": 0}}, "trọng số"),
])
def test_bad_panels_are_refused(given, options, message):
    with pytest.raises(ValueError, match=message):
        angoff_cut(given, **options)
