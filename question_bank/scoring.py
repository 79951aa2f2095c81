"""Scoring an attempt: percent, 10-point score, pass rule and classification band (SPEC §2, §4).

Pure functions over plain values. All sums are exact (``fractions.Fraction``); a figure is
rounded once, half up, to 2 decimals, at the end. So 2 correct out of 3 is 66.67 everywhere.

The pass rule and the band are applied to the percent as rounded and shown: a candidate whose
result reads 60.00 % meets a 60 % threshold, whatever the third decimal was.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from numbers import Rational
from typing import Any, NamedTuple

from question_bank.item_types import get_item_type

_HUNDRED = Fraction(100)
_CENT = Decimal("0.01")


def _exact(value: Any, what: str) -> Fraction:
    """A number from a blueprint as an exact fraction (a float is read as its decimal text)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} phải là một số, không phải true/false.")
    if isinstance(value, Rational | Decimal):
        return Fraction(value)
    if isinstance(value, float | str):
        try:
            return Fraction(str(value).strip())
        except ValueError:
            pass
    raise ValueError(f"{what} phải là một số (nhận được “{value}”).")


def round2(value: Fraction) -> Decimal:
    """Round a non-negative exact value half up to 2 decimals (Vietnamese marking practice)."""
    hundredths = math.floor(value * 100 + Fraction(1, 2))
    return (Decimal(hundredths) / 100).quantize(_CENT)


class Band(NamedTuple):
    """A classification band (xếp loại): reached when the percent is at least ``min_percent``."""

    code: str
    name: str
    min_percent: Fraction


@dataclass(frozen=True)
class ScoringRule:
    """How a blueprint turns credits into a result.

    ``bands`` run from the highest to the lowest; the lowest is the failing band (min 0) and
    is given to everyone who does not pass. For that to be consistent, the band above it must
    not ask for more than ``pass_percent`` (else a pass could land in the failing band).
    ``ordering_partial`` is off unless the blueprint sets ``ordering_scoring: partial``.
    """

    pass_percent: Fraction
    area_min_percent: Fraction
    bands: tuple[Band, ...]
    multiple_response_partial: bool
    points_per_item: Fraction = Fraction(1)
    ordering_partial: bool = False

    def __post_init__(self):
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "pass_percent", _exact(self.pass_percent, "Ngưỡng đạt (pass_percent)"))
        set_(self, "area_min_percent", _exact(self.area_min_percent, "Ngưỡng tối thiểu mỗi lĩnh vực"))
        set_(self, "points_per_item", _exact(self.points_per_item, "Điểm mỗi câu (points_per_item)"))
        set_(self, "bands", tuple(Band(code, name, _exact(minimum, f"Ngưỡng xếp loại {code}"))
                                  for code, name, minimum in self.bands))
        for percent, what in ((self.pass_percent, "Ngưỡng đạt"),
                              (self.area_min_percent, "Ngưỡng tối thiểu mỗi lĩnh vực")):
            if not 0 <= percent <= 100:
                raise ValueError(f"{what} phải nằm trong khoảng 0–100 (nhận được {percent}).")
        if self.points_per_item <= 0:
            raise ValueError("Điểm mỗi câu phải lớn hơn 0.")
        minimums = [band.min_percent for band in self.bands]
        if len(self.bands) < 2:
            raise ValueError("Cần ít nhất hai mức xếp loại: một mức đạt và một mức chưa đạt.")
        if any(higher <= lower for higher, lower in pairwise(minimums)):
            raise ValueError("Các mức xếp loại phải được liệt kê theo ngưỡng giảm dần, không trùng nhau.")
        if minimums[-1] != 0:
            raise ValueError("Mức xếp loại thấp nhất (chưa đạt) phải có ngưỡng 0.")
        if minimums[-2] > self.pass_percent:
            raise ValueError(f"Mức xếp loại “{self.bands[-2].name}” đòi hỏi {minimums[-2]}%, cao hơn "
                             f"ngưỡng đạt {self.pass_percent}%: người đạt có thể bị xếp loại chưa đạt.")

    @classmethod
    def from_blueprint(cls, blueprint: Mapping[str, Any]) -> ScoringRule:
        """The rule of one blueprint as written in ``content/blueprints.yaml``.

        :raise ValueError: (Vietnamese message) for a missing or inconsistent setting.
        """
        def scoring_mode(key: str, default: str) -> bool:
            mode = blueprint.get(key, default)
            if mode not in ("partial", "all_or_nothing"):
                raise ValueError(f"{key} phải là “partial” hoặc “all_or_nothing” (nhận được “{mode}”).")
            return mode == "partial"

        try:
            bands = [(band["code"], band["name"], band["min_percent"]) for band in blueprint["bands"]]
            return cls(
                pass_percent=blueprint["pass_percent"],
                area_min_percent=blueprint["area_min_percent"],
                bands=bands,
                multiple_response_partial=scoring_mode("multiple_response_scoring", "all_or_nothing"),
                points_per_item=blueprint.get("points_per_item", 1),
                ordering_partial=scoring_mode("ordering_scoring", "all_or_nothing"),
            )
        except KeyError as missing:
            raise ValueError(f"Cấu trúc đề thiếu trường {missing}.") from None

    def partial_for(self, item_type: str) -> bool:
        """Whether items of this type earn partial credit under this blueprint."""
        if item_type == "multiple_response":
            return self.multiple_response_partial
        if item_type == "ordering":
            return self.ordering_partial
        return False

    @property
    def failing_band(self) -> Band:
        return self.bands[-1]

    def band_for(self, percent: Fraction | Decimal, passed: bool) -> Band:
        """The highest band reached; anyone who did not pass gets the failing band."""
        if not passed:
            return self.failing_band
        return next(band for band in self.bands if percent >= band.min_percent)


@dataclass(frozen=True)
class ScoredResponse:
    """One item of a closed attempt: stored key, saved answer (None if unanswered), points.

    ``points=None`` means the blueprint's ``points_per_item``.
    """

    area: str
    type: str
    key: Any
    answer: Any
    points: Fraction | int | None = None


@dataclass(frozen=True)
class AreaResult:
    code: str
    percent: Decimal
    passed: bool
    points: Fraction
    max_points: Fraction


@dataclass(frozen=True)
class Result:
    """A scored attempt. ``item_credits`` (exact, 0..1) follow the order of the responses."""

    percent: Decimal
    score_10: Decimal
    passed: bool
    classification: Band
    areas: tuple[AreaResult, ...]
    points: Fraction
    max_points: Fraction
    item_credits: tuple[Fraction, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The ``result`` object of the submit API (SPEC §8), numbers as 2-decimal floats."""
        return {
            "percent": float(self.percent),
            "score_10": float(self.score_10),
            "passed": self.passed,
            "classification": self.classification.code,
            "classification_name": self.classification.name,
            "points": float(round2(self.points)),
            "max_points": float(round2(self.max_points)),
            "areas": [
                {
                    "code": area.code,
                    "percent": float(area.percent),
                    "passed": area.passed,
                    "points": float(round2(area.points)),
                    "max_points": float(round2(area.max_points)),
                }
                for area in self.areas
            ],
        }


def score(rule: ScoringRule, responses: Sequence[ScoredResponse], area_names_order: Sequence[str]) -> Result:
    """Score a closed attempt.

    ``percent`` = earned points / maximum points × 100 and ``score_10`` = that / 10, each from
    the exact value, rounded once. ``passed`` needs ``percent >= pass_percent`` AND, in every
    area, ``area percent >= area_min_percent``. The band is the highest reached if passed, the
    failing band otherwise (so 90 % overall with one area under its minimum is "chua_dat").

    ``areas`` follow ``area_names_order`` (the blueprint's order); an area of that list with no
    item in the attempt is left out.

    :raise ValueError: for an attempt without items or an area not in ``area_names_order``.
    """
    if not responses:
        raise ValueError("an attempt without items cannot be scored")
    earned: dict[str, Fraction] = {code: Fraction(0) for code in area_names_order}
    possible: dict[str, Fraction] = {code: Fraction(0) for code in area_names_order}
    credits: list[Fraction] = []
    for response in responses:
        if response.area not in earned:
            raise ValueError(f"area {response.area!r} is not among the blueprint's areas "
                             f"{list(area_names_order)}")
        points = rule.points_per_item if response.points is None else _exact(response.points, "points")
        credit = get_item_type(response.type).credit(
            response.key, response.answer, partial=rule.partial_for(response.type))
        credits.append(credit)
        earned[response.area] += credit * points
        possible[response.area] += points

    areas = []
    for code in area_names_order:
        if possible[code]:
            percent = round2(earned[code] / possible[code] * _HUNDRED)
            areas.append(AreaResult(code, percent, percent >= rule.area_min_percent,
                                    earned[code], possible[code]))

    total, maximum = sum(earned.values()), sum(possible.values())
    exact_percent = total / maximum * _HUNDRED
    percent = round2(exact_percent)
    passed = percent >= rule.pass_percent and all(area.passed for area in areas)
    return Result(
        percent=percent,
        score_10=round2(exact_percent / 10),
        passed=passed,
        classification=rule.band_for(percent, passed),
        areas=tuple(areas),
        points=total,
        max_points=maximum,
        item_credits=tuple(credits),
    )


def missed_competences(item_credits: Iterable[tuple[str, Fraction | float]],
                       threshold: Fraction = Fraction(1, 2)) -> list[str]:
    """"What to study": competences where the candidate's mean credit is below ``threshold``.

    ``item_credits``: one (competence code, credit 0..1) per item of the attempt; a competence
    tested by several items counts their mean. Returned sorted by code.
    """
    totals: dict[str, list[Fraction]] = {}
    for competence, credit in item_credits:
        totals.setdefault(competence, []).append(_exact(credit, "credit"))
    return sorted(code for code, values in totals.items() if sum(values) / len(values) < threshold)
