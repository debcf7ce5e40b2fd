"""Small networks given as layer lists, for "fill in the table" questions.

A network is a list of layer mappings, the same whether a template draws it or an
instructor types it (``quizgen solve ... --set-json layers='[...]'``). Fields in
brackets are optional, with their defaults:

    {"type": "input", "shape": [H, W, C]}   a CNN's input (or {"type": "input", "units": n} for an MLP)
    {"type": "conv", "filters": F, "kernel": K or [K_h, K_w], ["stride": 1], ["padding": 0],
     ["dilation": 1], ["groups": 1], ["bias": true]}
                                             padding is P, [P_h, P_w], "valid" (0) or "same"
    {"type": "pool", "size": K, ["stride": K], ["padding": 0], ["mode": "max" | "avg"], ["ceil_mode": false]}
    {"type": "global_pool", ["mode": "avg" | "max"]}   H x W x C becomes 1 x 1 x C
    {"type": "batchnorm", ["affine": true]}  BatchNorm2d on H x W x C, BatchNorm1d on a flat vector
    {"type": "activation", "function": "relu" | "leaky_relu" | "elu" | "gelu" | "sigmoid" | "tanh" | "softmax"}
    {"type": "dropout", ["rate": 0.5]}
    {"type": "flatten"}                      H x W x C values become one vector
    {"type": "dense", "units": n, ["bias": true]}

Every size follows the sheet: O = floor((N - K + 2P)/S) + 1 with K_eff = K + (K - 1)(D - 1)
for a dilated kernel; conv parameters (K_h K_w C_in/g + 1) C_out (g groups, no +1 without
bias), dense parameters n_in n_out + n_out. Pooling, activations, dropout and flatten have
none. Batch normalisation learns gamma and beta, 2C parameters; its running mean and
variance are buffers, not parameters (as in PyTorch's ``parameters()``).

Two conventions beyond the sheet, both PyTorch's unless said otherwise:

* ``ceil_mode`` pooling: O = ceil((N - K + 2P)/S) + 1, less one if that last window would
  start in the right/bottom padding (PyTorch's rule).
* ``"same"`` padding is TensorFlow's: O = ceil(N/S), padded with
  P_total = max((O - 1)S + K_eff - N, 0), floor(P_total/2) at the top/left and the rest at
  the bottom/right. With stride 1 this is PyTorch's ``padding="same"``, and an odd K_eff
  gives the sheet's P = (K_eff - 1)/2 on each side, written as that P. PyTorch refuses
  ``"same"`` with a stride above 1; the layer list's text then states the rule.

A flat vector of n values is written 1 x 1 x n in the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from .draws import Distribution
from .values import array

LAYER_FIELDS = {
    "input": {"type", "shape", "units"},
    "conv": {"type", "filters", "kernel", "stride", "padding", "dilation", "groups", "bias"},
    "pool": {"type", "size", "stride", "padding", "mode", "ceil_mode"},
    "global_pool": {"type", "mode"},
    "batchnorm": {"type", "affine"},
    "activation": {"type", "function"},
    "dropout": {"type", "rate"},
    "flatten": {"type"},
    "dense": {"type", "units", "bias"},
}

ACTIVATIONS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU", "gelu": "GELU", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax"}

SAME_RULE_TEX = (  # two rows under the layer list, when a layer needs TensorFlow's 'same'
    r"\text{'same' padding (TensorFlow's rule): } H_{out} = \left\lceil \frac{H}{S} \right\rceil,\ W_{out} = \left\lceil \frac{W}{S} \right\rceil",
    r"P_{total} = \max((H_{out} - 1)S + K_{eff} - H, 0),\ \left\lfloor \frac{P_{total}}{2} \right\rfloor \text{ at the top, the rest at the bottom; } W \text{ alike}",
)


@dataclass(frozen=True)
class Row:
    """One layer of the table: its output H x W x C, its parameters, and how they were found."""

    kind: str
    height: int
    width: int
    channels: int
    params: int
    description: str
    size_tex: str
    params_tex: str
    same_rule: bool = False  # the layer uses 'same' padding that the sheet's symmetric P cannot write


def _whole(layer_number: int, field: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, sympy.Integer)) or int(value) < minimum:
        raise ValueError(f"layer {layer_number}: '{field}' must be a whole number of at least {minimum}, got {value!r}")
    return int(value)


def _pair(layer_number: int, field: str, value: Any, minimum: int = 1) -> tuple[int, int]:
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != 2:
            raise ValueError(f"layer {layer_number}: '{field}' must be one number or [height, width]")
        return _whole(layer_number, field, value[0], minimum), _whole(layer_number, field, value[1], minimum)
    whole = _whole(layer_number, field, value, minimum)
    return whole, whole


def _flag(layer_number: int, field: str, layer: dict, default: bool) -> bool:
    value = layer.get(field, default)
    if value is True or value is sympy.true:
        return True
    if value is False or value is sympy.false:
        return False
    raise ValueError(f"layer {layer_number}: '{field}' must be true or false, got {value!r}")


def _word(layer_number: int, field: str, layer: dict, allowed: Any, default: str | None = None) -> str:
    value = layer.get(field, default)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"layer {layer_number}: '{field}' must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _rate(layer_number: int, layer: dict) -> Fraction | None:
    value = layer.get("rate")
    if value is None:
        return None
    if isinstance(value, (int, float, sympy.Rational, sympy.Float)) and not isinstance(value, bool):
        rate = Fraction(repr(float(value))) if isinstance(value, (float, sympy.Float)) else Fraction(str(value))
        if 0 <= rate < 1:
            return rate
    raise ValueError(f"layer {layer_number}: 'rate' must be a number from 0 up to (not including) 1, got {value!r}")


def _layers(layers: Any) -> list[dict]:
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError("a network is a non-empty list of layers")
    checked = []
    for number, layer in enumerate(layers):
        if not isinstance(layer, dict) or "type" not in layer:
            raise ValueError(f"layer {number}: must be a mapping with a 'type'")
        kind = layer["type"]
        if not isinstance(kind, str) or kind not in LAYER_FIELDS:
            raise ValueError(f"layer {number}: unknown type '{kind}' (known: {', '.join(LAYER_FIELDS)})")
        unknown = sorted(set(layer) - LAYER_FIELDS[kind])
        if unknown:
            raise ValueError(f"layer {number}: a {kind} layer has no field '{unknown[0]}' (its fields: {', '.join(sorted(LAYER_FIELDS[kind] - {'type'}))})")
        if (kind == "input") != (number == 0):
            raise ValueError(f"layer {number}: the first layer, and only the first, is the input")
        checked.append(layer)
    return checked


def _times(*parts: int) -> str:
    return r" \times ".join(str(p) for p in parts)


def _one(a: int, b: int) -> Any:
    """One number when height and width agree, else the pair (as the descriptions print it)."""
    return a if a == b else (a, b)


@dataclass(frozen=True)
class _Axis:
    """One spatial axis of a conv or pool layer: how its output size was found."""

    size: int
    tex: str
    pad_before: int
    pad_after: int


def _axis(
    number: int, name: str, n: int, k: int, s: int, d: int, padding: Any, ceil_mode: bool, pool: bool
) -> _Axis:
    k_eff = k + (k - 1) * (d - 1)
    kernel_tex = rf"{k_eff}" if d == 1 else rf"({k} + ({k} - 1)({d} - 1))"
    if padding == "same_tf":
        out = -(-n // s)
        total = max((out - 1) * s + k_eff - n, 0)
        before, after = total // 2, total - total // 2
        tex = (
            rf"{name} = \left\lceil \frac{{{n}}}{{{s}}} \right\rceil = {out},\ "
            rf"P_{{total}} = \max(({out} - 1) \cdot {s} + {kernel_tex} - {n}, 0) = {total} = {before} + {after}"
        )
        return _Axis(out, tex, before, after)
    p = padding
    if k_eff > n + 2 * p and not ceil_mode:  # in ceil mode PyTorch lets the one window hang over the end
        raise ValueError(f"layer {number}: a window of {k_eff} does not fit an input of {n} with padding {p}")
    if pool and 2 * p > k_eff:
        raise ValueError(f"layer {number}: pooling padding {p} is more than half the window of {k_eff} (PyTorch refuses it: a window could hold only padding)")
    if not ceil_mode:
        out = (n - k_eff + 2 * p) // s + 1
        tex = rf"{name} = \left\lfloor \frac{{{n} - {kernel_tex} + 2 \cdot {p}}}{{{s}}} \right\rfloor + 1 = {out}"
        return _Axis(out, tex, p, p)
    out = -(-(n - k_eff + 2 * p) // s) + 1
    tex = rf"{name} = \left\lceil \frac{{{n} - {kernel_tex} + 2 \cdot {p}}}{{{s}}} \right\rceil + 1"
    if (out - 1) * s >= n + p:  # PyTorch: the last window may not start in the right/bottom padding
        out -= 1
        tex += r" - 1\ (\text{the last window would start in the padding})"
    return _Axis(out, tex + f" = {out}", p, p)


def _padding(number: int, layer: dict, k_eff: tuple[int, int], stride: tuple[int, int]) -> tuple[Any, Any]:
    """The padding of each axis: a whole number, or 'same_tf' for TensorFlow's asymmetric 'same'."""
    padding = layer.get("padding", 0)
    if padding == "valid":
        return 0, 0
    if padding == "same":
        if stride == (1, 1) and k_eff[0] % 2 == 1 and k_eff[1] % 2 == 1:
            return (k_eff[0] - 1) // 2, (k_eff[1] - 1) // 2  # the sheet's P = (K - 1)/2
        return "same_tf", "same_tf"
    if not isinstance(padding, str):
        return _pair(number, "padding", padding, minimum=0)
    raise ValueError(f"layer {number}: 'padding' must be a whole number, [height, width], 'valid' or 'same', got {padding!r}")


def _spatial(number: int, layer: dict, kind: str, height: int, width: int) -> tuple[_Axis, _Axis, str, bool]:
    """The output height and width of a conv or pool layer, and its description's size part."""
    if kind == "conv":
        k_h, k_w = _pair(number, "kernel", layer.get("kernel"))
        d_h, d_w = _pair(number, "dilation", layer.get("dilation", 1))
        ceil_mode = False
    else:
        k_h, k_w = _pair(number, "size", layer.get("size"))
        d_h = d_w = 1
        ceil_mode = _flag(number, "ceil_mode", layer, False)
    s_h, s_w = _pair(number, "stride", layer.get("stride", 1 if kind == "conv" else [k_h, k_w]))
    k_eff = (k_h + (k_h - 1) * (d_h - 1), k_w + (k_w - 1) * (d_w - 1))
    p_h, p_w = _padding(number, layer, k_eff, (s_h, s_w))
    if ceil_mode and p_h == "same_tf":
        raise ValueError(f"layer {number}: 'ceil_mode' and 'same' padding cannot be combined ('same' already gives ceil(N/S))")
    rows = _axis(number, "H", height, k_h, s_h, d_h, p_h, ceil_mode, kind == "pool")
    cols = _axis(number, "W", width, k_w, s_w, d_w, p_w, ceil_mode, kind == "pool")
    if rows.size < 1 or cols.size < 1:
        raise ValueError(f"layer {number}: the output would be empty")
    padding_text = "same" if p_h == "same_tf" else _one(p_h, p_w)
    text = f"{k_h}x{k_w}, stride {_one(s_h, s_w)}"
    if kind == "conv":
        text += f", padding {padding_text}"
        if (d_h, d_w) != (1, 1):
            text += f", dilation {_one(d_h, d_w)}"
    else:
        if padding_text != 0:
            text += f", padding {padding_text}"
        if ceil_mode:
            text += ", ceil mode"
    return rows, cols, text, p_h == "same_tf"


def _number_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else format(float(value), "g")


def cnn_rows(layers: Any, bias: int = 1, pool_weights: int = 0, bn_buffers: int = 0) -> list[Row]:
    """Walk the network layer by layer, as the sheet's checklists do.

    ``bias=0``, ``pool_weights=1`` and ``bn_buffers=1`` compute three named mistakes:
    forgetting the biases, giving a pooling window weights as if it were a convolution with
    C_in filters, and counting batch normalisation's running mean and variance (4C, not 2C).
    """
    layers = _layers(layers)
    first = layers[0]
    if "shape" in first:
        shape = first["shape"]
        if not isinstance(shape, (list, tuple, np.ndarray)) or len(shape) != 3:
            raise ValueError("layer 0: 'shape' must be [height, width, channels]")
        height, width, channels = (_whole(0, "shape", v) for v in shape)
        flat = False
    elif "units" in first:
        height, width, channels = 1, 1, _whole(0, "units", first["units"])
        flat = True
    else:
        raise ValueError("layer 0: an input needs 'shape' [H, W, C] or 'units'")
    rows = []
    unchanged = r"\text{unchanged}"
    for number, layer in enumerate(layers[1:], start=1):
        kind = layer["type"]
        same_rule = False
        if kind in ("conv", "pool", "global_pool") and flat:
            raise ValueError(f"layer {number}: a {kind} layer needs an H x W x C input, but the input is already flat")
        if kind in ("conv", "pool"):
            axis_h, axis_w, size_text, same_rule = _spatial(number, layer, kind, height, width)
            size_tex = rf"{axis_h.tex},\quad {axis_w.tex}"
            k_h, k_w = _pair(number, "kernel" if kind == "conv" else "size", layer.get("kernel" if kind == "conv" else "size"))
            if kind == "conv":
                filters = _whole(number, "filters", layer.get("filters"))
                groups = _whole(number, "groups", layer.get("groups", 1))
                if channels % groups or filters % groups:
                    raise ValueError(f"layer {number}: 'groups' {groups} must divide both the {channels} input channels and the {filters} filters")
                has_bias = _flag(number, "bias", layer, True)
                ones = bias if has_bias else 0
                params = (k_h * k_w * (channels // groups) + ones) * filters
                c_in_tex, c_in_numbers = (r"C_{in}", f"{channels}") if groups == 1 else (r"\frac{C_{in}}{g}", rf"\frac{{{channels}}}{{{groups}}}")
                if has_bias:
                    params_tex = rf"C = {filters},\quad (K_hK_w{c_in_tex}+1)C_{{out}} = ({k_h} \cdot {k_w} \cdot {c_in_numbers} + 1) \cdot {filters} = {params}"
                else:
                    params_tex = rf"C = {filters},\quad K_hK_w{c_in_tex}C_{{out}} \text{{ (no bias)}} = {k_h} \cdot {k_w} \cdot {c_in_numbers} \cdot {filters} = {params}"
                description = f"conv, {filters} filters, {size_text}"
                if groups != 1:
                    description += f", groups {groups}"
                if not has_bias:
                    description += ", no bias"
                channels = filters
            else:
                mode = _word(number, "mode", layer, ("max", "avg"), "max")
                params = (k_h * k_w * channels + bias) * channels if pool_weights else 0
                params_tex = rf"C = {channels},\quad \text{{pooling has no parameters}} = 0"
                description = f"{mode} pool {size_text}"
            height, width = axis_h.size, axis_w.size
        elif kind == "global_pool":
            mode = _word(number, "mode", layer, ("avg", "max"), "avg")
            size_tex = rf"\text{{one value per channel: }} 1 \times 1 \times {channels}"
            params = (height * width * channels + bias) * channels if pool_weights else 0
            params_tex = r"\text{pooling has no parameters} = 0"
            height = width = 1
            description = f"global {mode} pool"
        elif kind == "batchnorm":
            affine = _flag(number, "affine", layer, True)
            size_tex = rf"{_times(height, width, channels)}\ {unchanged}"
            learned = 2 * channels if affine else 0
            params = learned + 2 * channels * bn_buffers
            if affine:
                params_tex = rf"\gamma, \beta \text{{ per channel}}: 2C = 2 \cdot {channels} = {learned}"
            else:
                params_tex = r"\text{no } \gamma, \beta \text{ (affine off)} = 0"
            description = "batch norm" + ("" if affine else ", no affine")
        elif kind in ("activation", "dropout"):
            size_tex = rf"{_times(height, width, channels)}\ {unchanged}"
            params = 0
            if kind == "activation":
                description = ACTIVATIONS[_word(number, "function", layer, tuple(ACTIVATIONS))]
                params_tex = r"\text{an activation has no parameters} = 0"
            else:
                rate = _rate(number, layer)
                description = "dropout" if rate is None else f"dropout, rate {_number_text(rate)}"
                params_tex = r"\text{dropout has no parameters} = 0"
        elif kind == "flatten":
            values = height * width * channels
            size_tex = rf"{_times(height, width, channels)} = {values} \text{{ values}}"
            params_tex = r"\text{flattening has no parameters} = 0"
            height, width, channels, params, flat = 1, 1, values, 0, True
            description = "flatten"
        elif kind == "dense":
            if not flat:
                raise ValueError(f"layer {number}: a dense layer needs a flat input: add a flatten layer before it")
            units = _whole(number, "units", layer.get("units"))
            has_bias = _flag(number, "bias", layer, True)
            params = channels * units + (bias if has_bias else 0) * units
            size_tex = rf"n_{{out}} = {units}"
            if has_bias:
                params_tex = rf"n_{{in}} n_{{out}} + n_{{out}} = {channels} \cdot {units} + {units} = {params}"
            else:
                params_tex = rf"n_{{in}} n_{{out}} \text{{ (no bias)}} = {channels} \cdot {units} = {params}"
            channels = units
            description = f"dense, {units} units" + ("" if has_bias else ", no bias")
        else:
            raise ValueError(f"layer {number}: an input layer can only come first")
        rows.append(Row(kind, height, width, channels, params, description, size_tex, params_tex, same_rule))
    return rows


def network_table(layers: Any) -> np.ndarray:
    """The table a student fills in: one row per layer after the input, columns H_out, W_out, C_out, parameters."""
    return array([[r.height, r.width, r.channels, r.params] for r in cnn_rows(layers)])


def network_params(layers: Any, bias: Any = 1, pool_weights: Any = 0, bn_buffers: Any = 0) -> sympy.Integer:
    """Total learnable parameters: the sum of the table's last column (the flags compute named mistakes)."""
    return sympy.Integer(sum(r.params for r in cnn_rows(layers, int(bias), int(pool_weights), int(bn_buffers))))


def network_tex(layers: Any) -> str:
    """The layer list as a TeX array, for the question text (with TensorFlow's 'same' rule when a layer needs it)."""
    layers = _layers(layers)
    first = layers[0]
    given = _times(*[int(v) for v in first["shape"]]) if "shape" in first else f"{int(first['units'])} units"
    lines = [rf"0 & \text{{input, }} {given}" if "shape" in first else rf"0 & \text{{input, {given}}}"]
    rows = cnn_rows(layers)
    for number, row in enumerate(rows, start=1):
        lines.append(rf"{number} & \text{{{row.description}}}")
    if any(row.same_rule for row in rows):
        lines += [rf" & {rule}" for rule in SAME_RULE_TEX]
    return r"\begin{array}{rl} \text{layer} & \text{description} \\ \hline " + r" \\ ".join(lines) + r" \end{array}"


def network_steps(layers: Any) -> list[tuple[str, str]]:
    """One worked step per layer: its output size and its parameters, in the sheet's formulas."""
    return [(f"Layer {number}: {row.description}", rf"{row.size_tex},\quad {row.params_tex}") for number, row in enumerate(cnn_rows(layers), start=1)]


# ---------------------------------------------------------------------------
# Drawing small networks

MODERN_MAX_ROWS = 9  # a modern draw leaves out batch norm and dropout rows beyond this, so its table fits a paper's page


@dataclass(frozen=True)
class NetworkDistribution(Distribution):
    """Random small CNNs (conv/pool blocks, flatten, dense) or MLPs whose every size is valid.

    ``style="modern"`` adds the rows of today's textbook networks: a ReLU row after each
    conv or hidden dense layer, sometimes batch normalisation (then the conv has no bias),
    average as well as max pooling, and sometimes dropout before the classifier; those
    optional rows are left out where the table would grow beyond ``MODERN_MAX_ROWS`` rows.
    """

    kind: str  # "cnn" or "mlp"
    min_blocks: int
    max_blocks: int
    style: str = "plain"  # or "modern"

    def size(self) -> int:
        return 10**9  # far too many to enumerate

    def support(self) -> Iterator[Any]:
        raise NotImplementedError("networks are drawn, not enumerated")

    def sample(self, rng: np.random.Generator) -> list[dict]:
        if self.style == "modern":
            return self._sample_modern(rng)
        blocks = int(rng.integers(self.min_blocks, self.max_blocks + 1))
        if self.kind == "mlp":
            widths = [int(rng.choice([2, 3, 4, 8, 16, 32, 64, 128, 784]))] + [int(rng.choice([4, 8, 16, 32, 64, 100, 128, 256])) for _ in range(blocks)]
            return [{"type": "input", "units": widths[0]}] + [{"type": "dense", "units": w} for w in widths[1:]] + [{"type": "dense", "units": int(rng.choice([1, 2, 3, 10]))}]
        size = int(rng.choice([28, 32, 48, 64]))
        layers: list[dict] = [{"type": "input", "shape": [size, size, int(rng.choice([1, 3]))]}]
        for _ in range(blocks):
            kernel = int(rng.choice([3, 5]))
            same = bool(rng.integers(0, 2)) or size - kernel + 1 < 2  # a small map keeps its size
            layers.append({"type": "conv", "filters": int(rng.choice([4, 8, 16, 32])), "kernel": kernel, "stride": 1, "padding": (kernel - 1) // 2 if same else 0})
            size = size if same else size - kernel + 1
            if size >= 8:
                layers.append({"type": "pool", "size": 2, "stride": 2})
                size //= 2
        layers.append({"type": "flatten"})
        layers.append({"type": "dense", "units": int(rng.choice([10, 16, 32]))})
        return layers

    def _sample_modern(self, rng: np.random.Generator) -> list[dict]:
        blocks = int(rng.integers(self.min_blocks, self.max_blocks + 1))
        drawn: list[tuple[dict, bool]] = []  # each layer, and whether it may be left out to keep the table short
        if self.kind == "mlp":
            first: dict = {"type": "input", "units": int(rng.choice([2, 3, 4, 8, 16, 32, 64, 128, 784]))}
            for _ in range(blocks):
                norm = bool(rng.integers(0, 2))
                drawn.append(({"type": "dense", "units": int(rng.choice([4, 8, 16, 32, 64, 100, 128, 256]))}, False))
                drawn += [({"type": "batchnorm"}, True)] if norm else []
                drawn.append(({"type": "activation", "function": "relu"}, False))
                if rng.integers(0, 3) == 0:
                    drawn.append(({"type": "dropout", "rate": float(rng.choice([0.2, 0.5]))}, True))
            drawn.append(({"type": "dense", "units": int(rng.choice([1, 2, 3, 10]))}, False))
        else:
            size = int(rng.choice([28, 32, 48, 64]))
            first = {"type": "input", "shape": [size, size, int(rng.choice([1, 3]))]}
            for _ in range(blocks):
                kernel = int(rng.choice([3, 5]))
                same = bool(rng.integers(0, 2)) or size - kernel + 1 < 2
                norm = bool(rng.integers(0, 2))
                drawn.append(({"type": "conv", "filters": int(rng.choice([4, 8, 16, 32])), "kernel": kernel, "stride": 1, "padding": (kernel - 1) // 2 if same else 0}, False))
                drawn += [({"type": "batchnorm"}, True)] if norm else []
                drawn.append(({"type": "activation", "function": "relu"}, False))
                size = size if same else size - kernel + 1
                if size >= 8:
                    drawn.append(({"type": "pool", "size": 2, "stride": 2} | ({"mode": "avg"} if rng.integers(0, 2) else {}), False))
                    size //= 2
            drawn.append(({"type": "flatten"}, False))
            if rng.integers(0, 2):
                drawn.append(({"type": "dropout", "rate": float(rng.choice([0.25, 0.5]))}, True))
            drawn.append(({"type": "dense", "units": int(rng.choice([10, 16, 32]))}, False))
        room = MODERN_MAX_ROWS - sum(not optional for _, optional in drawn)
        layers = [first]
        for layer, optional in drawn:
            if optional:
                if room <= 0:
                    continue
                room -= 1
                if layer["type"] == "batchnorm":
                    layers[-1] = layers[-1] | {"bias": False}  # a bias before batch norm would be cancelled by its mean
            layers.append(layer)
        return layers


def draw_network(kind: Any = "cnn", min_blocks: Any = 2, max_blocks: Any = 3, style: Any = "plain") -> NetworkDistribution:
    """network(kind='cnn'|'mlp', min_blocks, max_blocks, style='plain'|'modern'): a random valid small network."""
    from ..errors import ExpressionError

    if kind not in ("cnn", "mlp"):
        raise ExpressionError(f"network: kind={kind!r} must be 'cnn' or 'mlp'")
    if style not in ("plain", "modern"):
        raise ExpressionError(f"network: style={style!r} must be 'plain' or 'modern'")
    low, high = int(min_blocks), int(max_blocks)
    if not 1 <= low <= high <= 4:
        raise ExpressionError(f"network: need 1 <= min_blocks={low} <= max_blocks={high} <= 4")
    return NetworkDistribution(str(kind), low, high, str(style))
