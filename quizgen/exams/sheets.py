"""Answer sheets a scanner can read: digit grids for numbers, and the code that names each page.

A numerical blank on a sheet is a **digit grid**: an optional sign row (one bubble, "−"),
one column of ten bubbles (0-9) per digit before a fixed decimal point, and as many after
it as the question's rounding asks ("to 3 decimal places": three). The grid has just
enough integer columns for every value the template makes, mistakes included, so a
student who makes a named mistake can write it, and the marker can name it. A vector or a
small matrix has one grid per element; a blank of more than MAX_GRIDS elements is marked
by hand (0 / ½ / 1 boxes the scan reads).

Every page carries a code (a QR code on the page) that says which exam, which paper and
which page it is, and a check of the build: a page can be recognised in any order, upside
down, or mixed with another exam's pages. This module is the arithmetic of both; the
papers draw them (templates/typst/exam.typ), the scan reader reads them back.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from ..errors import QuizgenError

MAX_GRIDS = 12  # elements of one blank that get digit grids; a larger answer is marked by hand
MAX_COLUMNS = 12  # digit columns of one grid: a longer number is no answer a student writes in bubbles
CODE_PREFIX = "QZ1"  # the page code's format; a reader refuses any other
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class DigitGrid:
    """The bubbles of one number: a sign row if the number can be negative, integer and decimal columns."""

    signed: bool
    integers: int
    decimals: int

    def __post_init__(self) -> None:
        if self.integers < 1 or self.decimals < 0 or self.integers + self.decimals > MAX_COLUMNS:
            raise ValueError(f"a digit grid has 1 to {MAX_COLUMNS} columns, not {self.integers} + {self.decimals}")

    @property
    def columns(self) -> int:
        return self.integers + self.decimals

    def holds(self, text: str) -> bool:
        """Whether the rounded answer ``text`` ('-0.325', '220') can be written in this grid."""
        try:
            self.fill(text)
        except ValueError:
            return False
        return True

    def fill(self, text: str) -> tuple[bool, tuple[int, ...]]:
        """(negative, one digit per column) for a rounded answer: the bubbles the key fills in.

        Integer columns are padded with leading zeros (a student may leave them empty: they
        read as 0); the decimal columns are exactly the question's rounding.
        """
        number = Decimal(text)
        if not number.is_finite():
            raise ValueError(f"{text} is not a number")
        negative = number < 0 and number != 0
        if negative and not self.signed:
            raise ValueError(f"{text} is negative and the grid has no sign row")
        if integer_digits(format(number, "f")) > self.integers:
            raise ValueError(f"{text} needs more than the grid's {self.integers} integer columns")
        shown = abs(number).quantize(Decimal(1).scaleb(-self.decimals))
        if shown != abs(number):
            raise ValueError(f"{text} has more decimals than the grid's {self.decimals}")
        return negative, tuple(int(d) for d in format(shown, "f").replace(".", "").rjust(self.columns, "0"))

    def read(self, negative: bool, digits: Iterable[int | None]) -> str:
        """The number the bubbles say; an empty column before the first ticked one reads as 0.

        ValueError for an empty column after a ticked one, or in the decimals: the reader
        sends that to review rather than guess.
        """
        column = list(digits)
        if len(column) != self.columns:
            raise ValueError(f"{len(column)} columns read, the grid has {self.columns}")
        seen = False
        text = ""
        for position, digit in enumerate(column):
            if digit is None:
                if seen or position >= self.integers:
                    raise ValueError(f"column {position + 1} is empty")
                digit = 0
            else:
                seen = True
            if not 0 <= digit <= 9:
                raise ValueError(f"column {position + 1}: {digit} is not a digit")
            text += str(digit)
        value = Decimal(text).scaleb(-self.decimals)
        if negative and not self.signed:
            raise ValueError("a sign where the grid has none")
        return format(-value if negative and value != 0 else value, "f")


def decimals_of(text: str) -> int:
    """Decimal places of a rounded answer as the key writes it ('0.3250': 4, '220': 0)."""
    return len(text.split(".", 1)[1]) if "." in text else 0


def integer_digits(text: str) -> int:
    """Digits before the point of a rounded value ('-12.5': 2, '0.25': 1)."""
    whole = text.lstrip("-+").split(".", 1)[0].lstrip("0")
    return max(1, len(whole))


def grid_for(rounded: Iterable[str], decimals: int) -> DigitGrid:
    """The smallest grid that holds every one of ``rounded`` (the values a template makes) at ``decimals`` places."""
    values = list(rounded)
    if not values:
        raise ValueError("no values to size a grid for")
    signed = any(v.strip().startswith("-") and Decimal(v) != 0 for v in values)
    integers = max(integer_digits(v) for v in values)
    if integers + decimals > MAX_COLUMNS:
        raise ValueError(f"values up to {max(values, key=integer_digits)} at {decimals} decimals need more than {MAX_COLUMNS} columns")
    return DigitGrid(signed, integers, decimals)


def flat_values(rounded: Any) -> list[str]:
    """Every element of a rounded answer (a number, a vector, a matrix) as text."""
    if isinstance(rounded, list):
        return [text for item in rounded for text in flat_values(item)]
    return [str(rounded)]


# ---------------------------------------------------------------------------
# Grids for the papers of a build

SAMPLE = 60  # variants of a template whose answers and mistakes size its grids


class GridSizer:
    """The digit grids of each numeric blank of a build's papers, sized once per template from a sample of its variants."""

    def __init__(self, bank: Any, seed: int):
        self.bank, self.seed = bank, seed
        self._sampled: dict[tuple[str, str], list[str]] = {}

    def _sample(self, template_id: str, answer: str) -> list[str]:
        key = (template_id, answer)
        if key not in self._sampled:
            from ..engine.generate import generate
            from ..formats.records import variant_record

            template = self.bank.get(template_id)
            found: dict[str, list[str]] = {}
            for variant in generate(template, min(SAMPLE, template.min_variants or SAMPLE), self.seed):
                record = variant_record(variant, steps=False)
                for a in record["answers"]:
                    found.setdefault(a["name"], []).extend(flat_values(a["rounded"]))
                for m in record["mistakes"]:
                    found.setdefault(m["answer"], []).extend(flat_values(m["rounded"]))
            for name, values in found.items():
                self._sampled[(template_id, name)] = values
        return self._sampled.get(key, [])

    def grid(self, question: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any] | None:
        """{"signed", "integers", "decimals", "filled": [[negative, digits], ...]} for a numeric blank, or None: marked by hand."""
        if question["kind"] not in ("numerical", "multipart") or answer["kind"] not in ("integer", "number", "vector", "matrix"):
            return None
        own = flat_values(answer["rounded"]) + [t for m in question["mistakes"] if m["answer"] == answer["name"] for t in flat_values(m["rounded"])]
        if len(flat_values(answer["rounded"])) > MAX_GRIDS:
            return None
        places = max(decimals_of(text) for text in flat_values(answer["rounded"]))
        shown = [format(Decimal(t).quantize(Decimal(1).scaleb(-places)), "f") for t in self._sample(question["template"], answer["name"]) + own]
        try:
            grid = grid_for(shown, places)
        except ValueError:
            return None
        filled = [list(grid.fill(text)) for text in flat_values(answer["rounded"])]
        return {"signed": grid.signed, "integers": grid.integers, "decimals": grid.decimals, "filled": [[n, list(d)] for n, d in filled]}


def attach_sheets(document: dict[str, Any], sizer: GridSizer, check: str) -> dict[str, Any]:
    """The paper document with a digit grid on each numeric blank and the page code's parts: what --sheets prints."""
    for question in document["questions"]:
        for answer in question["answers"]:
            answer["grid"] = sizer.grid(question, answer)
    document["sheet"] = {"check": check, "paper": document["paper"]["key"]}
    return document


def page_codes(sheet: dict[str, str], pages: int) -> list[str]:
    """The QR codes (SVG) of pages 1..pages of one paper."""
    return [PageCode(sheet["check"], sheet["paper"], page).qr_svg() for page in range(1, pages + 1)]


# ---------------------------------------------------------------------------
# The page code


def build_check(bank_fingerprint: str, seed: int, spec_text: str) -> str:
    """Eight hex digits that change with the bank, the seed or the spec: a page of another build is refused."""
    digest = hashlib.sha256(f"{bank_fingerprint}|{seed}|".encode() + spec_text.encode("utf-8")).hexdigest()
    return digest[:8]


@dataclass(frozen=True)
class PageCode:
    """What the code on one page says: the build's check, the paper (version or student id) and the page number."""

    check: str
    paper: str
    page: int

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9a-f]{8}", self.check):
            raise ValueError(f"a build check is 8 hex digits, not {self.check!r}")
        if not _KEY.match(self.paper):
            raise ValueError(f"a paper key is 1-64 letters, digits, '.', '_' or '-', not {self.paper!r}")
        if not 1 <= self.page <= 999:
            raise ValueError(f"a page number is from 1 to 999, not {self.page}")

    def text(self) -> str:
        return f"{CODE_PREFIX}|{self.check}|{self.paper}|{self.page}"

    @classmethod
    def parse(cls, text: str) -> "PageCode":
        """The code read from a page; a QuizgenError says why a code is not one of quizgen's."""
        parts = text.strip().split("|")
        if len(parts) != 4 or parts[0] != CODE_PREFIX:
            raise QuizgenError(f"the page code {text[:40]!r} is not a quizgen answer sheet's")
        try:
            return cls(parts[1], parts[2], int(parts[3]))
        except ValueError as error:
            raise QuizgenError(f"the page code {text[:40]!r}: {error}") from None

    def qr_svg(self) -> str:
        """The code as an SVG QR code (segno; error correction level M survives a smudge), no size set."""
        import segno

        return segno.make(self.text(), error="m", micro=False).svg_inline(scale=1, border=0, dark="black", omitsize=True)


__all__ = [
    "DigitGrid", "GridSizer", "MAX_COLUMNS", "MAX_GRIDS", "PageCode", "attach_sheets", "build_check", "decimals_of", "flat_values",
    "grid_for", "integer_digits", "page_codes",
]
