"""The quality report of a bank (``quizgen validate --report``).

For each template: how many distinct variants it can make, how often its constraints
reject a draw, the range of each answer, how close the nearest distractor comes to
the answer (in units of the tolerance), and where the right option lands in multiple
choice. A template fails the report when it cannot make its minimum number of
distinct variants, when its own tests fail, or when two options or a distractor and
the answer could be confused after rounding.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import QuizgenError
from .generate import DrawStats, Variant, count_distinct, generate
from .template import TABLE_KINDS, Template
from .validate import run_template_tests
from .values import is_array, to_decimal

_COUNT_LIMIT = 3000


@dataclass
class Quality:
    template: str
    kind: str
    distinct: int
    distinct_exact: bool
    sampled: int
    rejected_share: float
    answer_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    smallest_gap: float | None = None  # nearest distractor: its largest difference from the answer (None: no distractor)
    smallest_gap_mistake: str | None = None
    smallest_ratio: float | None = None  # the same, in units of the answer's tolerance (None: exact answers)
    option_positions: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "template": self.template, "kind": self.kind, "distinct": self.distinct, "distinct_exact": self.distinct_exact,
            "sampled": self.sampled, "rejected_share": round(self.rejected_share, 4),
            "answer_ranges": {k: list(v) for k, v in self.answer_ranges.items()},
            "smallest_gap": self.smallest_gap, "smallest_gap_mistake": self.smallest_gap_mistake, "smallest_gap_in_tolerances": self.smallest_ratio,
            "option_positions": self.option_positions, "problems": self.problems,
        }


def _largest_difference(a: Any, b: Any) -> float:
    if is_array(a):
        return max(abs(float(x) - float(y)) for x, y in zip(a.flat, b.flat))
    return abs(float(a) - float(b))


def _tolerance_floor(tolerance: Any) -> float:
    """The tightest tolerance of an answer (the smallest over its elements)."""
    if isinstance(tolerance, list):
        return min(_tolerance_floor(t) for t in tolerance)
    return float(to_decimal(tolerance, 20))


def _range_update(ranges: dict[str, tuple[float, float]], name: str, value: Any) -> None:
    if isinstance(value, (str, list)):
        return
    items = [float(v) for v in np.ravel(value)] if is_array(value) else [float(value)]
    low, high = ranges.get(name, (min(items), max(items)))
    ranges[name] = (min(low, *items), max(high, *items))


def assess(template: Template, samples: int = 200, seed: int = 0) -> Quality:
    """Draw up to ``samples`` distinct variants and measure them."""
    stats = DrawStats()
    variants: list[Variant] = []
    problems: list[str] = []
    wanted = max(samples, template.min_variants)
    distinct, exact = count_distinct(template, limit=_COUNT_LIMIT)
    if exact:
        wanted = min(wanted, distinct)
    try:
        variants = list(generate(template, wanted, seed, stats=stats))
    except QuizgenError as error:
        problems.append(str(error))
    if not exact:
        distinct = max(distinct, len(variants))
    if distinct < template.min_variants:
        problems.append(f"makes only {distinct} distinct variants; its minimum is {template.min_variants}")
    test_problems = run_template_tests(template)
    problems += test_problems

    ranges: dict[str, tuple[float, float]] = {}
    smallest, smallest_name, smallest_ratio = None, None, None
    positions: Counter = Counter()
    for variant in variants:
        answers = {a.spec.name: a for a in variant.answers}
        for answer in variant.answers:
            _range_update(ranges, answer.spec.name, answer.value)
        if template.kind not in TABLE_KINDS:
            for mistake in variant.mistakes:
                answer = answers[mistake.answer]
                gap = _largest_difference(mistake.value, answer.value)
                floor = _tolerance_floor(answer.tolerance)
                if gap <= floor:
                    problems.append(f"{variant.code}: mistake '{mistake.name}' is within the tolerance of the answer")
                if smallest is None or gap < smallest:
                    smallest, smallest_name = gap, mistake.name
                if floor > 0 and (smallest_ratio is None or gap / floor < smallest_ratio):
                    smallest_ratio = gap / floor
        if variant.options:
            shown = [json.dumps(o.rounded) for o in variant.options]
            if len(set(shown)) != len(shown):
                problems.append(f"{variant.code}: two options are the same after rounding")
            positions[next(i for i, o in enumerate(variant.options) if o.correct)] += 1
    option_positions = [positions.get(i, 0) for i in range(template.option_count)] if template.option_count else []
    if template.kind in ("multichoice", "concept") and len(variants) >= 4 * template.option_count:
        if any(count == 0 for count in option_positions):
            problems.append(f"the right option never lands in some positions: {option_positions}")
    rejected = sum(stats.rejected.values())
    share = rejected / stats.attempts if stats.attempts else 0.0
    return Quality(template.id, template.kind, distinct, exact, len(variants), share, ranges, smallest, smallest_name, smallest_ratio, option_positions, problems)


def format_report(results: list[Quality]) -> str:
    """A fixed-width table, one template a line, problems listed under it."""
    lines = [f"{'template':<38} {'kind':<11} {'distinct':>9} {'rejected':>8} {'nearest distractor':>20}  answers / options"]
    for q in results:
        distinct = f"{q.distinct}" if q.distinct_exact else f">={q.distinct}"
        gap = "-" if q.smallest_gap is None else f"{q.smallest_gap:.4g}" + (f" ({q.smallest_ratio:.1f} tol)" if q.smallest_ratio is not None else "")
        ranges = ", ".join(f"{name} {low:g}..{high:g}" for name, (low, high) in q.answer_ranges.items())
        positions = f"  right option at A.. {q.option_positions}" if q.option_positions else ""
        lines.append(f"{q.template:<38} {q.kind:<11} {distinct:>9} {q.rejected_share:>8.0%} {gap:>20}  {ranges}{positions}")
        if q.smallest_gap is not None and q.smallest_gap_mistake:
            lines.append(f"    nearest distractor: {q.smallest_gap_mistake}")  # whole, on its own line: a name is never cut
        for problem in q.problems:
            lines.append(f"    PROBLEM: {problem}")
    lines.append("")
    lines.append("distinct: variants the template can make (>= when too many to count); rejected: share of draws its")
    lines.append("constraints refused; nearest distractor: its smallest difference from the answer over the sample (and in")
    lines.append("units of the answer's tolerance, which must stay above 1), with the mistake's name.")
    return "\n".join(lines)

