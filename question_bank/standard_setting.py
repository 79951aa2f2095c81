"""Standard setting by the modified Angoff method: a panel derives a blueprint's pass mark.

Each panel member (rater) judges, item by item, the probability that a *minimally competent*
candidate answers it right (a number 0..1). The panel may discuss and rate again: ratings carry
a round number, and for each rater and item the rating of the latest round counts (a rater who
changes nothing in a later round need not rate the item again).

For one rater, the cut is the weighted mean of their ratings × 100, in percent of the points:
the score the minimally competent candidate is expected to reach. The panel's cut is the mean of
the raters' cuts; their spread is the sample standard deviation of the raters' cuts (n − 1),
and the standard error of the cut that spread / √(number of raters).

Weights: with equal weights the cut is the expected percent on the set of items rated (one
form, say). A blueprint draws a different form for each candidate; rating a sample of each
cell and weighting item j of cell c by count_c / (items rated in c) (``blueprint_weights``)
makes the cut the expected percent on a form drawn at random.

Every sum is exact (``fractions.Fraction``; a rating given as a float is read as its decimal
text); the figures in percent are rounded half up to 2 decimals, as scores are.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from question_bank.scoring import round2


@dataclass(frozen=True)
class Rating:
    """One judgement: ``rater`` thinks a minimally competent candidate answers ``item`` right
    with ``probability`` (0..1), in ``round`` (1, 2, …)."""

    rater: str
    item: Hashable
    probability: Any
    round: int = 1


@dataclass(frozen=True)
class AngoffResult:
    """A panel's cut. ``cut`` exact and ``cut_percent`` as shown; ``rater_cuts`` per rater, in
    percent, exact; ``spread`` and ``standard_error`` in percentage points (None with one rater);
    ``rounds``: the cut after each round (latest ratings up to it), for the record."""

    cut: Fraction
    cut_percent: Decimal
    rater_cuts: dict[str, Fraction]
    spread: float | None
    standard_error: float | None
    raters: int
    items: int
    last_round: int
    rounds: dict[int, Decimal] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """For storing with the blueprint version it sets: numbers as 2-decimal floats."""
        return {
            "cut_percent": float(self.cut_percent),
            "rater_cuts": {rater: float(round2(cut)) for rater, cut in self.rater_cuts.items()},
            "spread": None if self.spread is None else round(self.spread, 2),
            "standard_error": None if self.standard_error is None else round(self.standard_error, 2),
            "raters": self.raters,
            "items": self.items,
            "last_round": self.last_round,
            "rounds": {str(number): float(cut) for number, cut in self.rounds.items()},
        }


def _probability(value: Any, where: str) -> Fraction:
    if isinstance(value, bool):
        raise ValueError(f"{where}: xác suất phải là một số từ 0 đến 1, không phải true/false.")
    try:
        exact = Fraction(value) if isinstance(value, int | Fraction | Decimal) else Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{where}: xác suất phải là một số từ 0 đến 1 (nhận được “{value}”).") from None
    if not 0 <= exact <= 1:
        raise ValueError(f"{where}: xác suất phải nằm trong khoảng 0–1 (nhận được {value}).")
    return exact


def _latest(ratings: Iterable[Rating], up_to: int | None = None) -> dict[str, dict[Hashable, Fraction]]:
    """Per rater and item, the rating of the latest round (up to ``up_to``)."""
    latest: dict[str, dict[Hashable, tuple[int, Fraction]]] = {}
    for rating in ratings:
        if up_to is not None and rating.round > up_to:
            continue
        where = f"Người đánh giá “{rating.rater}”, câu {rating.item}, vòng {rating.round}"
        mine = latest.setdefault(rating.rater, {})
        previous = mine.get(rating.item)
        if previous is not None and previous[0] == rating.round:
            raise ValueError(f"{where}: câu này đã được đánh giá trong vòng này.")
        if previous is None or previous[0] < rating.round:
            mine[rating.item] = (rating.round, _probability(rating.probability, where))
    return {rater: {item: value for item, (_, value) in items.items()} for rater, items in latest.items()}


def _check(ratings: list[Rating]) -> None:
    if not ratings:
        raise ValueError("Chưa có đánh giá nào.")
    for rating in ratings:
        if not isinstance(rating.rater, str) or not rating.rater.strip():
            raise ValueError("Mỗi đánh giá phải ghi người đánh giá.")
        if isinstance(rating.round, bool) or not isinstance(rating.round, int) or rating.round < 1:
            raise ValueError(f"Người đánh giá “{rating.rater}”, câu {rating.item}: vòng đánh giá phải là số nguyên "
                             f"từ 1 trở lên (nhận được “{rating.round}”).")


def _panel(latest: dict[str, dict[Hashable, Fraction]], items: list[Hashable],
           weights: Mapping[Hashable, Any] | None) -> tuple[Fraction, dict[str, Fraction]]:
    weight = {item: Fraction(1) if weights is None else Fraction(str(weights[item])) for item in items}
    total = sum(weight.values())
    rater_cuts = {rater: 100 * sum(weight[item] * given[item] for item in items) / total
                  for rater, given in sorted(latest.items())}
    return sum(rater_cuts.values()) / len(rater_cuts), rater_cuts


def angoff_cut(ratings: Iterable[Rating], *, items: Iterable[Hashable] | None = None,
               weights: Mapping[Hashable, Any] | None = None) -> AngoffResult:
    """The panel's cut from every rating given (all rounds; the latest per rater and item counts).

    ``items``: what each rater must have rated (default: every item rated by anyone).
    ``weights``: item → positive weight (default equal; see ``blueprint_weights``).

    :raise ValueError: (Vietnamese) no ratings, a probability outside 0..1, two ratings of one
        item by one rater in one round, a rater missing items, or a missing or non-positive weight.
    """
    ratings = list(ratings)
    _check(ratings)
    latest = _latest(ratings)
    wanted = list(dict.fromkeys(items)) if items is not None else list(
        dict.fromkeys(rating.item for rating in ratings))
    for rater, given in sorted(latest.items()):
        missing = [item for item in wanted if item not in given]
        if missing:
            raise ValueError(f"Người đánh giá “{rater}” chưa đánh giá {len(missing)} câu: "
                             f"{', '.join(map(str, missing[:10]))}{' …' if len(missing) > 10 else ''}.")
    if weights is not None:
        bad = [item for item in wanted if item not in weights or Fraction(str(weights[item])) <= 0]
        if bad:
            raise ValueError(f"Thiếu trọng số dương cho các câu: {', '.join(map(str, bad[:10]))}.")
    cut, rater_cuts = _panel(latest, wanted, weights)
    raters = len(rater_cuts)
    spread = standard_error = None
    if raters > 1:
        variance = sum((value - cut) ** 2 for value in rater_cuts.values()) / (raters - 1)
        spread = math.sqrt(variance)
        standard_error = spread / math.sqrt(raters)
    last_round = max(rating.round for rating in ratings)
    rounds = {}
    for number in sorted({rating.round for rating in ratings}):
        upto = _latest(ratings, number)
        if all(item in given for given in upto.values() for item in wanted) and len(upto) == raters:
            rounds[number] = round2(_panel(upto, wanted, weights)[0])
    return AngoffResult(cut, round2(cut), rater_cuts, spread, standard_error, raters, len(wanted), last_round,
                        rounds)


def blueprint_weights(counts: Mapping[tuple[str, str], int],
                      item_cells: Mapping[Hashable, tuple[str, str]]) -> dict[Hashable, Fraction]:
    """Weights that make the cut the expected percent on a randomly drawn form: item j rated in
    cell c weighs ``counts[c] / (items rated in c)``.

    ``counts``: the blueprint's items per (area, level); ``item_cells``: each rated item's cell.

    :raise ValueError: a cell the blueprint draws from has no rated item, or an item's cell is
        not in the blueprint.
    """
    rated: dict[tuple[str, str], int] = {}
    for item, cell in item_cells.items():
        if cell not in counts:
            raise ValueError(f"Câu {item} thuộc ô {cell[0]}/{cell[1]}, không có trong cấu trúc đề.")
        rated[cell] = rated.get(cell, 0) + 1
    unrated = [f"{area}/{level}" for (area, level), count in counts.items() if count and not rated.get((area, level))]
    if unrated:
        raise ValueError(f"Chưa có câu nào được đánh giá trong các ô: {', '.join(unrated)}.")
    return {item: Fraction(counts[cell], rated[cell]) for item, cell in item_cells.items()}
