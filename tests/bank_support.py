"""Helpers shared by the PyTorch cross-checks of the bank: round a reference value as quizgen rounds, check a key."""

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from quizgen.engine.values import to_float

REL = 1e-9  # exact answers agree with the float64 reference to this relative tolerance

def rounded_like_quizgen(x: float, decimals: int | None, sigfigs: int | None) -> tuple[Decimal, int]:
    """x rounded half away from zero as quizgen rounds, and the number of decimal places used."""
    d = Decimal(repr(float(x)))
    if sigfigs is not None:
        if x == 0:
            places = sigfigs - 1
        else:
            exponent = d.adjusted()
            places = sigfigs - 1 - exponent
            r = d.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
            if r != 0 and r.adjusted() > exponent:  # 99.96 to 3 s.f. is 100
                places -= 1
        return d.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP), places
    places = decimals or 0
    return d.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP), places


def near_tie(x: float, places: int) -> bool:
    scaled = abs(x) * 10**places
    return abs(scaled - math.floor(scaled) - 0.5) < 1e-6


def shown_like_quizgen(rounded: Decimal) -> str:
    """The text quizgen shows for a rounded value: positional, and '-0.00' as '0.00'."""
    return format(abs(rounded) if rounded == 0 else rounded, "f")


def check_answer(variant, answer, reference) -> None:
    """One answer of a variant against an independent reference (a torch tensor, an array or a number).

    The exact answer agrees with the reference to REL; the key shows the reference rounded
    as the question says, digit for digit (at an exact .5 tie, where the float may sit on
    either side, it must be within the tolerance instead); an integer answer's reference
    is a whole number. ``answer`` is an Answer or the name of one.
    """
    if isinstance(answer, str):
        answer = next(a for a in variant.answers if a.spec.name == answer)
    spec = answer.spec
    where = f"{variant.template.id} {variant.code} ({variant.note}): {spec.name}"
    if hasattr(reference, "detach"):
        reference = reference.detach().numpy()
    exact = np.asarray(to_float(answer.value), dtype=float).ravel()
    ref = np.asarray(reference, dtype=float).ravel()
    keys = np.asarray(answer.rounded, dtype=object).ravel()
    assert exact.shape == ref.shape, f"{where}: shape {exact.shape} vs reference {ref.shape}"
    for value, r, key in zip(exact, ref, keys):
        assert math.isclose(value, r, rel_tol=REL, abs_tol=1e-12), f"{where}: exact {value!r} vs reference {r!r}"
        if spec.kind == "integer":
            assert key == str(round(r)) and abs(r - round(r)) < 1e-9, f"{where}: key {key} vs reference {r!r}"
            continue
        rounded, places = rounded_like_quizgen(r, spec.decimals, spec.sigfigs)
        if near_tie(r, places):
            assert abs(float(Decimal(key)) - r) <= 0.5 * 10 ** (-places) + 1e-9, f"{where}: key {key} vs reference {r!r}"
        else:
            assert key == shown_like_quizgen(rounded), f"{where}: key {key} vs reference {r!r} rounded to {shown_like_quizgen(rounded)}"
