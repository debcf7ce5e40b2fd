"""Terminal layout: prose wrapped at the terminal's width, formulas and tables laid out in columns.

Lines are broken only at spaces, never inside a number or a short formula; a long worked
step is broken at its '=' signs, one relation a line, aligned under the first; a displayed
matrix is drawn with bracketed, aligned columns, and an ``array`` (the CNN's layer table)
as an aligned table. Output that is not a terminal is laid out at ``DEFAULT_WIDTH``
columns, so files and pipes get the same bytes on every machine.
"""

from __future__ import annotations

import re
import shutil
import sys
from typing import Any, TextIO

from . import prose
from .figures_text import figure_lines, plain_text
from .plain import Box, hconcat, math_block, math_to_plain, text_to_plain, text_width

DEFAULT_WIDTH = 80
MIN_WIDTH = 30
GLUE = "\u00a0"  # a space that is no place to break: inside a short formula
SHORT = 24  # inline formulas up to this many columns are never broken
_SCIENTIFIC = re.compile(r"\d × 10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+")  # 1 × 10⁻⁸: one number, one word


def terminal_width(stream: TextIO | None = None) -> int:
    """The width to lay text out at: the terminal's when ``stream`` is one, else DEFAULT_WIDTH."""
    stream = stream if stream is not None else sys.stdout
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if not interactive:
        return DEFAULT_WIDTH
    return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns - 1)


def wrap(text: str, width: int, indent: str = "", hang: str | None = None) -> list[str]:
    """Greedy wrapping at spaces (a word longer than the line stays whole); the first line
    starts with ``indent``, the others with ``hang`` (default: the same)."""
    hang = indent if hang is None else hang
    text = _SCIENTIFIC.sub(lambda m: m.group().replace(" ", GLUE), text)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, filled = indent if not lines else hang, False
        for word in paragraph.split(" "):
            if not word:
                continue
            if filled and text_width(line) + 1 + text_width(word) > width:
                lines.append(line)
                line, filled = hang + word, True
            else:
                line, filled = line + (" " if filled else "") + word, True
        lines.append(line)
    return [line.replace(GLUE, " ").rstrip() for line in lines]


def _glued(text: str) -> str:
    """A short formula, or a vector inside a long one, kept on one line."""
    if text_width(text) <= SHORT:
        return text.replace(" ", GLUE)
    chars, opened = list(text), []
    for position, char in enumerate(chars):  # a bracket's contents up to SHORT long: score(q, k_j), [0.1, 0.2]
        if char in "([⌊⌈":
            opened.append(position)
        elif char in ")]⌋⌉" and opened:
            start = opened.pop()
            if position - start <= SHORT:
                chars[start:position] = [GLUE if c == " " else c for c in chars[start:position]]
    return "".join(chars)


def _inline(segments: list[prose.Segment]) -> str:
    parts = []
    for kind, content in segments:
        parts.append(text_to_plain(content) if kind == "text" else _glued(math_to_plain(content)))
    return "".join(parts).strip()


def prose_lines(text: str | None, width: int, indent: str = "", hang: str | None = None) -> list[str]:
    """Author prose with $...$ math: paragraphs wrapped, displayed formulas on their own lines."""
    lines: list[str] = []
    first = True
    for paragraph in prose.paragraphs(text or ""):
        if lines:
            lines.append("")
        pending: list[prose.Segment] = []
        for segment in [*paragraph, ("end", "")]:
            if segment[0] in ("display", "end"):
                if pending and _inline(pending):
                    lines += wrap(_inline(pending), width, indent if first else (hang if hang is not None else indent), hang)
                    first = False
                pending = []
                if segment[0] == "display":
                    block = display_lines(segment[1], width, (hang if hang is not None and not first else indent) + "  ")
                    tall = len(block) > 1
                    lines += ([""] if tall and lines and lines[-1] else []) + block + ([""] if tall else [])
                    first = False
            else:
                pending.append(segment)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _block_lines(box: Box, indent: str) -> list[str]:
    return [(indent + line).rstrip() for line in box.lines]


def _pack(boxes: list[Box], width: int, indent: str, separator: str = ", ") -> list[str]:
    """Boxes side by side with separators, as many a row as fit."""
    rows: list[list[Box]] = [[]]
    used = text_width(indent)
    for box in boxes:
        need = box.width + (text_width(separator) if rows[-1] else 0)
        if rows[-1] and used + need + text_width(separator.rstrip()) > width:  # room for the row's closing comma
            rows.append([])
            used, need = text_width(indent), box.width
        rows[-1].append(box)
        used += need
    lines: list[str] = []
    for n, row in enumerate(rows):
        pieces: list[Box] = []
        for i, box in enumerate(row):
            if i:
                pieces.append(Box([separator]))
            pieces.append(box)
        if n < len(rows) - 1:
            pieces.append(Box([separator.rstrip()]))
        joined = hconcat(pieces)
        if len(joined.lines) > 1 and lines:
            lines.append("")
        lines += _block_lines(joined, indent)
        if len(joined.lines) > 1 and n < len(rows) - 1:
            lines.append("")
    return lines


def _pack_tex(pieces: list[str], width: int, indent: str) -> list[str]:
    """Formulas side by side, separated by commas; one too wide for a line is laid out as a step of its own."""
    lines: list[str] = []
    run: list[Box] = []
    for n, piece in enumerate(pieces):
        box = math_block(piece)
        last = n == len(pieces) - 1
        if text_width(indent) + box.width + (0 if last else 1) <= width:
            run.append(box)
            continue
        if run:
            lines += _pack(run, width, indent)
            lines[-1] += ","
            run = []
        lines += step_lines(piece, width - (0 if last else 1), indent)
        if not last:
            lines[-1] += ","
    if run:
        lines += _pack(run, width, indent)
    return lines


def display_lines(tex: str, width: int, indent: str = "  ") -> list[str]:
    """A displayed formula: whole if it fits, else its comma-separated parts one after another."""
    box = math_block(tex, width - text_width(indent))
    if text_width(indent) + box.width <= width or r"\begin{array}" in tex:
        return _block_lines(box, indent)
    items = prose.split_top(tex, (r",\qquad", r",\quad", r"\qquad", r"\quad", ","))
    if len(items) > 1:
        return _pack_tex([piece for _, piece in items], width, indent)
    return step_lines(tex, width, indent)


def step_lines(tex: str, width: int, indent: str = "     ") -> list[str]:
    """A worked step: on one line if it fits, else one relation a line under the first '='."""
    shape, items = prose.step_shape(tex, long=0)
    if shape == "list":
        return _pack_tex([piece for _, piece in items], width, indent)
    box = math_block(tex)
    if text_width(indent) + box.width <= width:
        return _block_lines(box, indent)
    chain = prose.split_top(tex, ("=", r"\approx"))
    if len(chain) < 2:
        return _flat(tex, width, indent, indent + "    ")
    head = math_to_plain(chain[0][1])
    lines = _flat(chain[0][1], width, indent, indent + "    ")
    column = text_width(indent) + text_width(head) + 1
    align = " " * (column if len(lines) == 1 and column <= width // 2 else text_width(indent) + 4)
    for n, (relation, piece) in enumerate(chain[1:]):
        symbol = "≈" if relation == r"\approx" else relation
        block = math_block(piece)
        if n == 0 and block.flat and len(lines) == 1 and text_width(lines[0]) + 3 + block.width <= width:
            lines[0] += f" {symbol} {block.lines[0]}"
        elif len(align) + 2 + block.width <= width:
            lines += _block_lines(hconcat([Box([f"{symbol} "]), block]), align)
        else:
            lines += wrap(f"{symbol} " + math_to_plain(piece), width, align, align + "  ")
    return lines


def _flat(tex: str, width: int, indent: str, hang: str) -> list[str]:
    return wrap(math_to_plain(tex), width, indent, hang)


# ---------------------------------------------------------------------------
# Answers


def _is_table(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(row, list) for row in value)


def shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(shown(item) for item in value) + "]"
    return str(value)


def _tolerance(value: Any) -> str:
    flat = _leaves(value)
    if not flat:
        return ""
    if len(set(flat)) == 1:
        return f"±{flat[0]}" + (" each" if isinstance(value, list) else "")
    return "±" + shown(value)


def _leaves(value: Any) -> list:
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def table_lines(rows: list[list[Any]], indent: str, header: list[str] | None = None) -> list[str]:
    """Rows as aligned columns: numbers to the right, words to the left."""
    cells = [[str(cell) for cell in row] for row in rows]
    columns = max(len(row) for row in cells)
    cells = [row + [""] * (columns - len(row)) for row in cells]
    widths = [max(text_width(row[c]) for row in cells + ([header] if header else [])) for c in range(columns)]
    numeric = [all(_number(row[c]) for row in cells if row[c]) for c in range(columns)]

    def line(row: list[str]) -> str:
        return (indent + "  ".join(" " * (w - text_width(c)) + c if right else c + " " * (w - text_width(c)) for c, w, right in zip(row, widths, numeric))).rstrip()

    out = []
    if header:
        out.append(line(header + [""] * (columns - len(header))))
        out.append(indent + "  ".join("─" * w for w in widths))
    return out + [line(row) for row in cells]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def answer_lines(answer: dict, width: int, indent: str = "  ") -> list[str]:
    """One answer: 'label: value  (±tolerance)'; a matrix as aligned columns under its label; pairs as 'a → b'."""
    value = answer["rounded"]
    tolerance = answer.get("tolerance") or {}
    spread = ""
    if tolerance.get("type") != "exact" and any(_leaves(tolerance.get("absolute"))):
        spread = f"  ({_tolerance(tolerance['absolute'])})"
    label = answer["label"]
    if _is_table(value) and all(isinstance(cell, str) and not _number(cell) for row in value for cell in row):
        return [f"{indent}{label}:"] + [line for row in value for line in wrap(" → ".join(row), width, indent + "  ", indent + "    ")]
    if _is_table(value):
        return wrap(f"{label}:{spread}", width, indent, indent + "  ") + table_lines(value, indent + "  ")
    return wrap(f"{label}: {_glued(shown(value))}{spread}", width, indent, indent + "    ")


# ---------------------------------------------------------------------------
# The text template's filters (templates/text/variant.txt.j2)


def heading(record: dict, width: int) -> str:
    """'Title  [id · variant code · section n · difficulty d]', the bracket on a line of its own when both do not fit."""
    tags = f"[{record['template']}" + (f" · variant {record['code']}" if record.get("code") else "") + f" · section {record['section']} · difficulty {record['difficulty']}]"
    title = text_to_plain(record["title"])
    if text_width(title) + 2 + text_width(tags) <= width:
        return f"{title}  {tags}"
    return "\n".join(wrap(title, width) + wrap(tags, width, "", " "))


def add_filters(env: Any) -> None:
    env.filters["heading"] = heading
    env.filters["prose"] = lambda text, width, indent="": "\n".join(prose_lines(text, width, indent))
    env.filters["wrapped"] = lambda text, width, indent="", hang=None: "\n".join(wrap(label_to_plain(str(text)), width, indent, hang))
    env.filters["option"] = lambda tex, label, width: "\n".join(_option_lines(tex, label, width))
    env.filters["answer"] = lambda answer, width: "\n".join(answer_lines(answer, width))
    env.filters["step"] = lambda tex, width: "\n".join(step_lines(tex, width, "     "))
    env.filters["mistake"] = lambda mistake, width: "\n".join(mistake_lines(mistake, width))
    env.filters["figures"] = lambda record, figures, part, width: "\n".join(figures_block(record, figures, part, width))


def figures_block(record: dict, figures: list | None, part: str, width: int) -> list[str]:
    """The figures placed in ``part``, drawn as text (quizgen.formats.figures_text) with a blank line between;
    without the resolved ``figures``, each one of the record by its caption and alt text."""
    blocks: list[list[str]] = []
    if figures is not None:
        for figure in figures:
            if not figure.shows_in(part):
                continue
            drawn = figure_lines(figure, part, width)
            if part == "solution" and figure.shows_in("question"):  # drawn with the question already: what the solution fills in
                shown = set(figure_lines(figure, "question", width))
                filled = [line for line in drawn if line not in shown]
                if filled and len(filled) <= len(drawn) // 2:
                    drawn = ["  The figure of the question, filled in:"] + filled
            blocks.append(drawn)
    else:
        for entry in record.get("figures", []):
            if entry["place"] in (part, "both"):
                blocks.append(wrap(f"Figure: {plain_text(entry['caption'])} ({plain_text(entry['alt'])})", width, "  ", "    "))
    lines: list[str] = []
    for block in blocks:
        lines += ([""] if lines else []) + block
    return lines + ([""] if lines and part == "solution" else [])  # the worked steps follow


_BRACED = re.compile(r"([_^])\{([^{}]*)\}")


def label_to_plain(text: str) -> str:
    """A plain-text label as the formulas show it: 'y_hat_k' → 'ŷ_k', 'beta_1^t' → 'β_1^t', 'h_{t-1}' → 'h_(t-1)'."""
    text = _BRACED.sub(lambda m: m.group(1) + (m.group(2) if re.fullmatch(r"[^\W_]+", m.group(2)) else f"({m.group(2)})"), text)
    return "".join(content if kind == "text" else math_to_plain(content) for kind, content in prose.label(text))


def _option_lines(tex: str, label: str, width: int) -> list[str]:
    lead = f"  {label}) "
    box = math_block(tex)
    if text_width(lead) + box.width <= width:
        return _block_lines(hconcat([Box([lead]), box]), "")
    return wrap(lead + math_to_plain(tex), width, "", " " * len(lead))


def mistake_lines(mistake: dict, width: int) -> list[str]:
    """'- label → value: feedback', wrapped under its first word."""
    value = mistake["rounded"]
    head = f"{label_to_plain(mistake['label'])} → {_glued(shown(value))}:"
    lines = wrap(head, width, "  - ", "    ")
    feedback = prose_lines(mistake["feedback"], width, "    ")
    if feedback and text_width(lines[-1]) + 1 + text_width(feedback[0].lstrip()) <= width and len(feedback) == 1:
        return lines[:-1] + [lines[-1] + " " + feedback[0].lstrip()]
    return lines + feedback
