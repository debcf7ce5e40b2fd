"""When two values of one answer are too close to tell apart: the rule that keeps named mistakes distinct.

A student's response is recognised as the answer, or as a named mistake, when it lies within
the answer's tolerance of that value (or is its rounded value). Two values of one answer (the
answer and a mistake, or two mistakes) must therefore stay clearly apart, in every entry where
they are shown differently:

* **more than two tolerances apart**: otherwise one response can lie within the tolerance of
  both, and the later mistake is hidden behind the earlier one (or behind the answer);
* **shown more than one unit in the last place apart** (for answers that are rounded, so not
  for integers and exact answers): otherwise a rounding slip of one unit on the answer is
  diagnosed as the mistake (0.2088 and 0.2089), or one mistake as the other.

Entries shown the same are the same number to a student, and are not compared (a mistake that
leaves one entry of a vector unchanged is still a mistake in the others). The generator drops a
mistake that is too close to the answer or to a mistake kept before it, as it drops one that
equals them after rounding; the quality report checks the rule over its samples.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .template import AnswerSpec
from .values import Value, is_array, to_decimal


def _entries(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [item for part in value for item in _entries(part)]
    if is_array(value):
        return list(value.flat)
    return [value]


def _unit(value: Value, spec: AnswerSpec) -> Decimal:
    """One unit in the last place shown, for this value (as the default tolerance is half of it)."""
    if spec.sigfigs is not None:
        if value == 0:
            return Decimal(0)
        return Decimal(10) ** (to_decimal(value).adjusted() - spec.sigfigs + 1)
    return Decimal(10) ** (-(spec.decimals or 0))


def too_close(spec: AnswerSpec, tolerance: Any, first: tuple[Value, Any], second: tuple[Value, Any]) -> int | None:
    """The first entry (0-based, in reading order) where two values of one answer are too close, or None.

    ``first`` and ``second`` are (exact value, rounded text) pairs; ``tolerance`` is the answer's,
    one per entry for a vector or matrix.
    """
    if spec.kind == "integer":
        return None  # marked exactly: two different whole numbers are always told apart
    values_a, shown_a = _entries(first[0]), _entries(first[1])
    values_b, shown_b = _entries(second[0]), _entries(second[1])
    tolerances = _entries(tolerance)
    if len(tolerances) == 1 and len(values_a) > 1:
        tolerances = tolerances * len(values_a)
    rounded = spec.decimals is not None or spec.sigfigs is not None
    for i, (a, b, text_a, text_b, t) in enumerate(zip(values_a, values_b, shown_a, shown_b, tolerances)):
        if text_a == text_b:
            continue
        t = float(t)
        if abs(float(a) - float(b)) <= 2 * t:
            return i
        if rounded and t > 0:
            try:
                shown = abs(Decimal(str(text_a)) - Decimal(str(text_b)))
            except ArithmeticError:
                continue
            if shown <= max(_unit(a, spec), _unit(b, spec)):
                return i
    return None


__all__ = ["too_close"]
