"""Distributions a template draws from: integer and decimal ranges, choices, vectors, matrices.

In a variable's ``draw`` the expression evaluates to one of these objects; the
generator then samples it with the variant's own ``numpy.random.Generator``.
Arguments are checked up front, and a bad one is named with its value
(``int: min_value=5 > max_value=3``), as Hypothesis does.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

import numpy as np
import sympy

from ..errors import ExpressionError
from .rng import VariantRandom
from .values import Value, array, exact


class Distribution:
    """Something to draw one exact value from."""

    def size(self) -> int:
        """How many different values it can give."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator) -> Value:
        raise NotImplementedError

    def support(self) -> Iterator[Value]:
        """Every value it can give, in a fixed order (used to count distinct variants)."""
        raise NotImplementedError


def _as_rational(name: str, argument: str, value: Any) -> sympy.Rational:
    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return exact(value)
    raise ExpressionError(f"{name}: {argument}={value} must be a number")


def _exclusions(name: str, exclude: Any) -> list:
    if exclude is None:
        return []
    if isinstance(exclude, np.ndarray):
        return list(exclude.flat)
    if isinstance(exclude, (list, tuple)):
        return list(exclude)
    return [exclude]


@dataclass(frozen=True)
class Grid(Distribution):
    """min_value, min_value + step, ..., up to max_value, minus the excluded values."""

    values: tuple

    def size(self) -> int:
        return len(self.values)

    def pick(self, rng: np.random.Generator | VariantRandom) -> int:
        """The position of the value drawn."""
        if isinstance(rng, VariantRandom):  # the same draw as numpy's integers(0, n), without its call overhead
            return rng.below(len(self.values))
        return int(rng.integers(0, len(self.values)))

    def sample(self, rng: np.random.Generator | VariantRandom) -> Value:
        return self.values[self.pick(rng)]

    def support(self) -> Iterator[Value]:
        return iter(self.values)


_MAX_GRID = 100_000


_GRIDS: dict[tuple, Grid] = {}  # a draw such as vector(d, decimal(-2, 2, 0.1)) makes the same grid for every variant
_GRIDS_LIMIT = 4096


def _typed(value: Any) -> tuple:
    return (type(value), value)


def _grid(name: str, min_value: Any, max_value: Any, step: Any, exclude: Any, integer: bool) -> Grid:
    """The grid of a draw, made once for the same arguments (their types included: 0.1 and Float(0.1) differ)."""
    key = None
    if exclude is None or isinstance(exclude, (list, tuple, np.ndarray)):
        try:
            excluded = None if exclude is None else tuple(map(_typed, _exclusions(name, exclude)))
            key = (name, _typed(min_value), _typed(max_value), _typed(step), excluded, integer)
            grid = _GRIDS.get(key)
        except TypeError:  # an unhashable argument: made each time
            key = grid = None
        if grid is not None:
            return grid
    grid = _make_grid(name, min_value, max_value, step, exclude, integer)
    if key is not None:
        if len(_GRIDS) >= _GRIDS_LIMIT:
            _GRIDS.clear()
        _GRIDS[key] = grid
    return grid


def _make_grid(name: str, min_value: Any, max_value: Any, step: Any, exclude: Any, integer: bool) -> Grid:
    low = _as_rational(name, "min_value", min_value)
    high = _as_rational(name, "max_value", max_value)
    stride = _as_rational(name, "step", step)
    if integer and not all(isinstance(v, sympy.Integer) for v in (low, high, stride)):
        raise ExpressionError(f"{name}: min_value={low}, max_value={high} and step={stride} must be whole numbers")
    if stride <= 0:
        raise ExpressionError(f"{name}: step={stride} must be positive")
    if low > high:
        raise ExpressionError(f"{name}: min_value={low} > max_value={high}")
    count = int(sympy.floor((high - low) / stride)) + 1
    if count > _MAX_GRID:
        raise ExpressionError(f"{name}: {count} values between min_value={low} and max_value={high}; at most {_MAX_GRID}")
    excluded = frozenset(exact(v) if not isinstance(v, sympy.Basic) else v for v in _exclusions(name, exclude))
    grid = _progression(low, stride, count, excluded)
    if not grid.values:
        raise ExpressionError(f"{name}: every value between min_value={low} and max_value={high} is excluded")
    return grid


@lru_cache(maxsize=4096)
def _progression(low: sympy.Rational, stride: sympy.Rational, count: int, excluded: frozenset) -> Grid:
    """The grid's values, built once: a draw such as vector(K, decimal(-1, 1, 0.1)) is evaluated per variant."""
    return Grid(tuple(v for v in (low + k * stride for k in range(count)) if v not in excluded))


def draw_int(min_value: Any, max_value: Any, step: Any = 1, exclude: Any = None) -> Grid:
    """int(min_value, max_value, step=1, exclude=[...]): a whole number on a grid."""
    return _grid("int", min_value, max_value, step, exclude, integer=True)


def draw_decimal(min_value: Any, max_value: Any, step: Any, exclude: Any = None) -> Grid:
    """decimal(min_value, max_value, step, exclude=[...]): an exact decimal such as 0.1 = 1/10."""
    return _grid("decimal", min_value, max_value, step, exclude, integer=False)


def draw_choice(options: Any) -> Grid:
    """choice([a, b, c]): one of the listed values (numbers or words)."""
    if isinstance(options, np.ndarray):
        items = list(options) if options.ndim == 1 else [row for row in options]
    elif isinstance(options, (list, tuple)):
        items = list(options)
    else:
        raise ExpressionError(f"choice: options={options} must be a list")
    if not items:
        raise ExpressionError("choice: options=[] is empty")
    return Grid(tuple(items))


@dataclass(frozen=True)
class ArrayOf(Distribution):
    """A vector or matrix whose entries are drawn independently from one distribution."""

    element: Distribution
    shape: tuple[int, ...]

    def size(self) -> int:
        return self.element.size() ** math.prod(self.shape)

    def sample(self, rng: np.random.Generator) -> Value:
        count = math.prod(self.shape)
        element = self.element
        if isinstance(element, Grid):
            if isinstance(rng, VariantRandom):
                picks = rng.below_many(len(element.values), count)
            else:
                picks = rng.integers(0, len(element.values), size=count)
            items = [element.values[int(i)] for i in picks]
        else:
            items = [element.sample(rng) for _ in range(count)]
        out = np.empty(count, dtype=object)
        out[:] = items
        return out.reshape(self.shape)

    def support(self) -> Iterator[Value]:
        count = math.prod(self.shape)
        for combination in itertools.product(list(self.element.support()), repeat=count):
            out = np.empty(count, dtype=object)
            out[:] = list(combination)
            yield out.reshape(self.shape)


def _dimension(name: str, argument: str, value: Any) -> int:
    if not isinstance(value, (int, sympy.Integer)) or isinstance(value, bool) or int(value) < 1 or int(value) > 64:
        raise ExpressionError(f"{name}: {argument}={value} must be a whole number from 1 to 64")
    return int(value)


def draw_vector(length: Any, of: Any) -> ArrayOf:
    """vector(length, of): a vector of independent draws, e.g. vector(3, decimal(-1, 1, 0.1))."""
    if not isinstance(of, Distribution):
        raise ExpressionError(f"vector: of={of} must be a draw such as int(...) or decimal(...)")
    return ArrayOf(of, (_dimension("vector", "length", length),))


def draw_matrix(rows: Any, cols: Any, of: Any) -> ArrayOf:
    """matrix(rows, cols, of): a matrix of independent draws."""
    if not isinstance(of, Distribution):
        raise ExpressionError(f"matrix: of={of} must be a draw such as int(...) or decimal(...)")
    return ArrayOf(of, (_dimension("matrix", "rows", rows), _dimension("matrix", "cols", cols)))


DISTRIBUTIONS = {
    "int": draw_int,
    "decimal": draw_decimal,
    "choice": draw_choice,
    "vector": draw_vector,
    "matrix": draw_matrix,
}

__all__ = ["Distribution", "Grid", "ArrayOf", "DISTRIBUTIONS", "array"]
