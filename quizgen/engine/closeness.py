"""When two values of one answer are too close to tell apart: the rule that keeps named mistakes distinct.

A student's response is recognised as the answer, or as a named mistake, when it lies within
the answer's tolerance of that value (or is its rounded value). Two values of one answer (the
answer and a mistake, or two mistakes) must therefore stay clearly apart, in every entry where
they are shown differently:

* **more than two tolerances apart**: otherwise one response can lie within the tolerance of
  both, and the later mistake is hidden behind the earlier one (or behind the answer);
* **shown more than one unit in the last place apart** (not for an answer marked exactly, such
  as an integer): otherwise a rounding slip of one unit on the answer is diagnosed as the
  mistake (0.2088 and 0.2089), or one mistake as the other.

Entries shown the same are the same number to a student, and are not compared (a mistake that
leaves one entry of a vector unchanged is still a mistake in the others). The generator drops a
mistake that is too close to the answer or to a mistake kept before it, as it drops one that
equals them after rounding; the quality report checks the rule over its samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .template import AnswerSpec
from .values import Value, is_array


def _entries(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [item for part in value for item in _entries(part)]
    if is_array(value):
        return list(value.flat)
    return [value]


@dataclass
class Shown:
    """One value of an answer, entry by entry: the exact number, its text as shown, and one unit in the last place shown."""

    values: list[Value]
    texts: list[str]
    units: list[Decimal]
    decimals: list[Decimal]  # the texts as numbers, parsed once for every comparison
    numbers: dict[int, float] = field(default_factory=dict)  # floats, made only for entries that come close

    def number(self, i: int) -> float:
        if i not in self.numbers:
            self.numbers[i] = float(self.values[i])
        return self.numbers[i]


def shown(spec: AnswerSpec, value: Value, rounded: Any) -> Shown:
    """Made once per value, compared with many."""
    texts = [str(t) for t in _entries(rounded)]
    decimals = [Decimal(t) for t in texts]
    if spec.sigfigs is not None:  # from the text: a rounding that carries (99.96 to 100) has the coarser unit
        units = [Decimal(0) if d == 0 else Decimal(10) ** (d.adjusted() - spec.sigfigs + 1) for d in decimals]
    else:
        units = [Decimal(10) ** -(spec.decimals or 0)] * len(texts)
    return Shown(_entries(value), texts, units, decimals)


def tolerances(tolerance: Any, size: int) -> tuple[float, ...]:
    """The answer's tolerance as one float per entry."""
    values = [float(t) for t in _entries(tolerance)]
    return tuple(values * size) if len(values) == 1 and size > 1 else tuple(values)


def first_close_entry(first: Shown, second: Shown, tolerance: tuple[float, ...]) -> int | None:
    """The first entry (0-based, in reading order) where the two values are too close to tell apart, or None."""
    for i, (text_a, text_b, t) in enumerate(zip(first.texts, second.texts, tolerance)):
        if text_a == text_b:
            continue
        gap = abs(first.decimals[i] - second.decimals[i])
        unit = max(first.units[i], second.units[i])
        if t > 0 and gap <= unit:
            return i
        if float(gap - unit) > 2 * t:
            continue  # each shown value lies within half a unit of its exact one: these are further apart than 2t
        if abs(first.number(i) - second.number(i)) <= 2 * t:
            return i
    return None


def too_close(spec: AnswerSpec, tolerance: Any, first: tuple[Value, Any], second: tuple[Value, Any]) -> int | None:
    """The first entry where two values of one answer are too close, or None.

    ``first`` and ``second`` are (exact value, rounded text) pairs; ``tolerance`` is the answer's,
    one per entry for a vector or matrix. An integer answer is marked exactly: two different
    whole numbers are always told apart.
    """
    if spec.kind == "integer":
        return None
    a, b = shown(spec, *first), shown(spec, *second)
    return first_close_entry(a, b, tolerances(tolerance, len(a.texts)))


__all__ = ["Shown", "first_close_entry", "shown", "tolerances", "too_close"]
