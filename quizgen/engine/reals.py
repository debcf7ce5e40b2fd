"""A sympy Float without sympy: the fast path's irrational number.

A sympy ``Float`` is an mpmath number (``_mpf_``, a tuple) and a precision in bits
(``_prec``); its arithmetic calls mpmath's ``libmp`` after microseconds of sympify, cache
and object overhead. ``Real`` holds the same two fields and does the same ``libmp`` calls
with sympy's own rules, so every result is the very Float sympy makes, bit for bit:

- an operation works at the wider operand's precision, rounding to nearest;
- a whole number or fraction meeting a Real is first rounded to the Real's precision;
- a rational divided by a Real is the rational times the Real's reciprocal (two roundings,
  as ``Rational.__truediv__`` does it);
- a result equal to zero is the integer 0 (``Float._new`` gives ``S.Zero``);
- powers only to whole exponents; anything else raises NotFast, and the caller evaluates
  with sympy instead.

tests/test_fast_eval.py compares each operation with sympy's over random values.
"""

from __future__ import annotations

from .fraction import Fraction  # fractions.Fraction in C (quicktions): the fast path's exact arithmetic, several times faster
from typing import Any

from mpmath import libmp

_NEAREST = libmp.round_nearest
_ZERO = libmp.fzero
_from_int = libmp.from_int
_from_rational = libmp.from_rational
_add, _sub, _mul, _div = libmp.mpf_add, libmp.mpf_sub, libmp.mpf_mul, libmp.mpf_div
_cmp, _neg, _abs = libmp.mpf_cmp, libmp.mpf_neg, libmp.mpf_abs
_ONE = libmp.fone


class NotFast(Exception):
    """A value the fast path does not handle: evaluate with sympy instead."""


_SMALL_INTS: dict[tuple[int, int], tuple] = {}  # (n, prec) -> from_int(n, prec): whole numbers of a formula (0, 1, 2) recur


def _rounded(other: Any, prec: int):
    """An int or Fraction as sympy's ``_as_mpf_val(prec)`` makes it; anything else is NotFast."""
    kind = type(other)
    if kind is int:
        if -1024 <= other <= 1024:
            key = (other, prec)
            mpf = _SMALL_INTS.get(key)
            if mpf is None:
                mpf = _SMALL_INTS[key] = _from_int(other, prec, _NEAREST)
            return mpf
        return _from_int(other, prec, _NEAREST)
    if kind is Fraction:
        return _from_rational(other.numerator, other.denominator, prec, _NEAREST)
    raise NotFast


def _made(mpf: tuple, prec: int) -> Any:
    """Float._new: zero is the integer 0 (sympy's S.Zero); mpmath's infinities and nan are not numbers here."""
    if mpf == _ZERO:
        return 0
    if not mpf[1] and mpf[3]:  # inf, -inf, nan
        raise NotFast
    real = Real.__new__(Real)
    real.mpf, real.prec = mpf, prec
    return real


class Real:
    """An irrational value at a precision: a sympy Float's two fields (see the module docstring)."""

    __slots__ = ("mpf", "prec")

    def __init__(self, mpf: tuple, prec: int):
        self.mpf, self.prec = mpf, prec

    # sympy Float op Number: the other as an mpf at the wider precision
    def _operand(self, other: Any) -> tuple[tuple, int]:
        if type(other) is Real:
            return other.mpf, max(self.prec, other.prec)
        return _rounded(other, self.prec), self.prec

    def __add__(self, other: Any) -> Any:
        rhs, prec = self._operand(other)
        return _made(_add(self.mpf, rhs, prec, _NEAREST), prec)

    __radd__ = __add__  # Rational + Float is Float + Rational

    def __sub__(self, other: Any) -> Any:
        rhs, prec = self._operand(other)
        return _made(_sub(self.mpf, rhs, prec, _NEAREST), prec)

    def __rsub__(self, other: Any) -> Any:  # Rational - Float is -Float + Rational
        return (-self) + other

    def __mul__(self, other: Any) -> Any:
        rhs, prec = self._operand(other)
        return _made(_mul(self.mpf, rhs, prec, _NEAREST), prec)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        if type(other) is not Real and other == 0:
            raise NotFast  # sympy's zoo: its own path says what happens
        rhs, prec = self._operand(other)
        return _made(_div(self.mpf, rhs, prec, _NEAREST), prec)

    def __rtruediv__(self, other: Any) -> Any:  # Rational / Float is Rational * (1 / Float)
        if self.mpf == _ZERO:
            raise NotFast
        reciprocal = _made(libmp.mpf_pow_int(self.mpf, -1, self.prec, _NEAREST), self.prec)
        if type(other) is int and other == 1:
            return reciprocal
        return reciprocal * other

    def __pow__(self, exponent: Any) -> Any:
        """Float ** Integer (0 and 1 as sympy's Pow treats them); any other exponent is NotFast."""
        if type(exponent) is not int:
            raise NotFast
        if exponent == 0:
            return 1
        if exponent == 1:
            return self
        if self.mpf == _ZERO or abs(exponent) > 10**6:
            raise NotFast
        return _made(libmp.mpf_pow_int(self.mpf, exponent, self.prec, _NEAREST), self.prec)

    def __neg__(self) -> Any:
        if self.mpf == _ZERO:
            return self
        return _made(_neg(self.mpf), self.prec)

    def __abs__(self) -> Any:
        return _made(_abs(self.mpf), self.prec)

    def __bool__(self) -> bool:
        return self.mpf != _ZERO

    def compare(self, other: Any) -> int:
        """-1, 0 or 1 as quizgen's comparison of a sympy Float with a number: exact between two
        Reals, and against a rational the sign of their difference as sympy rounds it."""
        if type(other) is Real:
            return _cmp(self.mpf, other.mpf)
        return _cmp(self.mpf, _rounded(other, self.prec))

    def __repr__(self) -> str:
        return f"Real({libmp.to_str(self.mpf, 15)}, prec={self.prec})"
