"""Item analysis: how hard each item was, whether it told strong students from weak ones, and how reliable the test was.

Plain formulas over lists of floats (no numpy), each one documented in docs/grading.md and
checked against numpy in tests/test_grade.py. A statistic that is undefined for the data
(one student, or everyone with the same score: a division by zero) is ``None``, never NaN
and never an error.

Moodle's quiz statistics report defines the same quantities for the same kind of data
(docs/grading.md says where we differ): the facility index, the standard deviation, the
"discrimination index" (Moodle's is the correlation with the rest of the test, our
``rest_correlation``), the coefficient of internal consistency (Cronbach's alpha) and the
standard error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

GROUP_SHARE = 0.27  # the upper and lower groups of the discrimination index: 27 % of the class each (Kelley)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def variance(values: Sequence[float]) -> float | None:
    """The sample variance (n − 1), as Moodle's report uses; None for fewer than two values."""
    n = len(values)
    if n < 2:
        return None
    m = sum(values) / n
    return sum((x - m) ** 2 for x in values) / (n - 1)


def sd(values: Sequence[float]) -> float | None:
    v = variance(values)
    return None if v is None else math.sqrt(v)


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None when either side does not vary (or fewer than two pairs)."""
    n = len(xs)
    if n != len(ys):
        raise ValueError("correlation of lists of different lengths")
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 * max(1.0, mx * mx) * n or syy <= 1e-12 * max(1.0, my * my) * n:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def facility(scores: Sequence[float], max_points: float) -> float | None:
    """The mean share of the item's points that students got (0 to 1)."""
    m = mean(scores)
    return None if m is None or max_points <= 0 else m / max_points


def group_size(n: int, share: float = GROUP_SHARE) -> int:
    """Students in each of the upper and lower groups: round(27 % of n), at least 1; 0 when n < 2."""
    if n < 2:
        return 0
    return max(1, min(n // 2, math.floor(share * n + 0.5)))


def discrimination_index(scores: Sequence[float], max_points: float, totals: Sequence[float], share: float = GROUP_SHARE) -> float | None:
    """Upper-minus-lower: the item's facility among the best 27 % by total, minus among the worst 27 %.

    Students are ranked by total; ties keep the order of the class (first in the list first),
    so the same input always gives the same groups. None for fewer than two students, or when
    every total is the same (there is no "better" group).
    """
    n = len(scores)
    g = group_size(n, share)
    if g == 0 or max_points <= 0 or max(totals) - min(totals) <= 1e-12:
        return None
    order = sorted(range(n), key=lambda i: (-totals[i], i))
    upper, lower = order[:g], order[-g:]
    return (sum(scores[i] for i in upper) - sum(scores[i] for i in lower)) / (g * max_points)


def rest_correlation(scores: Sequence[float], totals: Sequence[float]) -> float | None:
    """The corrected item-total (point-biserial for a right/wrong item) correlation: the item with the rest of the test."""
    return correlation(scores, [t - s for s, t in zip(scores, totals)])


def cronbach_alpha(matrix: Sequence[Sequence[float]]) -> float | None:
    """α = k/(k−1) · (1 − Σ var(item) / var(total)); one row per student, one column per item.

    For items scored 0 or 1 it is KR-20 (the same formula with p·q for the item variances,
    when both variances use the same denominator). None for fewer than two items or
    students, or when the totals do not vary.
    """
    if len(matrix) < 2 or not matrix[0] or len(matrix[0]) < 2:
        return None
    k = len(matrix[0])
    totals = [sum(row) for row in matrix]
    total_var = variance(totals)
    if total_var is None or total_var <= 1e-12:
        return None
    item_vars = [variance([row[j] for row in matrix]) or 0.0 for j in range(k)]
    return k / (k - 1) * (1 - sum(item_vars) / total_var)


def is_dichotomous(matrix: Sequence[Sequence[float]], maxima: Sequence[float]) -> bool:
    """Every score is 0 or the item's full points (KR-20 is then the name of alpha)."""
    return all(x == 0 or x == m for row in matrix for x, m in zip(row, maxima))


def sem(sd_total: float | None, alpha: float | None) -> float | None:
    """The standard error of measurement, SD · √(1 − α) (Moodle's "standard error"); None when either is undefined."""
    if sd_total is None or alpha is None:
        return None
    return sd_total * math.sqrt(max(0.0, 1 - alpha))


@dataclass
class TestStats:
    """The test as a whole."""

    students: int
    items: int
    max_points: float
    mean: float | None
    sd: float | None
    alpha: float | None
    kr20: bool  # alpha is KR-20: every item scored right or wrong
    sem: float | None


def test_stats(matrix: Sequence[Sequence[float]], maxima: Sequence[float]) -> TestStats:
    totals = [sum(row) for row in matrix]
    alpha = cronbach_alpha(matrix)
    spread = sd(totals)
    return TestStats(len(matrix), len(maxima), float(sum(maxima)), mean(totals), spread, alpha, is_dichotomous(matrix, maxima), sem(spread, alpha))


test_stats.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
TestStats.__test__ = False  # type: ignore[attr-defined]

__all__ = [
    "GROUP_SHARE", "TestStats", "correlation", "cronbach_alpha", "discrimination_index", "facility", "group_size", "is_dichotomous",
    "mean", "rest_correlation", "sd", "sem", "test_stats", "variance",
]
