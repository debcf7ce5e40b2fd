"""Read what a student typed as an exact number, vector or matrix.

Students write ``0.25``, ``1/4``, ``2.5e-1`` or ``.25``; vectors as ``[0.1, 0.2]`` or
``0.1 0.2``; matrices as ``[[1, 2], [3, 4]]`` or ``1 2; 3 4``. A small tokenizer turns
that into ``fractions.Fraction`` values, so ``0.1`` is exactly 1/10 and marking compares
exact numbers, as the exports do. Nothing a student types is ever evaluated as code.
Anything else raises ``ResponseError`` whose message is a short hint to show them.

The self-test page's JavaScript (templates/html/selftest.js) reads the same grammar;
tests/test_selftest_browser.py checks that both read every sample alike.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Union

from ..errors import QuizgenError
from ..formats.typed import describe_shape

Parsed = Union[Fraction, list]  # a number, a list of numbers (vector) or a list of rows (matrix)

MAX_LENGTH = 2000  # characters: longer input is not an answer to any of our questions
MAX_EXPONENT = 300  # |e| in 1e300: keeps 10**e small enough to compute at once

_SPACE = " \t\r\n\f\v"  # ASCII white space only: the page's JavaScript must read exactly the same
_NUMBER = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_TOKEN = re.compile(rf"[{_SPACE}]*(?:(?P<number>[+-]?{_NUMBER}(?:[{_SPACE}]*/[{_SPACE}]*[+-]?{_NUMBER})?)|(?P<mark>[\[\](),;]))")
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\uff0d": "-", "\u00a0": " "})


class ResponseError(QuizgenError):
    """What the student typed is not a number, vector or matrix; the message is a hint for them."""


def _number(text: str) -> Fraction:
    """One literal: a decimal (with optional exponent) or a fraction of two decimals."""
    top, _, bottom = re.sub(f"[{_SPACE}]", "", text).partition("/")
    numerator = _decimal(top)
    if not bottom:
        return numerator
    denominator = _decimal(bottom)
    if denominator == 0:
        raise ResponseError(f"'{_flat(text)}' divides by zero")
    return numerator / denominator


def _flat(text: str) -> str:
    """Text quoted in a hint, on one line: each run of white space one space (the page's JavaScript does the same)."""
    return re.sub(f"[{_SPACE}]+", " ", text)


def _decimal(text: str) -> Fraction:
    mantissa, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > MAX_EXPONENT:
        raise ResponseError(f"'{_flat(text)}' is too large or too small; write it as a plain decimal")
    return Fraction(mantissa) * Fraction(10) ** int(exponent or 0)


def _tokens(text: str) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            rest = text[position:].strip()
            shown = _flat(rest[:12]) + ("..." if len(rest) > 12 else "")
            raise ResponseError(f"cannot read '{shown}': type numbers such as 0.25, 1/4 or 2.5e-1")
        if match.group("number") is not None:
            tokens.append(("number", _number(match.group("number"))))
        else:
            tokens.append((match.group("mark"), None))
        position = match.end()
    return tokens


def _rows_of(tokens: list[tuple[str, object]]) -> list[list[Fraction]]:
    """Flat input (no brackets): numbers split by spaces or commas, rows by semicolons."""
    rows: list[list[Fraction]] = [[]]
    for kind, value in tokens:
        if kind == "number":
            rows[-1].append(value)  # type: ignore[arg-type]
        elif kind == ";":
            rows.append([])
        elif kind != ",":
            raise ResponseError("brackets do not match: write [0.1, 0.2] or just 0.1 0.2")
    return rows


def _bracketed(tokens: list[tuple[str, object]]) -> Parsed:
    """[a, b], (a, b), [[a, b], [c, d]] or [a b; c d]."""
    closing = {"[": "]", "(": ")"}

    def items(position: int) -> tuple[list, int]:
        opener = tokens[position][0]
        rows: list[list] = [[]]
        position += 1
        while position < len(tokens):
            kind, value = tokens[position]
            if kind == closing[opener]:
                result = rows[0] if len(rows) == 1 else rows
                return result, position + 1
            if kind in closing:
                inner, position = items(position)
                rows[-1].append(inner)
                continue
            if kind == "number":
                rows[-1].append(value)
            elif kind == ";":
                rows.append([])
            elif kind != ",":
                break
            position += 1
        raise ResponseError("brackets do not match: write [0.1, 0.2] or [[1, 2], [3, 4]]")

    if tokens[0][0] not in closing:
        raise ResponseError("brackets do not match: write [0.1, 0.2] or just 0.1 0.2")
    result, position = items(0)
    if position != len(tokens):
        raise ResponseError("brackets do not match: put the whole answer in one pair of brackets")
    return result


def _shape(value: Parsed) -> Parsed:
    """Check nesting and rectangularity; a bracketed single number is that number."""
    if isinstance(value, Fraction):
        return value
    if not value:
        raise ResponseError("there is no number between the brackets")
    if all(isinstance(item, Fraction) for item in value):
        return value
    if all(isinstance(item, list) and item and all(isinstance(x, Fraction) for x in item) for item in value):
        if len({len(row) for row in value}) != 1:
            raise ResponseError("the rows of the matrix have different lengths")
        return value
    raise ResponseError("mix of numbers and rows: write a matrix as [[1, 2], [3, 4]] or 1 2; 3 4")


def parse_response(text: str) -> Parsed:
    """The exact number, vector (list) or matrix (list of rows) in ``text``; ResponseError with a hint otherwise."""
    if len(text) > MAX_LENGTH:
        raise ResponseError(f"that is {len(text)} characters long; an answer needs far fewer")
    text = text.translate(_DASHES).strip(_SPACE)
    if not text:
        raise ResponseError("type an answer, e.g. 0.25, 1/4 or 0.1 0.2")
    tokens = _tokens(text)
    if not tokens:
        raise ResponseError("type an answer, e.g. 0.25, 1/4 or 0.1 0.2")
    if any(kind in "[(" for kind, _ in tokens):
        value: Parsed = _bracketed(tokens)
    else:
        rows = _rows_of(tokens)
        if any(not row for row in rows):
            raise ResponseError("an empty row: put numbers on both sides of each ';'")
        value = rows[0] if len(rows) == 1 else rows
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], Fraction):
        return value[0]
    return _shape(value)


def fit_shape(value: Parsed, kind: str, shape: tuple[int, ...]) -> Parsed:
    """The response in the answer's shape, or ResponseError saying what shape is wanted.

    A vector typed as one row or one column of a matrix is taken as that vector, and a
    matrix typed as one flat list of the right length is cut into rows: layout slips
    are not wrong answers.
    """
    wanted = describe_shape(kind, shape)
    if kind in ("integer", "number"):
        if isinstance(value, Fraction):
            return value
        if len(_flatten(value)) == 1:
            return _flatten(value)[0]
        raise ResponseError(f"this answer is one number; you typed {_count(value)}")
    flat = _flatten(value)
    size = 1
    for length in shape:
        size *= length
    if len(flat) != size:
        raise ResponseError(f"expected {wanted}; you typed {_count(value)}")
    if kind == "vector":
        if isinstance(value, list) and value and isinstance(value[0], list) and 1 not in (len(value), len(value[0])):
            raise ResponseError(f"expected {wanted}, not a matrix")
        return flat
    rows, columns = shape
    if isinstance(value, list) and value and isinstance(value[0], list) and (len(value), len(value[0])) != (rows, columns):
        raise ResponseError(f"expected {wanted}; you typed a {len(value)}×{len(value[0])} matrix")
    return [flat[r * columns : (r + 1) * columns] for r in range(rows)]


def _flatten(value: Parsed) -> list[Fraction]:
    if isinstance(value, Fraction):
        return [value]
    return [x for item in value for x in _flatten(item)]


def _count(value: Parsed) -> str:
    count = len(_flatten(value))
    return "1 number" if count == 1 else f"{count} numbers"
