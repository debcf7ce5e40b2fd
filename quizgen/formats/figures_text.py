"""Figures as text, for the terminal (``quizgen show``, ``quizgen practice``): one function per kind.

Each drawing is made from the figure's resolved data, the very numbers and labels the SVG
(quizgen.formats.figures) draws, and fits in ``width`` columns:

* ``conv_grid``: the padded input cell by cell (``░`` the padding ring, ``■`` the kernel's taps
  at its first position, ``□`` the dilation's gaps inside it, ``▒`` the cells one stride step
  further reaches), its top-left corner when the input is too big, or a sketch with the sizes
  written out when even that is too big; then the sizes and the output;
* ``network``: one line per layer, with its output shape and parameter count;
* ``matrix_heatmap``: the values as an aligned table, rows labelled (the queries), each value
  after a shade of its size;
* ``bars``: one bar of Unicode blocks per value, with the value written after it;
* ``curve``: a small plot of the activation with the variant's z marked, and the point written out;
* ``trajectory``: the path's points, one per line.

As on paper, the question's drawing hides what the question asks (the output size, the shapes
and parameter counts, f(z), the points after the given ones) as "?". Same data, same width:
same lines.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from .figures import (
    _activation,  # the SVG's own curve, so both drawings plot the same function
)
from .plain import math_to_plain, text_width

if TYPE_CHECKING:  # the terminal's layout is imported before any figure is drawn: no sympy for it
    from ..engine.figures import Figure

HIDDEN = "?"
MIN_WIDTH = 30
PAD, CELL, TAP, PAD_TAP, GAP, NEXT = "░", "·", "■", "▣", "□", "▒"
OUT_FIRST, OUT = "●", "○"  # the output's cells
GLUE = "\u00a0"  # a space that is no place to break: inside "3 × 3"
SHADES = " ░▒▓█"
EIGHTHS = " ▏▎▍▌▋▊▉█"
SKETCH_TAPS = 7  # taps a side the sketch of a large input draws
BAR_CELLS = 40  # the longest bar, in cells
CORNER_CELLS = 26  # as the SVG: a large input shows its corner when the kernel and a stride step fit in this many cells
_CURVE_NAMES = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "step": "step"}
_GREEK = {"theta": "θ"}


def figure_lines(figure: Figure, part: str, width: int, indent: str = "  ") -> list[str]:
    """The figure for ``part`` ('question' or 'solution') as text lines, each at most ``width`` columns: the drawing, then its caption."""
    width = max(MIN_WIDTH, width)
    inner = width - text_width(indent)
    data = figure.data
    drawing = _DRAW[figure.kind](data, part == "solution", inner)
    lines = [(indent + line).rstrip() for line in _fit(drawing, inner)]
    return lines + [indent + line for line in _wrap(f"Figure: {plain_text(figure.caption)}", inner)]


_MATRIX = re.compile(r"\\begin\{([bpv]?matrix)\}.*?\\end\{\1\}", re.DOTALL)


def plain_text(text: str) -> str:
    """A caption or alt text as the terminal shows it: a vector or matrix value that a placeholder wrote as TeX, read ('[0.9, -0.5]')."""
    return _MATRIX.sub(lambda match: math_to_plain(match.group(0)), text)


def _fit(lines: list[str], width: int) -> list[str]:
    """The width is a promise: a line an author's long label still makes too wide is wrapped at its spaces."""
    fitted = []
    for line in lines:
        fitted += [line] if text_width(line) <= width else _wrap(line, width, "    ")
    return fitted


def _wrap(text: str, width: int, hang: str = "  ") -> list[str]:
    """Greedy wrapping at spaces; a size such as '25 × 25' is never broken."""
    lines, line = [], ""
    for word in text.replace(" × ", f"{GLUE}×{GLUE}").split(" "):
        if not word:
            continue
        if line and text_width(line) + 1 + text_width(word) > width:
            lines.append(line)
            line = hang + word
        else:
            line = f"{line} {word}" if line else word
    return [line.replace(GLUE, " ") for line in lines + ([line] if line else [])]


def _pair(values: list[int], separator: str = " × ") -> str:
    return f"{values[0]}{separator}{values[1]}"


def _either(values: list[int]) -> str:
    return str(values[0]) if values[0] == values[1] else f"({values[0]}, {values[1]})"


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


# ---------------------------------------------------------------------------
# conv_grid


def conv_grid(data: dict[str, Any], solution: bool, width: int) -> list[str]:
    (height, wide), (p_h, p_w) = data["input"], data["padding"]
    (s_h, s_w), (d_h, d_w) = data["stride"], data["dilation"]
    (e_h, e_w), (o_h, o_w) = data["effective"], data["output"]
    pooling = data["mode"] != "conv"
    name = f"{data['mode']} pool" if pooling else "kernel"
    rows, columns = height + 2 * p_h, wide + 2 * p_w
    reach = max(e_h, e_w) + max(s_h, s_w) + 2
    corner = max(10, reach) if data["symbolic"] and reach <= CORNER_CELLS else None
    shown_r, shown_c = (min(rows, corner), min(columns, corner)) if corner else (rows, columns)
    lines = []
    if not data["symbolic"] or corner:
        step = 2 if 2 * shown_c + 2 <= width else 1
        if shown_c + 2 > width:
            shown_c = width - 2
        title = "input" + (" (padded)" if p_h or p_w else "") + (": its top-left corner" if corner else "")
        lines += _wrap(title, width)
        for r in range(shown_r):
            cells = []
            for c in range(shown_c):
                cells.append(_conv_cell(r, c, rows, columns, data).ljust(step))
            lines.append("".join(cells).rstrip() + (" …" if shown_c < columns else ""))
        if shown_r < rows:
            lines.append("⋮")
        legend = [f"{CELL} input"]
        if p_h or p_w:
            legend.append(f"{PAD} padding")
        legend.append(f"{TAP} the {name} window at its first position" if pooling else f"{TAP} {name} taps at its first position")
        if (p_h or p_w) and any(_conv_cell(r, c, rows, columns, data) == PAD_TAP for r in range(e_h) for c in range(e_w)):
            legend.append(f"{PAD_TAP} a tap on the padding")
        if d_h > 1 or d_w > 1:
            legend.append(f"{GAP} between the taps")
        if o_w > 1 or o_h > 1:
            legend.append(f"{NEXT} one stride step on")
        lines += _wrap(", ".join(legend), width)
    else:
        lines += conv_sketch(data, width)
    facts = [f"H × W = {_pair(data['input'])}", f"{name} {_pair(data['kernel'])}", f"stride {_either(data['stride'])}"]
    if p_h or p_w or not pooling:
        facts.append(f"padding {_either(data['padding'])}")
    if d_h != 1 or d_w != 1:
        facts.append(f"dilation {_either(data['dilation'])}: taps span {_pair(data['effective'])}")
    lines += _wrap(", ".join(facts), width)
    shown = _pair(data["output"]) if solution else f"{HIDDEN} × {HIDDEN}"
    lines += _wrap(f"output H_out × W_out = {shown}", width)
    if solution and not data["symbolic"] and o_w * 2 <= width and o_h <= 2 * 12:
        lines += _wrap(f"the output cell by cell ({OUT_FIRST} comes from the {'window' if pooling else 'kernel'}'s first position):", width)
        lines += [" ".join(([OUT_FIRST] + [OUT] * (o_w - 1)) if r == 0 else [OUT] * o_w) for r in range(o_h)]
    return lines


def conv_sketch(data: dict[str, Any], width: int) -> list[str]:
    """An input too big to draw cell by cell: the padding ring around it, and the kernel's taps in its corner, not to scale."""
    (p_h, p_w), (k_h, k_w), (d_h, d_w) = data["padding"], data["kernel"], data["dilation"]
    shown_h, shown_w = min(k_h, SKETCH_TAPS), min(k_w, SKETCH_TAPS)
    across = CELL.join([TAP] * shown_w) if d_w > 1 else TAP * shown_w
    taps = []
    for r in range(shown_h):
        taps.append(across)
        if d_h > 1 and r < shown_h - 1:
            taps.append(CELL * len(across))
    inside = max(len(across) + 3, min(24, width - 2))
    ring = PAD if (p_h or p_w) else CELL
    note = "input, not to scale: the padding ring around it" if (p_h or p_w) else "input, not to scale"
    note += f", and the {'window' if data['mode'] != 'conv' else 'kernel'}'s taps in its corner"
    if d_h > 1 or d_w > 1:
        note += f" (each {CELL} between two taps stands for {_either([d_h - 1, d_w - 1])} cell{'s' if max(d_h, d_w) > 2 else ''})"
    if shown_h < k_h or shown_w < k_w:
        note += f" ({shown_h} × {shown_w} of its {k_h} × {k_w} taps drawn)"
    lines = _wrap(note + ":", width)
    lines.append(ring * (inside + 2))
    for row in taps + [""] * 2:
        lines.append(ring + row + CELL * (inside - len(row)) + ring)
    lines.append(ring * (inside + 2))
    return lines


def _conv_cell(r: int, c: int, rows: int, columns: int, data: dict[str, Any]) -> str:
    (p_h, p_w), (s_h, s_w), (d_h, d_w) = data["padding"], data["stride"], data["dilation"]
    (e_h, e_w), (o_h, o_w) = data["effective"], data["output"]
    pad = r < p_h or r >= rows - p_h or c < p_w or c >= columns - p_w
    if r < e_h and c < e_w:
        if r % d_h == 0 and c % d_w == 0:
            return PAD_TAP if pad else TAP
        return GAP
    if (o_w > 1 and r < e_h and c < s_w + e_w) or (o_h > 1 and c < e_w and r < s_h + e_h):
        return NEXT
    return PAD if pad else CELL


# ---------------------------------------------------------------------------
# network


def network(data: dict[str, Any], solution: bool, width: int) -> list[str]:
    rows = [("", "input", data["input"], "")]
    for number, stage in enumerate(data["stages"], start=1):
        rows.append((f"{number}.", stage["label"], stage["shape"] if solution else HIDDEN, stage["params"] if solution else HIDDEN))
    rows.append(("", "total", "", data["total"] if solution else HIDDEN))
    number_w = max(text_width(r[0]) for r in rows)
    label_w = max(text_width(r[1]) for r in rows)
    shape_w = max(text_width(r[2]) for r in rows + [("", "", "output shape", "")])
    param_w = max(text_width(r[3]) for r in rows + [("", "", "", "parameters")])
    if number_w + 1 + label_w + 2 + shape_w + 2 + param_w <= width:
        def line(n: str, label: str, shape: str, params: str) -> str:
            return (f"{n:>{number_w}} {label}{' ' * (label_w - text_width(label))}  {shape}{' ' * (shape_w - text_width(shape))}  "
                    f"{' ' * (param_w - text_width(params))}{params}").rstrip()
        return [line("", "layer", "output shape", "parameters")] + [line(*row) for row in rows]
    # long layer names: the shape and parameters first, then the layer, wrapped under its own column
    lead = number_w + 1 + shape_w + 2 + param_w + 2
    if lead + 12 <= width:
        def led(n: str, shape: str, params: str) -> str:
            return f"{n:>{number_w}} {shape}{' ' * (shape_w - text_width(shape))}  {' ' * (param_w - text_width(params))}{params}  "
        lines = [led("", "output shape", "parameters") + "layer"]
        for n, label, shape, params in rows:
            wrapped = _wrap(label, width - lead, "")
            lines.append((led(n, shape, params) + wrapped[0]).rstrip())
            lines += [" " * lead + more for more in wrapped[1:]]
        return lines
    lines = []  # too narrow even for that: each layer's shape and parameters on a line under it
    for n, label, shape, params in rows:
        lines += _wrap(f"{n} {label}".strip(), width)
        detail = ", ".join(part for part in (shape and f"output {shape}", params and f"{params} parameters") if part)
        if detail:
            lines += ["    " + part for part in _wrap(detail, width - 4)]
    return lines


# ---------------------------------------------------------------------------
# matrix_heatmap


def matrix_heatmap(data: dict[str, Any], solution: bool, width: int) -> list[str]:
    values, shown, rows, columns = data["values"], data["shown"], data["rows"], data["columns"]
    flat = [v for row in values for v in row]
    low, high = min(flat), max(flat)
    label_w = max(text_width(label) for label in rows)
    for shaded in (True, False):
        cell_w = max(text_width(s) for row in shown for s in row) + (2 if shaded else 0)
        cell_w = max(cell_w, max(text_width(c) for c in columns))
        if label_w + len(columns) * (cell_w + 2) <= width:
            head = " " * label_w + "".join("  " + " " * (cell_w - text_width(c)) + c for c in columns)
            lines = [head.rstrip()]
            for label, row, texts in zip(rows, values, shown):
                cells = []
                for value, text in zip(row, texts):
                    mark = _shade(value, low, high) + " " if shaded else ""
                    cells.append("  " + " " * (cell_w - text_width(mark + text)) + mark + text)
                lines.append(label + " " * (label_w - text_width(label)) + "".join(cells))
            if shaded:
                lines += _wrap(f"shade: {SHADES[1]} least to {SHADES[-1]} most ({shown_min(shown, values)} to {shown_max(shown, values)})", width)
            return lines
    lines = []  # too many columns for the width: one row at a time
    for label, texts in zip(rows, shown):
        lines += _wrap(f"{label}: " + ", ".join(f"{c} {t}" for c, t in zip(columns, texts)), width, "    ")
    return lines


def _shade(value: float, low: float, high: float) -> str:
    share = 0.5 if high == low else (value - low) / (high - low)
    return SHADES[1 + min(3, int(share * 4))]


def shown_min(shown: list[list[str]], values: list[list[float]]) -> str:
    return min(((v, s) for row, texts in zip(values, shown) for v, s in zip(row, texts)))[1]


def shown_max(shown: list[list[str]], values: list[list[float]]) -> str:
    return max(((v, s) for row, texts in zip(values, shown) for v, s in zip(row, texts)))[1]


# ---------------------------------------------------------------------------
# bars


def bars(data: dict[str, Any], solution: bool, width: int) -> list[str]:
    values, shown, labels = data["values"], data["shown"], data["labels"]
    label_w = max(text_width(label) for label in labels)
    value_w = max(text_width(s) for s in shown)
    above = width - label_w - value_w - 4 < 8  # long labels: each on a line of its own, over its bar
    room = max(8, min(BAR_CELLS, width - value_w - 3 if above else width - label_w - value_w - 4))
    high, low = max(0.0, max(values)), min(0.0, min(values))
    span = (high - low) or 1.0
    negative = round(room * -low / span) if low < 0 else 0
    positive = room - negative
    lines = _wrap(data["axis"], width) if data.get("axis") else []
    for label, value, text in zip(labels, values, shown):
        if value >= 0:
            bar = " " * negative + "│" + _eighths(value / span * room, positive)
        else:
            cells = round(-value / span * room)
            bar = " " * (negative - cells) + "█" * cells + "│" + " " * positive
        if above:
            lines += _wrap(label, width) + [f"{bar.rstrip()} {text}"]
        else:
            lines.append(f"{label}{' ' * (label_w - text_width(label))} {bar.rstrip()} {text}")
    return lines


def _eighths(length: float, room: int) -> str:
    """A bar of ``length`` cells (in eighths of a cell), at most ``room`` cells."""
    eighths = min(room * 8, round(length * 8))
    return "█" * (eighths // 8) + (EIGHTHS[eighths % 8] if eighths % 8 else "")


# ---------------------------------------------------------------------------
# curve




def curve(data: dict[str, Any], solution: bool, width: int) -> list[str]:
    name, z, f = data["function"], data["z"], data["f"]
    symbol = _CURVE_NAMES[name]
    reach = max(5.0, math.ceil(abs(z)) + 1.0)
    y_low, y_high = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "step": (0.0, 1.0)}.get(name, (0.0, reach))
    columns = max(21, min(41, width - 8)) // 2 * 2 + 1  # odd: z = 0 is a column
    rows = 9
    left = f"{_tick(y_high)} "
    margin = max(text_width(left), text_width(f"{_tick(y_low)} "))

    def column(x: float) -> int:
        return round((x + reach) / (2 * reach) * (columns - 1))

    def row(y: float) -> int:
        return round((y_high - y) / (y_high - y_low) * (rows - 1))

    grid = [[" "] * columns for _ in range(rows)]
    zero_row, zero_column = row(0.0), column(0.0)
    for c in range(columns):
        grid[zero_row][c] = "─"
    for r in range(rows):
        grid[r][zero_column] = "┼" if r == zero_row else "│"
    previous = None
    for c in range(columns):
        x = -reach + 2 * reach * c / (columns - 1)
        r = row(_activation(name, x))
        span = range(min(r, previous), max(r, previous) + 1) if previous is not None and name != "step" else [r]
        for fill in span:
            grid[fill][c] = "•"
        previous = r
    grid[row(f)][column(z)] = "●"
    lines = []
    for r in range(rows):
        tick = _tick(y_high) if r == 0 else _tick(y_low) if r == rows - 1 else ""
        lines.append(f"{tick:>{margin - 1}} " + "".join(grid[r]).rstrip())
    axis = [" "] * columns
    for label, x in ((_tick(-reach), -reach), ("0", 0.0), (_tick(reach), reach)):
        start = min(columns - len(label), max(0, column(x) - len(label) // 2))
        axis[start:start + len(label)] = list(label)
    lines.append(" " * margin + "".join(axis).rstrip() + "  z")
    value = data["f_shown"] if solution else HIDDEN
    lines += _wrap(f"● z = {data['z_shown']}, {symbol}({data['z_shown']}) = {value}", width)
    return lines


def _tick(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ---------------------------------------------------------------------------
# trajectory


def trajectory(data: dict[str, Any], solution: bool, width: int) -> list[str]:
    symbol = _GREEK.get(data["name"], data["name"])
    points, shown = data["points"], data["shown"]
    first = data.get("first", 1)
    given = data.get("given", len(points))
    labels = data.get("labels") or [f"{symbol}{_subscript(first + i)}" for i in range(len(points))]
    count = len(points) if solution else given
    lines = []
    if data["dimensions"] == 2:
        axes = data.get("axes") or [f"{symbol}₁", f"{symbol}₂"]
        lines += _wrap(f"the path in the plane ({axes[0]}, {axes[1]}):", width)
        for i, label in enumerate(labels):
            text = f"({shown[i][0]}, {shown[i][1]})" if i < count else f"({HIDDEN}, {HIDDEN})"
            lines += _wrap(f"{'start' if i == 0 else 'then'}  {label} = {text}", width, "    ")
        return lines
    values = list(points)
    low, high = min(values), max(values)
    label_w = max(text_width(label) for label in labels)
    value_w = max(text_width(s) for s in shown)
    room = min(BAR_CELLS, width - label_w - value_w - 6)
    lines += _wrap(f"the path of {symbol}, step by step" + (" (● on a line from the lowest to the highest value):" if room >= 10 else ":"), width)
    lowest = highest = None
    for i, label in enumerate(labels):
        text = shown[i] if i < count else HIDDEN
        line = f"{label}{' ' * (label_w - text_width(label))} = {text}"
        if room >= 10 and i < count:
            place = 0 if high == low else round((values[i] - low) / (high - low) * (room - 1))
            line = f"{line}{' ' * (label_w + 3 + value_w - text_width(line))}  " + "·" * place + "●" + "·" * (room - 1 - place)
            lowest = shown[i] if values[i] == low and lowest is None else lowest
            highest = shown[i] if values[i] == high and highest is None else highest
        lines.append(line.rstrip())
    if lowest is not None and highest is not None and high > low and text_width(lowest) + 1 + text_width(highest) <= room:
        lead = " " * (label_w + 3 + value_w + 2)
        lines.append(lead + lowest + " " * max(1, room - text_width(lowest) - text_width(highest)) + highest)
    return lines


_DRAW = {
    "conv_grid": conv_grid, "network": network, "matrix_heatmap": matrix_heatmap,
    "bars": bars, "curve": curve, "trajectory": trajectory,
}
