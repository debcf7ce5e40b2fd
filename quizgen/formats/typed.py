"""A blank's answer as a student types it: the hint that says how, and the key in that form.

Practice, the self-test page and marking all show the same text, so it lives in one place.
The grammar that reads it back is quizgen.marking.responses.
"""

from __future__ import annotations

from typing import Any


def flat_rounded(rounded: Any) -> str:
    """A rounded answer as a student would type it: '14', '0.1 0.2' or '1 2; 3 4'."""
    if isinstance(rounded, list):
        if rounded and isinstance(rounded[0], list):
            return "; ".join(" ".join(row) for row in rounded)
        return " ".join(rounded)
    return str(rounded)


def describe_shape(kind: str, shape: tuple[int, ...]) -> str:
    """How to type an answer of this kind, for prompts and hints ('3 numbers, e.g. 0.1 0.2 0.3')."""
    if kind == "integer":
        return "a whole number"
    if kind == "number":
        return "a number"
    if kind == "vector":
        return f"{shape[0]} numbers, e.g. " + " ".join(f"0.{i + 1}" for i in range(shape[0]))
    rows, columns = shape
    example = "; ".join(" ".join(str(r * columns + c + 1) for c in range(columns)) for r in range(min(rows, 2)))
    return f"a {rows}×{columns} matrix, rows split by ';', e.g. {example}{'; ...' if rows > 2 else ''}"
