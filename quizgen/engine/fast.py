"""The fast path: each expression compiled a second time, over plain Python numbers.

sympy's numbers cost microseconds per operation (sympify, its cache, object creation).
The same values come out of Python's ``int`` and ``Fraction`` (exact) and of ``Real``
(``reals.py``: a sympy Float's mpmath number and precision, with sympy's own rounding
rules), ten to fifty times faster. ``compile_fast`` compiles a node into a closure over
such values, and vectors and matrices as numpy object arrays of them, or gives None when
the node needs more (a function not listed here). A closure raises NotFast when it meets
a value outside that domain at run time, and the generator then evaluates the expression
the usual way, as it does on any error: an error's message, and every value that is not
one of these, is always the sympy path's own.

Each fast operation is the sympy path's operation for operation: the same order of
additions, the same roundings, whole numbers kept whole (``Fraction(4, 2)`` is ``2``, as
sympy's ``Rational(4, 2)`` is ``Integer(2)``). Inside an array a whole number may be held
as a Fraction of denominator 1: reading an entry, a sum, and the conversion back give it as
an int. tests/test_fast_eval.py compares the two paths over the whole bank and over random
and extreme values.
"""

from __future__ import annotations

import ast
import inspect
import math
import operator
from collections.abc import Callable, Mapping
from .fraction import Fraction  # fractions.Fraction in C (quicktions): the fast path's exact arithmetic, several times faster
from typing import Any

import numpy as np
import sympy
from mpmath import libmp

from . import draws
from . import expressions as ex
from . import formulas
from . import values as numeric
from .reals import NotFast, Real
from .rng import VariantRandom

__all__ = ["NotFast", "compile_fast", "compile_fast_draw", "from_fast", "to_fast"]

_NEAREST = libmp.round_nearest
_ARRAY = np.ndarray
_SHOWN_PREC = libmp.dps_to_prec(numeric.DIGITS)  # sympy.Float(x, DIGITS) rounds to this many bits
_PI = Real(numeric.PI._mpf_, numeric.PI._prec)
_E = Real(numeric.E._mpf_, numeric.E._prec)


# ---------------------------------------------------------------------------
# Conversions


class _Unfast:
    """An array holding something the fast path does not (a boolean, an expression): any use is NotFast."""

    def __getattr__(self, name: str) -> Any:
        raise NotFast


_UNFAST = _Unfast()


def _fast_scalar(value: Any) -> Any:
    """sympy Integer -> int, Rational -> Fraction, Float -> Real; anything else NotFast."""
    if isinstance(value, sympy.Integer):
        return int(value.p)
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, sympy.Float):
        return Real(value._mpf_, value._prec)
    raise NotFast


def _array(shape: tuple[int, ...], items: list) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.reshape(-1)[:] = items
    return out


def to_fast(value: Any) -> Any:
    """A number or an array of numbers in its fast form (see _fast_scalar); anything else unchanged."""
    if isinstance(value, (sympy.Rational, sympy.Float)):
        return _fast_scalar(value)
    if type(value) is _ARRAY:
        try:
            return _array(value.shape, [_fast_scalar(item) for item in value.flat]) if value.dtype == object else _UNFAST
        except NotFast:
            return _UNFAST
    return value


_FLOAT, _EXPR_NEW = sympy.Float, sympy.Expr.__new__
_SMALL_INTEGERS = {n: sympy.Integer(n) for n in range(-1024, 1025)}  # the very objects sympy.Integer(n) gives (it caches them too)


def _slow_scalar(value: Any) -> Any:
    """int -> sympy Integer, Fraction -> Rational, Real -> the very Float it stands for; anything else NotFast."""
    kind = type(value)
    if kind is int:
        number = _SMALL_INTEGERS.get(value)
        return number if number is not None else sympy.Integer(value)
    if kind is Fraction:
        return sympy.Rational(value.numerator, value.denominator)
    if kind is Real:
        mpf, prec = value.mpf, value.prec
        if mpf[1] & 1 and mpf[3] <= prec:  # normalised at its precision, as libmp leaves it: Float._new's mpf_norm would keep it
            number = _EXPR_NEW(_FLOAT)
            number._mpf_, number._prec = mpf, prec
            return number
        return _FLOAT._new(mpf, prec, zero=False)
    raise NotFast


def from_fast(value: Any) -> Any:
    """The sympy value the sympy path gives for a fast result (bool and str are the same objects on both paths)."""
    kind = type(value)
    if kind is bool or kind is str:
        return value
    if kind is _ARRAY:
        if value.dtype != object or value.ndim not in (1, 2):
            raise NotFast
        return _array(value.shape, [_slow_scalar(item) for item in value.flat])
    return _slow_scalar(value)


# ---------------------------------------------------------------------------
# Scalars


def _number(x: Any) -> Any:
    kind = type(x)
    if kind is int or kind is Fraction or kind is Real:
        return x
    raise NotFast


def _operand(x: Any) -> Any:
    """A number or an array of numbers."""
    kind = type(x)
    if kind is int or kind is Fraction or kind is Real or kind is _ARRAY:
        return x
    raise NotFast


def _normal(x: Any) -> Any:
    """A Fraction with denominator 1 is an int, as sympy's Rational(4, 2) is Integer(2)."""
    if type(x) is Fraction and x.denominator == 1:
        return x.numerator
    return x


def _lift(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` of a number, element by element on an array (values.elementwise)."""
    lifted = np.frompyfunc(function, 1, 1)

    def apply(x: Any) -> Any:
        if type(x) is _ARRAY:
            return np.asarray(lifted(x), dtype=object)
        return function(x)

    return apply


def _lift2(function: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``function`` of two numbers, broadcast over arrays."""
    lifted = np.frompyfunc(function, 2, 1)

    def apply(a: Any, b: Any) -> Any:
        if type(a) is _ARRAY or type(b) is _ARRAY:
            return np.asarray(lifted(_operand(a), _operand(b)), dtype=object)
        return function(a, b)

    return apply


def _add(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:  # the common case first: whole numbers
        return a + b
    return _normal(_number(a) + _number(b))


def _subtract(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a - b
    return _normal(_number(a) - _number(b))


def _multiply(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a * b
    return _normal(_number(a) * _number(b))


def _divide(a: Any, b: Any) -> Any:
    a, b = _number(a), _number(b)
    kind = type(b)
    if kind is not Real and b == 0:
        raise ZeroDivisionError("division by zero")
    if type(a) is int and kind is int:
        whole, rest = divmod(a, b)
        return whole if rest == 0 else Fraction(a, b)
    return _normal(a / b)


def _rational(x: Any) -> Any:
    kind = type(x)
    if kind is int or kind is Fraction:
        return x
    raise NotFast


def _floordiv(a: Any, b: Any) -> Any:
    a, b = _rational(a), _rational(b)
    if b == 0:
        raise NotFast  # sympy gives zoo: its own path says what happens next
    return a // b


def _mod(a: Any, b: Any) -> Any:
    a, b = _rational(a), _rational(b)
    if b == 0:
        raise NotFast
    return _normal(a % b)


def _power(base: Any, exponent: Any) -> Any:
    """values.power for a rational or Real base and a whole exponent."""
    base, exponent = _number(base), _normal(_number(exponent))
    if type(exponent) is not int:
        raise NotFast  # a root: irrational in general
    if type(base) is Real:
        return base**exponent
    if base == 0 and exponent < 0:
        raise NotFast  # sympy's zoo
    if abs(base) == 1 or base == 0:
        if abs(exponent) > 10**6:
            raise NotFast  # the sympy path refuses such an exponent
    else:
        if type(base) is int:
            bits = max(base.bit_length(), 1)
        else:
            bits = max(base.numerator.bit_length(), base.denominator.bit_length())
        if (bits - 1) * abs(exponent) > numeric._MAX_BITS:
            raise NotFast  # too large: the sympy path raises its ValueError
    if type(base) is int and exponent < 0:
        return _normal(Fraction(1, base**-exponent))
    return _normal(base**exponent)


def _negate(x: Any) -> Any:
    if type(x) is _ARRAY:
        return np.negative(x)
    return -_number(x)


_ELEMENTWISE_ADD, _ELEMENTWISE_SUBTRACT, _ELEMENTWISE_MULTIPLY = _lift2(_add), _lift2(_subtract), _lift2(_multiply)
_ELEMENTWISE_DIVIDE = _lift2(_divide)


# The operators of an expression: whole numbers first (most of the bank), then arrays, then any number.
def _array_add(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a + b
    if type(a) is _ARRAY or type(b) is _ARRAY:
        return _ELEMENTWISE_ADD(a, b)
    return _normal(_number(a) + _number(b))


def _array_subtract(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a - b
    if type(a) is _ARRAY or type(b) is _ARRAY:
        return _ELEMENTWISE_SUBTRACT(a, b)
    return _normal(_number(a) - _number(b))


def _array_multiply(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a * b
    if type(a) is _ARRAY or type(b) is _ARRAY:
        return _ELEMENTWISE_MULTIPLY(a, b)
    return _normal(_number(a) * _number(b))


def _array_divide(a: Any, b: Any) -> Any:
    """Binary.divide: a number 0 in the denominator is a ZeroDivisionError; an array's entries divide one by one."""
    if type(b) is _ARRAY:
        return _ELEMENTWISE_DIVIDE(a, b)
    if type(a) is _ARRAY:
        if type(b) is not Real and _number(b) == 0:
            raise ZeroDivisionError("division by zero")
        return _ELEMENTWISE_DIVIDE(a, b)
    return _divide(a, b)


_NORMALISE = np.frompyfunc(_normal, 1, 1)


def _matmul(a: Any, b: Any) -> Any:
    if type(a) is not _ARRAY or type(b) is not _ARRAY or a.dtype != object or b.dtype != object:
        raise NotFast
    product = a @ b
    if type(product) is _ARRAY:
        return np.asarray(_NORMALISE(product), dtype=object)
    return _normal(_number(product))


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _array_add,
    ast.Sub: _array_subtract,
    ast.Mult: _array_multiply,
    ast.Div: _array_divide,
    ast.FloorDiv: _lift2(_floordiv),
    ast.Mod: _lift2(_mod),
    ast.Pow: _lift2(_power),
    ast.MatMult: _matmul,
}


def _truth(x: Any) -> bool:
    if x is True or x is False:
        return x
    kind = type(x)
    if kind is int or kind is Fraction or kind is str or kind is Real:
        return bool(x)
    if kind is _ARRAY:
        return all(_truth(item) for item in x.flat)
    raise NotFast


def _compare(a: Any, b: Any) -> int:
    """expressions._compare_numbers over fast values."""
    ka, kb = type(a), type(b)
    if ka is str or kb is str:
        if not (kb is str or kb is int or kb is Fraction or kb is bool) or not (ka is str or ka is int or ka is Fraction or ka is bool):
            raise NotFast
        if a == b:
            return 0
        return -1 if str(a) < str(b) else 1
    if (ka is int or ka is Fraction) and (kb is int or kb is Fraction):
        return (a > b) - (a < b)
    if ka is Real and (kb is Real or kb is int or kb is Fraction):
        return a.compare(b)
    if kb is Real and (ka is int or ka is Fraction):
        return -b.compare(a)
    raise NotFast


_DIRECT_COMPARATORS = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}


def _compare_pair(test: Callable[[int], bool], a: Any, b: Any) -> bool:
    if type(a) is _ARRAY or type(b) is _ARRAY:
        return bool(np.all(np.frompyfunc(lambda x, y: test(_compare(x, y)), 2, 1)(_operand(a), _operand(b))))
    return test(_compare(a, b))


# ---------------------------------------------------------------------------
# Functions


def _floor(x: Any) -> int:
    if type(x) is Real:
        return int(libmp.to_int(libmp.mpf_floor(x.mpf, x.prec)))
    return math.floor(_number(x))


def _ceil(x: Any) -> int:
    if type(x) is Real:
        return int(libmp.to_int(libmp.mpf_ceil(x.mpf, x.prec)))
    return math.ceil(_number(x))


_FLOOR, _CEIL = _lift(_floor), _lift(_ceil)  # element by element, made once


def _floor_of_quotient(a: Any, b: Any) -> Any:
    """floor(a / b): for whole numbers a // b, with no Fraction made; of an array, entry by entry."""
    if type(a) is int and type(b) is int and b != 0:
        return a // b
    if type(a) is _ARRAY or type(b) is _ARRAY:
        return _FLOOR(_array_divide(a, b))
    return _floor(_divide(a, b))


def _ceil_of_quotient(a: Any, b: Any) -> Any:
    """ceil(a / b): for whole numbers -((-a) // b); of an array, entry by entry."""
    if type(a) is int and type(b) is int and b != 0:
        return -(-a // b)
    if type(a) is _ARRAY or type(b) is _ARRAY:
        return _CEIL(_array_divide(a, b))
    return _ceil(_divide(a, b))


def _exact_root(x: Any) -> Any:
    """numeric.sqrt's exact rule: a square's root stays rational (sqrt(9/4) = 3/2); None when it is not one."""
    if x < 0:
        raise NotFast  # the sympy path's ValueError
    p, q = (x, 1) if type(x) is int else (x.numerator, x.denominator)
    rp, rq = math.isqrt(p), math.isqrt(q)
    if rp * rp != p or rq * rq != q:
        return None
    return _normal(Fraction(rp, rq))


def _exact_log(x: Any) -> Any:
    if x <= 0:
        raise NotFast
    return 0 if x == 1 else None


_REMEMBERED = 4096  # mpmath results each function keeps (the same value, hence the same result: only time is saved)


def _numeric(compute: Callable, exact_rule: Callable[[Any], Any] | None, positive: bool = False) -> Callable[[Any], Any]:
    """values._numeric over fast values: the same mpmath function at the same precision, the result rounded as sympy.Float(x, DIGITS).

    ``exact=False``: the argument is a Python int (an array's shape), which values._numeric does
    not take for a sympy Rational, so no exact rule applies (sqrt(4) of a shape is the Float 2).
    """

    computed: dict[tuple, tuple] = {}  # a variant's mistakes take exp of the same logits again and again

    def function(x: Any, exact: bool = True) -> Any:
        kind = type(x)
        if kind is Real:
            bits = max(numeric._BITS, x.prec)
            argument = x.mpf
        elif kind is int or kind is Fraction:
            if exact and exact_rule is not None:
                result = exact_rule(x)
                if result is not None:
                    return result
            bits = numeric._BITS
            # sympy hands mpmath an Integer as the int itself (converted exactly), a Rational rounded to the bits
            argument = libmp.from_int(x) if kind is int else libmp.from_rational(x.numerator, x.denominator, bits, _NEAREST)
        else:
            raise NotFast
        if positive and (argument[0] or argument == libmp.fzero):
            raise NotFast  # log or sqrt of a number <= 0: the sympy path's ValueError
        key = (argument, bits)
        result = computed.get(key)
        if result is None:
            if len(computed) >= _REMEMBERED:
                computed.clear()
            result = computed[key] = compute(argument, bits, _NEAREST)
        if not result[1]:
            if result[3]:  # inf or nan
                raise NotFast
            return 0  # sympy.Float(mpf zero, DIGITS) is S.Zero
        return Real(libmp.normalize(result[0], result[1], result[2], result[3], _SHOWN_PREC, _NEAREST), _SHOWN_PREC)

    return function


_exp = _numeric(libmp.mpf_exp, lambda x: 1 if x == 0 else None)
_log = _numeric(libmp.mpf_log, _exact_log, positive=True)
_sqrt = _numeric(libmp.mpf_sqrt, _exact_root, positive=True)
_sin = _numeric(libmp.mpf_sin, lambda x: 0 if x == 0 else None)
_cos = _numeric(libmp.mpf_cos, lambda x: 1 if x == 0 else None)
_tanh = _numeric(libmp.mpf_tanh, lambda x: 0 if x == 0 else None)


def _abs(x: Any) -> Any:
    return abs(_number(x))


def _extreme(direction: int) -> Callable:
    """expressions._extreme: of numbers, of a vector's entries, or element by element of two arrays."""
    pick = _lift2(lambda a, b: a if direction * _compare(a, b) >= 0 else b)

    def extreme(*args: Any) -> Any:
        if len(args) == 1 and type(args[0]) is _ARRAY:
            args = tuple(args[0].flat)
        if len(args) == 2 and (type(args[0]) is _ARRAY or type(args[1]) is _ARRAY):
            return pick(*args)
        if not args:
            raise NotFast
        best = args[0]
        if len(args) == 1:
            _number(best)
        for item in args[1:]:
            if direction * _compare(item, best) > 0:
                best = item
        return _normal(best)

    return extreme


def _total(items: Any) -> Any:
    """sum(items, Integer(0)): 0 + the first + the second...; 0 + the first is the first itself, as in sympy."""
    total = 0
    for i, item in enumerate(items):
        total = _add(total, item) if i or (type(item) is Real and not item) else _normal(_number(item))
    return total


def _sum(x: Any) -> Any:
    if type(x) is _ARRAY:
        return _total(x.flat)
    return _number(x)


def _array_only(function: Callable[[np.ndarray], Any], dimensions: tuple[int, ...] = (1, 2)) -> Callable[[Any], Any]:
    def checked(x: Any) -> Any:
        if type(x) is not _ARRAY or x.ndim not in dimensions:
            raise NotFast  # the sympy path's ValueError names the function
        return function(x)

    return checked


def _vector_dot(a: Any, b: Any) -> Any:
    if type(a) is not _ARRAY or type(b) is not _ARRAY or a.ndim != 1 or b.ndim != 1 or len(a) != len(b):
        raise NotFast
    return _total(_multiply(x, y) for x, y in zip(a, b))


def _argmax(x: Any) -> int:
    if type(x) is not _ARRAY or x.ndim != 1:
        raise NotFast
    best = 0
    for i in range(1, len(x)):
        if _compare(x[i], x[best]) > 0:
            best = i
    return best + 1


def _filled(value: int) -> Callable:
    def make(*shape: Any) -> Any:
        if not 1 <= len(shape) <= 2 or any(type(size) is not int or not 1 <= size <= ex.MAX_DIMENSION for size in shape):
            raise NotFast
        out = np.empty(shape, dtype=object)
        out.fill(value)
        return out

    return make


def _distinct(x: Any) -> bool:
    items = list(x.flat) if type(x) is _ARRAY else [_number(x)]
    return all(_compare(a, b) != 0 for i, a in enumerate(items) for b in items[i + 1 :])


def _whole(x: Any) -> bool:
    return type(x) is int or (type(x) is Fraction and x.denominator == 1)


def _is_integer(x: Any) -> bool:
    kind = type(x)
    if kind is _ARRAY:
        return all(_whole(item) for item in x.flat)
    if kind is int or kind is Fraction or kind is Real or kind is bool or kind is str:
        return kind is int
    raise NotFast


def _is_odd(x: Any) -> bool:
    kind = type(x)
    if kind is int or kind is Fraction or kind is Real or kind is bool or kind is str:
        return kind is int and x % 2 == 1
    raise NotFast


def _mean(x: Any) -> Any:
    """formulas._mean: sum(x, 0) / len(x), over the first axis."""
    if type(x) is not _ARRAY or x.ndim != 1 or len(x) == 0:
        raise NotFast
    return _divide(_total(x), len(x))


def _biased_variance(x: Any) -> Any:
    mu = _mean(x)
    return _divide(_total(_power(_subtract(v, mu), 2) for v in x), len(x))


_BUILTINS: dict[str, Callable] = {
    "floor": _FLOOR,
    "ceil": _CEIL,
    "abs": _lift(_abs),
    "sqrt": _lift(_sqrt),
    "exp": _lift(_exp),
    "log": _lift(_log),
    "sin": _lift(_sin),
    "cos": _lift(_cos),
    "min": _extreme(-1),
    "max": _extreme(1),
    "sum": _sum,
    "mean": _mean,
    "var": _biased_variance,
    "len": _array_only(len),
    "rows": _array_only(lambda x: x.shape[0], (2,)),
    "cols": _array_only(lambda x: x.shape[1], (2,)),
    "argmax": _argmax,
    "transpose": _array_only(lambda x: x.T),
    "dot": _vector_dot,
    "zeros": _filled(0),
    "ones": _filled(1),
    "all": _truth,
    "distinct": _distinct,
    "is_integer": _is_integer,
    "is_odd": _is_odd,
}


# ---------------------------------------------------------------------------
# Formulas of the sheet
#
# A formula whose function is its ``expand`` formula, operation for operation, is evaluated
# by its expansion's fast closure. The others that the bank uses most are written again
# here over fast values, each the function's own operations in the function's order.

_EXPANDED_FORMULAS = frozenset({
    "conv_output_size", "pool_output_size", "same_padding", "conv_params", "dilated_kernel",
    "dense_params", "rnn_params", "lstm_params", "gru_params",
    "weighted_sum", "linear_prediction", "sigmoid_derivative", "relu", "gd_step", "softmax_ce_gradient",
    "rnn_output", "attention", "ffn", "momentum_velocity", "momentum_update", "adam_first_moment",
    "bias_correction", "adam_update", "l2_penalty", "l1_penalty", "weight_decay_step",
    "xavier_bound", "he_std", "he_variance",
})


def _scalar_sigmoid(z: Any) -> Any:
    """formulas._scalar_sigmoid for |z| <= 23; further out it works at more digits: left to sympy."""
    kind = type(z)
    if kind is Real:
        magnitude = abs(libmp.to_float(libmp.mpf_pos(z.mpf, 53, _NEAREST)))
    elif kind is int or kind is Fraction:
        magnitude = abs(float(z))
    else:
        raise NotFast
    if magnitude > 23:
        raise NotFast
    return _divide(1, _add(1, _exp(-z)))


def _scalar_step(z: Any) -> int:
    return 1 if _compare(z, 0) >= 0 else 0


_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": _lift(_scalar_sigmoid),
    "tanh": _lift(_tanh),
    "relu": _lift(lambda z: z if _compare(_number(z), 0) > 0 else 0),
    "step": _lift(_scalar_step),
    "identity": lambda z: _operand(z),
}


def _activate(z: Any, activation: Any) -> Any:
    if type(activation) is not str or activation not in _ACTIVATIONS:
        raise NotFast
    return _ACTIVATIONS[activation](z)


def _vector(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _matrix(rows: list) -> np.ndarray:
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    for i, row in enumerate(rows):
        out[i] = row
    return out


def _softmax(z: Any) -> Any:
    if type(z) is not _ARRAY:
        raise NotFast
    if z.ndim == 2:
        return _matrix([_softmax(row) for row in z])
    exps = [_exp(item) for item in z]
    total = _total(exps)
    return _vector([_divide(item, total) for item in exps])


def _predict_binary(p: Any) -> Any:
    return _lift(lambda v: 1 if _compare(v, Fraction(1, 2)) >= 0 else 0)(p)


def _bce(y_hat: Any, y: Any) -> Any:
    def one(p: Any, t: Any) -> Any:
        total = 0
        if _compare(t, 0) != 0:
            total = _subtract(total, _multiply(t, _log(p)))
        if _compare(t, 1) != 0:
            total = _subtract(total, _multiply(_subtract(1, t), _log(_subtract(1, p))))
        return total

    if type(y_hat) is _ARRAY:
        if type(y) is not _ARRAY or y_hat.ndim != 1:
            raise NotFast
        return _vector([one(p, t) for p, t in zip(y_hat, y)])
    return one(_number(y_hat), _number(y))


def _categorical_ce(y_hat: Any, y: Any) -> Any:
    if type(y_hat) is not _ARRAY or type(y) is not _ARRAY or y_hat.ndim != 1:
        raise NotFast
    return _negate(_total(_multiply(t, _log(p)) for p, t in zip(y_hat, y) if _compare(t, 0) != 0))


def _mse(X: Any, y: Any, w: Any) -> Any:
    residual = _array_subtract(_matmul(X, w), y)
    if type(residual) is not _ARRAY or residual.ndim != 1:
        raise NotFast
    return _divide(_total(_multiply(r, r) for r in residual), 2 * X.shape[0])


def _mse_gradient(X: Any, y: Any, w: Any) -> Any:
    if type(X) is not _ARRAY or X.ndim != 2:
        raise NotFast
    return _array_divide(_matmul(X.T, _array_subtract(_matmul(X, w), y)), X.shape[0])


def _adam_second_moment(v_prev: Any, g: Any, beta_2: Any) -> Any:
    return _array_add(_array_multiply(beta_2, v_prev), _array_multiply(_array_multiply(_subtract(1, beta_2), g), g))


def _dot_scores(q: Any, K: Any) -> Any:
    return _matmul(K, q)


def _scaled_dot_product_attention(Q: Any, K: Any, V: Any) -> Any:
    if type(K) is not _ARRAY or K.ndim != 2:
        raise NotFast
    scores = _array_divide(_matmul(Q, K.T), _sqrt(K.shape[1], exact=False))
    return _matmul(_softmax(scores), V)


def _minibatch_gradient(G: Any) -> Any:
    if type(G) is not _ARRAY:
        raise NotFast
    return _vector([_mean(G[:, j]) for j in range(G.shape[1])]) if G.ndim == 2 else _mean(G)


def _layer_norm(x: Any, eps: Any = 0, gamma: Any = 1, beta: Any = 0) -> Any:
    if type(x) is not _ARRAY:
        raise NotFast
    if x.ndim == 2:
        return _matrix([_layer_norm(row, eps, gamma, beta) for row in x])
    mu = _mean(x)
    denominator = _sqrt(_add(_biased_variance(x), eps))
    return _array_add(_array_multiply(gamma, _array_divide(_array_subtract(x, mu), denominator)), beta)


_HAND_WRITTEN: dict[str, Callable] = {
    "sigmoid": _ACTIVATIONS["sigmoid"],
    "tanh": _ACTIVATIONS["tanh"],
    "step": _ACTIVATIONS["step"],
    "activate": _activate,
    "softmax": _softmax,
    "attention_weights": _softmax,
    "predict_binary": _predict_binary,
    "bce": _bce,
    "categorical_ce": _categorical_ce,
    "mse": _mse,
    "mse_gradient": _mse_gradient,
    "adam_second_moment": _adam_second_moment,
    "dot_scores": _dot_scores,
    "scaled_dot_product_attention": _scaled_dot_product_attention,
    "minibatch_gradient": _minibatch_gradient,
    "layer_norm": _layer_norm,
}


def _bind(name: str, body: Callable[..., Any], by_scope: bool) -> Callable[..., Any]:
    """A formula's arguments bound as its function binds them (defaults included), then ``body``."""
    parameters = inspect.signature(formulas.FORMULAS[name].function).parameters
    names = list(parameters)
    defaults = {key: to_fast(p.default) for key, p in parameters.items() if p.default is not inspect.Parameter.empty}

    count = len(names)

    def call(*args: Any, **kwargs: Any) -> Any:
        if not kwargs and len(args) == count:  # every argument given in order: nothing to bind
            return body(dict(zip(names, args))) if by_scope else body(*args)
        if len(args) > count or any(key not in parameters for key in kwargs):
            raise NotFast
        scope = {**defaults, **dict(zip(names, args)), **kwargs}
        if len(scope) != len(names):
            raise NotFast
        return body(scope) if by_scope else body(*[scope[n] for n in names])

    return call


def _formula(name: str) -> Callable | None:
    if name in _HAND_WRITTEN:
        return _bind(name, _HAND_WRITTEN[name], by_scope=False)
    if name not in _EXPANDED_FORMULAS:
        return None
    expansion = ex.FUNCTIONS[name].expand
    body = compile_fast(expansion.root) if expansion is not None else None
    return _bind(name, body, by_scope=True) if body is not None else None


# ---------------------------------------------------------------------------
# Nodes


def _index_key(key: Any) -> Any:
    kind = type(key)
    if kind is int or kind is slice:
        return key
    if kind is Fraction:
        return int(key)
    raise NotFast


def _array_of(values: list) -> Any:
    """values.array over fast values: a vector of numbers, or a matrix of equal rows."""
    if values and type(values[0]) is _ARRAY:
        shape = values[0].shape
        if any(type(row) is not _ARRAY or row.shape != shape for row in values):
            raise NotFast
        out = np.empty((len(values),) + shape, dtype=object)
        for i, row in enumerate(values):
            out[i] = row
        return out
    for item in values:
        _number(item)
    return _vector(values)


def compile_fast(node: ex.Node) -> Callable[[Mapping[str, Any]], Any] | None:
    """The node as a closure over fast values, or None when it needs the sympy path."""
    if isinstance(node, ex.Number):
        value = to_fast(node.value)
        if not (type(value) in (int, Fraction, Real, bool, str)):
            return None
        return lambda env: value
    if isinstance(node, ex.Text):
        text = node.value
        return lambda env: text
    if isinstance(node, ex.Name):
        if node.name in ("pi", "e"):
            constant = _PI if node.name == "pi" else _E
            return lambda env: constant
        if node.name in ex._CONSTANTS:
            value = ex._CONSTANTS[node.name]
            return (lambda env: value) if isinstance(value, bool) else None
        return operator.itemgetter(node.name)
    if isinstance(node, ex.Call):
        quotient = node.args[0] if len(node.args) == 1 and not node.kwargs else None
        if node.function in ("floor", "ceil") and isinstance(quotient, ex.Binary) and quotient.op is ast.Div:
            numerator, denominator = compile_fast(quotient.left), compile_fast(quotient.right)
            if numerator is not None and denominator is not None:
                rounded = _floor_of_quotient if node.function == "floor" else _ceil_of_quotient
                return lambda env: rounded(numerator(env), denominator(env))
    children = [compile_fast(child) for child in node.children()]
    if any(child is None for child in children):
        return None
    if isinstance(node, ex.Binary):
        operate = _BINARY.get(node.op)
        if operate is None:
            return None
        left, right = children
        if isinstance(node.right, ex.Number):  # 2*P, N - 1: no call for the constant
            constant = right(None)
            return lambda env: operate(left(env), constant)
        if isinstance(node.left, ex.Number):
            constant = left(None)
            return lambda env: operate(constant, right(env))
        return lambda env: operate(left(env), right(env))
    if isinstance(node, ex.Unary):
        (operand,) = children
        if node.op is ast.USub:
            return lambda env: _negate(operand(env))
        if node.op is ast.UAdd:
            return operand
        return lambda env: not _truth(operand(env))
    if isinstance(node, ex.Comparison):
        tests = [ex._COMPARATORS[op] for op in node.ops]
        if len(tests) == 1:
            test, direct = tests[0], _DIRECT_COMPARATORS[node.ops[0]]
            first, second = children

            def compare_two(env):
                a, b = first(env), second(env)
                if type(a) is int and type(b) is int:
                    return direct(a, b)
                if type(a) is _ARRAY or type(b) is _ARRAY:
                    return _compare_pair(test, a, b)
                return test(_compare(a, b))

            return compare_two

        def compare(env):
            values = [f(env) for f in children]
            return all(_compare_pair(test, values[i], values[i + 1]) for i, test in enumerate(tests))

        return compare
    if isinstance(node, ex.Logical):
        if len(children) == 2:
            first, second = children
            if node.op is ast.And:
                return lambda env: _truth(first(env)) and _truth(second(env))
            return lambda env: _truth(first(env)) or _truth(second(env))
        if node.op is ast.And:
            return lambda env: all(_truth(f(env)) for f in children)
        return lambda env: any(_truth(f(env)) for f in children)
    if isinstance(node, ex.Conditional):
        test, body, orelse = children
        return lambda env: body(env) if _truth(test(env)) else orelse(env)
    if isinstance(node, ex.ListLiteral):

        def build(env):
            values = [f(env) for f in children]
            if values and all(type(v) is str for v in values):
                return values
            return _array_of(values)

        return build
    if isinstance(node, ex.Slice):
        bounds = iter(children)
        lower = next(bounds) if node.lower is not None else None
        upper = next(bounds) if node.upper is not None else None
        return lambda env: slice(_index_key(lower(env)) if lower else None, _index_key(upper(env)) if upper else None)
    if isinstance(node, ex.Index):
        container, *indices = children

        def pick(env):
            value = container(env)
            keys = tuple(_index_key(f(env)) for f in indices)
            if type(value) is list:
                return value[keys[0]]
            if type(value) is not _ARRAY:
                raise NotFast
            picked = value[keys if len(keys) > 1 else keys[0]]
            return picked if type(picked) is _ARRAY else _normal(picked)

        return pick
    if isinstance(node, ex.Call):
        if node.function in _BUILTINS:
            if node.kwargs:
                return None
            call = _BUILTINS[node.function]
        elif node.function in formulas.FORMULAS:
            call = _formula(node.function)
        else:
            return None
        if call is None:
            return None
        args = children[: len(node.args)]
        keys = list(node.kwargs)
        kwargs = dict(zip(keys, children[len(node.args) :]))
        if not kwargs:
            if len(args) == 1:
                (only,) = args
                return lambda env: call(only(env))
            return lambda env: call(*[f(env) for f in args])
        return lambda env: call(*[f(env) for f in args], **{k: f(env) for k, f in kwargs.items()})
    return None


def _drawn_argument(value: Any) -> Any:
    """A draw's argument as the sympy path hands it over: a list of words stays that list."""
    if type(value) is list:
        return value
    return from_fast(value)


class _FastChoice(draws.Distribution):
    """choice([...]) over fast values: the same pick as draws.Grid's, and only the picked option made a sympy value."""

    def __init__(self, items: list):
        self.items = items

    def size(self) -> int:
        return len(self.items)

    def sample(self, rng: Any) -> Any:
        if isinstance(rng, VariantRandom):
            return from_fast(self.items[rng.below(len(self.items))])
        return from_fast(self.items[int(rng.integers(0, len(self.items)))])

    def support(self) -> Any:
        return (from_fast(item) for item in self.items)


def _fast_choice(options: Callable[[Mapping[str, Any]], Any]) -> Callable[[Mapping[str, Any]], Any]:
    """draws.draw_choice of a list literal's value: a vector's entries or a matrix's rows; words by draw_choice itself."""

    def draw(env: Mapping[str, Any]) -> Any:
        value = options(env)
        if type(value) is list:
            return draws.draw_choice(value)
        if type(value) is not _ARRAY or value.ndim not in (1, 2) or len(value) == 0:
            raise NotFast
        return _FastChoice(list(value))

    return draw


def compile_fast_draw(node: ex.Node) -> Callable[[Mapping[str, Any]], Any] | None:
    """A draw that depends on other variables (``choice([N - K + 1, ...])``): its arguments by the
    fast closures, converted back, then the draw made by the same function; None when an
    argument needs the sympy path. ``choice`` of a list converts only the option it picks.
    The distribution is remembered for the values of the names it reads (see _remembered)."""
    if not isinstance(node, ex.Call) or node.function not in ex._DRAWS or node.function == "network":
        return None
    if node.function == "choice" and len(node.args) == 1 and not node.kwargs and isinstance(node.args[0], ex.ListLiteral):
        options = compile_fast(node.args[0])
        return _remembered(_fast_choice(options), node.names()) if options is not None else None
    maker = ex._DRAWS[node.function].call
    args = [_draw_argument(arg) for arg in node.args]
    kwargs = {key: _draw_argument(value) for key, value in node.kwargs.items()}
    if any(f is None for f in args) or any(f is None for f in kwargs.values()):
        return None

    def draw(env: Mapping[str, Any]) -> Any:
        return maker(*[f(env) for f in args], **{key: f(env) for key, f in kwargs.items()})

    return _remembered(draw, node.names())


_REMEMBERED_LIMIT = 1024  # distributions kept per draw; then the memory starts again


def _memo_key(value: Any) -> Any:
    """A key equal exactly for equal fast values of one type (a Real by its bits); NotFast for an array or anything else."""
    kind = type(value)
    if kind is int or kind is Fraction or kind is str or kind is bool:
        return (kind, value)
    if kind is Real:
        return (kind, value.mpf, value.prec)
    raise NotFast


def _remembered(draw: Callable[[Mapping[str, Any]], Any], names: set[str]) -> Callable[[Mapping[str, Any]], Any]:
    """``draw`` made once for each combination of the values of the names it reads.

    A draw's distribution is a function of those values alone, and most dependent draws see
    few of them (a kernel size, a layer count), so most variants reuse a distribution. Its
    errors are not remembered: a failing draw fails again, the same way. A value that is
    not a number or a word (an array) is not remembered by; the draw is then made anew."""
    ordered = sorted(names)
    memory: dict[tuple, Any] = {}

    def remembered(env: Mapping[str, Any]) -> Any:
        try:
            key = tuple([_memo_key(env[name]) for name in ordered])
        except (NotFast, KeyError):
            return draw(env)
        distribution = memory.get(key)
        if distribution is None:
            distribution = draw(env)
            if len(memory) >= _REMEMBERED_LIMIT:
                memory.clear()
            memory[key] = distribution
        return distribution

    return remembered


def _draw_argument(node: ex.Node) -> Callable[[Mapping[str, Any]], Any] | None:
    """An argument of a draw as the sympy path hands it over: a value, or a draw itself (vector(d, decimal(...)))."""
    value = compile_fast(node)
    if value is not None:
        return lambda env: _drawn_argument(value(env))
    return compile_fast_draw(node)
