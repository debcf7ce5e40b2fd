"""The quality report of a bank (``quizgen validate --report``).

For each template: how many distinct variants it can make, how often its constraints
reject a draw, the range of each answer, how close the nearest distractor comes to
the answer (in units of the tolerance), and where the right option lands in multiple
choice. A template fails the report when it cannot make its minimum number of
distinct variants, when its own tests fail, or when two options or a distractor and
the answer could be confused after rounding, when two of an answer's values (the answer
and its kept mistakes) lie too close to be told apart (``closeness``), or when a mistake
named on one answer is missing on its twin (an answer computed by the same formula from
other values: the height and the width of a feature map).
"""

from __future__ import annotations

import ast
import functools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ExpressionError, QuizgenError
from ..parallel import ordered_map, worker_count
from .closeness import first_close_entry, shown, tolerances
from .counting import Count, count_variants
from .expressions import parse
from .generate import DrawStats, Variant, generate, within
from .template import TABLE_KINDS, Mistake, Template
from .validate import run_template_tests
from .values import is_array, to_decimal


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
    too_close_drops: dict[str, int] = field(default_factory=dict)  # mistake: in how many sampled variants it was dropped as too close
    counted: Count | None = None  # how ``distinct`` was found: counted, estimated (with its interval) or a lower bound

    @property
    def distinct_text(self) -> str:
        """'238' when counted, '~1.1e6' when estimated, '>=100' when only a lower bound is known."""
        if self.counted is None or self.counted.method == "lower bound":
            return f"{self.distinct}" if self.distinct_exact else f">={self.distinct}"
        return self.counted.describe()

    def as_dict(self) -> dict[str, Any]:
        counted = self.counted
        estimate = counted is not None and counted.method == "estimate"
        return {
            "template": self.template, "kind": self.kind, "distinct": self.distinct, "distinct_exact": self.distinct_exact,
            "distinct_method": counted.method if counted is not None else ("exact" if self.distinct_exact else "lower bound"),
            "distinct_interval": [counted.low, counted.high] if estimate else None,
            "distinct_confidence": counted.confidence if estimate else None,
            "sampled": self.sampled, "rejected_share": round(self.rejected_share, 4),
            "answer_ranges": {k: list(v) for k, v in self.answer_ranges.items()},
            "smallest_gap": self.smallest_gap, "smallest_gap_mistake": self.smallest_gap_mistake, "smallest_gap_in_tolerances": self.smallest_ratio,
            "option_positions": self.option_positions, "problems": self.problems, "too_close_drops": self.too_close_drops,
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


def _unify(a: ast.AST, b: ast.AST, template: Template, mapping: dict[str, str]) -> bool:
    """Whether two expression trees are the same formula, the names of one mapped to the other's."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ast.Name):
        return _unify_names(a.id, b.id, template, mapping)
    for name in a._fields:
        left, right = getattr(a, name, None), getattr(b, name, None)
        if isinstance(left, list):
            if not isinstance(right, list) or len(left) != len(right):
                return False
            pairs = list(zip(left, right))
        else:
            pairs = [(left, right)]
        for x, y in pairs:
            if isinstance(x, ast.AST):
                if not isinstance(y, ast.AST) or not _unify(x, y, template, mapping):
                    return False
            elif x != y:
                return False
    return True


def _unify_names(a: str, b: str, template: Template, mapping: dict[str, str]) -> bool:
    if a in mapping:
        return mapping[a] == b
    if b in mapping.values():
        return False
    variables = {v.name: v for v in template.variables}
    if a not in variables or b not in variables:
        return a == b  # a function or a constant
    mapping[a] = b
    if a == b:
        return True
    first, second = variables[a], variables[b]
    if first.is_draw != second.is_draw:
        return False
    return first.is_draw or _unify(_tree(first.expression.text), _tree(second.expression.text), template, mapping)


def _tree(text: str) -> ast.AST:
    return ast.parse(text, mode="eval").body  # an expression the template already parsed and checked


def _dependencies(template: Template, name: str) -> set[str]:
    variables = {v.name: v for v in template.variables}
    seen: set[str] = set()
    todo = [name]
    while todo:
        for used in variables[todo.pop()].expression.names:
            if used in variables and used not in seen:
                seen.add(used)
                todo.append(used)
    return seen


def twin_answers(template: Template) -> list[tuple[str, str, dict[str, str]]]:
    """(answer, its twin, the renaming of one's values to the other's) for each ordered pair of twins.

    Twins are two answers of one kind computed by the same formula from different values,
    neither from the other: the output height and width, the parameters of two parallel layers.
    """
    twins = []
    numeric = [a for a in template.answers if a.kind in ("integer", "number", "vector", "matrix")]
    for first in numeric:
        for second in numeric:
            if first.name == second.name or first.kind != second.kind:
                continue
            if second.name in _dependencies(template, first.name) or first.name in _dependencies(template, second.name):
                continue
            mapping: dict[str, str] = {}
            if not _unify_names(first.name, second.name, template, mapping):
                continue
            moved = {k: v for k, v in mapping.items() if k != v and k != first.name}
            if moved and not set(moved) & set(moved.values()):  # parallel values (H, W), not a shift along layers
                twins.append((first.name, second.name, mapping))
    return twins


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        inverse = {v: k for k, v in mapping.items() if v not in mapping}
        self.names = {**inverse, **mapping}  # a swap: a mistake that uses the twin's value uses this one's

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(self.names.get(node.id, node.id), node.ctx), node)


def _same_values(template: Template, text: str, mistake: Mistake, variants: list[Variant]) -> bool | None:
    """True when ``text`` computes what the mistake does in every variant where both can be computed (None: never)."""
    try:
        expression = parse(text, {v.name for v in template.variables}, where="twin")
    except ExpressionError:
        return None
    compared = False
    for variant in variants:
        try:
            ours, theirs = expression.evaluate(variant.env), mistake.expression.evaluate(variant.env)
        except (ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError, ExpressionError):
            continue
        if is_array(ours) != is_array(theirs) or (is_array(ours) and ours.shape != theirs.shape):
            return False
        if not all(x == y for x, y in zip(np.ravel(ours), np.ravel(theirs))) if is_array(ours) else ours != theirs:
            return False
        compared = True
    return compared or None


def _applies(template: Template, text: str, answer: str, variants: list[Variant]) -> bool:
    """Whether the renamed mistake ever differs from its answer (a mistake that cannot happen there needs no twin)."""
    try:
        expression = parse(text, {v.name for v in template.variables}, where="twin")
    except ExpressionError:
        return True
    for variant in variants:
        target = next(a for a in variant.answers if a.spec.name == answer)
        try:
            value = expression.evaluate(variant.env)
        except (ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError, ExpressionError):
            continue
        try:
            if not within(value, target.value, target.tolerance):
                return True
        except (TypeError, ValueError):
            return True
    return not variants


def missing_twins(template: Template, variants: list[Variant]) -> list[str]:
    """Each mistake named on one answer whose counterpart is not named on the answer's twin."""
    problems = []
    for first, second, mapping in twin_answers(template):
        theirs = [m for m in template.mistakes if m.answer == second]
        for mistake in (m for m in template.mistakes if m.answer == first):
            renamed = _Rename(mapping).visit(_tree(mistake.expression.text))
            dump = ast.dump(renamed)
            if any(ast.dump(_tree(m.expression.text)) == dump for m in theirs):
                continue
            text = ast.unparse(renamed)
            if any(_same_values(template, text, m, variants) for m in theirs):
                continue
            if not _applies(template, text, second, variants):
                continue
            problems.append(
                f"mistakes.{mistake.name}: named on {first} but not on its twin {second} "
                f"(add a mistake with answer: {second} and value: \"{text}\")"
            )
    return problems


def close_values(variant: Variant) -> list[str]:
    """Each pair of an answer's values (the answer, its kept mistakes) too close to be told apart."""
    problems = []
    for answer in variant.answers:
        if isinstance(answer.value, (str, list)) or answer.spec.kind == "integer":
            continue  # an integer is marked exactly: different whole numbers are always told apart
        values = [("the answer", shown(answer.spec, answer.value, answer.rounded))] + [
            (f"mistake '{m.name}'", shown(answer.spec, m.value, m.rounded)) for m in variant.mistakes if m.answer == answer.spec.name
        ]
        tolerance = tolerances(answer.tolerance, len(values[0][1].texts))
        for i, (name_a, shown_a) in enumerate(values):
            for name_b, shown_b in values[i + 1:]:
                entry = first_close_entry(shown_a, shown_b, tolerance)
                if entry is not None:
                    where = f" (entry {entry + 1})" if is_array(answer.value) else ""
                    problems.append(f"{variant.code}: {answer.spec.name}: {name_a} and {name_b} are too close to tell apart{where}")
    return problems


def assess(template: Template, samples: int = 200, seed: int = 0) -> Quality:
    """Draw up to ``samples`` distinct variants and measure them."""
    stats = DrawStats()
    variants: list[Variant] = []
    problems: list[str] = []
    wanted = max(samples, template.min_variants)
    counted = count_variants(template)
    distinct, exact = counted.value, counted.exact
    if exact:
        wanted = min(wanted, distinct)
    try:
        variants = list(generate(template, wanted, seed, stats=stats))
    except QuizgenError as error:
        problems.append(str(error))
    if counted.method == "lower bound":
        distinct = max(distinct, len(variants))
        counted = Count(distinct, "lower bound")
    if counted.method == "estimate" and len(variants) > counted.low:  # the variants drawn are a sure lower end
        counted = Count(max(counted.value, len(variants)), "estimate", len(variants), max(counted.high, len(variants)), counted.confidence, counted.samples)
        distinct = counted.value
    surely = counted.low if counted.method == "estimate" else distinct
    if max(surely, len(variants)) < template.min_variants:
        problems.append(f"makes only {counted.describe()} distinct variants; its minimum is {template.min_variants}")
    test_problems = run_template_tests(template)
    problems += test_problems

    ranges: dict[str, tuple[float, float]] = {}
    smallest, smallest_name, smallest_ratio = None, None, None
    positions: Counter = Counter()
    close_drops: Counter = Counter()
    for variant in variants:
        close_drops.update(name for name, reason in variant.dropped if reason.startswith("lies too close"))
        answers = {a.spec.name: a for a in variant.answers}
        for answer in variant.answers:
            _range_update(ranges, answer.spec.name, answer.value)
        if template.kind not in TABLE_KINDS:
            problems += close_values(variant)
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
    if template.kind not in TABLE_KINDS:
        problems += missing_twins(template, variants)
    option_positions = [positions.get(i, 0) for i in range(template.option_count)] if template.option_count else []
    if template.kind in ("multichoice", "concept") and len(variants) >= 4 * template.option_count and any(count == 0 for count in option_positions):
        problems.append(f"the right option never lands in some positions: {option_positions}")
    rejected = sum(stats.rejected.values())
    share = rejected / stats.attempts if stats.attempts else 0.0
    return Quality(
        template.id, template.kind, distinct, exact, len(variants), share, ranges, smallest, smallest_name, smallest_ratio,
        option_positions, problems, dict(sorted(close_drops.items(), key=lambda item: (-item[1], item[0]))), counted,
    )


def assess_all(templates: list[Template], samples: int = 200, seed: int = 0, workers: int | None = None) -> Iterator[Quality]:
    """``assess`` of each template, in order, on every core (each template's report is its own)."""
    yield from ordered_map(functools.partial(assess, samples=samples, seed=seed), templates, worker_count(len(templates), workers))


def format_report(results: list[Quality]) -> str:
    """A fixed-width table, one template a line, problems listed under it."""
    lines = [f"{'template':<38} {'kind':<11} {'distinct':>9} {'rejected':>8} {'nearest distractor':>20}  answers / options"]
    for q in results:
        distinct = q.distinct_text
        gap = "-" if q.smallest_gap is None else f"{q.smallest_gap:.4g}" + (f" ({q.smallest_ratio:.1f} tol)" if q.smallest_ratio is not None else "")
        ranges = ", ".join(f"{name} {low:g}..{high:g}" for name, (low, high) in q.answer_ranges.items())
        positions = f"  right option at A.. {q.option_positions}" if q.option_positions else ""
        lines.append(f"{q.template:<38} {q.kind:<11} {distinct:>9} {q.rejected_share:>8.0%} {gap:>20}  {ranges}{positions}")
        if q.counted is not None and q.counted.method == "estimate":
            lines.append(f"    distinct variants estimated: {q.counted.value:,} ({q.counted.confidence:.0%} interval {q.counted.low:,} to {q.counted.high:,}, {q.counted.samples} samples)")
        if q.smallest_gap is not None and q.smallest_gap_mistake:
            lines.append(f"    nearest distractor: {q.smallest_gap_mistake}")  # whole, on its own line: a name is never cut
        if q.too_close_drops:
            counts = ", ".join(f"{name} {count}" for name, count in q.too_close_drops.items())
            lines.append(f"    dropped as too close to tell apart (variants of {q.sampled}): {counts}")
        for problem in q.problems:
            lines.append(f"    PROBLEM: {problem}")
    lines.append("")
    lines.append("distinct: variants the template can make, counted exactly; ~ when too many to count: estimated by sampling,")
    lines.append("with its 95 % interval below; >= a lower bound, when the note does not allow an estimate; rejected: share of")
    lines.append("draws its constraints refused; nearest distractor: its smallest difference from the answer over the sample (and in")
    lines.append("units of the answer's tolerance, which must stay above 1), with the mistake's name; dropped as too close:")
    lines.append("in how many variants a mistake was left out because it lies within two tolerances, or one shown unit, of the")
    lines.append("answer or of an earlier mistake (it gets no feedback there).")
    return "\n".join(lines)

