"""Small networks given as layer lists, for "fill in the table" questions.

A network is a list of layer mappings, the same whether a template draws it or an
instructor types it (``quizgen solve ... --set-json layers='[...]'``):

    {"type": "input", "shape": [H, W, C]}       a CNN's input (or {"type": "input", "units": n} for an MLP)
    {"type": "conv", "filters": F, "kernel": K or [K_h, K_w], "stride": S, "padding": P or "same"}
    {"type": "pool", "size": K, "stride": S}    stride defaults to the window size; no parameters
    {"type": "flatten"}                         H x W x C values become one vector
    {"type": "dense", "units": n}

Every size follows the sheet: O = floor((N - K + 2P)/S) + 1, conv parameters
(K_h K_w C_in + 1) C_out, dense parameters n_in n_out + n_out, pooling none.
A flat vector of n values is written 1 x 1 x n in the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import sympy

from .draws import Distribution
from .values import array

LAYER_FIELDS = {
    "input": {"type", "shape", "units"},
    "conv": {"type", "filters", "kernel", "stride", "padding"},
    "pool": {"type", "size", "stride", "padding"},
    "flatten": {"type"},
    "dense": {"type", "units"},
}


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


def _layers(layers: Any) -> list[dict]:
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError("a network is a non-empty list of layers")
    checked = []
    for number, layer in enumerate(layers):
        if not isinstance(layer, dict) or "type" not in layer:
            raise ValueError(f"layer {number}: must be a mapping with a 'type'")
        kind = layer["type"]
        if kind not in LAYER_FIELDS:
            raise ValueError(f"layer {number}: unknown type '{kind}' (known: {', '.join(LAYER_FIELDS)})")
        unknown = sorted(set(layer) - LAYER_FIELDS[kind])
        if unknown:
            raise ValueError(f"layer {number}: a {kind} layer has no field '{unknown[0]}'")
        if (kind == "input") != (number == 0):
            raise ValueError(f"layer {number}: the first layer, and only the first, is the input")
        checked.append(layer)
    return checked


def _times(*parts: int) -> str:
    return r" \times ".join(str(p) for p in parts)


def cnn_rows(layers: Any, bias: int = 1, pool_weights: int = 0) -> list[Row]:
    """Walk the network layer by layer, as the sheet's checklists do.

    ``bias=0`` and ``pool_weights=1`` compute two named mistakes: forgetting the biases,
    and giving a pooling window weights as if it were a convolution with C_in filters.
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
    for number, layer in enumerate(layers[1:], start=1):
        kind = layer["type"]
        if kind in ("conv", "pool"):
            if flat:
                raise ValueError(f"layer {number}: a {kind} layer needs an H x W x C input, but the input is already flat")
            if kind == "conv":
                k_h, k_w = _pair(number, "kernel", layer.get("kernel"))
                filters = _whole(number, "filters", layer.get("filters"))
            else:
                k_h, k_w = _pair(number, "size", layer.get("size"))
            s_h, s_w = _pair(number, "stride", layer.get("stride", 1 if kind == "conv" else [k_h, k_w]))
            padding = layer.get("padding", 0)
            if padding == "same":
                if s_h != 1 or s_w != 1 or k_h % 2 == 0 or k_w % 2 == 0:
                    raise ValueError(f"layer {number}: 'same' padding needs stride 1 and an odd kernel (P = (K-1)/2)")
                p_h, p_w = (k_h - 1) // 2, (k_w - 1) // 2
            elif padding == "valid":
                p_h = p_w = 0
            else:
                p_h, p_w = _pair(number, "padding", padding, minimum=0)
            if kind == "pool" and (2 * p_h > k_h or 2 * p_w > k_w):
                raise ValueError(f"layer {number}: pooling padding {p_h}, {p_w} is more than half the {k_h} x {k_w} window (PyTorch's MaxPool2d refuses it: a window could hold only padding)")
            if k_h > height + 2 * p_h or k_w > width + 2 * p_w:
                raise ValueError(f"layer {number}: a {k_h} x {k_w} window does not fit a {height} x {width} input with padding {p_h}, {p_w}")
            new_height = (height - k_h + 2 * p_h) // s_h + 1
            new_width = (width - k_w + 2 * p_w) // s_w + 1
            size_tex = (
                rf"H = \left\lfloor \frac{{{height} - {k_h} + 2 \cdot {p_h}}}{{{s_h}}} \right\rfloor + 1 = {new_height},\quad "
                rf"W = \left\lfloor \frac{{{width} - {k_w} + 2 \cdot {p_w}}}{{{s_w}}} \right\rfloor + 1 = {new_width}"
            )
            if kind == "conv":
                params = (k_h * k_w * channels + bias) * filters
                params_tex = rf"C = {filters},\quad (K_hK_wC_{{in}}+1)C_{{out}} = ({k_h} \cdot {k_w} \cdot {channels} + 1) \cdot {filters} = {params}"
                description = f"conv, {filters} filters, {k_h}x{k_w}, stride {s_h if s_h == s_w else (s_h, s_w)}, padding {p_h if p_h == p_w else (p_h, p_w)}"
                channels = filters
            else:
                params = (k_h * k_w * channels + bias) * channels if pool_weights else 0
                params_tex = rf"C = {channels},\quad \text{{pooling has no parameters}} = 0"
                description = f"max pool {k_h}x{k_w}, stride {s_h if s_h == s_w else (s_h, s_w)}"
            height, width = new_height, new_width
            if height < 1 or width < 1:
                raise ValueError(f"layer {number}: the output would be empty")
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
            params = channels * units + bias * units
            size_tex = rf"n_{{out}} = {units}"
            params_tex = rf"n_{{in}} n_{{out}} + n_{{out}} = {channels} \cdot {units} + {units} = {params}"
            channels = units
            description = f"dense, {units} units"
        else:
            raise ValueError(f"layer {number}: an input layer can only come first")
        rows.append(Row(kind, height, width, channels, params, description, size_tex, params_tex))
    return rows


def network_table(layers: Any) -> np.ndarray:
    """The table a student fills in: one row per layer after the input, columns H_out, W_out, C_out, parameters."""
    return array([[r.height, r.width, r.channels, r.params] for r in cnn_rows(layers)])


def network_params(layers: Any, bias: Any = 1, pool_weights: Any = 0) -> sympy.Integer:
    """Total learnable parameters: the sum of the table's last column (the flags compute named mistakes)."""
    return sympy.Integer(sum(r.params for r in cnn_rows(layers, int(bias), int(pool_weights))))


def network_tex(layers: Any) -> str:
    """The layer list as a TeX array, for the question text."""
    layers = _layers(layers)
    first = layers[0]
    given = _times(*[int(v) for v in first["shape"]]) if "shape" in first else f"{int(first['units'])} units"
    lines = [rf"0 & \text{{input, }} {given}" if "shape" in first else rf"0 & \text{{input, {given}}}"]
    for number, row in enumerate(cnn_rows(layers), start=1):
        lines.append(rf"{number} & \text{{{row.description}}}")
    return r"\begin{array}{rl} \text{layer} & \text{description} \\ \hline " + r" \\ ".join(lines) + r" \end{array}"


def network_steps(layers: Any) -> list[tuple[str, str]]:
    """One worked step per layer: its output size and its parameters, in the sheet's formulas."""
    return [(f"Layer {number}: {row.description}", rf"{row.size_tex},\quad {row.params_tex}") for number, row in enumerate(cnn_rows(layers), start=1)]


# ---------------------------------------------------------------------------
# Drawing small networks


@dataclass(frozen=True)
class NetworkDistribution(Distribution):
    """Random small CNNs (conv/pool blocks, flatten, dense) or MLPs whose every size is valid."""

    kind: str  # "cnn" or "mlp"
    min_blocks: int
    max_blocks: int

    def size(self) -> int:
        return 10**9  # far too many to enumerate

    def support(self) -> Iterator[Any]:
        raise NotImplementedError("networks are drawn, not enumerated")

    def sample(self, rng: np.random.Generator) -> list[dict]:
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


def draw_network(kind: Any = "cnn", min_blocks: Any = 2, max_blocks: Any = 3) -> NetworkDistribution:
    """network(kind='cnn'|'mlp', min_blocks, max_blocks): a random valid small network."""
    from ..errors import ExpressionError

    if kind not in ("cnn", "mlp"):
        raise ExpressionError(f"network: kind={kind!r} must be 'cnn' or 'mlp'")
    low, high = int(min_blocks), int(max_blocks)
    if not 1 <= low <= high <= 4:
        raise ExpressionError(f"network: need 1 <= min_blocks={low} <= max_blocks={high} <= 4")
    return NetworkDistribution(str(kind), low, high)
