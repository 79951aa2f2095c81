"""Item and test statistics with Moodle's definitions (docs.moodle.org, "Quiz statistics
calculations"; question/classes/statistics/questions/calculator.php).

Input is a score matrix: one row per attempt, one column per item, each cell the credit the
attempt earned on the item (a fraction 0..1) or ``None`` when the item was not in that
attempt's form. Each column weighs the same in an attempt's total (a blueprint gives every
item the same points), so an attempt's total is the sum of its row.

Per item, over the attempts that had it (``n`` of them), with sample (n − 1) variances as Moodle:

- facility index F = mean credit;
- standard deviation SD of the credit;
- discrimination index D = 100 × r(x, X), the Pearson correlation between the item's credit x
  and the rest-of-test score X = row total − x (item–rest correlation, shown ×100 as Moodle);
- discriminative efficiency DE = 100 × Cov(x, X) / Cov_max(x, X), where Cov_max pairs x and X
  each sorted ascending (the largest covariance their distributions allow).

Per test (``reliability``): Cronbach's alpha (Moodle's coefficient of internal consistency,
here as a fraction, not ×100) = k/(k − 1) × (1 − Σ Var(x_i) / Var(T)), and the standard error
of measurement SEM = SD(T) × √(1 − alpha), in the units of T (sum of credits).

Random forms: alpha needs every attempt to have a score on every column. Moodle computes it
per quiz *slot* (position), whatever question the slot drew; do the same by passing the
attempts × positions matrix (a drawn form's positions follow the blueprint's cells, so position
p always comes from the same cell). Rows with a ``None`` are left out of ``reliability``.

A figure that would divide by zero (too few attempts, no variance) is ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

Matrix = Sequence[Sequence[float | None]]

MIN_ATTEMPTS = 10
TOO_HARD = 0.1
TOO_EASY = 0.9
WEAK_EFFICIENCY = 15  # Moodle's "dubious question" (statistics_table.php, is_dubious_question): DE < 15 %

FLAG_MESSAGES = {
    "too_few_attempts": f"Chưa đủ dữ liệu: dưới {MIN_ATTEMPTS} lượt làm bài có câu hỏi này.",
    "negative_discrimination": "Độ phân biệt âm: thí sinh có điểm cao lại làm câu này kém hơn; "
                               "cần kiểm tra đáp án và nội dung.",
    "weak_discrimination": f"Phân biệt yếu: hiệu quả phân biệt dưới {WEAK_EFFICIENCY} % (ngưỡng của Moodle); "
                           "câu này đóng góp ít vào quyết định đạt/không đạt, nên xem lại hoặc thay.",
    "too_hard": "Quá khó: chỉ số dễ dưới 0,1.",
    "too_easy": "Quá dễ: chỉ số dễ trên 0,9.",
}


@dataclass(frozen=True)
class ItemStats:
    attempts: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    discriminative_efficiency: float | None


@dataclass(frozen=True)
class Reliability:
    attempts: int  # complete rows used
    items: int
    mean: float | None  # mean total score (sum of credits)
    sd: float | None
    alpha: float | None
    sem: float | None


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _covariance(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Sample covariance (n − 1); the caller ensures n >= 2."""
    mean_x, mean_y = _mean(xs), _mean(ys)
    return math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def _varies(values: Sequence[float]) -> bool:
    # Exact test: a float mean of equal values can leave a tiny non-zero "variance".
    return len(set(values)) > 1


def _checked(matrix: Matrix) -> list[list[float | None]]:
    rows = [list(row) for row in matrix]
    width = len(rows[0]) if rows else 0
    for number, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"row {number} has {len(row)} columns, expected {width}")
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= 1:
                raise ValueError(f"cell ({number}, {column}) must be a fraction 0..1 or None, got {value!r}")
            row[column] = float(value)
    return rows


def item_statistics(matrix: Matrix) -> list[ItemStats]:
    """Facility, SD, discrimination and discriminative efficiency of every column, in order."""
    rows = _checked(matrix)
    totals = [math.fsum(value for value in row if value is not None) for row in rows]
    width = len(rows[0]) if rows else 0
    result = []
    for column in range(width):
        scores = [(row[column], total) for row, total in zip(rows, totals, strict=True)
                  if row[column] is not None]
        result.append(_item_stats([x for x, _ in scores], [total - x for x, total in scores]))
    return result


def _item_stats(xs: list[float], rests: list[float]) -> ItemStats:
    n = len(xs)
    if n == 0:
        return ItemStats(0, None, None, None, None)
    facility = _mean(xs)
    if n < 2:
        return ItemStats(n, facility, None, None, None)
    sd = math.sqrt(_covariance(xs, xs)) if _varies(xs) else 0.0
    if not (_varies(xs) and _varies(rests)):
        return ItemStats(n, facility, sd, None, None)
    covariance = _covariance(xs, rests)
    discrimination = 100 * covariance / math.sqrt(_covariance(xs, xs) * _covariance(rests, rests))
    covariance_max = _covariance(sorted(xs), sorted(rests))
    efficiency = 100 * covariance / covariance_max if covariance_max > 0 else None
    return ItemStats(n, facility, sd, discrimination, efficiency)


def reliability(matrix: Matrix) -> Reliability:
    """Cronbach's alpha and the SEM over the attempts with a score in every column."""
    rows = [row for row in _checked(matrix) if None not in row]
    k = len(rows[0]) if rows else 0
    n = len(rows)
    if n == 0:
        return Reliability(0, k, None, None, None, None)
    totals = [math.fsum(row) for row in rows]
    mean = _mean(totals)
    if n < 2:
        return Reliability(n, k, mean, None, None, None)
    if not _varies(totals):
        return Reliability(n, k, mean, 0.0, None, None)
    total_variance = _covariance(totals, totals)
    sd = math.sqrt(total_variance)
    if k < 2:
        return Reliability(n, k, mean, sd, None, None)
    item_variance = math.fsum(_covariance(column, column) for column in map(list, zip(*rows, strict=True)))
    alpha = k / (k - 1) * (1 - item_variance / total_variance)
    sem = sd * math.sqrt(max(0.0, 1 - alpha))
    return Reliability(n, k, mean, sd, alpha, sem)


def flag_item(stats: ItemStats, *, min_attempts: int = MIN_ATTEMPTS) -> list[str]:
    """Reasons to send an item back for review, as codes of ``FLAG_MESSAGES``.

    Under ``min_attempts`` attempts only ``too_few_attempts`` is given: the other figures are
    noise on so few answers. Otherwise: ``negative_discrimination`` (D < 0),
    ``weak_discrimination`` (DE < 15 while D is not negative: Moodle's "dubious question", one that adds
    little to the pass/fail decision; a negative D has its own flag), ``too_hard`` (F < 0.1),
    ``too_easy`` (F > 0.9).
    """
    if stats.attempts < min_attempts:
        return ["too_few_attempts"]
    flags = []
    if stats.discrimination is not None and stats.discrimination < 0:
        flags.append("negative_discrimination")
    elif stats.discriminative_efficiency is not None and stats.discriminative_efficiency < WEAK_EFFICIENCY:
        flags.append("weak_discrimination")
    if stats.facility is not None and stats.facility < TOO_HARD:
        flags.append("too_hard")
    if stats.facility is not None and stats.facility > TOO_EASY:
        flags.append("too_easy")
    return flags
