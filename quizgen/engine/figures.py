"""Figures drawn from a variant's own numbers: the ``figures:`` field of a template.

A figure entry names a kind from the small library below, binds the kind's inputs to
expressions over the template's variables (parsed with the same whitelist as every other
expression), says where it goes (``question``, ``solution`` or ``both``) and gives a caption
and an alt text, both texts with ``{@ name @}`` placeholders.

Per variant, ``variant_figures`` evaluates the inputs and turns them into a ``Figure``: its
kind, the resolved inputs (plain JSON values, for the JSON record) and the data the drawing
needs (sizes, labels and numbers already formatted with the one number formatter, so a
figure shows the digits the question and the key show). The drawing itself is an output
(quizgen.formats.figures); the engine imports no format.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from ..errors import ExpressionError, VariantError
from . import formulas, networks
from .expressions import Expression, Text
from .values import format_number, is_array, to_float

PLACES = ("question", "solution", "both")
MAX_FIGURES = 4
MAX_CELLS = 12  # a grid of more cells a side is drawn with its sizes written symbolically
MAX_MATRIX = 8  # rows or columns of a heatmap
MAX_BARS = 12
MAX_PATH = 20
MAX_MAGNITUDE = 1e6  # a trajectory's numbers (path and loss coefficients), so the drawing's arithmetic stays well inside float
CURVE_FUNCTIONS = ("sigmoid", "tanh", "relu", "step")
POOL_MODES = ("conv", "max", "avg")

_REQUIRED = object()
_OPTIONAL = object()  # an input with no default: left out unless given
# Each kind's inputs: name -> default (an expression's text), _REQUIRED or _OPTIONAL.
KINDS: dict[str, dict[str, Any]] = {
    "conv_grid": {"input": _REQUIRED, "kernel": _REQUIRED, "padding": "0", "stride": "1", "dilation": "1", "mode": "'conv'"},
    "network": {"layers": _REQUIRED},
    "matrix_heatmap": {"values": _REQUIRED, "decimals": "2", "rows": "'q'", "columns": "'k'"},
    "bars": {"values": _REQUIRED, "labels": "'class'", "decimals": "3", "axis": "''"},
    "curve": {"function": _REQUIRED, "z": _REQUIRED, "decimals": "3"},
    "trajectory": {
        "path": _REQUIRED, "decimals": "3", "name": "'theta'", "first": "0", "given": "1",
        "labels": _OPTIONAL, "axes": _OPTIONAL, "A": _OPTIONAL, "b": _OPTIONAL, "c": _OPTIONAL,
    },
}
_WORDS = {("conv_grid", "mode"): POOL_MODES, ("curve", "function"): CURVE_FUNCTIONS}
_ENTRY_FIELDS = {"kind", "inputs", "place", "caption", "alt"}


@dataclass
class FigureSpec:
    """One checked entry of a template's ``figures:`` list."""

    index: int
    kind: str
    inputs: dict[str, Expression]
    place: str
    caption: Any  # a compiled text (jinja2.Template or FixedText)
    alt: Any

    def shows_in(self, part: str) -> bool:
        return self.place in (part, "both")


@dataclass(frozen=True)
class Figure:
    """A figure of one variant: what is drawn, resolved; ``key`` is the drawing's cache key."""

    index: int
    kind: str
    place: str
    caption: str
    alt: str
    inputs: dict[str, Any]  # plain JSON values (the record's)
    data: dict[str, Any]  # what the drawing needs, plain JSON values

    @cached_property
    def key(self) -> str:
        return json.dumps({"kind": self.kind, "data": self.data}, sort_keys=True, separators=(",", ":"))

    def shows_in(self, part: str) -> bool:
        return self.place in (part, "both")

    def record(self) -> dict[str, Any]:
        return {"kind": self.kind, "place": self.place, "caption": self.caption, "alt": self.alt, "inputs": self.inputs}


# ---------------------------------------------------------------------------
# Loading (called by template.py with its field reader)


def parse_figures(reader: Any, items: Any, known: set[str]) -> tuple[list[FigureSpec], set[str]]:
    """The checked ``figures:`` entries and the variable names their captions and alt texts show."""
    figures: list[FigureSpec] = []
    used: set[str] = set()
    entries = reader.listing(items, "figures")
    if len(entries) > MAX_FIGURES:
        reader.fail("figures", f"a template has at most {MAX_FIGURES} figures, has {len(entries)}")
    for i, item in enumerate(entries):
        where = f"figures[{i}]"
        reader.mapping(item, where, _ENTRY_FIELDS, {"kind", "inputs", "caption", "alt"})
        kind = reader.string(item["kind"], f"{where}.kind")
        if kind not in KINDS:
            reader.fail(f"{where}.kind", f"'{kind}' is not a figure kind (one of {', '.join(KINDS)})")
        allowed = KINDS[kind]
        given = reader.mapping(item["inputs"], f"{where}.inputs", set(allowed), {n for n, d in allowed.items() if d is _REQUIRED})
        inputs: dict[str, Expression] = {}
        for name, default in allowed.items():
            text = given.get(name, default)
            if text is _REQUIRED or text is _OPTIONAL:
                continue
            place = f"{where}.inputs.{name}"
            expression = reader.expression(text, place, known)
            words = _WORDS.get((kind, name))
            if words is not None and isinstance(expression.root, Text) and expression.root.value not in words:
                reader.fail(place, f"'{expression.root.value}' is not one of {', '.join(words)}")
            inputs[name] = expression
        if kind == "trajectory" and "A" not in inputs:
            for name in ("b", "c"):
                if name in inputs:
                    reader.fail(f"{where}.inputs.{name}", "a loss needs its curvature 'A' as well (L = A θ²/2 + b θ + c)")
        _check_constants(reader, kind, inputs, where)
        place = item.get("place", "both")
        if place not in PLACES:
            reader.fail(f"{where}.place", f"'{place}' is not one of {', '.join(PLACES)}")
        caption, names = reader.fixed_or_jinja(item["caption"], f"{where}.caption", known)
        used |= names
        alt, names = reader.fixed_or_jinja(item["alt"], f"{where}.alt", known)
        used |= names
        figures.append(FigureSpec(i, kind, inputs, place, caption, alt))
    return figures, used


class InputError(ValueError):
    """A figure input whose value cannot be drawn; ``name`` is the input."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _check_constants(reader: Any, kind: str, inputs: dict[str, Expression], where: str) -> None:
    """Inputs that name no variable are the same for every variant: check them now, so a bad
    constant is a load-time error naming its field (a variable's value is checked per variant)."""
    values: dict[str, Any] = {}
    for name, expression in inputs.items():
        if expression.names:
            continue
        try:
            values[name] = expression.evaluate({})
        except (ExpressionError, ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError) as error:
            reader.fail(f"{where}.inputs.{name}", f"cannot be computed ({error or type(error).__name__})")
        check = _INPUT_CHECKS.get((kind, name))
        if check is not None:
            try:
                check(values[name])
            except (ValueError, TypeError, ArithmeticError) as error:
                reader.fail(f"{where}.inputs.{name}", str(error))
    if len(values) == len(inputs):
        try:
            _DATA[kind](values)
        except InputError as error:
            reader.fail(f"{where}.inputs.{error.name}", str(error))
        except (ValueError, TypeError, IndexError, ArithmeticError) as error:
            reader.fail(f"{where}.inputs", str(error))


# ---------------------------------------------------------------------------
# Resolving per variant


def variant_figures(variant: Any, part: str | None = None) -> list[Figure]:
    """The variant's figures (those placed in ``part`` when given), resolved from its values once."""
    if not getattr(variant.template, "figures", None):
        return []
    figures = variant.__dict__.get("_figures")
    if figures is None:
        figures = variant.__dict__["_figures"] = _resolve_all(variant)
    return [figure for figure in figures if part is None or figure.shows_in(part)]


def _resolve_all(variant: Any) -> list[Figure]:
    """Every figure; a variant that already breaks a constraint (``solve`` with the user's values, which
    warns) leaves out a figure that cannot be drawn, with one more warning, instead of failing."""
    figures = []
    for spec in variant.template.figures:
        try:
            figures.append(_resolve(variant, spec))
        except VariantError as error:
            if not variant.warnings:
                raise
            variant.warnings.append(f"figure {spec.index + 1} ({spec.kind}) is left out: {str(error).split(': ', 1)[-1]}")
    return figures


def _resolve(variant: Any, spec: FigureSpec) -> Figure:
    template = variant.template
    where = f"{template.source}: figures[{spec.index}]"
    values: dict[str, Any] = {}
    for name, expression in spec.inputs.items():
        try:
            values[name] = expression.evaluate(variant.env)
        except (ExpressionError, ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError) as error:
            raise VariantError(f"{where}.inputs.{name}: cannot be computed ({error or type(error).__name__})") from None
    try:
        data = _DATA[spec.kind](values)
    except InputError as error:
        raise VariantError(f"{where}.inputs.{error.name}: {error}") from None
    except (ValueError, TypeError, IndexError, ArithmeticError) as error:
        raise VariantError(f"{where}.inputs: {error}") from None
    try:
        caption = spec.caption.render(variant.context).strip()
        alt = spec.alt.render(variant.context).strip()
    except Exception as error:  # noqa: BLE001 - Jinja raises many kinds; every one is the template's fault
        raise VariantError(f"{where}: caption or alt cannot render ({type(error).__name__}: {error})") from None
    return Figure(spec.index, spec.kind, spec.place, caption, alt, {n: plain(v) for n, v in values.items()}, data)


def plain(value: Any) -> Any:
    """A value as JSON: whole numbers as int, others as float, arrays as lists, layers as mappings."""
    if is_array(value) or isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, sympy.logic.boolalg.BooleanAtom)):
        return bool(value)
    if isinstance(value, (int, np.integer)) or getattr(value, "is_Integer", False):
        return int(value)
    return to_float(value)


def _whole(value: Any, name: str, low: int = 0, high: int = 100_000) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or getattr(value, "is_Integer", False)):
        raise ValueError(f"'{name}' must be a whole number, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"'{name}' must be from {low} to {high}, got {value}")
    return int(value)


def _pair(value: Any, name: str, low: int = 0) -> tuple[int, int]:
    if is_array(value) or isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"'{name}' must be one number or [height, width]")
        return _whole(value[0], name, low), _whole(value[1], name, low)
    whole = _whole(value, name, low)
    return whole, whole


def _word(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"'{name}' must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _vector(value: Any, name: str, limit: int) -> list:
    if not is_array(value) or value.ndim != 1 or not 1 <= len(value) <= limit:
        raise ValueError(f"'{name}' must be a vector of 1 to {limit} numbers")
    return list(value)


def _labels(value: Any, name: str, count: int) -> list[str]:
    """Labels from a word ('q' -> q1, q2, ...) or a list of words."""
    if isinstance(value, str):
        return [f"{value}{i + 1}" if value else str(i + 1) for i in range(count)]
    items = list(value) if (is_array(value) or isinstance(value, list)) else None
    if items is None or len(items) != count:
        raise ValueError(f"'{name}' must be a word or a list of {count} labels")
    return [str(item) if isinstance(item, str) else format_number(item) for item in items]


def _conv_grid(values: dict[str, Any]) -> dict[str, Any]:
    height, width = _pair(values["input"], "input", 1)
    k_h, k_w = _pair(values["kernel"], "kernel", 1)
    p_h, p_w = _pair(values["padding"], "padding", 0)
    s_h, s_w = _pair(values["stride"], "stride", 1)
    d_h, d_w = _pair(values["dilation"], "dilation", 1)
    mode = _word(values["mode"], "mode", POOL_MODES)
    # The sheet's formulas (formulas.dilated_kernel, conv_output_size; pooling uses the same), on whole numbers
    e_h, e_w = k_h + (k_h - 1) * (d_h - 1), k_w + (k_w - 1) * (d_w - 1)
    if e_h > height + 2 * p_h or e_w > width + 2 * p_w:
        raise ValueError("the kernel does not fit in the padded input")
    o_h, o_w = (height - e_h + 2 * p_h) // s_h + 1, (width - e_w + 2 * p_w) // s_w + 1
    return {
        "input": [height, width], "kernel": [k_h, k_w], "padding": [p_h, p_w], "stride": [s_h, s_w],
        "dilation": [d_h, d_w], "effective": [e_h, e_w], "mode": mode, "output": [o_h, o_w],
        "symbolic": max(height + 2 * p_h, width + 2 * p_w) > MAX_CELLS,
    }


def _network(values: dict[str, Any]) -> dict[str, Any]:
    layers = values["layers"]
    rows = networks.cnn_rows(layers)
    first = layers[0]
    if "shape" in first:
        start = "×".join(str(int(v)) for v in first["shape"])
    else:
        start = f"{int(first['units'])}"
    flat = "shape" not in first
    stages = []
    for row in rows:
        shape = f"{row.channels}" if flat or (row.height == row.width == 1 and row.kind in ("flatten", "dense")) else f"{row.height}×{row.width}×{row.channels}"
        stages.append({"kind": row.kind, "label": row.description, "shape": shape, "params": str(row.params)})
    total = sum(row.params for row in rows)
    return {"input": start, "stages": stages, "total": str(total), "mlp": flat}


def _matrix_heatmap(values: dict[str, Any]) -> dict[str, Any]:
    matrix = values["values"]
    if is_array(matrix) and matrix.ndim == 1:
        matrix = matrix.reshape(1, len(matrix))
    if not is_array(matrix) or matrix.ndim != 2 or not (1 <= matrix.shape[0] <= MAX_MATRIX and 1 <= matrix.shape[1] <= MAX_MATRIX):
        raise ValueError(f"'values' must be a matrix of at most {MAX_MATRIX} x {MAX_MATRIX} numbers")
    decimals = _whole(values["decimals"], "decimals", 0, 6)
    numbers = [[to_float(v) for v in row] for row in matrix]
    shown = [[format_number(v, decimals) for v in row] for row in matrix]
    return {
        "values": numbers, "shown": shown,
        "rows": _labels(values["rows"], "rows", matrix.shape[0]), "columns": _labels(values["columns"], "columns", matrix.shape[1]),
    }


def _bars(values: dict[str, Any]) -> dict[str, Any]:
    vector = _vector(values["values"], "values", MAX_BARS)
    decimals = _whole(values["decimals"], "decimals", 0, 6)
    axis = values["axis"]
    if not isinstance(axis, str):
        raise TypeError("'axis' must be a word")
    return {
        "values": [to_float(v) for v in vector], "shown": [format_number(v, decimals) for v in vector],
        "labels": _labels(values["labels"], "labels", len(vector)), "axis": axis,
    }


_CURVES = {"sigmoid": formulas.sigmoid, "tanh": formulas.tanh, "relu": formulas.relu, "step": formulas.step}


def _curve(values: dict[str, Any]) -> dict[str, Any]:
    function = _word(values["function"], "function", CURVE_FUNCTIONS)
    z = values["z"]
    if is_array(z) or isinstance(z, str) or not getattr(z, "is_real", False):
        raise ValueError("'z' must be a number")
    decimals = _whole(values["decimals"], "decimals", 0, 6)
    f = _CURVES[function](z)
    return {"function": function, "z": to_float(z), "f": to_float(f), "z_shown": format_number(z), "f_shown": format_number(f, decimals)}


def _real(value: Any, name: str) -> float:
    """A finite number no larger than MAX_MAGNITUDE, as a float."""
    if is_array(value) or isinstance(value, (str, bool, list, tuple, sympy.logic.boolalg.BooleanAtom)):
        raise InputError(name, f"'{name}' must be a number")
    if not getattr(value, "is_real", isinstance(value, (int, float))):
        raise InputError(name, f"'{name}' must be a real number, got {value}")
    number = to_float(value)
    if not (math.isfinite(number) and abs(number) <= MAX_MAGNITUDE):
        raise InputError(name, f"'{name}' must be a number from -{MAX_MAGNITUDE:g} to {MAX_MAGNITUDE:g}, got {format_number(value)}")
    return number


def _path(value: Any) -> tuple[int, list]:
    """(dimensions, points): a vector of 2 to MAX_PATH values, or a matrix of 2 to MAX_PATH rows [x, y]."""
    if is_array(value) and value.ndim == 2 and value.shape[1] == 2 and 2 <= value.shape[0] <= MAX_PATH:
        return 2, [[_real(a, "path"), _real(b, "path")] for a, b in value]
    if is_array(value) and value.ndim == 1 and 2 <= len(value) <= MAX_PATH:
        return 1, [_real(v, "path") for v in value]
    raise InputError("path", f"'path' must be a vector of 2 to {MAX_PATH} values or a matrix of 2 to {MAX_PATH} rows [x, y]")


def _curvature(value: Any) -> Any:
    """A: a number (a 1-D loss) or a symmetric 2 x 2 matrix (a 2-D loss)."""
    if is_array(value):
        if value.ndim != 2 or value.shape != (2, 2):
            raise InputError("A", "'A' must be a number (a 1-D loss) or a symmetric 2 x 2 matrix (a 2-D loss)")
        matrix = [[_real(v, "A") for v in row] for row in value]
        if abs(matrix[0][1] - matrix[1][0]) > 1e-12 * max(1.0, abs(matrix[0][1])):
            raise InputError("A", f"'A' must be symmetric (A[0][1] = A[1][0]), got {format_number(value[0][1])} and {format_number(value[1][0])}")
        return matrix
    return _real(value, "A")


def _linear(value: Any) -> Any:
    if is_array(value):
        if value.ndim != 1 or len(value) != 2:
            raise InputError("b", "'b' must be a number (a 1-D loss) or a vector of 2 numbers (a 2-D loss)")
        return [_real(v, "b") for v in value]
    return _real(value, "b")


MAX_WORD = 24  # characters of a name or label a figure writes


def _word_input(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InputError(name, f"'{name}' must be a word")
    if len(value) > MAX_WORD:
        raise InputError(name, f"'{name}' must be at most {MAX_WORD} characters, has {len(value)}")
    return value


def _word_list(value: Any, name: str, count: int) -> list[str]:
    """A list of ``count`` labels: words, or numbers (written as the question writes them)."""
    if not (isinstance(value, list) or (is_array(value) and value.ndim == 1)) or len(value) != count:
        raise InputError(name, f"'{name}' must be a list of {count} labels")
    return [_word_input(item, name) if isinstance(item, str) else format_number(item) for item in value]


def _trajectory(values: dict[str, Any]) -> dict[str, Any]:
    dimensions, points = _path(values["path"])
    path = values["path"]
    decimals = _whole_input(values["decimals"], "decimals", 0, 6)
    name = _word_input(values["name"], "name")
    first = _whole_input(values["first"], "first", 0, 1000)
    given = _whole_input(values["given"], "given", 1, MAX_PATH)
    if given > len(points):
        raise InputError("given", f"'given' must be at most the path's {len(points)} points, got {given}")
    if dimensions == 2:
        shown = [[format_number(a, decimals), format_number(b, decimals)] for a, b in path]
    else:
        shown = [format_number(v, decimals) for v in path]
    labels = _word_list(values["labels"], "labels", len(points)) if "labels" in values else None
    axes = None
    if "axes" in values:
        axes = _word_list(values["axes"], "axes", dimensions)
    data: dict[str, Any] = {
        "dimensions": dimensions, "points": points, "shown": shown, "name": name, "first": first,
        "given": given, "labels": labels, "axes": axes,
    }
    if "A" in values:
        curvature = _curvature(values["A"])
        linear = _linear(values.get("b", sympy.Integer(0) if dimensions == 1 else np.array([sympy.Integer(0)] * 2, dtype=object)))
        if (dimensions == 2) != isinstance(curvature, list):
            raise InputError("A", f"'A' must be {'a symmetric 2 x 2 matrix' if dimensions == 2 else 'a number'} for a path of {dimensions} dimension{'s' if dimensions == 2 else ''}")
        if (dimensions == 2) != isinstance(linear, list):
            raise InputError("b", f"'b' must be {'a vector of 2 numbers' if dimensions == 2 else 'a number'} for a path of {dimensions} dimension{'s' if dimensions == 2 else ''}")
        if "c" in values:
            constant, relative = _real(values["c"], "c"), False
        else:  # the loss is known up to a constant: drawn as L - L(first point), so L(first point) = 0
            start = points[0]
            if dimensions == 1:
                constant = -(0.5 * curvature * start * start + linear * start)
            else:
                (a11, a12), (_, a22) = curvature
                x, y = start
                constant = -(0.5 * (a11 * x * x + 2 * a12 * x * y + a22 * y * y) + linear[0] * x + linear[1] * y)
            relative = True
        data["loss"] = {"A": curvature, "b": linear, "c": constant, "relative": relative}
    return data


def _whole_input(value: Any, name: str, low: int, high: int) -> int:
    try:
        return _whole(value, name, low, high)
    except ValueError as error:
        raise InputError(name, str(error)) from None


def _check_path(value: Any) -> None:
    _path(value)


_INPUT_CHECKS = {
    ("trajectory", "path"): _check_path,
    ("trajectory", "decimals"): lambda v: _whole_input(v, "decimals", 0, 6),
    ("trajectory", "first"): lambda v: _whole_input(v, "first", 0, 1000),
    ("trajectory", "given"): lambda v: _whole_input(v, "given", 1, MAX_PATH),
    ("trajectory", "name"): lambda v: _word_input(v, "name"),
    ("trajectory", "A"): _curvature,
    ("trajectory", "b"): _linear,
    ("trajectory", "c"): lambda v: _real(v, "c"),
}


_DATA = {
    "conv_grid": _conv_grid, "network": _network, "matrix_heatmap": _matrix_heatmap,
    "bars": _bars, "curve": _curve, "trajectory": _trajectory,
}
