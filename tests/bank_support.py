"""Helpers shared by the PyTorch cross-checks of the bank: round a reference value as quizgen rounds."""

import math
from decimal import ROUND_HALF_UP, Decimal

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
