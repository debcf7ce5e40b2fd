"""TeX to readable terminal text, for ``show``, ``generate --format text`` and practice.

pylatexenc does the conversion (Greek letters, sub- and superscripts, symbols); we
only teach it that a fraction keeps its brackets and drop the sizing commands.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

_SIZING = re.compile(r"\\(left|right|big|Big|bigg|Bigg)(?![A-Za-z])")
_WRAPPERS = re.compile(r"\\(operatorname|text|mathrm|mathit|mathbf)\{([^{}]*)\}")
_MATRIX = re.compile(r"\\begin\{[bp]matrix\}(.*?)\\end\{[bp]matrix\}", re.S)


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    context = get_default_latex_context_db()
    context.add_context_category("quizgen", prepend=True, macros=[MacroTextSpec("frac", simplify_repl="(%(1)s)/(%(2)s)")])
    return LatexNodes2Text(latex_context=context, math_mode="text")


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
    plain = _converter().latex_to_text(text)
    plain = re.sub(r"\s*([=≈])\s*", r" \1 ", plain)
    return re.sub(r"[ \t]+", " ", plain).strip()
