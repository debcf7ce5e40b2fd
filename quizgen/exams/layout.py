"""Where everything a scan reader reads sits on an answer sheet, in millimetres from the page's top-left.

Typst lays the paper out; the template records the origin of every readable thing (a digit
grid, a multiple-choice option, a matching item's letter row, a marker's 0 / ½ / 1 boxes,
the student-ID grid, the name box) as metadata, and the build reads it back with a query
(``papers.compile_sheet``). Every bubble's centre then follows from the template's fixed
sizes, which this module repeats: ``tests/test_scan.py`` checks, on rendered pages, that a
printed ring surrounds every centre computed here.

A paper's layout is written beside its PDF (``sheets/<paper>.json``) and read by
``quizgen exam mark``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import QuizgenError

PT = 25.4 / 72  # millimetres per point
PAGE = (210.0, 297.0)  # A4, the papers' size
MARK_SIZE = 5.0  # the corner marks: squares of 5 mm ...
MARK_INSET = 8.0  # ... 8 mm in from each corner
MARK_CENTRES = (  # top-left, top-right, bottom-right, bottom-left
    (MARK_INSET + MARK_SIZE / 2, MARK_INSET + MARK_SIZE / 2),
    (PAGE[0] - MARK_INSET - MARK_SIZE / 2, MARK_INSET + MARK_SIZE / 2),
    (PAGE[0] - MARK_INSET - MARK_SIZE / 2, PAGE[1] - MARK_INSET - MARK_SIZE / 2),
    (MARK_INSET + MARK_SIZE / 2, PAGE[1] - MARK_INSET - MARK_SIZE / 2),
)
QR_BOX = (PAGE[0] - 17.0 - 20.0, 6.0, 20.0, 20.0)  # the page code: x, y, width, height

# The template's sizes (templates/typst/exam.typ): a bubble's radius, a grid's cell, the gaps.
BUBBLE_RADIUS = 1.7
OPTION_RADIUS = 4.5 * PT
CELL_WIDTH, CELL_HEIGHT = 4.4, 4.2
GRID_HEAD = CELL_HEIGHT + 1.0 + 0.6  # the box a digit is written in, and the gap under it
SIGN_WIDTH = CELL_WIDTH + 1.0  # the sign column and its gap
POINT_WIDTH = 2.0  # the decimal point's column
ROW_GAP = 1.0  # between the bubbles of a row
NAME_BOX = (0.0, -6.0, 120.0, 10.0)  # the name, from its line's origin: x, y, width, height
HAND_LABELS = ("0", "½", "1")
HAND_POINTS = (0.0, 0.5, 1.0)  # the share of a blank's points each of the marker's boxes gives


@dataclass(frozen=True)
class Bubble:
    """One bubble to measure: its centre and radius on the page (mm), and what a tick in it says."""

    x: float
    y: float
    radius: float
    value: str  # a digit, "-" (the sign), an option or matching letter, a marker's share


@dataclass(frozen=True)
class Item:
    """A readable thing on a page: its kind, where it starts, and what it belongs to."""

    kind: str  # grid, id, option, match, hand, name
    page: int
    x: float
    y: float
    info: dict[str, Any]

    def columns(self) -> list[list[Bubble]]:
        """The bubbles, in groups of which one is ticked: a grid's sign and digit columns, a row, an option."""
        if self.kind in ("grid", "id"):
            return grid_columns(self.x, self.y, bool(self.info.get("signed")), int(self.info["integers"]), int(self.info.get("decimals", 0)))
        if self.kind == "option":
            return [[Bubble(self.x + OPTION_RADIUS, self.y + OPTION_RADIUS, OPTION_RADIUS, str(self.info["label"]))]]
        if self.kind in ("match", "hand"):
            labels = [str(label) for label in self.info["labels"]]
            step = CELL_WIDTH + ROW_GAP
            return [[Bubble(self.x + k * step + CELL_WIDTH / 2, self.y + CELL_HEIGHT / 2, BUBBLE_RADIUS, label) for k, label in enumerate(labels)]]
        return []

    def box(self) -> tuple[float, float, float, float]:
        """(x, y, width, height) around the item: what the review page shows of it."""
        if self.kind == "name":
            return (self.x + NAME_BOX[0], self.y + NAME_BOX[1], NAME_BOX[2], NAME_BOX[3])
        bubbles = [b for column in self.columns() for b in column]
        left = min(b.x - b.radius for b in bubbles) - 1.5
        top = min(b.y - b.radius for b in bubbles) - 1.5 - (GRID_HEAD if self.kind in ("grid", "id") else 0)
        right = max(b.x + b.radius for b in bubbles) + 1.5
        bottom = max(b.y + b.radius for b in bubbles) + 1.5
        return (left, top, right - left, bottom - top)


def grid_columns(x: float, y: float, signed: bool, integers: int, decimals: int) -> list[list[Bubble]]:
    """A digit grid's bubbles from its origin: the sign column (if any), then one column of 0-9 per digit."""
    columns = []
    left = x
    first_row = y + GRID_HEAD + CELL_HEIGHT / 2
    if signed:
        columns.append([Bubble(x + CELL_WIDTH / 2, first_row, BUBBLE_RADIUS, "-")])
        left += SIGN_WIDTH
    for position in range(integers + decimals):
        centre = left + position * CELL_WIDTH + (POINT_WIDTH if position >= integers and decimals else 0) + CELL_WIDTH / 2
        columns.append([Bubble(centre, first_row + d * CELL_HEIGHT, BUBBLE_RADIUS, str(d)) for d in range(10)])
    return columns


_LENGTH = re.compile(r"^(-?\d+(?:\.\d+)?)pt$")


def _millimetres(text: Any, where: str) -> float:
    match = _LENGTH.match(str(text))
    if not match:
        raise QuizgenError(f"{where}: the sheet's layout has a position {text!r}, not in points")
    return round(float(match.group(1)) * PT, 3)


def items_from_query(marks: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    """The layout the template recorded (a Typst query's values) as JSON-ready items, positions in mm."""
    items = []
    for mark in marks:
        at = mark.pop("at")
        items.append({**mark, "page": int(at["page"]), "x": _millimetres(at["x"], what), "y": _millimetres(at["y"], what)})
    return items


def load_items(data: list[dict[str, Any]]) -> list[Item]:
    """A paper's layout file (sheets/<paper>.json, its "items") as Items."""
    return [Item(d["kind"], int(d["page"]), float(d["x"]), float(d["y"]), {k: v for k, v in d.items() if k not in ("kind", "page", "x", "y")}) for d in data]


__all__ = ["BUBBLE_RADIUS", "Bubble", "HAND_LABELS", "HAND_POINTS", "Item", "MARK_CENTRES", "PAGE", "QR_BOX", "grid_columns", "items_from_query", "load_items"]
