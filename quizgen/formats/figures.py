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
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

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
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


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

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = "currentColor", width: float = 1, dash: str | None = None) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
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

    def polyline(self, points: list[tuple[float, float]], stroke: str = "currentColor", width: float = 1.5) -> None:
        self.parts.append(f'<polyline points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in points)}" fill="none" stroke="{stroke}" stroke-width="{_n(width)}"/>')
        self.grow(max(a for a, _ in points), max(b for _, b in points))

    def circle(self, x: float, y: float, r: float, fill: str = ACCENT) -> None:
        self.parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{fill}"/>')
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


def _trajectory(canvas: _Canvas, data: dict, solution: bool) -> None:
    symbol = _GREEK.get(data["name"], data["name"])
    left, top, plot_w, plot_h = 50.0, 24.0, 320.0, 170.0
    if data["dimensions"] == 1:
        values, shown = data["points"], data["shown"]
        low, high = min(values), max(values)
        pad = (high - low) * 0.15 or 1.0
        low, high = low - pad, high + pad
        count = len(values)

        def px(i: int) -> float:
            return left + plot_w * (i + 0.5) / count

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
            canvas.text(px(i), top + plot_h + 14, f"{symbol}{_subscript(i + 1)}", "step", "middle", size=11)
        return
    points, shown = data["points"], data["shown"]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_low, x_high, y_low, y_high = min(xs), max(xs), min(ys), max(ys)
    x_pad, y_pad = (x_high - x_low) * 0.2 or 1.0, (y_high - y_low) * 0.2 or 1.0
    x_low, x_high, y_low, y_high = x_low - x_pad, x_high + x_pad, y_low - y_pad, y_high + y_pad

    def qx(x: float) -> float:
        return left + (x - x_low) / (x_high - x_low) * plot_w

    def qy(y: float) -> float:
        return top + (y_high - y) / (y_high - y_low) * plot_h

    canvas.rect(left, top, plot_w, plot_h, width=0.8)
    canvas.text(left + plot_w / 2, top + plot_h + 16, f"{symbol}₁", anchor="middle", size=11)
    canvas.text(left - 6, top + plot_h / 2, f"{symbol}₂", anchor="end", size=11)
    for i in range(len(points) - 1):
        canvas.arrow(qx(xs[i]), qy(ys[i]), qx(xs[i + 1]), qy(ys[i + 1]), ACCENT_2, 1.5)
    for i, (x, y) in enumerate(points):
        canvas.circle(qx(x), qy(y), 3.5, ACCENT if i == 0 else ACCENT_2)
        canvas.text(qx(x) + 6, qy(y) - 6, f"({shown[i][0]}, {shown[i][1]})", "value", size=10)


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
