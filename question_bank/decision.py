"""Decision quality of a blueprint: how often its pass/fail verdict is right, and the same twice.

``decision_quality(blueprint, pools)`` simulates candidates who each sit two forms drawn
independently by the real assembly (``assembly.draw_form``) and scored by the real pass rule
(``scoring.ScoringRule``: the overall threshold and the area minimum, on the percent as rounded
and shown), with right/wrong answers from the item response model (``irt.probability``).

Definitions (θ on the calibration scale: ``irt``'s docstring):

domain score τ(θ)
    the expected percent at θ on a form drawn at random: Σ_cells count × (mean over the cell's
    pool of P(θ)) / items. It is what the forms estimate.
truly competent
    τ(θ) ≥ the blueprint's ``pass_percent``. ``theta_cut`` is where τ reaches it: the
    borderline candidate. The model is unidimensional, so a competent candidate who fails on
    an area fails on measurement noise alone ("competent but failed on one area").
population
    normal, ``Population(mean=0.0, sd=1.0)`` by default: calibration fixes the ability of
    the candidates who sat the calibrated forms to N(0, 1), so the audience the bank was
    calibrated on *is* N(0, 1) on that scale. A different mean says "this year's candidates
    are stronger or weaker than the calibration sample"; sd 0 is one ability.

How it is computed, so that a few seconds cover three 50-item blueprints: ``forms`` pairs of
forms are drawn; each pair is sat by the whole population, represented by ``ability_points``
abilities at the midpoints of equal-probability slices of the normal (θ_k = mean + sd ·
Φ⁻¹((k − ½)/K), weight 1/K). For each form and ability the chance to pass is exact: each area's
number right follows the Poisson-binomial law of its items' probabilities, areas under their
minimum are cut away (where the minimum applies), the areas are convolved into the total, and
the overall threshold is applied. So the only sampling noise is the forms' (``consistency_se``).
Responses are right or wrong with probability P; a partial-credit item's credit is treated as
such a 0/1 draw with the same mean (a little more variance than partial credit has, so the
figures err on the safe side). Items carry equal points (the blueprint's ``points_per_item``).

Figures (``DecisionQuality``): the expected pass rate and share of competent candidates;
reliability = Var(τ) / Var(observed score) over candidates and forms (form-to-form variation
counts as error); the standard error at the cut in percentage points (within-form binomial
variance plus the variance between forms, at θ_cut); decision accuracy (verdict = truly
competent or not), consistency (same verdict on both forms), Cohen's κ of the two verdicts;
the rate of competent candidates who reach the overall threshold but fail an area minimum; and
the form-to-form difference at the cut: |expected percent of the borderline candidate on form 1
− on form 2|, its mean and 95th percentile over the pairs, in percentage points.

What a consistency needs (``normal_consistency``, ``reliability_for_consistency``,
``spearman_brown_length``): the classical normal approximation of Peng & Subkoviak (1980) checks the
simulation and bounds what length can buy. The nearer the pass rate is to ½, the more reliability a
consistency needs: 0.90 needs 0.951 at ½, 0.911 at a pass rate of 0.78 or 0.22.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist
from typing import Any, NamedTuple

import numpy as np

from question_bank import irt
from question_bank.assembly import PoolItem, draw_form
from question_bank.scoring import ScoringRule, round2


@dataclass(frozen=True)
class Population:
    """The candidates' ability: normal with this mean and standard deviation (θ scale)."""

    mean: float = 0.0
    sd: float = 1.0

    def abilities(self, points: int) -> tuple[np.ndarray, np.ndarray]:
        """``points`` abilities at the midpoints of equal-probability slices, weights 1/points
        (one point, weight 1, when sd is 0)."""
        if self.sd < 0 or points < 1:
            raise ValueError("the population needs sd >= 0 and at least one ability point")
        if self.sd == 0:
            return np.array([self.mean]), np.array([1.0])
        normal = NormalDist(self.mean, self.sd)
        return np.array([normal.inv_cdf((k + 0.5) / points) for k in range(points)]), np.full(points, 1.0 / points)


class CalibratedItem(NamedTuple):
    """A pool entry for the simulation: what assembly needs and the item's parameters."""

    item_id: Hashable
    version_id: Hashable
    a: float
    b: float
    c: float
    competence: Hashable | None = None
    enemy_group: Hashable | None = None


@dataclass(frozen=True)
class DecisionQuality:
    """What ``decision_quality`` reports; rates are fractions 0..1, differences percentage points."""

    blueprint: str
    items: int
    theta_cut: float
    pass_rate: float
    competent_rate: float
    reliability: float | None
    se_at_cut: float
    accuracy: float
    consistency: float
    consistency_se: float
    kappa: float | None
    competent_failed_on_area: float | None
    form_difference_mean: float
    form_difference_p95: float
    forms: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cells(blueprint: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    return [(cell["area"], cell["level"], cell["count"]) for cell in blueprint["cells"]]


def domain_score(theta, cells: Sequence[tuple[str, str, int]],
                 pools: Mapping[tuple[str, str], Sequence[CalibratedItem]]):
    """τ(θ) as a fraction 0..1: Σ count × mean P(θ) over the cell's pool / Σ count (broadcasts)."""
    theta = np.asarray(theta, dtype=float)
    total = sum(count for _, _, count in cells)
    score = np.zeros_like(theta)
    for area, level, count in cells:
        pool = pools[(area, level)]
        a, b, c = (np.array([getattr(item, name) for item in pool]) for name in "abc")
        score = score + count * irt.probability(theta[..., None], a, b, c).mean(axis=-1)
    return score / total


def borderline_theta(cells: Sequence[tuple[str, str, int]], pools: Mapping[tuple[str, str], Sequence[CalibratedItem]],
                     pass_percent: float) -> float:
    """θ_cut: where the domain score reaches ``pass_percent`` (bisection on [−10, 10] to 1e-10;
    ±10 when the cut lies beyond, e.g. under every item's guessing floor)."""
    target = float(pass_percent) / 100
    low, high = -10.0, 10.0
    if domain_score(low, cells, pools) >= target:
        return low
    if domain_score(high, cells, pools) < target:
        return high
    while high - low > 1e-10:
        middle = (low + high) / 2
        if domain_score(middle, cells, pools) >= target:
            high = middle
        else:
            low = middle
    return high


def difficulties_at_cut(blueprint: Mapping[str, Any], pools: Mapping[tuple[str, str], Sequence[CalibratedItem]]
                        ) -> tuple[float, dict[Hashable, float]]:
    """θ_cut of a blueprint and, per item id, the probability that the borderline candidate
    answers it right: the ``difficulty`` that assembly balances (``PoolItem.difficulty``).

    Compute it once per blueprint version (and again after a calibration), not per start."""
    theta_cut = borderline_theta(_cells(blueprint), pools, ScoringRule.from_blueprint(blueprint).pass_percent)
    items = {item.item_id: item for pool in pools.values() for item in pool}
    ids = list(items)
    a, b, c = (np.array([getattr(items[i], name) for i in ids]) for name in "abc")
    return theta_cut, dict(zip(ids, irt.probability(theta_cut, a, b, c).tolist(), strict=True))


def _poisson_binomial(p: np.ndarray) -> np.ndarray:
    """Rows × items probabilities → rows × (items + 1): the law of the number right per row."""
    rows, items = p.shape
    law = np.zeros((rows, items + 1))
    law[:, 0] = 1.0
    for j in range(items):
        pj = p[:, j:j + 1]
        law[:, 1:j + 2] = law[:, 1:j + 2] * (1.0 - pj) + law[:, 0:j + 1] * pj
        law[:, 0:1] *= 1.0 - pj
    return law


def _convolve(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    rows = first.shape[0]
    out = np.zeros((rows, first.shape[1] + second.shape[1] - 1))
    for k in range(second.shape[1]):
        out[:, k:k + first.shape[1]] += first * second[:, k:k + 1]
    return out


def rule_tables(rule: ScoringRule, area_sizes: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The real rule as tables of the number right: ``overall[t]`` for t right of all items, and
    per area ``areas[i][k]`` for k right of its items (equal points per item, so the percent is
    t/items, rounded and compared as ``scoring.score`` does)."""
    total = sum(area_sizes)
    overall = np.array([rule.overall_passes(round2(Fraction(100 * t, total))) for t in range(total + 1)])
    areas = [np.array([rule.area_passes(round2(Fraction(100 * k, size)), size) for k in range(size + 1)])
             for size in area_sizes]
    return overall, areas


def pass_probabilities(rule: ScoringRule, area_positions: Sequence[Sequence[int]], p: np.ndarray):
    """Per row of right-answer probabilities (rows × positions): (P(pass), P(overall threshold met)).

    ``area_positions[i]``: the positions of area i's items. Exact: the areas' Poisson-binomial
    laws, those under an applicable minimum cut away, convolved into the total.
    """
    overall, area_ok = rule_tables(rule, [len(positions) for positions in area_positions])
    passing = np.ones((p.shape[0], 1))
    anything = np.ones((p.shape[0], 1))
    for positions, ok in zip(area_positions, area_ok, strict=True):
        law = _poisson_binomial(p[:, list(positions)])
        passing = _convolve(passing, law * ok)
        anything = _convolve(anything, law)
    return passing @ overall, anything @ overall


def _areas_of(blueprint: Mapping[str, Any], cells: Sequence[tuple[str, str, int]]) -> list[str]:
    if blueprint.get("areas"):
        return list(blueprint["areas"])
    return list(dict.fromkeys(area for area, _, _ in cells))


def decision_quality(blueprint: Mapping[str, Any], pools: Mapping[tuple[str, str], Sequence[CalibratedItem]], *,
                     population: Population = Population(), forms: int = 200, ability_points: int = 60,
                     seed: int | str = 0, balanced: bool = True, exposure: bool = False) -> DecisionQuality:
    """Simulate ``forms`` pairs of forms of ``blueprint`` sat by ``population``; see the module doc.

    ``blueprint``: an entry of ``content/blueprints.yaml`` (cells, pass rule, bands; ``areas``
    optional). ``pools[(area, level)]``: every active item of the cell as a ``CalibratedItem``
    (parameters from ``irt.item_parameters``). ``balanced``: draw as the service does with
    difficulty at the cut and competences given to assembly; False draws as before
    balancing existed (plain entries: random within exposure order), for comparison.
    Form k of the simulation is drawn with seed ``f"{seed}/{k}"`` and nothing seen; with
    ``exposure`` the draws count exposure as the service does, one after the other, and the
    pairs are consecutive draws (forms then come in rotation through each pool), else every
    draw starts from no exposure (independent forms).

    :raise assembly.BankShortage: a cell's pool cannot fill it.
    """
    rule = ScoringRule.from_blueprint(blueprint)
    cells = _cells(blueprint)
    n = sum(count for _, _, count in cells)
    theta_cut, at_cut = difficulties_at_cut(blueprint, pools)
    items = {item.item_id: item for pool in pools.values() for item in pool}
    draw_pools = {
        cell: [PoolItem(item.item_id, item.version_id, item.competence, item.enemy_group, at_cut[item.item_id])
               if balanced else PoolItem(item.item_id, item.version_id) for item in pool]
        for cell, pool in pools.items()}

    counts: dict = {}
    drawn = []
    for k in range(2 * forms):
        form = draw_form(cells, draw_pools, seed=f"{seed}/{k}", candidate_seen=set(), exposure=counts)
        drawn.append(form)
        if exposure:
            for d in form:
                counts[d.item_id] = counts.get(d.item_id, 0) + 1
    a, b, c = (np.array([[getattr(items[d.item_id], name) for d in form] for form in drawn]) for name in "abc")
    position_area = [area for area, _, count in cells for _ in range(count)]
    area_positions = [[i for i, area in enumerate(position_area) if area == code]
                      for code in _areas_of(blueprint, cells) if code in position_area]

    theta, weight = population.abilities(ability_points)
    p = irt.probability(theta[None, :, None], a[:, None, :], b[:, None, :], c[:, None, :])  # forms × θ × items
    passing, overall = (values.reshape(2 * forms, len(theta)) for values in
                        pass_probabilities(rule, area_positions, p.reshape(-1, n)))
    expected, variance = p.sum(axis=2), (p * (1 - p)).sum(axis=2)

    competent = domain_score(theta, cells, pools) >= float(rule.pass_percent) / 100
    pass_rate = float(passing.mean(axis=0) @ weight)
    accuracy = float(np.where(competent, passing, 1 - passing).mean(axis=0) @ weight)
    first, second = passing[0::2], passing[1::2]
    agreement = (first * second + (1 - first) * (1 - second)) @ weight  # per pair
    consistency = float(agreement.mean())
    p1, p2 = float(first.mean(axis=0) @ weight), float(second.mean(axis=0) @ weight)
    chance = p1 * p2 + (1 - p1) * (1 - p2)
    kappa = (consistency - chance) / (1 - chance) if chance < 1 - 1e-12 else None
    competent_weight = float(weight @ competent)
    failed_on_area = float(((overall - passing).mean(axis=0) * competent) @ weight) / competent_weight \
        if competent_weight > 0 else None

    tau = n * domain_score(theta, cells, pools)
    true_variance = float(weight @ (tau - weight @ tau) ** 2)
    mean_score = float(expected.mean(axis=0) @ weight)
    observed_variance = float(((expected - mean_score) ** 2).mean(axis=0) @ weight) + float(
        variance.mean(axis=0) @ weight)
    reliability = true_variance / observed_variance if observed_variance > 0 else None

    cut_p = irt.probability(theta_cut, a, b, c)
    cut_expected, cut_variance = cut_p.sum(axis=1), (cut_p * (1 - cut_p)).sum(axis=1)
    se_at_cut = 100 / n * math.sqrt(cut_variance.mean() + cut_expected.var())
    difference = 100 / n * np.abs(cut_expected[0::2] - cut_expected[1::2])
    return DecisionQuality(
        blueprint=str(blueprint.get("code", "")), items=n, theta_cut=theta_cut, pass_rate=pass_rate,
        competent_rate=competent_weight, reliability=reliability, se_at_cut=se_at_cut, accuracy=accuracy,
        consistency=consistency, consistency_se=float(agreement.std(ddof=1) / math.sqrt(forms)) if forms > 1 else 0.0,
        kappa=kappa, competent_failed_on_area=failed_on_area, form_difference_mean=float(difference.mean()),
        form_difference_p95=float(np.percentile(difference, 95)), forms=forms)


# -- what a consistency needs: the classical normal approximation ------------------------------------


def _gauss_legendre(points: int = 48) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(points)


def normal_both_below(h: float, rho: float) -> float:
    """Φ₂(h, h; ρ): the chance that two standard normal scores with correlation ρ both fall below h.

    Plackett's identity ∂Φ₂/∂ρ = φ₂ integrated from ρ = 0, with r = sin t to remove the end-point
    singularity: Φ₂(h, h; ρ) = Φ(h)² + (1/2π) ∫₀^{arcsin ρ} exp(−h² / (1 + sin t)) dt, by 48-point
    Gauss–Legendre (the integrand is smooth; error far below 1e-12 for ρ in [0, 1]).
    """
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"the correlation must be within [0, 1], not {rho}")
    nodes, weights = _gauss_legendre()
    upper = math.asin(rho)
    t = upper / 2 * (nodes + 1)
    integral = upper / 2 * float(weights @ np.exp(-h * h / (1 + np.sin(t))))
    return NormalDist().cdf(h) ** 2 + integral / (2 * math.pi)


def normal_consistency(reliability: float, pass_rate: float) -> float:
    """Decision consistency by the normal approximation of Peng & Subkoviak (1980): the scores on two
    parallel forms are bivariate normal with correlation ``reliability`` and the cut leaves ``pass_rate``
    of candidates above it, so P(same verdict) = Φ₂(z, z; ρ) + Φ₂(−z, −z; ρ), z = Φ⁻¹(1 − pass_rate).

    A cross-check of ``decision_quality`` and, above all, a bound on what length can buy: with the cut in
    the middle (pass rate ½) it is ½ + arcsin(ρ)/π, so 0.90 needs ρ ≥ sin(0.4 π) ≈ 0.951.
    """
    if not 0.0 < pass_rate < 1.0:
        return 1.0
    z = NormalDist().inv_cdf(1 - pass_rate)
    return 1 - 2 * NormalDist().cdf(z) + 2 * normal_both_below(z, reliability)


def reliability_for_consistency(consistency: float, pass_rate: float) -> float:
    """The least reliability at which ``normal_consistency`` reaches ``consistency`` at ``pass_rate``
    (bisection to 1e-12; 0 when chance agreement already reaches it)."""
    if not 0.0 < consistency < 1.0:
        raise ValueError(f"the consistency must be within (0, 1), not {consistency}")
    low, high = 0.0, 1.0
    if normal_consistency(low, pass_rate) >= consistency:
        return 0.0
    while high - low > 1e-12:
        middle = (low + high) / 2
        if normal_consistency(middle, pass_rate) >= consistency:
            high = middle
        else:
            low = middle
    return high


def spearman_brown_length(reliability: float, target: float) -> float:
    """How many times longer a test of ``reliability`` must be, with items like its own, to reach
    ``target`` (Spearman–Brown: k = ρ*(1 − ρ) / (ρ(1 − ρ*)))."""
    if not (0.0 < reliability < 1.0 and 0.0 < target < 1.0):
        raise ValueError("reliabilities must be within (0, 1)")
    return target * (1 - reliability) / (reliability * (1 - target))


# The item types of the starter bank (211 items on 2026-12-03): 148 four-option single choice,
# 28 true/false, 25 multiple response, 10 ordering. A synthetic bank draws types in these shares.
TYPE_MIX = (("single_choice", 4, 148), ("true_false", 0, 28), ("multiple_response", 4, 25), ("ordering", 4, 10))


def _item_type_for(code: str) -> tuple[str, int]:
    share = (int.from_bytes(hashlib.sha256(f"type:{code}".encode()).digest()[:8], "big") + 0.5) / 2**64
    total = sum(weight for _, _, weight in TYPE_MIX)
    for item_type, options, weight in TYPE_MIX:
        share -= weight / total
        if share < 0:
            return item_type, options
    return TYPE_MIX[-1][:2]


def synthetic_pools(audience: str, sizes: Mapping[tuple[str, str], int],
                    competences: Mapping[str, Sequence[str]] | None = None, *, a_median: float = irt.PRIOR_A_MEDIAN
                    ) -> dict[tuple[str, str], list[CalibratedItem]]:
    """A bank of ``sizes[(area, level)]`` uncalibrated items per cell, for planning.

    Item k of a cell has the code ``"{audience}/{area}/{level}/{k:03d}"``, a type drawn from
    ``TYPE_MIX`` by its code, the parameters ``irt.prior_parameters`` gives it (``a_median``
    to ask "what if the items discriminate better than the prior assumes"), and the
    area's competences (``competences[area]``) in turn. Codes do not depend on the blueprint,
    so two versions of a blueprint drawn from the same ``sizes`` sit on the same bank.
    """
    pools = {}
    for (area, level), size in sizes.items():
        pool = []
        for k in range(size):
            code = f"{audience}/{area}/{level}/{k:03d}"
            item_type, options = _item_type_for(code)
            prior = irt.prior_parameters(code, level, item_type, options, a_median=a_median)
            codes = (competences or {}).get(area) or [None]
            pool.append(CalibratedItem(code, code, prior.a, prior.b, prior.c, codes[k % len(codes)]))
        pools[(area, level)] = pool
    return pools


# -- the report: python -m question_bank.decision ------------------------------------------------

FIRST_BLUEPRINTS = Path(__file__).resolve().parent / "content" / "history" / "blueprints-v1.yaml"


def planning_pools(blueprints: Sequence[Mapping[str, Any]], framework: Mapping[str, Any], multiple: int = 3, *,
                   a_median: float = irt.PRIOR_A_MEDIAN) -> dict[str, dict[tuple[str, str], list[CalibratedItem]]]:
    """Per audience, a ``synthetic_pools`` bank with ``multiple`` × the largest count any of
    ``blueprints`` draws from each cell (the bank grown to fill every version)."""
    sizes: dict[str, dict[tuple[str, str], int]] = {}
    for blueprint in blueprints:
        audience = sizes.setdefault(blueprint["audience"], {})
        for area, level, count in _cells(blueprint):
            audience[(area, level)] = max(audience.get((area, level), 0), multiple * count)
    competences = {area["code"]: [c["code"] for c in area["competences"]] for area in framework["areas"]}
    return {audience: synthetic_pools(audience, cells, competences, a_median=a_median)
            for audience, cells in sizes.items()}


def _row(name: str, blueprint: Mapping[str, Any], quality: DecisionQuality) -> list[str]:
    items_at = blueprint.get("area_min_items", 1)
    area_rule = (f"{blueprint['area_min_percent']}% if ≥{items_at} items" if items_at > 1
                 else f"{blueprint['area_min_percent']}% every area")

    def number(value: float | None, form: str = "{:.3f}") -> str:
        return "—" if value is None else form.format(value)

    return [name, str(quality.items), str(blueprint["pass_percent"]), area_rule, number(quality.reliability),
            number(quality.se_at_cut, "{:.1f}"), number(quality.pass_rate), number(quality.accuracy),
            number(quality.consistency), number(quality.kappa), number(quality.competent_failed_on_area),
            f"{quality.form_difference_mean:.2f} / {quality.form_difference_p95:.2f}"]


def _need_row(blueprint: Mapping[str, Any], quality: DecisionQuality, target: float) -> list[str]:
    needed = reliability_for_consistency(target, quality.pass_rate)
    length = quality.items * spearman_brown_length(quality.reliability, needed) if quality.reliability else math.nan
    minutes = length * blueprint["duration_minutes"] / quality.items
    return [f"{blueprint['code']} v{blueprint['version']}", str(quality.items), f"{quality.pass_rate:.3f}",
            f"{quality.reliability:.3f}", f"{quality.consistency:.3f}",
            f"{normal_consistency(quality.reliability, quality.pass_rate):.3f}", f"{needed:.3f}",
            f"{math.ceil(length)}", f"{math.ceil(minutes)}"]


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table (Markdown pipes), columns as wide as their widest cell."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) + " |"
             for row in [header, *rows]]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the before/after table: the first blueprints (20-item forms, drawn at random) against
    the earlier ones (balanced draw), on a bank of 3 × every cell drawn from the priors."""
    import argparse

    import yaml

    from question_bank import criteria

    parser = argparse.ArgumentParser(prog="python -m question_bank.decision", description=main.__doc__)
    parser.add_argument("--before", type=Path, default=FIRST_BLUEPRINTS, help="YAML with the earlier versions")
    parser.add_argument("--forms", type=int, default=200, help="pairs of forms per blueprint (200)")
    parser.add_argument("--mean", type=float, default=0.0, help="population mean on the θ scale (0)")
    parser.add_argument("--sd", type=float, default=1.0, help="population standard deviation (1)")
    parser.add_argument("--a-median", type=float, default=irt.PRIOR_A_MEDIAN,
                        help="median discrimination of the synthetic bank (1.0, the prior's)")
    parser.add_argument("--frontier", action="store_true", help="also: consistency by pass percent, shipped blueprints")
    parser.add_argument("--target", type=float, default=0.90, help="the consistency to reach (0.90)")
    args = parser.parse_args(argv)

    framework = criteria.read_framework()
    current = criteria.read_blueprints(framework)
    earlier = yaml.safe_load(args.before.read_text(encoding="utf-8"))["blueprints"]
    order = [area["code"] for area in framework["areas"]]
    for blueprint in earlier:
        blueprint["areas"] = [code for code in order if code in {cell["area"] for cell in blueprint["cells"]}]
    pools = planning_pools([*earlier, *current], framework, a_median=args.a_median)
    population = Population(args.mean, args.sd)
    print(f"Population N({args.mean}, {args.sd}²); {args.forms} pairs of forms per blueprint; a bank of 3 × every "
          f"cell drawn from the level priors (irt.prior_parameters, median a {args.a_median}); 'truly competent': "
          f"domain score ≥ pass %.\n")

    header = ["blueprint", "items", "pass %", "area rule", "reliab.", "SE@cut pp", "pass rate", "accuracy",
              "consist.", "kappa", "compet. failed on area", "form diff pp mean/p95"]
    rows, needs = [], []
    for before in earlier:
        after = next((bp for bp in current if bp["code"] == before["code"]), None)
        audience_pools = pools[before["audience"]]
        rows.append(_row(f"{before['code']} v{before['version']} (random draw)", before,
                         decision_quality(before, audience_pools, population=population, forms=args.forms,
                                          balanced=False)))
        if after is not None:
            quality = decision_quality(after, audience_pools, population=population, forms=args.forms)
            rows.append(_row(f"{after['code']} v{after['version']} (balanced draw)", after, quality))
            needs.append(_need_row(after, quality, args.target))
    print(format_table(header, rows))

    print(f"\nWhat a consistency of {args.target:.2f} takes, shipped blueprints: the normal approximation (Peng & "
          "Subkoviak 1980) at the simulated reliability and pass rate, the reliability it needs at that pass rate, "
          "and the length that reaches it with items like today's (Spearman–Brown), at today's minutes per item.\n")
    print(format_table(["blueprint", "items", "pass rate", "reliab.", "consist. simulated", "consist. normal",
                        f"reliab. for {args.target:.2f}", "items needed", "minutes"], needs))

    print("\nForm-to-form difference at the cut, shipped blueprints (pp, mean / p95): today's random draw against "
          "the balanced draw; independent forms, and consecutive forms with exposure counted as the service does.\n")
    rows = []
    for blueprint in current:
        figures = []
        for exposure in (False, True):
            for balanced in (False, True):
                quality = decision_quality(blueprint, pools[blueprint["audience"]], population=population,
                                           forms=args.forms, balanced=balanced, exposure=exposure)
                figures.append(f"{quality.form_difference_mean:.2f} / {quality.form_difference_p95:.2f}")
        rows.append([f"{blueprint['code']} v{blueprint['version']}", *figures])
    print(format_table(["blueprint", "random, independent", "balanced, independent", "random, in rotation",
                        "balanced, in rotation"], rows))

    if args.frontier:
        print("\nConsistency (and pass rate) by pass percent, shipped blueprints with their area rule:\n")
        cuts = range(50, 81, 5)
        rows = []
        for blueprint in current:
            row = [f"{blueprint['code']} v{blueprint['version']}"]
            for cut in cuts:
                bands = [{"code": "dat", "name": "Đạt", "min_percent": cut}, {"code": "chua_dat", "name": "Chưa đạt",
                                                                            "min_percent": 0}]
                quality = decision_quality(dict(blueprint, pass_percent=cut, bands=bands), pools[blueprint["audience"]],
                                           population=population, forms=args.forms // 2)
                row.append(f"{quality.consistency:.3f} ({quality.pass_rate:.2f})")
            rows.append(row)
        print(format_table(["blueprint", *(f"{cut} %" for cut in cuts)], rows))


if __name__ == "__main__":
    main()
