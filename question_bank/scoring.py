"""Scoring an attempt: percent, 10-point score, pass rule and classification band (SPEC §2, §4).

Pure functions over plain values. All sums are exact (``fractions.Fraction``); a figure is
rounded once, half up, to 2 decimals, at the end. So 2 correct out of 3 is 66.67 everywhere.

The pass rule and the band are applied to the percent as rounded and shown: a candidate whose
result reads 60.00 % meets a 60 % threshold, whatever the third decimal was.

``validate_blueprint`` checks a whole blueprint entry of ``content/blueprints.yaml`` (cells,
counts, the scoring rule, bands) so that a bad one is refused when it is loaded, not at the
first submit.
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

from question_bank.item_types import ITEM_TYPES, get_item_type

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
    ``partial_types``: the item types that earn partial credit under this blueprint; a type that can
    (``ItemType.partial_setting``) does when the blueprint sets that setting to ``partial``.

    ``area_min_items``: the area minimum applies only to an area of which the form has at least
    that many items (a "clear deficiency" floor, not a verdict on 2 or 3 answers). A blueprint
    without it means 1: every area of the form, as blueprints written before it meant.
    """

    pass_percent: Fraction
    area_min_percent: Fraction
    bands: tuple[Band, ...]
    partial_types: frozenset[str] = frozenset()
    points_per_item: Fraction = Fraction(1)
    area_min_items: int = 1

    def __post_init__(self):
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "pass_percent", _exact(self.pass_percent, "Ngưỡng đạt (pass_percent)"))
        set_(self, "area_min_percent", _exact(self.area_min_percent, "Ngưỡng tối thiểu mỗi lĩnh vực"))
        set_(self, "points_per_item", _exact(self.points_per_item, "Điểm mỗi câu (points_per_item)"))
        set_(self, "partial_types", frozenset(self.partial_types))
        for code in self.partial_types:
            if not get_item_type(code).partial_setting:
                raise ValueError(f"Loại câu “{code}” không có cách chấm điểm từng phần.")
        set_(self, "bands", tuple(Band(code, name, _exact(minimum, f"Ngưỡng xếp loại {code}"))
                                  for code, name, minimum in self.bands))
        for percent, what in ((self.pass_percent, "Ngưỡng đạt"),
                              (self.area_min_percent, "Ngưỡng tối thiểu mỗi lĩnh vực")):
            if not 0 <= percent <= 100:
                raise ValueError(f"{what} phải nằm trong khoảng 0–100 (nhận được {percent}).")
        if self.points_per_item <= 0:
            raise ValueError("Điểm mỗi câu phải lớn hơn 0.")
        if isinstance(self.area_min_items, bool) or not isinstance(self.area_min_items, int) \
                or self.area_min_items < 1:
            raise ValueError(f"Số câu tối thiểu để xét ngưỡng lĩnh vực (area_min_items) phải là số nguyên "
                             f"từ 1 trở lên (nhận được “{self.area_min_items}”).")
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
                partial_types={code for code, kind in ITEM_TYPES.items()
                               if kind.partial_setting and scoring_mode(kind.partial_setting, "all_or_nothing")},
                points_per_item=blueprint.get("points_per_item", 1),
                area_min_items=blueprint.get("area_min_items", 1),
            )
        except KeyError as missing:
            raise ValueError(f"Cấu trúc đề thiếu trường {missing}.") from None

    def partial_for(self, item_type: str) -> bool:
        """Whether items of this type earn partial credit under this blueprint."""
        return item_type in self.partial_types

    def area_minimum_applies(self, item_count: int) -> bool:
        """Whether the area minimum is checked for an area with ``item_count`` items in the form."""
        return item_count >= self.area_min_items

    def area_passes(self, percent: Fraction | Decimal, item_count: int) -> bool:
        """An area passes when it reaches the area minimum or the minimum does not apply to it."""
        return not self.area_minimum_applies(item_count) or percent >= self.area_min_percent

    def overall_passes(self, percent: Fraction | Decimal) -> bool:
        """The overall threshold alone (the area rule is ``area_passes``)."""
        return percent >= self.pass_percent

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

    ``points=None`` means the blueprint's ``points_per_item``. ``option_count``: the number of the
    item's stored options; multiple-response partial credit needs it.
    """

    area: str
    type: str
    key: Any
    answer: Any
    points: Fraction | int | None = None
    option_count: int | None = None


@dataclass(frozen=True)
class AreaResult:
    """One area of a result. ``passed``: the area minimum is reached or does not apply
    (``minimum_applies`` is False when the form has fewer than ``area_min_items`` of its items)."""

    code: str
    percent: Decimal
    passed: bool
    points: Fraction
    max_points: Fraction
    items: int = 0
    minimum_applies: bool = True


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
                    "minimum_applies": area.minimum_applies,
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
    area with at least ``area_min_items`` items in the form, ``area percent >=
    area_min_percent``. The band is the highest reached if passed, the failing band otherwise
    (so 90 % overall with one checked area under its minimum is "chua_dat").

    ``areas`` follow ``area_names_order`` (the blueprint's order); an area of that list with no
    item in the attempt is left out.

    :raise ValueError: for an attempt without items or an area not in ``area_names_order``.
    """
    if not responses:
        raise ValueError("an attempt without items cannot be scored")
    earned: dict[str, Fraction] = {code: Fraction(0) for code in area_names_order}
    possible: dict[str, Fraction] = {code: Fraction(0) for code in area_names_order}
    counts: dict[str, int] = dict.fromkeys(area_names_order, 0)
    credits: list[Fraction] = []
    for response in responses:
        if response.area not in earned:
            raise ValueError(f"area {response.area!r} is not among the blueprint's areas "
                             f"{list(area_names_order)}")
        points = rule.points_per_item if response.points is None else _exact(response.points, "points")
        credit = get_item_type(response.type).credit(
            response.key, response.answer, partial=rule.partial_for(response.type),
            option_count=response.option_count)
        credits.append(credit)
        earned[response.area] += credit * points
        possible[response.area] += points
        counts[response.area] += 1

    areas = []
    for code in area_names_order:
        if possible[code]:
            percent = round2(earned[code] / possible[code] * _HUNDRED)
            areas.append(AreaResult(code, percent, rule.area_passes(percent, counts[code]),
                                    earned[code], possible[code], counts[code],
                                    rule.area_minimum_applies(counts[code])))

    total, maximum = sum(earned.values()), sum(possible.values())
    exact_percent = total / maximum * _HUNDRED
    percent = round2(exact_percent)
    passed = rule.overall_passes(percent) and all(area.passed for area in areas)
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


BLUEPRINT_KEYS = frozenset({
    "code", "version", "name", "audience", "duration_minutes", "validity_months", "points_per_item",
    "multiple_response_scoring", "ordering_scoring", "pass_percent", "area_min_percent", "area_min_items",
    "bands", "cells", "areas",
})
"""The keys a blueprint entry may have; any other is refused (a misspelt key must not be ignored)."""


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def validate_blueprint(blueprint: Mapping[str, Any], *, audiences: Iterable[str] | None = None,
                       areas: Iterable[str] | None = None, levels: Iterable[str] | None = None) -> ScoringRule:
    """Check a whole blueprint entry as written in ``content/blueprints.yaml``; return its rule.

    Checks the keys (no unknown ones), code, version, name, audience, duration, validity, the
    cells (a list of ``{area, level, count}``, counts whole numbers from 1, no (area, level)
    twice), the scoring rule and its bands (``ScoringRule.from_blueprint``, band codes distinct)
    and that an area minimum above 0 applies to at least one area. ``audiences``, ``areas`` and
    ``levels`` are the framework's codes; a blueprint naming another is refused (not checked when
    None). ``areas``, when the entry has it (``criteria.read_blueprints`` adds it), must list
    exactly the areas of its cells.

    :raise ValueError: with a Vietnamese message that names the blueprint and the problem.
    """
    where = f"Cấu trúc đề {blueprint.get('code') or '(không có mã)'}"

    def refuse(message: str) -> ValueError:
        return ValueError(f"{where}: {message}")

    unknown = sorted(set(blueprint) - BLUEPRINT_KEYS)
    if unknown:
        raise refuse(f"có trường không được hỗ trợ: {', '.join(map(str, unknown))}.")
    for key in ("code", "name", "audience"):
        if not isinstance(blueprint.get(key), str) or not blueprint[key].strip():
            raise refuse(f"thiếu trường {key} hoặc trường này để trống.")
    if audiences is not None and blueprint["audience"] not in set(audiences):
        raise refuse(f"đối tượng “{blueprint['audience']}” không có trong khung năng lực.")
    for key, what in (("version", "Phiên bản (version)"), ("duration_minutes", "Thời gian làm bài (phút)")):
        if not _positive_int(blueprint.get(key)):
            raise refuse(f"{what} phải là số nguyên từ 1 trở lên (nhận được “{blueprint.get(key)}”).")
    if "validity_months" in blueprint and not _positive_int(blueprint["validity_months"]):
        raise refuse(f"Thời hạn chứng nhận (validity_months) phải là số nguyên từ 1 trở lên "
                     f"(nhận được “{blueprint['validity_months']}”).")

    cells = blueprint.get("cells")
    if not isinstance(cells, list) or not cells:
        raise refuse("cần ít nhất một ô (cells) gồm lĩnh vực, mức độ và số câu.")
    known_areas = None if areas is None else set(areas)
    known_levels = None if levels is None else set(levels)
    items_per_area: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, Mapping) or set(cell) != {"area", "level", "count"}:
            raise refuse(f"ô thứ {number} phải có đúng ba trường area, level, count.")
        area, level, count = cell["area"], cell["level"], cell["count"]
        if known_areas is not None and area not in known_areas:
            raise refuse(f"ô thứ {number}: lĩnh vực “{area}” không có trong khung năng lực.")
        if known_levels is not None and level not in known_levels:
            raise refuse(f"ô thứ {number}: mức độ “{level}” không có trong khung năng lực.")
        if not _positive_int(count):
            raise refuse(f"ô {area}/{level}: số câu phải là số nguyên từ 1 trở lên (nhận được “{count}”).")
        if (area, level) in seen:
            raise refuse(f"ô {area}/{level} xuất hiện hai lần; hãy gộp số câu vào một ô.")
        seen.add((area, level))
        items_per_area[area] = items_per_area.get(area, 0) + count
    if "areas" in blueprint and (not isinstance(blueprint["areas"], list)
                                 or sorted(blueprint["areas"]) != sorted(items_per_area)):
        raise refuse(f"danh sách lĩnh vực {blueprint['areas']} không khớp các lĩnh vực của các ô "
                     f"{sorted(items_per_area)}.")

    if not isinstance(blueprint.get("bands"), list) or not all(
            isinstance(band, Mapping) and {"code", "name", "min_percent"} <= set(band) for band in blueprint["bands"]):
        raise refuse("mỗi mức xếp loại (bands) phải có code, name và min_percent.")
    codes = [band["code"] for band in blueprint["bands"]]
    if len(set(codes)) != len(codes):
        raise refuse("mã các mức xếp loại phải khác nhau.")
    try:
        rule = ScoringRule.from_blueprint(blueprint)
    except ValueError as error:
        raise refuse(str(error)) from None
    if rule.area_min_percent > 0 and not any(map(rule.area_minimum_applies, items_per_area.values())):
        raise refuse(f"không lĩnh vực nào có từ {rule.area_min_items} câu trở lên, nên ngưỡng tối thiểu "
                     f"mỗi lĩnh vực ({rule.area_min_percent}%) không bao giờ được xét; đặt area_min_percent: 0 "
                     f"nếu đó là chủ ý.")
    return rule
