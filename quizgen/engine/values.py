"""Exact values and how they are rounded and shown.

A scalar is a sympy number (Integer, Rational, or an exact irrational such as
``exp(1/2)``); a vector or matrix is a numpy array of dtype ``object`` holding
such scalars, so numpy broadcasting and ``@`` work while every element stays exact.
Rounding happens only here, at the end, and one function formats every number,
so the question, the key and the worked solution always show the same digits.
"""

from __future__ import annotations

import numbers
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Callable

import mpmath
import numpy as np
import sympy

Value = Any  # sympy.Expr | np.ndarray (dtype=object) | bool

_EVALF_DIGITS = 60


def exact(x: Any) -> Any:
    """Turn an int, a decimal literal, a Fraction or a nested list into exact values.

    Floats are read through their shortest repr, so a drawn or written 0.1 is 1/10.
    """
    if isinstance(x, np.ndarray):
        return x if x.dtype == object else array(x.tolist())
    if isinstance(x, (list, tuple)):
        return array([exact(item) for item in x])
    if isinstance(x, bool):
        return sympy.true if x else sympy.false
    if isinstance(x, int):
        return sympy.Integer(x)
    if isinstance(x, float):
        return sympy.Rational(repr(float(x)))
    if isinstance(x, numbers.Rational):  # fractions.Fraction, and the fast path's (quicktions)
        return sympy.Rational(int(x.numerator), int(x.denominator))
    if isinstance(x, (np.integer,)):
        return sympy.Integer(int(x))
    if isinstance(x, np.floating):
        return sympy.Rational(repr(float(x)))
    if isinstance(x, sympy.Basic):
        return x
    raise TypeError(f"cannot make an exact number from {x!r}")


def array(items: list) -> np.ndarray:
    """An object array of exact values (vector or matrix) from nested lists."""
    converted = [item if isinstance(item, np.ndarray) else exact(item) for item in items]
    if converted and isinstance(converted[0], np.ndarray):
        shape = converted[0].shape
        if any(not isinstance(row, np.ndarray) or row.shape != shape for row in converted):
            raise ValueError("matrix rows must all have the same length")
        out = np.empty((len(converted),) + shape, dtype=object)
        for i, row in enumerate(converted):
            out[i] = row
        return out
    out = np.empty(len(converted), dtype=object)
    for i, item in enumerate(converted):
        out[i] = item
    return out


def is_array(value: Value) -> bool:
    return isinstance(value, np.ndarray)


def elementwise(function: Callable[[Any], Any]) -> Callable[[Value], Value]:
    """Lift a scalar function so it applies element by element to vectors and matrices."""
    lifted = np.frompyfunc(function, 1, 1)

    def apply(value: Value) -> Value:
        if is_array(value):
            return np.asarray(lifted(value), dtype=object)
        return function(value)

    apply.__name__ = getattr(function, "__name__", "elementwise")
    apply.__doc__ = function.__doc__
    return apply


def is_rational(value: Value) -> bool:
    return isinstance(value, sympy.Rational)


def is_integer_value(value: Value) -> bool:
    return isinstance(value, sympy.Integer)


def to_float(value: Value) -> Any:
    """Float (or nested list of floats) for JSON and numeric comparison."""
    if is_array(value):
        return [to_float(item) for item in value]
    if isinstance(value, (bool, sympy.logic.boolalg.BooleanAtom)):
        return bool(value)
    if isinstance(value, sympy.Integer):
        return int(value)
    if isinstance(value, sympy.Rational):
        return int(value.p) / int(value.q)  # int / int is correctly rounded
    if isinstance(value, sympy.Float):
        return mpmath.libmp.to_float(value._mpf_, rnd=mpmath.libmp.round_nearest)
    return float(value)


def exact_string(value: Value) -> Any:
    """sympy's exact text for a value (nested lists for arrays): the machine-readable truth."""
    if is_array(value):
        return [exact_string(item) for item in value]
    if isinstance(value, sympy.Rational):  # as sympy prints them, without its printer's overhead
        return str(value.p) if value.q == 1 else f"{value.p}/{value.q}"
    if isinstance(value, sympy.Float):
        return _float_string(value)
    return str(value)


def _float_string(value: sympy.Float) -> str:
    """str() of a sympy Float (its StrPrinter._print_Float at the top level), straight from mpmath."""
    digits = 0 if value._prec < 5 else mpmath.libmp.prec_to_dps(value._prec)
    text = mpmath.libmp.to_str(value._mpf_, digits, strip_zeros=False)
    if text.startswith("-.0"):
        return "-0." + text[3:]
    if text.startswith(".0"):
        return "0." + text[2:]
    return text.removeprefix("+")


def to_decimal(value: Value, digits: int = _EVALF_DIGITS) -> Decimal:
    """A Decimal equal to the value: exact for terminating rationals, else to many digits."""
    if isinstance(value, sympy.Integer):
        return Decimal(int(value))
    if isinstance(value, sympy.Rational):
        with localcontext() as context:
            context.prec = digits + 10
            return Decimal(int(value.p)) / Decimal(int(value.q))
    if isinstance(value, sympy.Float):  # the common irrational: mpmath prints it without sympy's evalf
        return Decimal(mpmath.libmp.to_str(value._mpf_, digits, min_fixed=-1, max_fixed=0))
    evaluated = sympy.N(value, digits)
    if not evaluated.is_real or not evaluated.is_number:
        raise ValueError(f"value {value} is not a real number")
    return Decimal(str(evaluated))


def round_value(value: Value, decimals: int | None = None, sigfigs: int | None = None) -> Decimal:
    """Round half away from zero, once, at the end: the value a key shows."""
    if decimals is None and sigfigs is None:
        decimals = 0
    if sigfigs is not None:
        if value == 0:
            return Decimal(0).quantize(Decimal(1).scaleb(-(sigfigs - 1)))
        exponent = to_decimal(value).adjusted()
        rounded = round_value(value, decimals=sigfigs - 1 - exponent)
        if rounded.adjusted() > exponent:  # 99.96 to 3 s.f. carries to 100, which needs one decimal fewer
            rounded = round_value(value, decimals=sigfigs - 2 - exponent)
        return rounded
    if isinstance(value, sympy.Rational):  # value * 10**decimals, half away from zero, in whole numbers
        numerator, denominator = int(value.p), int(value.q)
        if decimals >= 0:
            numerator *= 10**decimals
        else:
            denominator *= 10**-decimals
        whole = (2 * abs(numerator) + denominator) // (2 * denominator)  # floor(|scaled| + 1/2)
        return Decimal(-whole if numerator < 0 else whole).scaleb(-decimals)
    quantum = Decimal(1).scaleb(-decimals)
    number = to_decimal(value)
    if not number.is_finite():
        raise ValueError(f"{value} is not a finite number")
    digits = number.adjusted() + 1 + decimals  # digits the rounded value shows
    if digits > _EVALF_DIGITS:  # more than are known: the key would show noise
        raise ValueError(f"{format(number, '.6E')} cannot be given to {decimals} decimals: it would show {digits} digits, {_EVALF_DIGITS} are known; round to significant figures")
    with localcontext() as context:
        context.prec = _EVALF_DIGITS + 10
        return number.quantize(quantum, rounding=ROUND_HALF_UP)


def format_decimal(number: Decimal) -> str:
    """Plain positional notation (never 1E-5), '-0' shown as '0'."""
    text = format(number, "f")
    if text.startswith("-") and set(text[1:]) <= set("0."):
        text = text[1:]
    return text


def terminating_decimals(value: Value) -> int | None:
    """Digits after the point a rational needs to be written exactly, or None if it never ends."""
    if not isinstance(value, sympy.Rational):
        return None
    q = int(value.q)
    twos = fives = 0
    while q % 2 == 0:
        q //= 2
        twos += 1
    while q % 5 == 0:
        q //= 5
        fives += 1
    if q != 1:
        return None
    return max(twos, fives)


_FORMATTED: dict[tuple, str] = {}  # (value's identity, decimals, sigfigs, max_exact_decimals) -> text
_FORMATTED_LIMIT = 1 << 16


def _identity(value: Value) -> tuple:
    """A key equal for equal values of one type, compared without sympy's __eq__ (slow on a hash match)."""
    if isinstance(value, sympy.Rational):
        return (type(value), int(value.p), int(value.q))
    if isinstance(value, sympy.Float):
        return (sympy.Float, value._mpf_, value._prec)
    return (type(value), value)


def format_number(value: Value, decimals: int | None = None, sigfigs: int | None = None, max_exact_decimals: int = 6) -> str:
    """The one way a number is shown.

    With ``decimals``/``sigfigs`` it is rounded so; otherwise a terminating rational
    is shown exactly (0.125) and anything else to four significant figures. Each text is
    worked out once and remembered (the same value is shown in the question, the key,
    the steps and every export).
    """
    key = (_identity(value), decimals, sigfigs, max_exact_decimals)
    text = _FORMATTED.get(key)
    if text is None:
        text = _format_number(value, decimals, sigfigs, max_exact_decimals)
        if len(_FORMATTED) >= _FORMATTED_LIMIT:
            _FORMATTED.clear()
        _FORMATTED[key] = text
    return text


def _format_number(value: Value, decimals: int | None, sigfigs: int | None, max_exact_decimals: int) -> str:
    if isinstance(value, (bool, sympy.logic.boolalg.BooleanAtom)):
        return "true" if bool(value) else "false"
    if isinstance(value, sympy.Integer) and sigfigs is None:
        whole = str(int(value))
        return whole + "." + "0" * decimals if decimals else whole
    if decimals is not None or sigfigs is not None:
        return format_decimal(round_value(value, decimals=decimals, sigfigs=sigfigs))
    places = terminating_decimals(value)
    if places is not None and (places <= max_exact_decimals or _significant_digits(value, places) <= 4):
        return format_decimal(round_value(value, decimals=places))  # 0.125 and 0.00000001 exactly
    return format_decimal(round_value(value, sigfigs=4))


def _significant_digits(value: Value, places: int) -> int:
    digits = str(abs(int(value * sympy.Integer(10) ** places)))
    return len(digits.strip("0")) if digits.strip("0") else 1


def is_exactly_shown(value: Value, decimals: int | None = None, sigfigs: int | None = None) -> bool:
    """Whether format_number shows the value without rounding (so '=' rather than '≈')."""
    if is_array(value):
        return all(is_exactly_shown(item, decimals, sigfigs) for item in value.flat)
    if isinstance(value, (bool, sympy.logic.boolalg.BooleanAtom)):
        return True
    places = terminating_decimals(value)
    if places is None:
        return False
    if decimals is None and sigfigs is None:
        return places <= 6
    shown = Decimal(format_number(value, decimals, sigfigs))
    return shown == to_decimal(value)


# ---------------------------------------------------------------------------
# Transcendental functions
#
# A rational argument with a rational result (sqrt(1/4), exp(0), log(1)) stays exact.
# Anything else is computed with mpmath to DIGITS significant digits and kept as a
# sympy Float of that precision: far beyond any rounding a question asks for, and
# hundreds of times faster than carrying exp(...) and sin(...) symbolically.

DIGITS = 60
_BITS = int(DIGITS * 3.33) + 16


def _bits(x: Value) -> int:
    """The working precision for x: DIGITS, or more when x carries more (1 - σ(z) far out does: see formulas.sigmoid)."""
    return max(_BITS, int(getattr(x, "_prec", 0))) if isinstance(x, sympy.Float) else _BITS


def _mpmath_value(x: Value):
    if isinstance(x, (sympy.Rational, sympy.Float)):
        return x._to_mpmath(_bits(x))
    evaluated = sympy.N(x, DIGITS + 5)
    if not evaluated.is_Number:
        raise ValueError(f"{x} is not a real number")
    return evaluated._to_mpmath(_BITS)


def _numeric(name: str, compute, exact_rule=None):
    def function(x: Value) -> Value:
        if exact_rule is not None and isinstance(x, sympy.Rational):
            result = exact_rule(x)
            if result is not None:
                return result
        with mpmath.workprec(_bits(x)):
            result = compute(_mpmath_value(x))
        if isinstance(result, mpmath.mpc) or not mpmath.isfinite(result):
            raise ValueError(f"{name}({x}) is not a finite real number")
        return sympy.Float(result, DIGITS)

    function.__name__ = name
    return function


def _exact_sqrt(x: sympy.Rational):
    if x < 0:
        raise ValueError(f"sqrt({x}) of a negative number")
    p, q = int(x.p), int(x.q)
    from math import isqrt

    rp, rq = isqrt(p), isqrt(q)
    if rp * rp == p and rq * rq == q:
        return sympy.Rational(rp, rq)
    return None


def _positive(name: str, compute):
    def checked(v):
        if v <= 0:
            raise ValueError(f"{name} of a non-positive number")
        return compute(v)

    return checked


def _exact_log(x: sympy.Rational):
    if x <= 0:
        raise ValueError(f"log({x}) of a non-positive number")
    return sympy.Integer(0) if x == 1 else None


def _at_zero(result: int):
    return lambda x: sympy.Integer(result) if x == 0 else None


with mpmath.workprec(_BITS):
    PI = sympy.Float(+mpmath.pi, DIGITS)  # the constants a template may name, as numbers
    E = sympy.Float(+mpmath.e, DIGITS)

exp = _numeric("exp", mpmath.exp, _at_zero(1))
log = _numeric("log", _positive("log", mpmath.log), _exact_log)
sqrt = _numeric("sqrt", _positive("sqrt", mpmath.sqrt), _exact_sqrt)
sin = _numeric("sin", mpmath.sin, _at_zero(0))
cos = _numeric("cos", mpmath.cos, _at_zero(1))
tanh = _numeric("tanh", mpmath.tanh, _at_zero(0))


# The largest exact number quizgen computes with: digits of a numerator or denominator. A
# question's numbers have a handful; the bound keeps a hostile 10**10**10 from taking the
# machine's memory, and every number printable (Python refuses to print ints of more than
# 4,300 digits).
MAX_DIGITS = 1000
_MAX_BITS = int(MAX_DIGITS * 3.33) + 4


def too_large(value: Value) -> bool:
    """Whether an exact number (or any element of an array) has more than MAX_DIGITS digits."""
    if isinstance(value, np.ndarray):
        return any(too_large(item) for item in value.flat)
    if isinstance(value, sympy.Rational):
        return max(int(value.p).bit_length(), int(value.q).bit_length()) > _MAX_BITS
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() > _MAX_BITS
    return False


def check_size(value: Value) -> Value:
    """The value, or a ValueError when it has more digits than any question needs."""
    if too_large(value):
        raise ValueError(f"a number with more than {MAX_DIGITS} digits")
    return value


def power(base: Value, exponent: Value) -> Value:
    """base ** exponent, exact when the result is rational, else to DIGITS digits; too large a result is a ValueError."""
    if is_array(base) or is_array(exponent):
        return base**exponent
    if isinstance(exponent, sympy.Integer) and isinstance(base, sympy.Rational) and abs(base) != 1 and base != 0:
        bits = max(int(base.p).bit_length(), int(base.q).bit_length() if base.q != 1 else 1)
        if (bits - 1) * abs(int(exponent)) > _MAX_BITS:
            raise ValueError(f"{base}**{exponent} has more than {MAX_DIGITS} digits")
    elif isinstance(exponent, (sympy.Rational, sympy.Float)) and abs(exponent) > 10**6:
        raise ValueError(f"the exponent {exponent} is too large")
    result = base**exponent
    if isinstance(result, sympy.Rational) or isinstance(result, sympy.Float):
        return result
    if getattr(result, "is_number", False):
        evaluated = sympy.N(result, DIGITS)
        if not evaluated.is_real:
            raise ValueError(f"{base}**{exponent} is not a real number")
        return sympy.Float(evaluated, DIGITS)
    return result
