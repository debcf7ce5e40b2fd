"""Figures as SVG, one drawing for every output (papers, Moodle, QTI, the self-test page, LaTeX).

The SVG is written directly rather than through matplotlib: the six kinds are boxes, lines
and labels, so a few lines of string building draw them in well under a millisecond,
with no font cache, no backend state and nothing that varies between runs (no ids, no
timestamps, coordinates written to two decimals). Lines and text use ``currentColor``
and shading is ``currentColor`` at a low opacity, so an inline figure follows the page's
light or dark theme; Typst and cairosvg draw ``currentColor`` as black. The two accent
colours read on white and on a dark background.

In the question, a figure hides what the question asks: the output size of a
``conv_grid``, the shapes and parameter counts of a ``network``, f(z) of a ``curve``
are drawn as "?". The solution's drawing has them filled in.

Every number a figure shows is a ``<text>`` element with a class naming the quantity
(``out-size``, ``shape``, ``value``...), so a test can read the numbers back.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import ClassVar
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from ..engine.figures import Figure

ACCENT = "#e8590c"  # the kernel / the marked point
ACCENT_2 = "#1c7ed6"  # the stride step / the path
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
HIDDEN = "?"
MAX_CELLS = 12  # the engine's: a padded input up to this many cells a side is drawn whole
CORNER_CELLS = 26  # a larger one shows its corner when the kernel and a stride step fit in this many


def figure_svg(figure: Figure, part: str) -> str:
    """The figure as an SVG document (text), for ``part`` 'question' or 'solution'; cached by its inputs."""
    return _svg(figure.kind, figure.key, part == "solution", figure.alt)[0]


@lru_cache(maxsize=4096)
def _svg(kind: str, key: str, solution: bool, alt: str) -> tuple[str, int, int]:
    data = json.loads(key)["data"]
    canvas = _Canvas()
    _DRAW[kind](canvas, data, solution)
    return canvas.document(alt), *canvas.size()


def figure_size(figure: Figure, part: str) -> tuple[int, int]:
    """(width, height) of the drawing in SVG units (1/96 inch)."""
    _, width, height = _svg(figure.kind, figure.key, part == "solution", figure.alt)
    return width, height


def _n(x: float) -> str:
    """A coordinate to two decimals without trailing zeros: 12.5, 3, 0 (never -0).

    Kept by value (equal numbers have the same text): a grid's cells and a figure's frame recur
    across variants."""
    text = _TEXTS.get(x)
    if text is not None:
        return text
    text = f"{x:.2f}"
    if text[-1] == "0":
        if text[-2] != "0":
            text = text[:-1]
        else:
            text = text[:-3]
            if text == "-0":
                text = "0"
    if len(_TEXTS) >= 200_000:
        _TEXTS.clear()
    _TEXTS[x] = text
    return text


_TEXTS: dict[float, str] = {}  # _n's texts, by value


_TWO_ZEROS = re.compile(r"\.00\b")
_LAST_ZERO = re.compile(r"(\.\d)0\b")


def _points(points: list[tuple[float, float]]) -> str:
    """'x,y x,y ...' with each number as _n writes it, formatted in one pass: a line's many vertices rarely repeat.

    A number formatted to two decimals loses '.00' or its last '0'; '-0.00' is '0' (it can only
    be a whole number: a '-' only opens one, and two decimals end it)."""
    text = " ".join([f"{a:.2f},{b:.2f}" for a, b in points])
    if "0" not in text:
        return text
    text = _TWO_ZEROS.sub("", text.replace("-0.00", "0.00"))
    return _LAST_ZERO.sub(r"\1", text)


class _Canvas:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.width = 0.0
        self.height = 0.0

    def grow(self, x: float, y: float) -> None:
        self.width = max(self.width, x)
        self.height = max(self.height, y)

    def rect(self, x: float, y: float, w: float, h: float, fill: str = "none", opacity: float | None = None,
             stroke: str = "currentColor", width: float = 1, dash: str | None = None) -> None:
        attributes = f'x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}"'
        if opacity is not None:
            attributes += f' fill-opacity="{_n(opacity)}"'
        attributes += f' stroke="{stroke}" stroke-width="{_n(width)}"' if stroke != "none" else ' stroke="none"'
        if dash:
            attributes += f' stroke-dasharray="{dash}"'
        self.parts.append(f"<rect {attributes}/>")
        self.grow(x + w + width, y + h + width)

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = "currentColor", width: float = 1, dash: str | None = None,
             opacity: float | None = None) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        extra += f' stroke-opacity="{_n(opacity)}"' if opacity is not None else ""
        self.parts.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" stroke-width="{_n(width)}"{extra}/>')
        self.grow(max(x1, x2) + width, max(y1, y2) + width)

    def arrow(self, x1: float, y1: float, x2: float, y2: float, stroke: str = "currentColor", width: float = 1.2) -> None:
        """A line with a filled head at (x2, y2); no markers, so no ids."""
        length = math.hypot(x2 - x1, y2 - y1)
        if length < 1e-9:
            return
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        head = min(7.0, length / 2)
        bx, by = x2 - ux * head, y2 - uy * head
        self.line(x1, y1, bx, by, stroke, width)
        points = [(x2, y2), (bx - uy * head / 2, by + ux * head / 2), (bx + uy * head / 2, by - ux * head / 2)]
        self.parts.append(f'<polygon points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in points)}" fill="{stroke}"/>')

    def polyline(self, points: list[tuple[float, float]], stroke: str = "currentColor", width: float = 1.5, role: str | None = None,
                 opacity: float | None = None, dash: str | None = None) -> None:
        extra = f' stroke-opacity="{_n(opacity)}"' if opacity is not None else ""
        extra += f' stroke-dasharray="{dash}"' if dash else ""
        extra += f" class={quoteattr(role)}" if role else ""
        self.parts.append(f'<polyline points="{_points(points)}" fill="none" stroke="{stroke}" stroke-width="{_n(width)}"{extra}/>')
        self.grow(max([a for a, _ in points]), max([b for _, b in points]))

    def circle(self, x: float, y: float, r: float, fill: str = ACCENT, role: str | None = None) -> None:
        extra = f" class={quoteattr(role)}" if role else ""
        self.parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{fill}"{extra}/>')
        self.grow(x + r, y + r)

    def text(self, x: float, y: float, content: str, role: str | None = None, anchor: str = "start", size: float = 12,
             weight: str | None = None, fill: str = "currentColor") -> None:
        attributes = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"'
        if anchor != "start":
            attributes += f' text-anchor="{anchor}"'
        if weight:
            attributes += f' font-weight="{weight}"'
        if fill != "currentColor":
            attributes += f' fill="{fill}"'
        if role:
            attributes += f" class={quoteattr(role)}"
        self.parts.append(f"<text {attributes}>{escape(content)}</text>")
        # a rough width (0.6 em a character) so the canvas holds the label
        wide = 0.6 * size * len(content)
        right = x + (wide if anchor == "start" else wide / 2 if anchor == "middle" else 0)
        self.grow(right + 2, y + size * 0.3)

    def size(self) -> tuple[int, int]:
        return math.ceil(self.width + 6), math.ceil(self.height + 6)

    def document(self, alt: str) -> str:
        width, height = self.size()
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label={quoteattr(alt)} font-family={quoteattr(FONT)} fill="currentColor">'
        )
        return head + f"<title>{escape(alt)}</title>" + "".join(self.parts) + "</svg>"


def _pair_text(values: list[int], separator: str = " × ") -> str:
    return f"{values[0]}{separator}{values[1]}"


def _either(values: list[int]) -> str:
    """3 when both directions agree, '3 (rows), 2 (columns)' as '3, 2' otherwise."""
    return str(values[0]) if values[0] == values[1] else f"{values[0]}, {values[1]}"


# ---------------------------------------------------------------------------
# conv_grid


def _conv_grid(canvas: _Canvas, data: dict, solution: bool) -> None:
    (height, width), (p_h, p_w) = data["input"], data["padding"]
    (k_h, k_w), (s_h, s_w), (d_h, d_w) = data["kernel"], data["stride"], data["dilation"]
    (e_h, e_w), (o_h, o_w) = data["effective"], data["output"]
    pooling = data["mode"] != "conv"
    top, left = 30.0, 10.0
    name = f"{data['mode']} pool" if pooling else "kernel"
    # A large input shows its top-left corner cell by cell, as far as the kernel and one stride step reach.
    reach = max(e_h, e_w) + max(s_h, s_w) + 2
    corner = max(10, reach) if data["symbolic"] and reach <= CORNER_CELLS else None
    title = "input (padded)" if (p_h or p_w) else "input"
    canvas.text(left, 16, title + (": its top-left corner" if corner else ""), size=12, weight="bold")
    if not data["symbolic"] or corner:
        rows, columns = height + 2 * p_h, width + 2 * p_w
        shown_r, shown_c = (min(rows, corner), min(columns, corner)) if corner else (rows, columns)
        cell = min(22.0, 240.0 / max(shown_r, shown_c))
        for r in range(shown_r):
            for c in range(shown_c):
                pad = r < p_h or r >= rows - p_h or c < p_w or c >= columns - p_w
                canvas.rect(left + c * cell, top + r * cell, cell, cell, fill="currentColor" if pad else "none",
                            opacity=0.18 if pad else None, width=0.6)
        if shown_c < columns:
            _dots(canvas, left + shown_c * cell + 6, top + shown_r * cell / 2, True)
        if shown_r < rows:
            _dots(canvas, left + shown_c * cell / 2, top + shown_r * cell + 6, False)
        for r in range(k_h):
            for c in range(k_w):
                canvas.rect(left + c * d_w * cell, top + r * d_h * cell, cell, cell, fill=ACCENT, opacity=0.55, stroke="none")
        canvas.rect(left, top, e_w * cell, e_h * cell, stroke=ACCENT, width=2.5)
        if o_w > 1:
            canvas.rect(left + s_w * cell, top, e_w * cell, e_h * cell, stroke=ACCENT_2, width=2, dash="4 3")
        if o_h > 1:
            canvas.rect(left, top + s_h * cell, e_w * cell, e_h * cell, stroke=ACCENT_2, width=1.5, dash="2 3")
        grid_w, grid_h = shown_c * cell + (18 if shown_c < columns else 0), shown_r * cell + (14 if shown_r < rows else 0)
    else:
        grid_w, grid_h = 220.0 * min(1.0, (width + 2 * p_w) / (height + 2 * p_h)) ** 0.5, 220.0 * min(1.0, (height + 2 * p_h) / (width + 2 * p_w)) ** 0.5
        band_h, band_w = min(14.0, 4.0 * p_h), min(14.0, 4.0 * p_w)
        canvas.rect(left, top, grid_w, grid_h)
        for x, y, w, h in ((0, 0, grid_w, band_h), (0, grid_h - band_h, grid_w, band_h), (0, band_h, band_w, grid_h - 2 * band_h), (grid_w - band_w, band_h, band_w, grid_h - 2 * band_h)):
            if w > 0 and h > 0:
                canvas.rect(left + x, top + y, w, h, fill="currentColor", opacity=0.18, stroke="none")
        if p_h or p_w:
            canvas.rect(left + band_w, top + band_h, grid_w - 2 * band_w, grid_h - 2 * band_h, width=0.8)
        if (p_h or p_w):
            canvas.text(left + grid_w / 2, top + band_h / 2 + 4 if band_h >= 8 else top - 3, f"padding {_either(data['padding'])}", "padding", "middle", size=9)
        cell = min(7.0, (grid_w * 0.45) / max(e_h, e_w))
        kx, ky = left + 4, top + 4 + max(band_h, 8)
        for r in range(k_h):
            for c in range(k_w):
                canvas.rect(kx + c * d_w * cell, ky + r * d_h * cell, cell, cell, fill=ACCENT, opacity=0.55, stroke="none")
        canvas.rect(kx, ky, e_w * cell, e_h * cell, stroke=ACCENT, width=2)
        if o_w > 1:
            canvas.rect(kx + min(s_w, 6) * cell, ky, e_w * cell, e_h * cell, stroke=ACCENT_2, width=1.5, dash="4 3")
        canvas.text(left + grid_w / 2, top + grid_h - 8, "not to scale", anchor="middle", size=9)
    # sizes under the input
    y = top + grid_h + 18
    canvas.text(left, y, f"H × W = {_pair_text(data['input'])}", "in-size")
    canvas.text(left, y + 16, f"{name} {_pair_text(data['kernel'])}", "kernel", fill=ACCENT)
    canvas.text(left, y + 32, f"stride {_either(data['stride'])}", "stride", fill=ACCENT_2)
    line = y + 48
    if p_h or p_w or not pooling:
        canvas.text(left, line, f"padding {_either(data['padding'])}", "padding")
        line += 16
    if d_h != 1 or d_w != 1:
        canvas.text(left, line, f"dilation {_either(data['dilation'])}: taps span {_pair_text(data['effective'])}", "dilation", fill=ACCENT)
    # the output beside it
    ox = left + grid_w + 60
    canvas.arrow(left + grid_w + 12, top + grid_h / 2, ox - 12, top + grid_h / 2)
    canvas.text(ox, 16, "output", size=12, weight="bold")
    if solution and (corner or (not data["symbolic"] and max(o_h, o_w) <= 2 * MAX_CELLS)):
        shown_r, shown_c = (min(o_h, 8), min(o_w, 8)) if corner else (o_h, o_w)
        cell = min(22.0, 200.0 / max(shown_r, shown_c))
        for r in range(shown_r):
            for c in range(shown_c):
                first = r == 0 and c == 0
                canvas.rect(ox + c * cell, top + r * cell, cell, cell, fill=ACCENT if first else "none", opacity=0.55 if first else None, width=0.6)
        if shown_c < o_w:
            _dots(canvas, ox + shown_c * cell + 6, top + shown_r * cell / 2, True)
        if shown_r < o_h:
            _dots(canvas, ox + shown_c * cell / 2, top + shown_r * cell + 6, False)
        out_h = shown_r * cell + (14 if shown_r < o_h else 0)
    else:
        side = 90.0 if not solution else 120.0
        canvas.rect(ox, top, side, side, width=1)
        canvas.text(ox + side / 2, top + side / 2 + 5, HIDDEN if not solution else "not to scale", anchor="middle", size=14 if not solution else 9)
        out_h = side
    shown = _pair_text(data["output"]) if solution else f"{HIDDEN} × {HIDDEN}"
    canvas.text(ox, top + out_h + 18, f"H_out × W_out = {shown}", "out-size")


def _dots(canvas: _Canvas, x: float, y: float, horizontal: bool) -> None:
    """Three dots: the grid goes on (drawn as circles, so every output shows them alike)."""
    for i in (-1, 0, 1):
        canvas.circle(x + (4 * i + 4 if horizontal else 0), y + (0 if horizontal else 4 * i + 4), 1.3, "currentColor")


# ---------------------------------------------------------------------------
# network


def _network(canvas: _Canvas, data: dict, solution: bool) -> None:
    longest = max(len(f"{n}. {stage['label']}") for n, stage in enumerate(data["stages"], start=1))
    box_w, row_h, left = max(150.0, 6.7 * longest + 16), 30.0, 10.0
    canvas.text(left + box_w + 20, 16, "output shape", size=11, weight="bold")
    canvas.text(left + box_w + 130, 16, "parameters", size=11, weight="bold")
    y = 24.0
    canvas.rect(left, y, box_w, row_h - 8, fill="currentColor", opacity=0.08)
    canvas.text(left + 8, y + 15, "input", size=11)
    canvas.text(left + box_w + 20, y + 15, data["input"], "input-shape", size=11)
    for number, stage in enumerate(data["stages"], start=1):
        canvas.arrow(left + box_w / 2, y + row_h - 8, left + box_w / 2, y + row_h)
        y += row_h
        canvas.rect(left, y, box_w, row_h - 8, fill=ACCENT_2 if stage["kind"] in ("conv", "dense") else "currentColor",
                    opacity=0.15 if stage["kind"] in ("conv", "dense") else 0.06)
        canvas.text(left + 8, y + 15, f"{number}. {stage['label']}", size=11)
        canvas.text(left + box_w + 20, y + 15, stage["shape"] if solution else HIDDEN, "shape", size=11)
        canvas.text(left + box_w + 130, y + 15, stage["params"] if solution else HIDDEN, "params", size=11)
    canvas.text(left + box_w + 20, y + row_h + 14, "total", size=11, weight="bold")
    canvas.text(left + box_w + 130, y + row_h + 14, data["total"] if solution else HIDDEN, "total", size=11, weight="bold")


# ---------------------------------------------------------------------------
# matrix_heatmap


def _matrix_heatmap(canvas: _Canvas, data: dict, solution: bool) -> None:
    values, shown = data["values"], data["shown"]
    cell_w = max(44.0, 8.0 * max(len(s) for row in shown for s in row) + 8)
    cell_h, left, top = 30.0, 40.0, 26.0
    flat = [v for row in values for v in row]
    low, high = min(flat), max(flat)
    for c, label in enumerate(data["columns"]):
        canvas.text(left + c * cell_w + cell_w / 2, top - 8, label, "column", "middle", size=11)
    for r, row in enumerate(values):
        canvas.text(left - 6, top + r * cell_h + cell_h / 2 + 4, data["rows"][r], "row", "end", size=11)
        for c, value in enumerate(row):
            share = 0.5 if high == low else (value - low) / (high - low)
            canvas.rect(left + c * cell_w, top + r * cell_h, cell_w, cell_h, fill=ACCENT, opacity=0.08 + 0.5 * share, width=0.8)
            canvas.text(left + c * cell_w + cell_w / 2, top + r * cell_h + cell_h / 2 + 4, shown[r][c], "value", "middle", size=11)


# ---------------------------------------------------------------------------
# bars


def _bars(canvas: _Canvas, data: dict, solution: bool) -> None:
    values, shown = data["values"], data["shown"]
    bar_w = max(46.0, 8.0 * max(len(s) for s in shown) + 8)
    left, top, plot_h = 14.0, 36.0 if data["axis"] else 24.0, 150.0
    high, low = max(0.0, max(values)), min(0.0, min(values))
    span = (high - low) or 1.0
    zero = top + plot_h * high / span
    if data["axis"]:
        canvas.text(left, 14, data["axis"], size=11, weight="bold")
    for i, value in enumerate(values):
        x = left + i * bar_w + 6
        y_end = zero - plot_h * value / span
        canvas.rect(x, min(zero, y_end), bar_w - 12, abs(zero - y_end), fill=ACCENT_2, opacity=0.6, stroke="none")
        label_y = y_end - 4 if value >= 0 else y_end + 13
        canvas.text(x + (bar_w - 12) / 2, label_y, shown[i], "value", "middle", size=11)
        canvas.text(x + (bar_w - 12) / 2, top + plot_h + 28, data["labels"][i], "label", "middle", size=11)
    canvas.line(left, zero, left + len(values) * bar_w, zero, width=1)
    canvas.grow(left + len(values) * bar_w, top + plot_h + 30)


# ---------------------------------------------------------------------------
# curve


def _activation(name: str, z: float) -> float:
    if name == "sigmoid":
        return 1 / (1 + math.exp(-z))
    if name == "tanh":
        return math.tanh(z)
    if name == "relu":
        return max(0.0, z)
    return 1.0 if z >= 0 else 0.0


_CURVE_NAMES = {"sigmoid": "σ(z)", "tanh": "tanh(z)", "relu": "ReLU(z)", "step": "step(z)"}


def _curve(canvas: _Canvas, data: dict, solution: bool) -> None:
    name, z, f = data["function"], data["z"], data["f"]
    reach = max(5.0, math.ceil(abs(z)) + 1.0)
    x_min, x_max = -reach, reach
    y_min, y_max = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "step": (0.0, 1.0)}.get(name, (0.0, reach))
    y_min -= 0.1 * (y_max - y_min)
    y_max += 0.1 * (y_max - y_min)
    left, top, plot_w, plot_h = 40.0, 24.0, 300.0, 170.0

    def px(x: float) -> float:
        return left + (x - x_min) / (x_max - x_min) * plot_w

    def py(y: float) -> float:
        return top + (y_max - y) / (y_max - y_min) * plot_h

    canvas.line(left, py(0), left + plot_w, py(0), width=0.8)
    canvas.line(px(0), top, px(0), top + plot_h, width=0.8)
    canvas.text(left + plot_w + 4, py(0) + 4, "z", size=11)
    canvas.text(px(0) + 4, top + 2, _CURVE_NAMES[name], size=11)
    for tick in range(int(x_min), int(x_max) + 1):
        if tick and tick % (1 if reach <= 6 else 2) == 0:
            canvas.line(px(tick), py(0) - 2, px(tick), py(0) + 2, width=0.8)
            canvas.text(px(tick), py(0) + 14, str(tick), "tick", "middle", size=9)
    for level in {"sigmoid": (1.0,), "tanh": (-1.0, 1.0), "step": (1.0,)}.get(name, ()):
        canvas.line(px(x_min), py(level), px(x_max), py(level), width=0.6, dash="3 3")
        canvas.text(px(0) - 4, py(level) - 3, _n(level), "tick", "end", size=9)
    if name == "step":
        canvas.polyline([(px(x_min), py(0)), (px(0), py(0))], ACCENT_2, 2)
        canvas.polyline([(px(0), py(1)), (px(x_max), py(1))], ACCENT_2, 2)
    else:
        steps = 120
        points = [(px(x_min + (x_max - x_min) * i / steps), py(_activation(name, x_min + (x_max - x_min) * i / steps))) for i in range(steps + 1)]
        canvas.polyline(points, ACCENT_2, 2)
    canvas.line(px(z), py(0), px(z), py(f), stroke=ACCENT, width=1, dash="3 2")
    canvas.line(px(0), py(f), px(z), py(f), stroke=ACCENT, width=1, dash="3 2")
    canvas.circle(px(z), py(f), 4)
    canvas.text(px(z), top + plot_h + 16, f"z = {data['z_shown']}", "z", "middle", size=11, fill=ACCENT)
    shown = data["f_shown"] if solution else HIDDEN
    label = f"{_CURVE_NAMES[name].replace('(z)', '')}({data['z_shown']}) = {shown}"
    anchor = "start" if z <= 0 else "end"
    canvas.text(px(z) + (8 if z <= 0 else -8), py(f) - 8 if f < y_max - 0.15 * (y_max - y_min) else py(f) + 16, label, "f", anchor, size=11, fill=ACCENT)


# ---------------------------------------------------------------------------
# trajectory


_GREEK = {"theta": "θ", "w": "w", "x": "x"}
PLOT_W, PLOT_H = 320.0, 180.0  # a 1-D trajectory's plot
BOX_W, BOX_H = 320.0, 240.0  # a 2-D trajectory's plot (one scale on both axes, so steps and contours keep their angles)
GRID_X, GRID_Y = 40, 30  # the 2-D loss is sampled on this grid (8-pixel cells) for its contour lines
CURVE_SAMPLES = 120
BACKGROUND_LEVELS = 6
MAX_LABEL_ROWS = 4


def _point_labels(data: dict) -> list[str]:
    if data["labels"] is not None:
        return data["labels"]
    symbol = _GREEK.get(data["name"], data["name"])
    return [f"{symbol}{_subscript(data['first'] + i)}" for i in range(len(data["points"]))]


def _axis_names(data: dict) -> list[str]:
    if data["axes"] is not None:
        return data["axes"]
    symbol = _GREEK.get(data["name"], data["name"])
    return [symbol] if data["dimensions"] == 1 else [f"{symbol}⁽¹⁾", f"{symbol}⁽²⁾"]


def _nice_ticks(low: float, high: float, count: int = 5) -> list[tuple[float, str]]:
    """Round-numbered ticks (1, 2 or 5 times a power of ten apart) inside [low, high], with their labels."""
    span = high - low
    raw = span / count
    exponent = -15
    while exponent < 15 and 10.0 ** (exponent + 1) <= raw:
        exponent += 1
    for factor in (1, 2, 5, 10):
        step = factor * 10.0 ** exponent
        if step >= raw:
            break
    places = max(0, -exponent - (1 if factor == 10 else 0))
    ticks = []
    k = math.ceil(low / step - 1e-9)
    while k * step <= high + 1e-9 * step and len(ticks) < 2 * count + 2:
        value = k * step
        label = f"{value:.{places}f}"
        if len(label) > 8 and step >= 1:  # a large number: as many significant digits as tell the ticks apart
            label = f"{value:.{len(str(int(abs(value) // step))) + 1}g}"
        if label.startswith("-") and float(label) == 0:
            label = label[1:]
        ticks.append((value, label))
        k += 1
    return ticks


def _span(low: float, high: float, fallback: float) -> tuple[float, float]:
    """[low, high] widened to at least ``fallback`` when it is (nearly) a single value."""
    if high - low < 1e-9 * max(1.0, abs(low), abs(high)):
        middle = (low + high) / 2
        half = max(fallback, 1e-6 * max(1.0, abs(middle))) / 2
        return middle - half, middle + half
    return low, high


class _Labels:
    """Point labels placed so they do not cover one another: each tries a few offsets around its point."""

    OFFSETS = ((0, -9), (0, -21), (0, 19), (0, 31), (14, 4), (-14, 4))

    def __init__(self, canvas: _Canvas, right: float) -> None:
        self.canvas = canvas
        self.right = right  # no label reaches further right than this (or left of 4)
        self.boxes: list[tuple[float, float, float, float]] = []

    def place(self, x: float, y: float, text: str, size: float = 10) -> None:
        wide = 0.6 * size * len(text)
        for dx, dy in self.OFFSETS:
            anchor = "middle" if dx == 0 else ("start" if dx > 0 else "end")
            left = x + dx - (wide / 2 if anchor == "middle" else wide if anchor == "end" else 0)
            shift = max(4 - left, min(0.0, self.right - (left + wide)))
            box = (left + shift, y + dy - size, left + shift + wide, y + dy + 2)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in self.boxes):
                break
        self.boxes.append(box)
        self.canvas.text(x + dx + shift, y + dy, text, "point", anchor, size=size, fill=ACCENT_2)


MAX_LEGEND = 8  # a longer path's legend shows its first points, "…" and its last two


def _legend(canvas: _Canvas, entries: list[str], left: float, top: float, width: float) -> None:
    """'θ₁ = 1', 'θ₂ = 0.95', ... in lines under the plot (a value each, class 'value')."""
    if len(entries) > MAX_LEGEND:
        entries = [*entries[:MAX_LEGEND - 3], "…", *entries[-2:]]
    x, y = left, top
    for entry in entries:
        wide = 0.6 * 11 * len(entry) + 18
        if x > left and x + wide > left + width:
            x, y = left, y + 16
        canvas.text(x, y, entry, "value" if entry != "…" else None, size=11)
        x += wide


def _trajectory(canvas: _Canvas, data: dict, solution: bool) -> None:
    if "loss" not in data:
        _trajectory_steps(canvas, data, solution)
    elif data["dimensions"] == 1:
        _trajectory_curve(canvas, data, solution)
    else:
        _trajectory_contours(canvas, data, solution)


def _trajectory_curve(canvas: _Canvas, data: dict, solution: bool) -> None:
    """The 1-D loss L(θ) = A θ²/2 + b θ + c as a curve, the path's points on it, joined by arrows."""
    loss = data["loss"]
    a, b, c = loss["A"], loss["b"], loss["c"]

    def value(t: float) -> float:
        return 0.5 * a * t * t + b * t + c

    count = len(data["points"]) if solution else data["given"]
    points = data["points"][:count]
    low, high = min(points), max(points)
    if a > 0:  # the minimum, when it is near enough to show without squeezing the steps together
        vertex = -b / a
        reach = max(high - low, abs(vertex - (low + high) / 2) if count == 1 else 0.0)
        if abs(vertex - (low + high) / 2) <= 4 * reach:
            low, high = min(low, vertex), max(high, vertex)
    low, high = _span(low, high, max(1.0, abs(low) / 2))
    pad = 0.12 * (high - low)
    x_min, x_max = low - pad, high + pad
    samples = [x_min + (x_max - x_min) * i / CURVE_SAMPLES for i in range(CURVE_SAMPLES + 1)]
    heights = [value(t) for t in samples]
    y_min, y_max = _span(min(heights), max(heights), max(1.0, abs(min(heights)) / 2))
    y_pad = 0.08 * (y_max - y_min)
    y_min, y_max = y_min - y_pad, y_max + y_pad
    left, top = 60.0, 24.0
    bottom = top + PLOT_H

    def px(t: float) -> float:
        return left + (t - x_min) / (x_max - x_min) * PLOT_W

    def py(v: float) -> float:
        return top + (y_max - v) / (y_max - y_min) * PLOT_H

    canvas.line(left, top, left, bottom, width=0.8)
    canvas.line(left, bottom, left + PLOT_W, bottom, width=0.8)
    for tick, label in _nice_ticks(x_min, x_max):
        canvas.line(px(tick), bottom, px(tick), bottom + 3, width=0.8)
        canvas.text(px(tick), bottom + 14, label, "x-tick", "middle", size=9)
    for tick, label in _nice_ticks(y_min, y_max, 4):
        canvas.line(left - 3, py(tick), left, py(tick), width=0.8)
        canvas.text(left - 5, py(tick) + 3, label, "y-tick", "end", size=9)
    (axis,) = _axis_names(data)
    names = _point_labels(data)
    canvas.text(left + PLOT_W + 6, bottom + 4, axis, size=12)
    canvas.text(left - 4, top - 12, f"L({axis}) − L({names[0]})" if loss["relative"] else f"L({axis})", "loss-axis", size=11)
    canvas.polyline([(px(t), py(h)) for t, h in zip(samples, heights)], width=1.6, role="loss")
    labels = _Labels(canvas, left + PLOT_W + 30)
    for i in range(count - 1):
        canvas.arrow(px(points[i]), py(value(points[i])), px(points[i + 1]), py(value(points[i + 1])), ACCENT_2, 1.4)
    for i, t in enumerate(points):
        canvas.line(px(t), py(value(t)), px(t), bottom, width=0.7, dash="2 3", opacity=0.6)
        canvas.circle(px(t), py(value(t)), 3.5, ACCENT if i == 0 else ACCENT_2, role="point")
    for i, t in enumerate(points):
        labels.place(px(t), py(value(t)), names[i])
    _legend(canvas, [f"{names[i]} = {data['shown'][i]}" for i in range(count)], left, bottom + 34, PLOT_W)


def _trajectory_contours(canvas: _Canvas, data: dict, solution: bool) -> None:
    """The 2-D loss L(θ) = θᵀAθ/2 + bᵀθ + c as contour lines, the path over them."""
    (a11, a12), (_, a22) = data["loss"]["A"]
    b1, b2 = data["loss"]["b"]
    loss = (a11, a12, a22, b1, b2, data["loss"]["c"])
    count = len(data["points"]) if solution else data["given"]
    points = data["points"][:count]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_low, x_high, y_low, y_high = min(xs), max(xs), min(ys), max(ys)
    determinant = a11 * a22 - a12 * a12
    minimum = None
    if a11 > 0 and determinant > 1e-12 * max(1.0, a11 * a22):
        minimum = ((-a22 * b1 + a12 * b2) / determinant, (a12 * b1 - a11 * b2) / determinant)
        centre = ((x_low + x_high) / 2, (y_low + y_high) / 2)
        distance = math.hypot(minimum[0] - centre[0], minimum[1] - centre[1])
        if count == 1 or distance <= 4 * max(x_high - x_low, y_high - y_low):
            x_low, x_high = min(x_low, minimum[0]), max(x_high, minimum[0])
            y_low, y_high = min(y_low, minimum[1]), max(y_high, minimum[1])
    fallback = max(1.0, abs(x_low) / 2, abs(y_low) / 2, x_high - x_low, y_high - y_low)
    x_low, x_high = _span(x_low, x_high, fallback)
    y_low, y_high = _span(y_low, y_high, fallback)
    pad = 0.15 * max(x_high - x_low, y_high - y_low)
    scale = min(BOX_W / (x_high - x_low + 2 * pad), BOX_H / (y_high - y_low + 2 * pad))  # pixels a unit, both axes
    x_mid, y_mid = (x_low + x_high) / 2, (y_low + y_high) / 2
    x_min, y_min = x_mid - BOX_W / scale / 2, y_mid - BOX_H / scale / 2
    left, top = 60.0, 24.0
    bottom = top + BOX_H

    def qx(x: float) -> float:
        return left + (x - x_min) * scale

    def qy(y: float) -> float:
        return bottom - (y - y_min) * scale

    # contour lines: a few levels spread over the box, and one through each point drawn
    grid = _grid_values(loss, x_min, y_min, BOX_W / scale, BOX_H / scale)
    low, high = float(grid.min()), float(grid.max())
    inside = minimum is not None and x_min <= minimum[0] <= x_min + BOX_W / scale and y_min <= minimum[1] <= y_min + BOX_H / scale
    steps = BACKGROUND_LEVELS + 1
    background = [low + (high - low) * ((k / steps) ** 2 if inside else k / steps) for k in range(1, steps)]
    through = []
    for x, y in points:
        level = _loss_value(loss, x, y)
        if all(abs(level - other) > 1e-9 * max(1.0, abs(high - low)) for other in through):
            through.append(level)
    background = background if high > low else []
    levels = _Contours(grid, loss, x_min, y_min, BOX_W / scale / GRID_X, BOX_H / scale / GRID_Y).lines(background + through)
    for number, lines in enumerate(levels):
        faint = number < len(background)
        for line in lines:
            canvas.polyline(_thin([(qx(x), qy(y)) for x, y in line]), width=0.7 if faint else 0.9, role="contour",
                            opacity=0.35 if faint else 0.75, dash=None if faint else "4 3")
    canvas.rect(left, top, BOX_W, BOX_H, width=0.8)
    for tick, label in _nice_ticks(x_min, x_min + BOX_W / scale):
        canvas.line(qx(tick), bottom, qx(tick), bottom + 3, width=0.8)
        canvas.text(qx(tick), bottom + 14, label, "x-tick", "middle", size=9)
    for tick, label in _nice_ticks(y_min, y_min + BOX_H / scale):
        canvas.line(left - 3, qy(tick), left, qy(tick), width=0.8)
        canvas.text(left - 5, qy(tick) + 3, label, "y-tick", "end", size=9)
    horizontal, vertical = _axis_names(data)
    canvas.text(left + BOX_W / 2, bottom + 28, horizontal, anchor="middle", size=11)
    canvas.text(left - 4, top - 12, vertical, anchor="end", size=11)
    if inside:
        mx, my = qx(minimum[0]), qy(minimum[1])
        canvas.line(mx - 4, my, mx + 4, my, width=1.2)
        canvas.line(mx, my - 4, mx, my + 4, width=1.2)
        canvas.text(mx + 5, my + 11, "min", "minimum", size=9)
    names = _point_labels(data)
    for i in range(count - 1):
        canvas.arrow(qx(xs[i]), qy(ys[i]), qx(xs[i + 1]), qy(ys[i + 1]), ACCENT_2, 1.5)
    for i, (x, y) in enumerate(points):
        canvas.circle(qx(x), qy(y), 3.5, ACCENT if i == 0 else ACCENT_2, role="point")
    labels = _Labels(canvas, left + BOX_W + 30)
    for i, (x, y) in enumerate(points):
        labels.place(qx(x), qy(y), names[i])
    shown = data["shown"]
    _legend(canvas, [f"{names[i]} = ({shown[i][0]}, {shown[i][1]})" for i in range(count)], left, bottom + 46, BOX_W)


def _loss_value(loss: tuple[float, ...], x, y):
    """L(x, y) = (a11 x² + 2 a12 x y + a22 y²)/2 + b1 x + b2 y + c, for floats or numpy arrays alike:
    the same operations in the same order, so a point's value is the same float either way."""
    a11, a12, a22, b1, b2, c = loss
    return 0.5 * (a11 * x * x + 2 * a12 * x * y + a22 * y * y) + b1 * x + b2 * y + c


def _grid_values(loss: tuple[float, ...], x_min: float, y_min: float, width: float, height: float) -> np.ndarray:
    """The loss on the (GRID_X + 1) × (GRID_Y + 1) grid over the box, row j at y_min + height · j / GRID_Y."""
    xs = x_min + width * np.arange(GRID_X + 1, dtype=float) / GRID_X
    ys = (y_min + height * np.arange(GRID_Y + 1, dtype=float) / GRID_Y)[:, None]
    return _loss_value(loss, xs, ys)


def _thin(points: list[tuple[float, float]], spacing: float = 2.5) -> list[tuple[float, float]]:
    """The vertices of a line at least ``spacing`` pixels apart (and its last): fewer numbers to write and draw,
    every one still on the line."""
    kept = [points[0]]
    for x, y in points[1:-1]:
        if abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= spacing:
            kept.append((x, y))
    kept.append(points[-1])
    return kept


class _Contours:
    """Contour lines of a quadratic sampled on a grid (marching squares). Where a line crosses a
    grid edge, the crossing is the exact root of the quadratic along that edge, so every vertex
    lies on the level; the segments are joined into polylines. The work is bounded by the grid.

    The cells a level crosses and how their segments join are found in Python; the crossings and
    the refining vertices of every level are worked out by numpy at once, with the operations of
    the one-at-a-time formulas in their order (IEEE arithmetic: the same floats)."""

    # the edges a cell's sign pattern joins (corners 0 (i, j), 1 (i+1, j), 2 (i+1, j+1), 3 (i, j+1); edges 0 bottom, 1 right, 2 top, 3 left)
    CASES: ClassVar[dict[int, tuple[tuple[int, int], ...]]] = {
        1: ((3, 0),), 2: ((0, 1),), 3: ((3, 1),), 4: ((1, 2),), 6: ((0, 2),), 7: ((3, 2),), 8: ((2, 3),),
        9: ((0, 2),), 11: ((1, 2),), 12: ((1, 3),), 13: ((0, 1),), 14: ((3, 0),),
    }

    def __init__(self, grid: np.ndarray, loss: tuple[float, ...], x0: float, y0: float, hx: float, hy: float) -> None:
        self.grid, self.loss = grid, loss
        self.x0, self.y0, self.hx, self.hy = x0, y0, hx, hy
        a11, _, a22 = loss[:3]
        self.bend_x, self.bend_y = 0.5 * a11 * hx * hx, 0.5 * a22 * hy * hy  # the quadratic term along an edge
        # each cell's corners (cells numbered row by row), and its lowest and highest, so a level finds the cells it crosses at once
        below, above = grid[:-1], grid[1:]
        self.columns = grid.shape[1] - 1
        self.corners = [below[:, :-1].ravel(), below[:, 1:].ravel(), above[:, 1:].ravel(), above[:, :-1].ravel()]
        self.lowest = np.minimum(np.minimum(self.corners[0], self.corners[1]), np.minimum(self.corners[2], self.corners[3]))
        self.highest = np.maximum(np.maximum(self.corners[0], self.corners[1]), np.maximum(self.corners[2], self.corners[3]))

    def lines(self, levels: list[float]) -> list[list[list[tuple[float, float]]]]:
        """Each level's contour lines, in order."""
        chains = [(number, chain) for number, level in enumerate(levels) for chain in self._chains(level)]
        keys: dict[tuple[int, int, int, int], int] = {}  # (level number, vertical, i, j): its place among the crossings
        for number, chain in chains:
            for edge in chain:
                keys.setdefault((number, *edge), len(keys))
        xs, ys = self._crossings(np.array(list(keys), dtype=np.int64).reshape(-1, 4), np.array(levels, dtype=float))
        drawn = [(number, [(xs[keys[(number, *edge)]], ys[keys[(number, *edge)]]) for edge in chain]) for number, chain in chains]
        drawn = [(number, points) for number, points in drawn if len(points) >= 2]
        refined = self._refine([points for _, points in drawn], [levels[number] for number, _ in drawn])
        out: list[list[list[tuple[float, float]]]] = [[] for _ in levels]
        for (number, _), points in zip(drawn, refined):
            out[number].append(points)
        return out

    def _chains(self, level: float) -> list[list[tuple[int, int, int]]]:
        """The level's polylines as chains of grid edges (vertical, i, j), joined segment to segment."""
        segments: list[tuple[tuple[int, int, int], tuple[int, int, int]]] = []
        cells = np.flatnonzero((self.lowest <= level) & (self.highest >= level))
        c0, c1, c2, c3 = (corner[cells] >= level for corner in self.corners)
        cases = (c0.astype(np.int64) | c1.astype(np.int64) << 1 | c2.astype(np.int64) << 2 | c3.astype(np.int64) << 3).tolist()
        for number, case in zip(cells.tolist(), cases):
            if case == 0 or case == 15:
                continue
            j, i = divmod(number, self.columns)
            if case == 5 or case == 10:  # a saddle: the centre decides which corners join
                centre = _loss_value(self.loss, self.x0 + (i + 0.5) * self.hx, self.y0 + (j + 0.5) * self.hy) >= level
                pairs = ((0, 1), (2, 3)) if (case == 5) == centre else ((3, 0), (1, 2))
            else:
                pairs = self.CASES[case]
            edges = ((0, i, j), (1, i + 1, j), (0, i, j + 1), (1, i, j))  # bottom, right, top, left
            for first, second in pairs:
                segments.append((edges[first], edges[second]))
        ends: dict[tuple[int, int, int], list[int]] = {}
        for number, (first, second) in enumerate(segments):
            if first in ends:
                ends[first].append(number)
            else:
                ends[first] = [number]
            if second in ends:
                ends[second].append(number)
            else:
                ends[second] = [number]
        used = [False] * len(segments)
        chains = []

        def walk(edge: tuple[int, int, int], number: int | None) -> list[tuple[int, int, int]]:
            chain = [edge]
            while number is not None:
                used[number] = True
                first, second = segments[number]
                edge = second if first == edge else first
                chain.append(edge)
                number = None
                for candidate in ends[edge]:
                    if not used[candidate]:
                        number = candidate
                        break
            return chain

        for edge, numbers in ends.items():
            if len(numbers) == 1 and not used[numbers[0]]:
                chains.append(walk(edge, numbers[0]))
        for number, (first, _) in enumerate(segments):
            if not used[number]:
                chains.append(walk(first, number))
        return chains

    def _crossings(self, keys: np.ndarray, levels: np.ndarray) -> tuple[list[float], list[float]]:
        """Where each (level number, vertical, i, j) edge meets its level: the root in [0, 1] of
        start + slope t + bend t² = 0 along the edge (the ends differ in sign), the one nearer [0, 1]
        (the first on a tie), or the straight line's where the quadratic term is negligible."""
        level, vertical, i, j = levels[keys[:, 0]], keys[:, 1] == 1, keys[:, 2], keys[:, 3]
        rows, columns = self.grid.shape
        start = self.grid[j, i] - level
        end = np.where(vertical, self.grid[np.minimum(j + 1, rows - 1), i], self.grid[j, np.minimum(i + 1, columns - 1)]) - level
        bend = np.where(vertical, self.bend_y, self.bend_x)
        slope = end - start - bend
        straight = np.abs(bend) <= 1e-12 * (np.abs(slope) + np.abs(start) + np.abs(end))
        with np.errstate(all="ignore"):  # the quadratic's formulas where the line's are kept, and the reverse
            root = np.sqrt(_at_least_0(slope * slope - 4 * bend * start))
            q = -0.5 * (slope + np.where(slope >= 0, root, -root))
            t, other = q / bend, start / q
            t = np.where((q != 0) & (np.abs(other - _within_0_1(other)) < np.abs(t - _within_0_1(t))), other, t)
            t = _within_0_1(np.where(straight, start / (start - end), t))
        x, y = self.x0 + i * self.hx, self.y0 + j * self.hy
        return np.where(vertical, x, x + t * self.hx).tolist(), np.where(vertical, y + t * self.hy, y).tolist()

    def _refine(self, lines: list[list[tuple[float, float]]], levels: list[float]) -> list[list[tuple[float, float]]]:
        """Between two vertices, one more on the level: from their midpoint along the gradient (the exact root
        of the quadratic on that line), so a small closed line is a smooth curve, not a polygon."""
        a11, a12, a22, b1, b2, _ = self.loss
        starts = [point for line in lines for point in line[:-1]]
        stops = [point for line in lines for point in line[1:]]
        level = np.array([levels[number] for number, line in enumerate(lines) for _ in line[1:]], dtype=float)
        (px, py), (qx, qy) = np.array(starts, dtype=float).reshape(-1, 2).T, np.array(stops, dtype=float).reshape(-1, 2).T
        mx, my = (px + qx) / 2, (py + qy) / 2
        gx, gy = a11 * mx + a12 * my + b1, a12 * mx + a22 * my + b2
        size = np.array([math.hypot(a, b) for a, b in zip(gx.tolist(), gy.tolist())], dtype=float)  # math's hypot: numpy's may differ in the last bit
        with np.errstate(all="ignore"):  # where the size is 0 or the discriminant negative, no vertex is added
            dx, dy = gx / size, gy / size
            bend = 0.5 * (a11 * dx * dx + 2 * a12 * dx * dy + a22 * dy * dy)
            offset = _loss_value(self.loss, mx, my) - level
            discriminant = size * size - 4 * bend * offset
            step = -2 * offset / (size + np.sqrt(discriminant))  # the root nearer the midpoint
            added = (size > 0) & (discriminant >= 0) & (np.abs(step) <= 0.5 * max(self.hx, self.hy))
        rx, ry = (mx + step * dx).tolist(), (my + step * dy).tolist()
        refined, pair = [], 0
        for line in lines:
            points = [line[0]]
            for stop in line[1:]:
                if added[pair]:
                    points.append((rx[pair], ry[pair]))
                points.append(stop)
                pair += 1
            refined.append(points)
        return refined


def _at_least_0(values: np.ndarray) -> np.ndarray:
    """max(0.0, v) for each v, as Python's max gives it (0.0 for -0.0 and NaN)."""
    return np.where(values > 0.0, values, 0.0)


def _within_0_1(values: np.ndarray) -> np.ndarray:
    """min(1.0, max(0.0, v)) for each v, as Python's min and max give it."""
    low = _at_least_0(values)
    return np.where(low < 1.0, low, 1.0)


def _trajectory_steps(canvas: _Canvas, data: dict, solution: bool) -> None:
    """A path without a loss: a 1-D path against the step, a 2-D path in the plane."""
    symbol = _GREEK.get(data["name"], data["name"])
    names = _point_labels(data)
    count = len(data["points"]) if solution else data["given"]
    left, top, plot_w, plot_h = 50.0, 24.0, 320.0, 170.0
    if data["dimensions"] == 1:
        values, shown = data["points"][:count], data["shown"]
        low, high = _span(min(values), max(values), 1.0)
        pad = (high - low) * 0.15
        low, high = low - pad, high + pad
        slots = len(data["points"])

        def px(i: int) -> float:
            return left + plot_w * (i + 0.5) / slots

        def py(v: float) -> float:
            return top + (high - v) / (high - low) * plot_h

        canvas.line(left, top, left, top + plot_h, width=0.8)
        canvas.line(left, top + plot_h, left + plot_w, top + plot_h, width=0.8)
        canvas.text(left - 6, top + 4, symbol, anchor="end", size=12)
        canvas.text(left + plot_w + 4, top + plot_h + 4, "step", size=11)
        if low < 0 < high:
            canvas.line(left, py(0), left + plot_w, py(0), width=0.6, dash="3 3")
            canvas.text(left - 4, py(0) + 4, "0", "tick", "end", size=9)
        for i in range(count - 1):
            canvas.arrow(px(i), py(values[i]), px(i + 1), py(values[i + 1]), ACCENT_2, 1.5)
        for i, value in enumerate(values):
            canvas.circle(px(i), py(value), 3.5, ACCENT if i == 0 else ACCENT_2)
            canvas.text(px(i), py(value) - 8, shown[i], "value", "middle", size=11)
        for i in range(slots):
            canvas.text(px(i), top + plot_h + 14, names[i], "step", "middle", size=11)
        return
    points, shown = data["points"][:count], data["shown"]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_low, x_high = _span(min(xs), max(xs), 1.0)
    y_low, y_high = _span(min(ys), max(ys), 1.0)
    x_pad, y_pad = (x_high - x_low) * 0.2, (y_high - y_low) * 0.2
    x_low, x_high, y_low, y_high = x_low - x_pad, x_high + x_pad, y_low - y_pad, y_high + y_pad

    def qx(x: float) -> float:
        return left + (x - x_low) / (x_high - x_low) * plot_w

    def qy(y: float) -> float:
        return top + (y_high - y) / (y_high - y_low) * plot_h

    canvas.rect(left, top, plot_w, plot_h, width=0.8)
    horizontal, vertical = _axis_names(data)
    canvas.text(left + plot_w / 2, top + plot_h + 16, horizontal, anchor="middle", size=11)
    canvas.text(left - 6, top + plot_h / 2, vertical, anchor="end", size=11)
    for i in range(len(points) - 1):
        canvas.arrow(qx(xs[i]), qy(ys[i]), qx(xs[i + 1]), qy(ys[i + 1]), ACCENT_2, 1.5)
    for i, (x, y) in enumerate(points):
        canvas.circle(qx(x), qy(y), 3.5, ACCENT if i == 0 else ACCENT_2)
        canvas.text(qx(x) + 6, qy(y) - 6, f"{names[i]} = ({shown[i][0]}, {shown[i][1]})", "value", size=10)


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


_DRAW = {
    "conv_grid": _conv_grid, "network": _network, "matrix_heatmap": _matrix_heatmap,
    "bars": _bars, "curve": _curve, "trajectory": _trajectory,
}


def drawn_figures(variant) -> list[dict]:
    """The variant's figures as papers and keys take them: caption, alt, and the SVG of each part it is placed in."""
    from ..engine.figures import variant_figures

    drawn = []
    for figure in variant_figures(variant):
        entry = {"place": figure.place, "caption": figure.caption, "alt": figure.alt}
        for part in ("question", "solution"):
            if figure.shows_in(part):
                width, height = figure_size(figure, part)
                entry[part] = {"svg": figure_svg(figure, part), "width": width, "height": height}
        drawn.append(entry)
    return drawn
