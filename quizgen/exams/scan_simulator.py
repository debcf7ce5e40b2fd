"""Scans without a scanner: a build's papers rendered, filled in with ink-like marks and distorted as a scanner would.

The tests and the benchmark make their scans with this module, and an instructor can try
the whole loop with it (``examples/simulate_scans.py``). Each simulated student answers
every blank from the key, with a named mistake, or at random, and ticks with full, partial,
faint, over-the-line and crossed-out marks, with stray marks besides. The page is then
rotated (up to ±3°), shifted, scaled (97-103 %), given a slight perspective, blurred,
lit unevenly, noised and JPEG-compressed; pages are shuffled and some turned upside down.

What every student meant is known by construction: the marks are also drawn alone, on
the printed geometry, and measured with the reader's own rule. A bubble whose ideal mark
is clearly full is *ticked*, clearly empty is *empty*, and one between the thresholds
must be reported as doubtful (``Truth``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from .layout import HAND_LABELS, Bubble, Item, load_items
from .scan import EMPTY, PX_PER_MM, TICKED, fill
from .sheets import DigitGrid

MARGIN = 0.12  # an ideal mark this far past a threshold is clear; closer, either reading is fair
BETWEEN = 0.08  # an ideal mark this far inside both thresholds must be read as doubtful


@dataclass
class Style:
    """How one simulated class writes: the share of each kind of mark and of each source of answers."""

    key: float = 0.6  # answers from the key ...
    mistake: float = 0.25  # ... with a named mistake ...
    empty: float = 0.03  # ... left empty (the rest: random)
    partial: float = 0.03  # ticks that cover only part of the bubble
    faint: float = 0.05  # pencil-light ticks
    over: float = 0.08  # ticks that spill over the ring
    crossed: float = 0.01  # a tick crossed out, and another one made
    stray: int = 3  # stray marks per page
    distort: bool = True


@dataclass
class Truth:
    """What a simulated page means: per layout item, per column, each bubble's ideal state."""

    paper: str
    page: int
    states: dict[int, list[list[str]]] = field(default_factory=dict)  # 'ticked', 'empty' or 'between'


def ideal_state(value: float) -> str:
    if value >= TICKED + MARGIN:
        return "ticked"
    if value <= EMPTY - 0.08:
        return "empty"
    if EMPTY + BETWEEN <= value <= TICKED - BETWEEN:
        return "between"
    return "either"  # near a threshold: no reading of it is wrong


# ---------------------------------------------------------------------------
# What each student writes


def _grid_text(grid: DigitGrid, text: str) -> str | None:
    """The value rounded to the grid's decimals, if the grid can hold it."""
    try:
        shown = format(Decimal(text).quantize(Decimal(1).scaleb(-grid.decimals)), "f")
    except ArithmeticError:
        return None
    return shown if grid.holds(shown) else None


def choose_answers(manifest_paper: dict[str, Any], items: list[Item], bank: Any, rng: np.random.Generator, style: Style) -> dict[int, list[int | None]]:
    """Per layout item, the bubble to tick in each column (None: none): the student's answers."""
    from ..engine.generate import make_variant, parse_code
    from ..formats.records import variant_record
    from .sheets import flat_values

    questions = {q["number"]: q for q in manifest_paper["questions"]}
    records: dict[int, dict[str, Any]] = {}
    chosen: dict[tuple[int, int], str] = {}  # (question, answer): where its elements come from
    picks: dict[int, list[int | None]] = {}
    for index, item in enumerate(items):
        columns = item.columns()
        if item.kind == "grid":
            question = questions[item.info["question"]]
            if question["number"] not in records:
                template = bank.get(question["template"])
                records[question["number"]] = variant_record(make_variant(template, *parse_code(template.id, question["code"])), steps=False)
            record = records[question["number"]]
            answer = record["answers"][item.info["answer"]]
            source = chosen.setdefault((question["number"], item.info["answer"]), _source(rng, style, [m for m in record["mistakes"] if m["answer"] == answer["name"]]))
            grid = DigitGrid(bool(item.info["signed"]), int(item.info["integers"]), int(item.info["decimals"]))
            text = None
            if source == "key":
                text = _grid_text(grid, flat_values(answer["rounded"])[item.info["element"]])
            elif source.startswith("mistake:"):
                mistake = next(m for m in record["mistakes"] if m["name"] == source[8:])
                text = _grid_text(grid, flat_values(mistake["rounded"])[item.info["element"]])
            if source == "empty":
                picks[index] = [None] * len(columns)
                continue
            if text is None:  # random digits
                digits = [int(d) for d in rng.integers(0, 10, grid.columns)]
                negative = bool(grid.signed and rng.random() < 0.3)
            else:
                negative, digits = grid.fill(text)
                digits = list(digits)
            # leading zeros are left empty, as the sheet says
            leading = [None if all(d == 0 for d in digits[: k + 1]) and k < grid.integers - 1 else d for k, d in enumerate(digits)]
            picks[index] = ([0 if negative else None] if grid.signed else []) + leading
        elif item.kind == "id":
            digits = [int(d) for d in rng.integers(0, 10, len(columns))]
            picks[index] = digits
        elif item.kind == "option":
            picks[index] = [None]  # decided per question below
        elif item.kind in ("match", "hand"):
            labels = [str(label) for label in item.info["labels"]]
            if item.kind == "match":
                right = questions[item.info["question"]]["matching"][item.info["row"]]["label"]
            else:
                right = "1"  # the marker found the answer right
            roll = rng.random()
            picks[index] = [None if roll < style.empty else labels.index(right) if roll < style.key + style.empty else int(rng.integers(0, len(labels)))]
    # one option per multiple-choice question: the correct one, or another
    by_question: dict[int, list[int]] = {}
    for index, item in enumerate(items):
        if item.kind == "option":
            by_question.setdefault(item.info["question"], []).append(index)
    for number, indices in sorted(by_question.items()):
        question = questions[number]
        correct = [i for i in indices if any(o["label"] == items[i].info["label"] and o["correct"] for o in question["options"])]
        roll = rng.random()
        if roll < style.empty:
            continue
        target = correct[0] if roll < style.key and correct else indices[int(rng.integers(0, len(indices)))]
        picks[target] = [0]
    return picks


def _source(rng: np.random.Generator, style: Style, mistakes: list[dict[str, Any]]) -> str:
    roll = rng.random()
    if roll < style.key:
        return "key"
    if roll < style.key + style.mistake and mistakes:
        return "mistake:" + mistakes[int(rng.integers(0, len(mistakes)))]["name"]
    if roll > 1 - style.empty:
        return "empty"
    return "random"


# ---------------------------------------------------------------------------
# Ink


@dataclass
class Stroke:
    """One mark in printed millimetres: a filled ellipse, a filled half-disc, or a line."""

    kind: str  # 'blob', 'half', 'line'
    points: tuple[float, ...]
    grey: int  # 0 black .. 255 paper
    width: float = 0.5  # lines: mm


def _tick(bubble: Bubble, rng: np.random.Generator, style: Style) -> list[Stroke]:
    """The ink of one tick, in the style the dice say."""
    roll = rng.random()
    grey = int(rng.integers(15, 70))
    dx, dy = rng.normal(0, 0.2, 2)
    r = bubble.radius
    if roll < style.partial:
        if rng.random() < 0.5:  # a half-filled bubble
            return [Stroke("half", (bubble.x, bubble.y, r * 0.95, float(rng.uniform(0, 360))), grey)]
        return [Stroke("blob", (bubble.x + dx, bubble.y + dy, r * rng.uniform(0.35, 0.6), r * rng.uniform(0.35, 0.6)), grey)]
    roll -= style.partial
    if roll < style.faint:
        grey = int(rng.integers(90, 125))
    elif roll < style.faint + style.over:
        return [Stroke("blob", (bubble.x + dx * 2, bubble.y + dy * 2, r * rng.uniform(1.15, 1.4), r * rng.uniform(1.1, 1.3)), grey)]
    return [Stroke("blob", (bubble.x + dx, bubble.y + dy, r * rng.uniform(0.9, 1.1), r * rng.uniform(0.9, 1.1)), grey)]


def _cross(bubble: Bubble, grey: int) -> list[Stroke]:
    r = bubble.radius * 1.2
    return [Stroke("line", (bubble.x - r, bubble.y - r, bubble.x + r, bubble.y + r), grey, 0.45),
            Stroke("line", (bubble.x - r, bubble.y + r, bubble.x + r, bubble.y - r), grey, 0.45)]


def page_strokes(items: list[Item], page: int, picks: dict[int, list[int | None]], rng: np.random.Generator, style: Style) -> list[Stroke]:
    """The ink of one page: every pick ticked in its style, crossed-out ticks, stray marks."""
    strokes: list[Stroke] = []
    for index, item in enumerate(items):
        if item.page != page or index not in picks:
            continue
        for column, pick in zip(item.columns(), picks[index]):
            if pick is None:
                continue
            if len(column) > 1 and rng.random() < style.crossed:  # a first tick, crossed out, beside the real one
                other = column[(pick + 1 + int(rng.integers(0, len(column) - 1))) % len(column)]
                strokes += _tick(other, rng, Style(partial=0, faint=0, over=0)) + _cross(other, 20)
            strokes += _tick(column[pick], rng, style)
    for _ in range(style.stray):
        x, y = float(rng.uniform(20, 190)), float(rng.uniform(40, 280))
        if rng.random() < 0.5:
            length, angle = float(rng.uniform(3, 25)), float(rng.uniform(0, math.pi))
            strokes.append(Stroke("line", (x, y, x + length * math.cos(angle), y + length * math.sin(angle)), int(rng.integers(20, 120)), float(rng.uniform(0.2, 0.6))))
        else:
            size = float(rng.uniform(0.3, 1.2))
            strokes.append(Stroke("blob", (x, y, size, size), int(rng.integers(20, 120))))
    return strokes


def draw(image: np.ndarray, strokes: list[Stroke], px_per_mm: float) -> None:
    """Ink the strokes onto a greyscale image (darkening only, as ink does)."""
    import cv2

    shift = 4  # sub-pixel precision of OpenCV's drawing
    scale = px_per_mm * (1 << shift)
    for stroke in strokes:
        layer = np.zeros_like(image)
        ink = 255 - stroke.grey
        if stroke.kind == "blob":
            x, y, rx, ry = stroke.points
            cv2.ellipse(layer, (round(x * scale), round(y * scale)), (max(1, round(rx * scale)), max(1, round(ry * scale))), 0, 0, 360, ink, -1, cv2.LINE_AA, shift)
        elif stroke.kind == "half":
            x, y, r, angle = stroke.points
            cv2.ellipse(layer, (round(x * scale), round(y * scale)), (round(r * scale), round(r * scale)), angle, 0, 180, ink, -1, cv2.LINE_AA, shift)
        else:
            x0, y0, x1, y1 = stroke.points
            cv2.line(layer, (round(x0 * scale), round(y0 * scale)), (round(x1 * scale), round(y1 * scale)), ink, max(1, round(stroke.width * px_per_mm)), cv2.LINE_AA, shift)
        np.minimum(image, 255 - layer, out=image)


def truth_of(items: list[Item], page: int, strokes: list[Stroke], paper: str) -> Truth:
    """Each bubble's ideal state: the strokes alone on the printed geometry, measured with the reader's rule."""
    canvas = np.full((round(297 * PX_PER_MM), round(210 * PX_PER_MM)), 255, np.uint8)
    draw(canvas, strokes, PX_PER_MM)
    dark = 255 - canvas
    truth = Truth(paper, page)
    for index, item in enumerate(items):
        if item.page == page:
            truth.states[index] = [[ideal_state(fill(dark, bubble)) for bubble in column] for column in item.columns()]
    return truth


# ---------------------------------------------------------------------------
# The scanner


def distort(image: np.ndarray, px_per_mm: float, rng: np.random.Generator, upside_down: bool = False) -> np.ndarray:
    """What a scanner makes of a page: rotation, shift, scale, perspective, blur, uneven light, noise."""
    import cv2

    border = round(10 * px_per_mm)  # the scanner captures a little more than the sheet: a page fed askew stays whole
    image = cv2.copyMakeBorder(image, border, border, border, border, cv2.BORDER_CONSTANT, value=235)
    height, width = image.shape
    angle = math.radians(rng.uniform(-3, 3))
    scale = rng.uniform(0.97, 1.03)
    shift = rng.uniform(-3, 3, 2) * px_per_mm
    cx, cy = width / 2, height / 2
    affine = np.array([[scale * math.cos(angle), -scale * math.sin(angle), 0], [scale * math.sin(angle), scale * math.cos(angle), 0], [0, 0, 1]])
    move = np.array([[1, 0, cx + shift[0]], [0, 1, cy + shift[1]], [0, 0, 1]]) @ affine @ np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]])
    perspective = np.eye(3)
    perspective[2, :2] = rng.uniform(-6e-6, 6e-6, 2) * (200 / 25.4) / px_per_mm
    matrix = perspective @ move
    out = cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=235)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.0) * px_per_mm / 8)
    y, x = np.mgrid[:height, :width].astype(np.float32)
    gx, gy = rng.uniform(-1, 1, 2)
    light = 1.0 - 0.22 * (0.5 + 0.5 * (gx * (x / width - 0.5) + gy * (y / height - 0.5)))
    paper = rng.uniform(0.88, 1.0)
    noisy = out.astype(np.float32) * light * paper + rng.normal(0, 5, out.shape).astype(np.float32)
    out = np.clip(noisy, 0, 255).astype(np.uint8)
    if upside_down:
        out = cv2.rotate(out, cv2.ROTATE_180)
    return out


def jpeg(image: np.ndarray, quality: int) -> bytes:
    import cv2

    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


@dataclass
class SimulatedScan:
    """The scans' JPEG pages, in scan order, and what each one means."""

    pages: list[bytes]
    truths: list[Truth]
    dpi: int
    flipped: list[bool]


def simulate(build: Path, bank: Any, seed: int = 0, dpi: int = 200, style: Style | None = None, papers: list[str] | None = None,
             shuffle: bool = True, flip: float = 0.15, quality: int = 80) -> SimulatedScan:
    """Scans of a build's sheets: every paper (or ``papers``) filled in by a simulated student, then scanned.

    Roster papers are shuffled across the whole stack; version papers stay one stack per
    student, cover first (as docs/exam.md asks of a real scan), and only the stacks are shuffled.
    """
    import pypdfium2

    style = style or Style()
    rng = np.random.default_rng(seed)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    stacks: list[list[tuple[bytes, Truth, bool]]] = []
    for paper in manifest["papers"]:
        if papers is not None and paper["key"] not in papers:
            continue
        layout = json.loads((build / paper["files"]["layout"]).read_text(encoding="utf-8"))
        items = load_items(layout["items"])
        picks = choose_answers(paper, items, bank, rng, style)
        document = pypdfium2.PdfDocument(str(build / paper["files"]["paper"]))
        stack = []
        for number in range(1, len(document) + 1):
            image = document[number - 1].render(scale=dpi / 72, grayscale=True).to_numpy()
            image = np.ascontiguousarray(image[:, :, 0] if image.ndim == 3 else image)
            strokes = page_strokes(items, number, picks, rng, style)
            draw(image, strokes, dpi / 25.4)
            flipped = bool(rng.random() < flip)
            scanned = distort(image, dpi / 25.4, rng, flipped) if style.distort else image
            stack.append((jpeg(scanned, quality), truth_of(items, number, strokes, paper["key"]), flipped))
        document.close()
        stacks.append(stack)
    if shuffle:
        if manifest["mode"] == "roster":
            flat = [page for stack in stacks for page in stack]
            stacks = [[flat[i]] for i in rng.permutation(len(flat)).tolist()]
        else:
            stacks = [stacks[i] for i in rng.permutation(len(stacks)).tolist()]
    pages = [page for stack in stacks for page in stack]
    return SimulatedScan([p[0] for p in pages], [p[1] for p in pages], dpi, [p[2] for p in pages])


def write_pdf(scan: SimulatedScan, target: Path) -> None:
    """The scan as one PDF of JPEG pages at its dpi, as a scanner writes it (img2pdf: the JPEGs go in unchanged)."""
    import img2pdf

    layout = img2pdf.get_fixed_dpi_layout_fun((scan.dpi, scan.dpi))
    target.write_bytes(img2pdf.convert(scan.pages, layout_fun=layout, nodate=True, engine=img2pdf.Engine.internal))  # the same bytes every run


__all__ = ["HAND_LABELS", "SimulatedScan", "Style", "Truth", "choose_answers", "distort", "draw", "simulate", "write_pdf"]
