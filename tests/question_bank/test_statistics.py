"""Statistics checked against small matrices worked out by hand (sample variances, n − 1)."""

from fractions import Fraction
from math import sqrt

import pytest

from question_bank.statistics import (
    FLAG_MESSAGES,
    ItemStats,
    Reliability,
    flag_item,
    item_statistics,
    reliability,
)

# A Guttman pattern: attempt totals 3, 2, 1, 0.
GUTTMAN = [
    [1, 1, 1],
    [1, 1, 0],
    [1, 0, 0],
    [0, 0, 0],
]


def test_facility_and_sd():
    stats = item_statistics(GUTTMAN)
    assert [s.attempts for s in stats] == [4, 4, 4]
    assert [s.facility for s in stats] == [0.75, 0.5, 0.25]
    # item 1: deviations .25, .25, .25, -.75 -> squares sum .75, / 3 = .25, sd .5
    assert stats[0].sd == pytest.approx(0.5)
    assert stats[1].sd == pytest.approx(sqrt(1 / 3))


def test_discrimination_is_the_item_rest_correlation():
    stats = item_statistics(GUTTMAN)
    # item 1: x = 1,1,1,0; rest = 2,1,0,0. Cov = .75/3, Var x = .75/3, Var rest = 2.75/3
    # r = .75 / sqrt(.75 × 2.75) = sqrt(3/11)
    assert stats[0].discrimination == pytest.approx(100 * sqrt(3 / 11))
    # item 2: x = 1,1,0,0; rest = 2,1,1,0. Cov = 1/3, Var x = 1/3, Var rest = 2/3 -> r = 1/sqrt(2)
    assert stats[1].discrimination == pytest.approx(100 / sqrt(2))
    # item 3: x = 1,0,0,0; rest = 2,2,1,0 -> r = .25 / sqrt(.25 × 2.75/3) = sqrt(3/11)
    assert stats[2].discrimination == pytest.approx(100 * sqrt(3 / 11))
    # a Guttman pattern is already in the best possible order: efficiency 100
    assert [s.discriminative_efficiency for s in stats] == pytest.approx([100, 100, 100])


def test_cronbach_alpha_and_sem():
    # item variances .25 + 1/3 + .25 = 5/6; totals 3,2,1,0: Var = 5/3
    # alpha = 3/2 × (1 − (5/6)/(5/3)) = 0.75; SEM = sqrt(5/3) × sqrt(.25)
    result = reliability(GUTTMAN)
    assert result == Reliability(attempts=4, items=3, mean=1.5, sd=pytest.approx(sqrt(5 / 3)),
                                 alpha=pytest.approx(0.75), sem=pytest.approx(sqrt(5 / 3) / 2))


def test_discriminative_efficiency_below_100():
    matrix = [
        [1, 1, 1, 1],
        [0, 1, 1, 0],
        [1, 1, 0, 0],
        [0, 0, 0, 0],
    ]
    first = item_statistics(matrix)[0]
    # x = 1,0,1,0; rest = 3,2,1,0. Cov = 1/3, Var x = 1/3, Var rest = 5/3 -> r = 1/sqrt(5)
    assert first.discrimination == pytest.approx(100 / sqrt(5))
    # sorted: x = 0,0,1,1 with rest = 0,1,2,3 -> Cov_max = 2/3; DE = (1/3)/(2/3) = 50 %
    assert first.discriminative_efficiency == pytest.approx(50)
    # item variances 1/3 + 1/4 + 1/3 + 1/4 = 7/6; totals 4,2,2,0: Var = 8/3
    # alpha = 4/3 × (1 − 7/16) = 0.75
    assert reliability(matrix).alpha == pytest.approx(0.75)


def test_negative_discrimination_and_a_constant_rest_score():
    matrix = [
        [1, 1, 0],
        [1, 1, 0],
        [1, 0, 1],
        [0, 0, 1],
        [0, 1, 0],
    ]
    first, _, third = item_statistics(matrix)
    # item 1: rest = 1,1,1,1,1 has no variance: no correlation
    assert (first.facility, first.discrimination, first.discriminative_efficiency) == (0.6, None, None)
    # item 3: x = 0,0,1,1,0; rest = 2,2,1,0,1. Σ dx·dr = −1.4, Σ dx² = 1.2, Σ dr² = 2.8
    assert third.discrimination == pytest.approx(-100 * 1.4 / sqrt(1.2 * 2.8))
    # sorted pairing: Σ = 1.6 -> DE = −1.4 / 1.6
    assert third.discriminative_efficiency == pytest.approx(-87.5)


def test_items_missing_from_some_forms():
    matrix = [row + [extra] for row, extra in zip(GUTTMAN, [None, 1, None, 0], strict=True)]
    stats = item_statistics(matrix)
    assert (stats[3].attempts, stats[3].facility) == (2, 0.5)
    assert stats[0].attempts == 4
    # only rows 2 and 4 are complete: [1,1,0,1] and [0,0,0,0]
    # item variances .5 + .5 + 0 + .5 = 1.5, totals 3, 0: Var 4.5 -> alpha = 4/3 × (1 − 1/3) = 8/9
    result = reliability(matrix)
    assert (result.attempts, result.items) == (2, 4)
    assert result.alpha == pytest.approx(8 / 9)


def test_fractions_and_partial_credit_are_accepted():
    stats = item_statistics([[Fraction(1, 2), 1], [0.25, 0], [None, 1]])
    assert stats[0].facility == pytest.approx(0.375)
    assert stats[1].attempts == 3


def test_tiny_and_degenerate_samples_give_none():
    assert item_statistics([]) == []
    assert reliability([]) == Reliability(0, 0, None, None, None, None)
    [single] = item_statistics([[1]])
    assert single == ItemStats(1, 1.0, None, None, None)
    [never] = item_statistics([[None], [None]])
    assert never == ItemStats(0, None, None, None, None)
    everyone_right = item_statistics([[1, 1], [1, 0], [1, 1]])[0]
    assert (everyone_right.sd, everyone_right.discrimination, everyone_right.discriminative_efficiency) == (
        0.0, None, None)
    assert reliability([[1, 0], [0, 1]]).alpha is None  # every total is 1
    assert reliability([[1], [0], [1]]).alpha is None  # one item
    assert reliability([[1, 1]]).sd is None


@pytest.mark.parametrize("matrix", [[[1, 0], [1]], [[1.5]], [[-0.1]], [[True]], [["1"]]])
def test_malformed_matrices_are_refused(matrix):
    with pytest.raises(ValueError):
        item_statistics(matrix)


def stats(attempts=50, facility=0.5, discrimination=30.0, efficiency=60.0):
    return ItemStats(attempts, facility, 0.4, discrimination, efficiency)


@pytest.mark.parametrize(("item", "flags"), [
    (stats(), []),
    (stats(discrimination=-5), ["negative_discrimination"]),
    (stats(discrimination=0), []),
    (stats(facility=0.05), ["too_hard"]),
    (stats(facility=0.1), []),
    (stats(facility=0.95, discrimination=None), ["too_easy"]),
    (stats(facility=0.9), []),
    (stats(facility=0.02, discrimination=-10), ["negative_discrimination", "too_hard"]),
    (stats(attempts=9, facility=0.0, discrimination=-50), ["too_few_attempts"]),
    (stats(attempts=10), []),
    # Moodle's "dubious question": discriminative efficiency under 15 %, unless D is negative (its own flag).
    (stats(discrimination=8, efficiency=15), []),
    (stats(discrimination=8, efficiency=14.9), ["weak_discrimination"]),
    (stats(discrimination=0, efficiency=0.0), ["weak_discrimination"]),
    (stats(discrimination=None, efficiency=None), []),
    (stats(discrimination=-12, efficiency=-20), ["negative_discrimination"]),
    (stats(facility=0.95, discrimination=5, efficiency=10), ["weak_discrimination", "too_easy"]),
    (stats(attempts=9, discrimination=5, efficiency=10), ["too_few_attempts"]),
])
def test_flag_item(item, flags):
    assert flag_item(item) == flags
    assert all(FLAG_MESSAGES[flag] for flag in flags)


def test_a_weakly_discriminating_column_is_flagged():
    """Twelve attempts where the first item's credit barely follows the rest of the test: D about 9.7 (positive),
    DE = 100/7 ≈ 14.3 %, under Moodle's 15 %."""
    credits = [1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0]
    rests = [[0, 0, 1], [0, 0, 0], [0, 1, 0], [1, 1, 0], [1, 1, 1], [0, 1, 0], [1, 1, 0], [0, 1, 0], [0, 1, 0],
             [0, 0, 1], [1, 1, 1], [1, 0, 0]]
    first = item_statistics([[x, *rest] for x, rest in zip(credits, rests, strict=True)])[0]
    assert 0 < first.discrimination < 15
    assert first.discriminative_efficiency == pytest.approx(100 / 7)
    assert flag_item(first) == ["weak_discrimination"]
