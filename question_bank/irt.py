"""Item response model and calibration: how likely a candidate of ability θ answers an item right.

The model (logistic, no scaling constant D = 1.7)::

    P(θ) = c + (1 − c) / (1 + exp(−a (θ − b)))

``a`` discrimination, ``b`` difficulty, ``c`` a lower asymptote *fixed* per item by its type,
never estimated: ``guessing_floor`` gives 1/k for a k-option single choice, 1/2 for true/false
and 0 for multiple response and ordering (guessing matters for percent scores). Two models:

``"2pl"``
    ``a`` and ``b`` per item.
``"rasch"``
    one ``a`` shared by every item and ``b`` per item. With ability fixed to N(0, 1) this is
    the Rasch model with the ability standard deviation estimated: the common ``a`` is that
    standard deviation in Rasch logits (θ_rasch = a·θ, b_rasch = a·b).

The scale: calibration fixes the ability of the calibration sample to N(0, 1), so ``b = 0``
is the average candidate of the audience who sat the forms, and one unit is their standard
deviation. Every other figure of the bank (priors, the decision simulation's population) is on
that scale.

Calibration (``calibrate``) is marginal maximum likelihood by EM (Bock & Aitkin, 1981) over a
fixed quadrature of the N(0, 1) ability distribution: 61 equally spaced nodes on [−6, 6] with
weights proportional to the normal density, summing to 1 (``normal_quadrature``; the choice of
the R package mirt). The E-step gives every person's posterior over the nodes; the M-step
maximises, item by item, the expected complete-data log-likelihood plus log-priors by Fisher
scoring with step halving. Default priors (Bayes modal estimation, as BILOG-MG does by default
for slopes): log a ~ N(0, 0.5²) and b ~ N(0, 3²), weak enough that 200 responses dominate them
and strong enough that an item everyone answered right keeps a finite b; ``priors=False``
gives plain MML. Standard errors are the per-item block of the observed information of the
marginal likelihood (Louis' formula: expected complete-data information minus the posterior
variance of the score) plus the priors' information, with the other items' parameters held at
their estimates (so slightly optimistic).

Cost: about 0.2 s per EM cycle per 100,000 responses on the reference machine; 20 to 50 cycles
usually. Calibration is a command's work, not a request's.

Responses are sparse: each person answered only the items of their form. A credit between 0
and 1 (partial credit) enters as a fractional response, x·log P + (1 − x)·log(1 − P).

When an item has no responses, ``prior_parameters`` gives parameters from its level or from a
facility index, drawn once per item from the prior, deterministically from the item's code,
so that an uncalibrated bank already has the spread of a real one.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

MODELS = ("2pl", "rasch")

# Priors of the M-step (Bayes modal estimation): log a ~ N(0, 0.5²), b ~ N(0, 3²).
LOG_A_PRIOR = (0.0, 0.5)
B_PRIOR = (0.0, 3.0)

# The prior of an item without responses: log a ~ N(log 1.0, 0.35²) (median 1.0, 90 % between
# 0.56 and 1.78) and b ~ N(mean of its level, 0.8²). Chosen, not measured: a calibration
# replaces them as soon as an item has MIN_CALIBRATION_RESPONSES responses.
PRIOR_A_MEDIAN = 1.0
PRIOR_LOG_A_SD = 0.35
PRIOR_B_SD = 0.8
LEVEL_B_MEAN = {"co_ban": -1.0, "trung_cap": 0.0, "nang_cao": 1.0}

MIN_CALIBRATION_RESPONSES = 200

_P_FLOOR = 1e-12  # probabilities are kept in [1e-12, 1 − 1e-12] before taking logs
_A_RANGE = (1e-3, 50.0)
_B_RANGE = (-15.0, 15.0)


def guessing_floor(item_type: str, option_count: int) -> float:
    """The fixed lower asymptote c of an item: the chance of a right answer by a blind guess.

    1/k for a single choice among k options, 1/2 for true/false, 0 for multiple response and
    ordering (a blind guess almost never gets those right, and partial credit starts at 0).
    """
    if item_type == "single_choice":
        if option_count < 2:
            raise ValueError(f"a single choice item needs 2 or more options, not {option_count}")
        return 1.0 / option_count
    if item_type == "true_false":
        return 0.5
    if item_type in ("multiple_response", "ordering"):
        return 0.0
    raise ValueError(f"unknown item type {item_type!r}")


@dataclass(frozen=True)
class ItemParameters:
    """One item's parameters. ``n``: the responses they were calibrated on (0: a prior).

    ``source``: ``"calibrated"``, ``"facility"`` (prior centred on a facility index) or
    ``"level"`` (prior of the item's level). ``se_a``/``se_b`` are None for a prior, and
    ``se_a`` is the common slope's for the Rasch model.
    """

    a: float
    b: float
    c: float
    se_a: float | None = None
    se_b: float | None = None
    n: int = 0
    source: str = "calibrated"


def probability(theta, a, b, c):
    """P(θ) = c + (1 − c) / (1 + exp(−a(θ − b))), elementwise with numpy broadcasting."""
    theta, a, b, c = (np.asarray(v, dtype=float) for v in (theta, a, b, c))
    return c + (1.0 - c) / (1.0 + np.exp(-a * (theta - b)))


def information(theta, a, b, c):
    """Fisher information of an item at θ: P′(θ)² / (P(1 − P)), P′ = a(1 − c)ψ(1 − ψ)."""
    theta, a, b, c = (np.asarray(v, dtype=float) for v in (theta, a, b, c))
    psi = 1.0 / (1.0 + np.exp(-a * (theta - b)))
    p = c + (1.0 - c) * psi
    slope = a * (1.0 - c) * psi * (1.0 - psi)
    return slope**2 / (p * (1.0 - p))


# -- quadrature ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quadrature:
    """Nodes θ_q and weights w_q (summing to 1) standing for the ability distribution."""

    nodes: np.ndarray
    weights: np.ndarray

    def __post_init__(self):
        nodes = np.asarray(self.nodes, dtype=float)
        weights = np.asarray(self.weights, dtype=float)
        if nodes.ndim != 1 or nodes.shape != weights.shape or not len(nodes):
            raise ValueError("nodes and weights must be two 1-D arrays of the same length")
        if np.any(weights < 0) or not math.isclose(weights.sum(), 1.0, rel_tol=1e-12):
            raise ValueError("weights must be non-negative and sum to 1")
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "weights", weights)


def normal_quadrature(points: int = 61, limit: float = 6.0, mean: float = 0.0, sd: float = 1.0) -> Quadrature:
    """``points`` equally spaced nodes on mean ± limit·sd, weights ∝ the normal density, sum 1."""
    if points < 2:
        raise ValueError("a quadrature needs 2 or more points")
    z = np.linspace(-limit, limit, points)
    density = np.exp(-0.5 * z * z)
    return Quadrature(mean + sd * z, density / density.sum())


# -- responses -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Responses:
    """A sparse response matrix: one entry per (person, item) answered, sorted by person.

    ``person`` and ``item`` are 0-based indices; ``credit`` the credit 0..1 (1 or 0 for a
    right or wrong answer, a fraction for partial credit). ``item_keys`` names the items
    (e.g. item version ids) and ``person_keys`` the persons (e.g. attempt ids), in index order.
    Build it with ``from_records`` or ``from_matrix``.
    """

    person: np.ndarray
    item: np.ndarray
    credit: np.ndarray
    item_keys: tuple
    person_keys: tuple

    @property
    def persons(self) -> int:
        return len(self.person_keys)

    @property
    def items(self) -> int:
        return len(self.item_keys)

    @classmethod
    def from_records(cls, records: Iterable[tuple[Hashable, Hashable, float]],
                     item_keys: Sequence[Hashable] | None = None) -> Responses:
        """From ``(person key, item key, credit)`` rows, e.g. (attempt id, item version id, credit).

        Items are indexed in order of first appearance, or as ``item_keys`` lists them (then an
        item without responses keeps its place, and a record of an item not listed is refused).
        An unanswered item of a form is a wrong answer: pass it with credit 0, since omitting
        it would leave it missing. A person answering an item twice is refused.
        """
        item_index: dict = {} if item_keys is None else {key: i for i, key in enumerate(item_keys)}
        person_index: dict = {}
        rows = []
        for person_key, item_key, credit in records:
            if item_key not in item_index:
                if item_keys is not None:
                    raise ValueError(f"item {item_key!r} is not among item_keys")
                item_index[item_key] = len(item_index)
            person = person_index.setdefault(person_key, len(person_index))
            rows.append((person, item_index[item_key], credit))
        return cls._build(rows, tuple(item_index), tuple(person_index))

    @classmethod
    def from_matrix(cls, matrix) -> Responses:
        """From a persons × items matrix with None or NaN where the person did not have the item.

        Columns keep their index (an empty column is an item without responses); a row without
        any response is left out (it carries no information), so ``person_keys`` lists the row
        numbers kept.
        """
        values = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float) \
            if not isinstance(matrix, np.ndarray) else np.asarray(matrix, dtype=float)
        if values.ndim != 2:
            raise ValueError("the matrix must have two dimensions")
        persons, items = np.nonzero(~np.isnan(values))
        rows = list(zip(persons.tolist(), items.tolist(), values[persons, items].tolist(), strict=True))
        kept = sorted(set(persons.tolist()))
        renumber = {row: i for i, row in enumerate(kept)}
        return cls._build([(renumber[p], j, x) for p, j, x in rows], tuple(range(values.shape[1])), tuple(kept))

    @classmethod
    def _build(cls, rows, item_keys, person_keys) -> Responses:
        if rows:
            person, item, credit = (np.array(column) for column in zip(*rows, strict=True))
        else:
            person, item, credit = np.zeros(0, int), np.zeros(0, int), np.zeros(0)
        credit = credit.astype(float)
        if np.any(~((credit >= 0) & (credit <= 1))):
            raise ValueError("every credit must be a number between 0 and 1")
        order = np.lexsort((item, person))
        person, item, credit = person[order].astype(np.intp), item[order].astype(np.intp), credit[order]
        if len(person) > 1 and np.any((np.diff(person) == 0) & (np.diff(item) == 0)):
            raise ValueError("a person answered the same item twice")
        return cls(person, item, credit, item_keys, person_keys)

    def counts(self) -> np.ndarray:
        """Responses per item."""
        return np.bincount(self.item, minlength=self.items)


class _Chunks:
    """The responses cut at person boundaries into chunks of about ``size`` responses, each with
    the order and boundaries that sum its rows per person and per item (numpy ``reduceat``)."""

    def __init__(self, data: Responses, size: int = 20_000):
        self.parts = []
        starts = np.flatnonzero(np.r_[True, np.diff(data.person) != 0]) if len(data.person) else np.zeros(0, int)
        begin = 0
        while begin < len(starts):
            end = begin + 1
            first = starts[begin]
            while end < len(starts) and starts[end] - first < size:
                end += 1
            stop = starts[end] if end < len(starts) else len(data.person)
            sl = slice(int(first), int(stop))
            persons = data.person[starts[begin:end]]
            person_starts = starts[begin:end] - first
            items = data.item[sl]
            by_item = np.argsort(items, kind="stable")
            sorted_items = items[by_item]
            item_starts = np.flatnonzero(np.r_[True, np.diff(sorted_items) != 0])
            self.parts.append((sl, persons, person_starts, by_item, sorted_items[item_starts], item_starts))
            begin = end


def _clip(p):
    return np.clip(p, _P_FLOOR, 1.0 - _P_FLOOR)


def _log_terms(a, b, c, nodes):
    """log(1 − P) and log P − log(1 − P), nodes × items (the layout the E-step gathers from)."""
    p = _clip(probability(nodes[:, None], a[None, :], b[None, :], c[None, :]))
    log_q = np.log1p(-p)
    return log_q, np.log(p) - log_q


def _posteriors(data: Responses, chunks: _Chunks, a, b, c, quadrature: Quadrature):
    """Yield, per chunk: (slice, posterior of each response's person over the nodes as a
    nodes × responses array, log marginal likelihood per person of the chunk).

    Arrays are nodes × responses so that the sums per person run along contiguous rows.
    """
    log_q, log_odds = _log_terms(a, b, c, quadrature.nodes)
    with np.errstate(divide="ignore"):
        log_w = np.log(quadrature.weights)[:, None]
    for sl, _persons, person_starts, *_ in chunks.parts:
        items = data.item[sl]
        terms = log_q[:, items] + data.credit[sl] * log_odds[:, items]
        joint = np.add.reduceat(terms, person_starts, axis=1) + log_w
        top = joint.max(axis=0, keepdims=True)
        posterior = np.exp(joint - top)
        total = posterior.sum(axis=0, keepdims=True)
        posterior /= total
        marginal = (top + np.log(total))[0]
        counts = np.diff(np.r_[person_starts, sl.stop - sl.start])
        yield sl, np.repeat(posterior, counts, axis=1), marginal


def log_likelihood(data: Responses, theta, a, b, c) -> float:
    """Σ over responses of x·log P(θ_person) + (1 − x)·log(1 − P(θ_person)), given every θ."""
    theta, a, b, c = (np.asarray(v, dtype=float) for v in (theta, a, b, c))
    p = _clip(probability(theta[data.person], a[data.item], b[data.item], c[data.item]))
    return float(np.sum(data.credit * np.log(p) + (1.0 - data.credit) * np.log1p(-p)))


def marginal_log_likelihood(data: Responses, a, b, c, quadrature: Quadrature | None = None) -> float:
    """Σ over persons of log Σ_q w_q Π_(their items) P(θ_q)^x (1 − P(θ_q))^(1 − x)."""
    quadrature = quadrature or normal_quadrature()
    a, b, c = (np.asarray(v, dtype=float) for v in (a, b, c))
    return float(sum(m.sum() for _, _, m in _posteriors(data, _Chunks(data), a, b, c, quadrature)))


def expected_counts(data: Responses, a, b, c, quadrature: Quadrature, chunks: _Chunks | None = None):
    """The E-step: per item and node, the expected number of responses ``n`` and of credit ``r``.

    n[j, q] = Σ over persons who answered j of their posterior weight at node q; r the same
    weighted by the credit. Also returns the marginal log-likelihood at these parameters.
    """
    chunks = chunks or _Chunks(data)
    a, b, c = (np.asarray(v, dtype=float) for v in (a, b, c))
    n = np.zeros((data.items, len(quadrature.nodes)))
    r = np.zeros_like(n)
    total = 0.0
    for (sl, posterior, marginal), part in zip(_posteriors(data, chunks, a, b, c, quadrature), chunks.parts,
                                               strict=True):
        _, _, _, by_item, items, item_starts = part
        ordered = posterior[:, by_item]
        n[items] += np.add.reduceat(ordered, item_starts, axis=1).T
        r[items] += np.add.reduceat(ordered * data.credit[sl][by_item], item_starts, axis=1).T
        total += marginal.sum()
    return n, r, total


# -- the M-step ---------------------------------------------------------------------------------


def _item_terms(n, r, a, b, c, nodes, priors: bool):
    """Objective, gradient and Fisher information of every item's M-step problem."""
    diff = nodes[None, :] - b[:, None]
    psi = 1.0 / (1.0 + np.exp(-a[:, None] * diff))
    p = _clip(c[:, None] + (1.0 - c[:, None]) * psi)
    v = p * (1.0 - p)
    d = (1.0 - c[:, None]) * psi * (1.0 - psi)
    residual = (r - n * p) / v
    objective = np.sum(r * np.log(p) + (n - r) * np.log1p(-p), axis=1)
    grad_a = np.sum(residual * d * diff, axis=1)
    grad_b = -a * np.sum(residual * d, axis=1)
    weight = n * d * d / v
    info_aa = np.sum(weight * diff * diff, axis=1)
    info_bb = a * a * np.sum(weight, axis=1)
    info_ab = -a * np.sum(weight * diff, axis=1)
    if priors:
        (mean_log_a, sd_log_a), (mean_b, sd_b) = LOG_A_PRIOR, B_PRIOR
        log_a = np.log(a)
        objective = objective - (log_a - mean_log_a) ** 2 / (2 * sd_log_a**2) - (b - mean_b) ** 2 / (2 * sd_b**2)
        grad_a = grad_a - (log_a - mean_log_a) / (sd_log_a**2 * a)
        grad_b = grad_b - (b - mean_b) / sd_b**2
        info_aa = info_aa + 1.0 / (sd_log_a**2 * a * a)
        info_bb = info_bb + 1.0 / sd_b**2
    return objective, grad_a, grad_b, info_aa, info_bb, info_ab


def _bounded(a, b):
    return np.clip(a, *_A_RANGE), np.clip(b, *_B_RANGE)


def _m_step_2pl(n, r, a, b, c, nodes, priors, iterations=100, tolerance=1e-12):
    """Fisher scoring per item (2 × 2 solves, vectorised over items), halving a step that lowers
    an item's objective or leaves the parameter range."""
    a, b = a.copy(), b.copy()
    for _ in range(iterations):
        objective, ga, gb, iaa, ibb, iab = _item_terms(n, r, a, b, c, nodes, priors)
        det = iaa * ibb - iab * iab
        ok = det > 0
        step_a = np.where(ok, (ibb * ga - iab * gb) / np.where(ok, det, 1.0), 0.0)
        step_b = np.where(ok, (iaa * gb - iab * ga) / np.where(ok, det, 1.0), 0.0)
        scale = np.ones_like(a)
        for _ in range(40):
            new_a, new_b = _bounded(a + scale * step_a, b + scale * step_b)
            new_objective = _item_terms(n, r, new_a, new_b, c, nodes, priors)[0]
            worse = new_objective < objective - 1e-12 * np.abs(objective)
            if not worse.any():
                break
            scale = np.where(worse, scale / 2, scale)
        moved = np.maximum(np.abs(new_a - a), np.abs(new_b - b))
        a, b = new_a, new_b
        if moved.max(initial=0.0) < tolerance:
            break
    return a, b


def _m_step_rasch(n, r, a, b, c, nodes, priors, iterations=100, tolerance=1e-12):
    """Fisher scoring on (common a, b_1 … b_J): the information is an arrowhead matrix, solved
    through its Schur complement; the prior on log a counts once."""
    common, b = float(a[0]), b.copy()
    for _ in range(iterations):
        a_vec = np.full_like(b, common)
        objective, ga, gb, iaa, ibb, iab = _item_terms(n, r, a_vec, b, c, nodes, False)
        total_objective, g_a, i_aa = objective.sum(), ga.sum(), iaa.sum()
        if priors:
            (mean_log_a, sd_log_a), (mean_b, sd_b) = LOG_A_PRIOR, B_PRIOR
            total_objective -= (math.log(common) - mean_log_a) ** 2 / (2 * sd_log_a**2) \
                + np.sum((b - mean_b) ** 2) / (2 * sd_b**2)
            g_a -= (math.log(common) - mean_log_a) / (sd_log_a**2 * common)
            i_aa += 1.0 / (sd_log_a**2 * common**2)
            gb = gb - (b - mean_b) / sd_b**2
            ibb = ibb + 1.0 / sd_b**2
        schur = i_aa - np.sum(iab * iab / ibb)
        step_a = (g_a - np.sum(iab * gb / ibb)) / schur
        step_b = (gb - iab * step_a) / ibb
        scale = 1.0
        for _ in range(40):
            new_a = float(np.clip(common + scale * step_a, *_A_RANGE))
            new_b = np.clip(b + scale * step_b, *_B_RANGE)
            new_total = _rasch_objective(n, r, new_a, new_b, c, nodes, priors)
            if new_total >= total_objective - 1e-12 * abs(total_objective):
                break
            scale /= 2
        moved = max(abs(new_a - common), float(np.max(np.abs(new_b - b), initial=0.0)))
        common, b = new_a, new_b
        if moved < tolerance:
            break
    return np.full_like(b, common), b


def _rasch_objective(n, r, common, b, c, nodes, priors):
    objective = _item_terms(n, r, np.full_like(b, common), b, c, nodes, False)[0].sum()
    if priors:
        (mean_log_a, sd_log_a), (mean_b, sd_b) = LOG_A_PRIOR, B_PRIOR
        objective -= (math.log(common) - mean_log_a) ** 2 / (2 * sd_log_a**2) + np.sum((b - mean_b) ** 2) / (
            2 * sd_b**2)
    return objective


def em_step(data: Responses, a, b, c, *, quadrature: Quadrature | None = None, model: str = "2pl",
            priors: bool = True, chunks: _Chunks | None = None):
    """One EM cycle from (a, b): E-step ``expected_counts``, M-step per item (or jointly for the
    Rasch model). Returns (new a, new b, marginal log-likelihood at the *old* parameters).

    Items without responses keep their parameters.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    quadrature = quadrature or normal_quadrature()
    a, b, c = (np.array(v, dtype=float) for v in (a, b, c))
    n, r, total = expected_counts(data, a, b, c, quadrature, chunks)
    has = n.sum(axis=1) > 0
    new_a, new_b = a.copy(), b.copy()
    step = _m_step_rasch if model == "rasch" else _m_step_2pl
    new_a[has], new_b[has] = step(n[has], r[has], a[has], b[has], c[has], quadrature.nodes, priors)
    return new_a, new_b, total


# -- calibration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """What ``calibrate`` returns. ``items`` follows ``Responses.item_keys``; an item without
    responses has None there. ``log_likelihood`` is the marginal one, without the priors."""

    model: str
    items: tuple[ItemParameters | None, ...]
    item_keys: tuple
    log_likelihood: float
    iterations: int
    converged: bool

    def by_key(self) -> dict:
        return dict(zip(self.item_keys, self.items, strict=True))


def _starting_values(data: Responses, c: np.ndarray):
    """a = 1; b from each item's mean credit as if ability were N(0, 1) and a = 1.7 on the
    probit scale (a rough start: EM does the rest)."""
    counts = data.counts()
    sums = np.bincount(data.item, weights=data.credit, minlength=data.items)
    facility = np.where(counts > 0, sums / np.maximum(counts, 1), 0.5)
    above_guessing = np.clip((facility - c) / (1.0 - c), 0.02, 0.98)
    return np.ones(data.items), -np.log(above_guessing / (1.0 - above_guessing)) * math.sqrt(1 + 1 / 1.7**2)


def calibrate(data: Responses, c, *, model: str = "2pl", quadrature: Quadrature | None = None,
              priors: bool = True, max_iterations: int = 2000, tolerance: float = 1e-5) -> Calibration:
    """Estimate every item's a and b by marginal maximum likelihood (EM), c fixed.

    ``c``: the fixed lower asymptote per item, in ``data.item_keys`` order (``guessing_floor``
    of each item; zeros for the pure Rasch model). Stops when no parameter moves more than
    ``tolerance`` in an EM cycle (``converged``) or after ``max_iterations``.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    quadrature = quadrature or normal_quadrature()
    c = np.asarray(c, dtype=float)
    if c.shape != (data.items,) or np.any((c < 0) | (c >= 1)):
        raise ValueError("c needs one value in [0, 1) per item")
    chunks = _Chunks(data)
    a, b = _starting_values(data, c)
    if model == "rasch":
        a[:] = 1.0
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (the count is reported)
        new_a, new_b, _ = em_step(data, a, b, c, quadrature=quadrature, model=model, priors=priors, chunks=chunks)
        moved = max(float(np.max(np.abs(new_a - a), initial=0.0)), float(np.max(np.abs(new_b - b), initial=0.0)))
        a, b = new_a, new_b
        if moved < tolerance:
            converged = True
            break
    counts = data.counts()
    se_a, se_b = standard_errors(data, a, b, c, quadrature=quadrature, model=model, priors=priors, chunks=chunks)
    items = tuple(
        ItemParameters(float(a[j]), float(b[j]), float(c[j]), _finite(se_a[j]), _finite(se_b[j]), int(counts[j]))
        if counts[j] else None
        for j in range(data.items))
    total = marginal_log_likelihood(data, a, b, c, quadrature)
    return Calibration(model, items, data.item_keys, total, iterations, converged)


def _finite(value) -> float | None:
    return float(value) if np.isfinite(value) else None


def _expect(posterior, values):
    """The posterior mean over the nodes, per response (nodes × responses arrays)."""
    return np.sum(posterior * values, axis=0)


def observed_information(data: Responses, a, b, c, *, quadrature: Quadrature | None = None,
                         chunks: _Chunks | None = None) -> np.ndarray:
    """Per item, the block of the observed information of the marginal log-likelihood ℓ for
    (a_j, b_j), as columns (I_aa, I_bb, I_ab), by Louis' formula:

        −∂²ℓ/∂β∂β′ = Σ_persons ( E_post[−∂² log f] − Var_post[∂ log f] ),  β = (a_j, b_j),

    f = P^x (1 − P)^(1 − x) at a node, E and Var over the person's posterior. Priors not included.
    """
    quadrature = quadrature or normal_quadrature()
    chunks = chunks or _Chunks(data)
    a, b, c = (np.asarray(v, dtype=float) for v in (a, b, c))
    nodes = quadrature.nodes
    info = np.zeros((data.items, 3))  # aa, bb, ab
    for (sl, posterior, _), part in zip(_posteriors(data, chunks, a, b, c, quadrature), chunks.parts, strict=True):
        _, _, _, by_item, items, item_starts = part
        j = data.item[sl]
        x = data.credit[sl][None, :]
        aj, bj, cj = a[None, j], b[None, j], c[None, j]
        diff = nodes[:, None] - bj
        psi = 1.0 / (1.0 + np.exp(-aj * diff))
        p = _clip(cj + (1.0 - cj) * psi)
        v = p * (1.0 - p)
        s = psi * (1.0 - psi)
        d_a, d_b = (1.0 - cj) * s * diff, -aj * (1.0 - cj) * s
        u = (x - p) / v  # ∂ log f / ∂P
        du = (-v - (x - p) * (1.0 - 2.0 * p)) / (v * v)  # ∂u / ∂P
        g_a, g_b = u * d_a, u * d_b
        h_aa = du * d_a * d_a + u * (1.0 - cj) * s * (1.0 - 2.0 * psi) * diff * diff
        h_bb = du * d_b * d_b + u * aj * aj * (1.0 - cj) * s * (1.0 - 2.0 * psi)
        h_ab = du * d_a * d_b + u * (1.0 - cj) * (-aj * s * (1.0 - 2.0 * psi) * diff - s)

        e_ga, e_gb = _expect(posterior, g_a), _expect(posterior, g_b)
        per_response = np.stack([
            -_expect(posterior, h_aa) - (_expect(posterior, g_a * g_a) - e_ga * e_ga),
            -_expect(posterior, h_bb) - (_expect(posterior, g_b * g_b) - e_gb * e_gb),
            -_expect(posterior, h_ab) - (_expect(posterior, g_a * g_b) - e_ga * e_gb),
        ], axis=1)
        info[items] += np.add.reduceat(per_response[by_item], item_starts, axis=0)
    return info


def standard_errors(data: Responses, a, b, c, *, quadrature: Quadrature | None = None, model: str = "2pl",
                    priors: bool = True, chunks: _Chunks | None = None):
    """Per item, (se_a, se_b): the inverse of the item's block of ``observed_information`` plus
    the priors' (other items' parameters held fixed). For the Rasch model se_b comes from the
    b_j entry alone and se_a (the same for every item) from the common a's sum over items.
    NaN where the block is not positive definite or the item has no responses.
    """
    a = np.asarray(a, dtype=float)
    info = observed_information(data, a, b, c, quadrature=quadrature, chunks=chunks)
    prior_aa = np.zeros_like(a)
    if priors:
        (_, sd_log_a), (_, sd_b) = LOG_A_PRIOR, B_PRIOR
        prior_aa = np.full_like(a, 1.0 / sd_log_a**2) / (a * a)  # the prior's Fisher information for a
        info[:, 1] += 1.0 / sd_b**2
    has = data.counts() > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if model == "rasch":
            common_info = info[has, 0].sum() + (prior_aa[0] if len(a) else 0.0)
            se_a = np.full(data.items, 1.0 / math.sqrt(common_info) if common_info > 0 else np.nan)
            se_b = 1.0 / np.sqrt(info[:, 1])
        else:
            info[:, 0] += prior_aa
            det = info[:, 0] * info[:, 1] - info[:, 2] ** 2
            positive = (det > 0) & (info[:, 0] > 0)
            se_a = np.where(positive, np.sqrt(info[:, 1] / det), np.nan)
            se_b = np.where(positive, np.sqrt(info[:, 0] / det), np.nan)
    return np.where(has, se_a, np.nan), np.where(has, se_b, np.nan)


# -- priors for items without responses ----------------------------------------------------------


def _code_deviates(code: str) -> tuple[float, float]:
    """Two standard normal deviates fixed by the item's code (SHA-256 → uniform → inverse CDF),
    the same on every machine and Python or numpy version."""
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    uniforms = [(int.from_bytes(digest[i:i + 8], "big") + 0.5) / 2**64 for i in (0, 8)]
    normal = NormalDist()
    return normal.inv_cdf(uniforms[0]), normal.inv_cdf(uniforms[1])


def expected_facility(a: float, b: float, c: float, quadrature: Quadrature | None = None) -> float:
    """The mean probability of a right answer over the ability distribution (default N(0, 1))."""
    quadrature = quadrature or normal_quadrature()
    return float(np.dot(quadrature.weights, probability(quadrature.nodes, a, b, c)))


def difficulty_for_facility(facility: float, a: float, c: float, quadrature: Quadrature | None = None) -> float:
    """The b at which an item of slope a and floor c has ``facility`` as its expected facility
    over N(0, 1) (bisection to 1e-10; the facility is first kept within (c + 0.01, 0.99))."""
    quadrature = quadrature or normal_quadrature()
    target = min(max(float(facility), c + 0.01), 0.99)
    low, high = -12.0, 12.0  # expected facility falls as b rises
    while high - low > 1e-10:
        middle = (low + high) / 2
        if expected_facility(a, middle, c, quadrature) > target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def prior_parameters(code: str, level: str, item_type: str, option_count: int,
                     facility: float | None = None, *, a_median: float = PRIOR_A_MEDIAN) -> ItemParameters:
    """Parameters of an item without a calibration: a deterministic draw from the prior.

    a = a_median · exp(0.35 z₁), a_median 1.0 (another value asks "what if"). Without a facility
    index, b = (mean of the level: co_ban −1, trung_cap 0, nang_cao +1) + 0.8 z₂; with one (the
    mean credit from real attempts, or an author's estimate), b is the value at which the item's
    expected facility over N(0, 1) is that index, given the drawn a. z₁, z₂ come from the item's
    code (``_code_deviates``), so an item keeps its draw across loads and machines.
    """
    c = guessing_floor(item_type, option_count)
    z_a, z_b = _code_deviates(code)
    a = a_median * math.exp(PRIOR_LOG_A_SD * z_a)
    if facility is not None:
        return ItemParameters(a, difficulty_for_facility(facility, a, c), c, source="facility")
    if level not in LEVEL_B_MEAN:
        raise ValueError(f"unknown level {level!r}")
    return ItemParameters(a, LEVEL_B_MEAN[level] + PRIOR_B_SD * z_b, c, source="level")


def item_parameters(code: str, level: str, item_type: str, option_count: int, *,
                    calibrated: ItemParameters | None = None, facility: float | None = None,
                    min_responses: int = MIN_CALIBRATION_RESPONSES) -> ItemParameters:
    """The parameters to use for an item: its calibration when it rests on ``min_responses``
    responses or more, else ``prior_parameters`` (from the facility index when given)."""
    if calibrated is not None and calibrated.n >= min_responses:
        return calibrated
    return prior_parameters(code, level, item_type, option_count, facility)
