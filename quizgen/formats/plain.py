"""TeX to readable terminal text, for ``show``, ``generate --format text`` and practice.

pylatexenc does the conversion (Greek letters, sub- and superscripts, symbols). Before
it runs we rewrite what it would flatten ambiguously: a fraction becomes ``a/b`` with
brackets only where needed, and a long exponent keeps its brackets.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

_SIZING = re.compile(r"\\(left|right|big|Big|bigg|Bigg)(?![A-Za-z])")
_WRAPPERS = re.compile(r"\\(operatorname|text|mathrm|mathit|mathbf)\{([^{}]*)\}")
_MATRIX = re.compile(r"\\begin\{[bp]matrix\}(.*?)\\end\{[bp]matrix\}", re.S)
_SIMPLE = re.compile(r"^[A-Za-z0-9.]+$|^\\[A-Za-z]+$")


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text")


def _group(text: str, start: int) -> tuple[str, int]:
    """The contents of the brace group opening at ``start`` and the index after it."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    return text[start + 1 :], len(text)


def _bracket(part: str) -> str:
    part = part.strip()
    return part if _SIMPLE.match(part) else f"({part})"


def _rewrite(text: str) -> str:
    """\\frac{a}{b} → a/b and x^{long} → x^(long), recursively, brackets only where needed."""
    out, i = [], 0
    while i < len(text):
        if text.startswith(r"\frac", i) and i + 5 < len(text) and text[i + 5] == "{":
            numerator, after = _group(text, i + 5)
            denominator, after = _group(text, after) if after < len(text) and text[after] == "{" else ("", after)
            out.append("{" + _bracket(_rewrite(numerator)) + "/" + _bracket(_rewrite(denominator)) + "}")
            i = after
        elif text[i] == "^" and i + 1 < len(text) and text[i + 1] == "{":
            exponent, after = _group(text, i + 1)
            out.append("^{" + _bracket(_rewrite(exponent)) + "}")
            i = after
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _matrix(match: re.Match) -> str:
    rows = [row.strip() for row in match.group(1).split(r"\\")]
    cells = [", ".join(cell.strip() for cell in row.split("&")) for row in rows]
    return "[" + "; ".join(cells) + "]"


def tex_to_plain(text: str) -> str:
    text = _SIZING.sub("", text)
    previous = None
    while previous != text:
        previous, text = text, _WRAPPERS.sub(lambda m: m.group(2), text)
    text = _MATRIX.sub(_matrix, text)
    text = text.replace(r"\quad", "  ").replace(r"\,", " ").replace(r"\cdot", "·")
    plain = _converter().latex_to_text(_rewrite(text))
    plain = re.sub(r"\s*([=≈])\s*", r" \1 ", plain)
    return re.sub(r"[ \t]+", " ", plain).strip()
