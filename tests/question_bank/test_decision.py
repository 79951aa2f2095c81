"""Decision quality: cases with a known answer computed here by hand, the real scoring rule
checked by enumerating every response pattern, and the facts that must hold (longer forms,
more consistent decisions; balanced forms, smaller form-to-form differences)."""

import itertools
import math
from decimal import Decimal

import numpy as np
import pytest
import yaml

from question_bank import criteria, decision, irt
from question_bank.assembly import BankShortage
from question_bank.decision import CalibratedItem, Population
from question_bank.scoring import ScoredResponse, ScoringRule, round2, score, validate_blueprint

BANDS = [{"code": "dat", "name": "Đạt", "min_percent": 50}, {"code": "chua_dat", "name": "Chưa đạt", "min_percent": 0}]


def blueprint(cells, pass_percent=50, area_min_percent=0, **extra):
    bands = [dict(BANDS[0], min_percent=pass_percent), BANDS[1]]
    return {"code": "BP-THU", "pass_percent": pass_percent, "area_min_percent": area_min_percent, "bands": bands,
            "cells": [{"area": a, "level": lv, "count": n} for a, lv, n in cells], **extra}


def identical(cell, size, a, b, c):
    return [CalibratedItem(f"{cell[0]}{k}", f"{cell[0]}{k}", a, b, c) for k in range(size)]


def logistic(z):
    return 1 / (1 + math.exp(-z))


def binomial(n, k, p):
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


# -- known answers --------------------------------------------------------------------------------

def test_identical_items_and_one_ability_give_binomial_figures():
    # 10 items of one cell, all with a = 1.2, b = 0.3, c = 0.2; every candidate at θ = 0.5.
    p = 0.2 + 0.8 * logistic(1.2 * 0.2)
    passing = math.fsum(binomial(10, k, p) for k in range(6, 11))  # 60 % = 6 of 10
    pools = {("A", "x"): identical(("A", "x"), 30, 1.2, 0.3, 0.2)}
    quality = decision.decision_quality(blueprint([("A", "x", 10)], pass_percent=60), pools,
                                        population=Population(0.5, 0.0), forms=5)
    assert quality.theta_cut == pytest.approx(0.3, abs=1e-9)  # 0.2 + 0.8 σ(0) = 0.6
    assert quality.pass_rate == pytest.approx(passing, abs=1e-12)
    assert quality.consistency == pytest.approx(passing**2 + (1 - passing) ** 2, abs=1e-12)
    assert quality.kappa == pytest.approx(0.0, abs=1e-9)  # one ability: the two verdicts are independent
    assert quality.competent_rate == 1.0 and quality.accuracy == pytest.approx(passing, abs=1e-12)
    assert quality.reliability == pytest.approx(0.0, abs=1e-12)  # no true-score variance
    assert quality.se_at_cut == pytest.approx(10 * math.sqrt(10 * 0.6 * 0.4), abs=1e-9)  # 100/n · √(n p q)
    assert quality.form_difference_mean == 0 and quality.form_difference_p95 == 0
    assert quality.competent_failed_on_area == 0.0 and quality.items == 10 and quality.forms == 5


def test_the_area_rule_in_a_known_case():
    # A: 4 items, B: 6 items, all alike (p at θ = 0: 0.25 + 0.75 σ(0.5)); pass 50 % overall and
    # 50 % in an area of 5 items or more: B is checked, A is not.
    p = 0.25 + 0.75 * logistic(0.5)
    cells = [("A", "x", 4), ("B", "x", 6)]
    pools = {cell[:2]: identical(cell, 12, 1.0, -0.5, 0.25) for cell in cells}
    passing = math.fsum(binomial(4, ka, p) * binomial(6, kb, p)
                        for ka in range(5) for kb in range(3, 7) if ka + kb >= 5)
    overall = math.fsum(binomial(10, k, p) for k in range(5, 11))
    bp = blueprint(cells, pass_percent=50, area_min_percent=50, area_min_items=5)
    quality = decision.decision_quality(bp, pools, population=Population(0.0, 0.0), forms=3)
    assert quality.pass_rate == pytest.approx(passing, abs=1e-12)
    assert quality.competent_rate == 1.0  # p ≈ .72 ≥ .5
    assert quality.competent_failed_on_area == pytest.approx(overall - passing, abs=1e-12)
    every_area = decision.decision_quality(dict(bp, area_min_items=1), pools, population=Population(0.0, 0.0),
                                           forms=3)
    both = math.fsum(binomial(4, ka, p) * binomial(6, kb, p) for ka in range(2, 5) for kb in range(3, 7))
    assert every_area.pass_rate == pytest.approx(both, abs=1e-12)  # 2 of 4 = 50 % in A is enough


def test_pass_probabilities_are_the_real_rule_over_every_response_pattern():
    # Distinct items, areas of 2 and 3 items, a 66.67 % threshold met by 2 of 3 only as rounded
    # (66.666… shows as 66.67), an area minimum of 50 %: enumerate the 32 patterns through score().
    rule = ScoringRule(pass_percent=Decimal("66.67"), area_min_percent=50,
                       bands=[("dat", "Đạt", Decimal("66.67")), ("chua_dat", "Chưa đạt", 0)])
    areas = [[0, 1], [2, 3, 4]]
    p = np.array([[0.9, 0.35, 0.6, 0.75, 0.5], [0.2, 0.95, 0.85, 0.4, 0.7]])
    for row in p:
        expected_pass = expected_overall = 0.0
        for pattern in itertools.product((0, 1), repeat=5):
            weight = math.prod(q if x else 1 - q for q, x in zip(row, pattern, strict=True))
            responses = [ScoredResponse("A" if i < 2 else "B", "single_choice", "k", "k" if x else "z")
                         for i, x in enumerate(pattern)]
            result = score(rule, responses, ["A", "B"])
            expected_pass += weight * result.passed
            expected_overall += weight * rule.overall_passes(result.percent)
        passing, overall = decision.pass_probabilities(rule, areas, row[None, :])
        assert passing[0] == pytest.approx(expected_pass, abs=1e-12)
        assert overall[0] == pytest.approx(expected_overall, abs=1e-12)
    assert rule.overall_passes(round2(__import__("fractions").Fraction(200, 3)))  # the rounding this test leans on


def test_abilities_are_midpoints_of_equal_probability_slices():
    theta, weight = Population(0.5, 2.0).abilities(4)
    assert theta.tolist() == pytest.approx([0.5 + 2 * z for z in (-1.1503493803760079, -0.31863936396437515,
                                                                   0.31863936396437515, 1.1503493803760079)])
    assert weight.tolist() == [0.25] * 4
    assert Population(1.0, 0.0).abilities(100)[0].tolist() == [1.0]
    with pytest.raises(ValueError):
        Population(0, -1).abilities(3)


def test_borderline_theta_meets_the_cut_on_the_domain_score():
    cells = [("A", "x", 3), ("B", "y", 7)]
    pools = {("A", "x"): [CalibratedItem(i, i, 1.0 + i / 10, i / 5 - 1, 0.25) for i in range(6)],
             ("B", "y"): [CalibratedItem(10 + i, 10 + i, 0.8, i / 3, 0.0) for i in range(9)]}
    theta = decision.borderline_theta(cells, pools, 62.5)
    by_hand = (3 * sum(irt.probability(theta, 1.0 + i / 10, i / 5 - 1, 0.25) for i in range(6)) / 6
               + 7 * sum(irt.probability(theta, 0.8, i / 3, 0.0) for i in range(9)) / 9) / 10
    assert by_hand == pytest.approx(0.625, abs=1e-9)
    cut, at_cut = decision.difficulties_at_cut(blueprint(cells, pass_percent=62.5), pools)
    assert cut == theta and at_cut[3] == pytest.approx(irt.probability(theta, 1.3, -0.4, 0.25), abs=1e-15)
    assert decision.borderline_theta(cells, pools, 5) == -10.0  # under the guessing floors (7.5 %): all competent
    assert decision.borderline_theta(cells, pools, 100) == 10.0


# -- what must hold ---------------------------------------------------------------------------------

def prior_pools(cells, multiple=3):
    return decision.synthetic_pools("cong_chuc", {(a, lv): multiple * n for a, lv, n in cells})


def test_longer_forms_decide_more_consistently():
    figures = []
    for length in (10, 25, 50):
        cells = [("GT", "co_ban", length // 2), ("GT", "trung_cap", length - length // 2)]
        figures.append(decision.decision_quality(blueprint(cells, pass_percent=60), prior_pools(cells), forms=60))
    for shorter, longer in itertools.pairwise(figures):
        assert longer.consistency > shorter.consistency
        assert longer.accuracy > shorter.accuracy
        assert longer.reliability > shorter.reliability
        assert longer.se_at_cut < shorter.se_at_cut


def test_an_area_minimum_on_few_items_fails_competent_candidates():
    cells = [("GT", "co_ban", 10), ("AT", "co_ban", 10), ("ND", "co_ban", 2)]
    pools = prior_pools(cells)
    strict = decision.decision_quality(blueprint(cells, pass_percent=60, area_min_percent=50), pools, forms=40)
    floor = decision.decision_quality(blueprint(cells, pass_percent=60, area_min_percent=50, area_min_items=5), pools,
                                      forms=40)
    assert strict.competent_failed_on_area > 0.03 > 3 * floor.competent_failed_on_area
    assert floor.consistency > strict.consistency and floor.accuracy > strict.accuracy


def test_balanced_forms_differ_less_at_the_cut_than_random_ones():
    shipped = {bp["code"]: bp for bp in criteria.read_blueprints(criteria.read_framework())}
    bp = shipped["BP-CCVC"]
    pools = decision.synthetic_pools("cong_chuc", {(c["area"], c["level"]): 3 * c["count"] for c in bp["cells"]})
    for exposure in (False, True):
        random_draw = decision.decision_quality(bp, pools, balanced=False, exposure=exposure, forms=100)
        balanced = decision.decision_quality(bp, pools, exposure=exposure, forms=100)
        assert balanced.form_difference_p95 <= 2.0 < random_draw.form_difference_p95
        assert balanced.form_difference_mean < random_draw.form_difference_mean / 2


def test_a_short_pool_is_a_bank_shortage():
    cells = [("GT", "co_ban", 5)]
    with pytest.raises(BankShortage):
        decision.decision_quality(blueprint(cells), decision.synthetic_pools("cong_chuc", {("GT", "co_ban"): 4}))


def test_synthetic_pools_are_fixed_by_their_codes():
    first = decision.synthetic_pools("lanh_dao", {("CL", "nang_cao"): 400}, {"CL": ["CL.1", "CL.2"]})
    again = decision.synthetic_pools("lanh_dao", {("CL", "nang_cao"): 400}, {"CL": ["CL.1", "CL.2"]})
    assert first == again
    pool = first[("CL", "nang_cao")]
    assert pool[0].item_id == "lanh_dao/CL/nang_cao/000"
    assert [i.competence for i in pool[:3]] == ["CL.1", "CL.2", "CL.1"]
    floors = [item.c for item in pool]
    assert 0.6 < floors.count(0.25) / 400 < 0.8  # 148 of 211 single choice in the starter bank
    assert np.mean([item.b for item in pool]) == pytest.approx(1.0, abs=0.1)


# -- the redesign ----------------------------------------------------------------------------------

def test_the_shipped_blueprints_are_valid_fifty_item_versions_of_the_first_ones():
    framework = criteria.read_framework()
    first = {bp["code"]: bp for bp in yaml.safe_load(decision.FIRST_BLUEPRINTS.read_text("utf-8"))["blueprints"]}
    shipped = criteria.read_blueprints(framework)
    assert sorted(bp["code"] for bp in shipped) == sorted(first)
    for bp in shipped:
        validate_blueprint(bp, audiences=[a["code"] for a in framework["audiences"]],
                           areas=[a["code"] for a in framework["areas"]],
                           levels=[lv["code"] for lv in framework["levels"]])
        assert sum(cell["count"] for cell in bp["cells"]) == 50
        assert bp["version"] == first[bp["code"]]["version"] + 1 and bp["audience"] == first[bp["code"]]["audience"]


def test_the_report_prints_the_before_and_after_table(capsys):
    decision.main(["--forms", "4"])
    out = capsys.readouterr().out
    assert "| BP-CCVC v1 (random draw)" in out and "| BP-CTCDS v2 (balanced draw)" in out
    assert "balanced, in rotation" in out


# -- the normal approximation (Peng & Subkoviak) and Spearman–Brown ----------------------------------------


def _phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def _both_below_by_conditioning(h, rho, steps=20_000):
    """Φ₂(h, h; ρ) another way: ∫_{−∞}^{h} φ(x) Φ((h − ρx)/√(1 − ρ²)) dx, by composite Simpson on [−12, h]."""
    low, width = -12.0, (h + 12.0) / steps
    total = 0.0
    for k in range(steps + 1):
        x = low + k * width
        weight = 1 if k in (0, steps) else (4 if k % 2 else 2)
        total += weight * math.exp(-x * x / 2) / math.sqrt(2 * math.pi) * _phi((h - rho * x) / math.sqrt(1 - rho * rho))
    return total * width / 3


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.8, 0.99, 1.0])
def test_both_below_at_the_median_is_the_arcsine_law(rho):
    assert decision.normal_both_below(0.0, rho) == pytest.approx(0.25 + math.asin(rho) / (2 * math.pi), abs=1e-12)


@pytest.mark.parametrize(("h", "rho"), [(-1.3, 0.5), (-0.25, 0.87), (0.8, 0.95), (1.7, 0.2)])
def test_both_below_agrees_with_the_conditional_integral(h, rho):
    assert decision.normal_both_below(h, rho) == pytest.approx(_both_below_by_conditioning(h, rho), abs=1e-9)


def test_both_below_at_the_ends_of_the_correlation():
    assert decision.normal_both_below(0.7, 0.0) == pytest.approx(_phi(0.7) ** 2, abs=1e-12)
    assert decision.normal_both_below(0.7, 1.0) == pytest.approx(_phi(0.7), abs=1e-12)
    with pytest.raises(ValueError):
        decision.normal_both_below(0.0, -0.1)


def test_normal_consistency_in_the_cases_with_a_closed_form():
    # Unrelated forms agree by chance alone; a cut in the middle gives ½ + arcsin(ρ)/π.
    assert decision.normal_consistency(0.0, 0.7) == pytest.approx(0.7 ** 2 + 0.3 ** 2, abs=1e-12)
    assert decision.normal_consistency(0.8, 0.5) == pytest.approx(0.5 + math.asin(0.8) / math.pi, abs=1e-12)
    assert decision.normal_consistency(0.8, 0.3) == pytest.approx(decision.normal_consistency(0.8, 0.7), abs=1e-12)
    assert decision.normal_consistency(0.8, 1.0) == 1.0
    assert decision.normal_consistency(0.8, 0.2) > decision.normal_consistency(0.8, 0.4)  # a cut in the tail


def test_the_reliability_a_consistency_needs():
    # 0.90 with the cut in the middle: arcsin(ρ) = 0.4π.
    assert decision.reliability_for_consistency(0.90, 0.5) == pytest.approx(math.sin(0.4 * math.pi), abs=1e-9)
    needed = decision.reliability_for_consistency(0.90, 0.25)
    assert decision.normal_consistency(needed, 0.25) == pytest.approx(0.90, abs=1e-9)
    assert decision.reliability_for_consistency(0.90, 0.97) == 0.0  # chance agreement is 0.9418 already
    with pytest.raises(ValueError):
        decision.reliability_for_consistency(1.0, 0.5)


def test_spearman_brown():
    assert decision.spearman_brown_length(0.5, 2 / 3) == pytest.approx(2.0, abs=1e-12)
    k = decision.spearman_brown_length(0.8, 0.95)
    assert k * 0.8 / (1 + (k - 1) * 0.8) == pytest.approx(0.95, abs=1e-12)  # the prophecy formula, forwards
    with pytest.raises(ValueError):
        decision.spearman_brown_length(1.0, 0.9)


def test_the_simulation_agrees_with_the_normal_approximation_on_a_long_form():
    """60 items of spread difficulty, no area rule: scores near normal, so the simulated consistency is
    close to the normal approximation's at the simulated reliability and pass rate."""
    cells = [("A", "co_ban", 60)]
    pool = [CalibratedItem(f"A{k}", f"A{k}", 1.2, -1.5 + 3 * k / 59, 0.0) for k in range(60)]
    quality = decision.decision_quality(blueprint(cells, pass_percent=50), {("A", "co_ban"): pool}, forms=2)
    approximation = decision.normal_consistency(quality.reliability, quality.pass_rate)
    assert quality.consistency == pytest.approx(approximation, abs=0.015)
