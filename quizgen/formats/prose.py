"""Author prose (text with TeX math in $...$ and $$...$$) split into text and math, for typesetting.

The Typst and LaTeX papers both need the same split: paragraphs at blank lines, hard
line breaks of the YAML folded into spaces, math kept as TeX, text left as text. Labels
(plain text such as 'first moment m_2') get their identifiers set as math.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..engine.tex import default_symbol

_MATH = re.compile(r"\$\$(.+?)\$\$|(?<!\\)\$(.+?)(?<!\\)\$", re.S)
_SPACES = re.compile(r"\s+")
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_QUOTED = re.compile(r'"([^"\n]+)"')
_IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9\\])(?:[A-Za-z]+(?:[_^](?:[A-Za-z]+|\d+|\([A-Za-z0-9+-]+\)))+"
    r"|(?:alpha|beta|gamma|delta|epsilon|eta|theta|lambda|mu|sigma|tau|omega|rho|phi))(?![A-Za-z0-9])"
)

_ACCENTS = ("hat", "bar", "tilde")
Segment = tuple[str, str]  # ("text", words) | ("math", tex) | ("display", tex)


@lru_cache(maxsize=8192)
def paragraphs(text: str | None, strict: bool = False) -> list[list[Segment]]:
    """Paragraphs of segments; quotes become typographic quotes, a \\$ stays a dollar sign.

    The one splitter of author prose for every output (Typst, LaTeX, Moodle HTML, the
    self-test page). ``strict``: a '$' that opens no math is a ValueError, not a dollar.
    Cached (feedback recurs on every variant): callers read the result, never change it.
    """
    if not text:
        return []
    result = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        segments: list[Segment] = []
        position = 0
        for match in _MATH.finditer(paragraph):
            _add_text(segments, paragraph[position : match.start()])
            if match.group(1) is not None:
                segments.append(("display", match.group(1).strip()))
            else:
                segments.append(("math", match.group(2).strip()))
            position = match.end()
        rest = paragraph[position:]
        if strict and _UNESCAPED_DOLLAR.search(rest):
            raise ValueError("unmatched '$' (math is written $...$ or $$...$$; a literal dollar is \\$)")
        _add_text(segments, rest)
        if segments:
            result.append(segments)
    return result


def label(text: str | None) -> list[Segment]:
    """A plain-text label with its identifiers (m_2, beta_1^t, X^T, mu) as TeX math.

    A hyphen between spaces is a minus sign there ("divide by 1 - beta_1^t"): typeset as one.
    """
    if not text:
        return []
    text = text.replace(" - ", " \u2212 ")
    segments: list[Segment] = []
    position = 0
    for match in _IDENTIFIER.finditer(text):
        _add_text(segments, text[position : match.start()])
        segments.append(("math", _identifier_tex(match.group(0))))
        position = match.end()
    _add_text(segments, text[position:])
    return segments


def _identifier_tex(word: str) -> str:
    """'y_hat_k' → \\hat{y}_{k}, 'beta_1^t' → \\beta_{1}^{t}, 'w^(t+1)' → w^{(t+1)}: the bank's variable names, as TeX."""
    name, *powers = word.split("^")
    parts = name.split("_")
    accents = [p for p in parts[1:] if p in _ACCENTS]
    rest = [p for p in parts[1:] if p not in _ACCENTS]
    if any(p.startswith("(") for p in rest):  # w_(i): the bracket is the subscript, as written
        tex = default_symbol(parts[0]) + "".join(f"_{{{p}}}" for p in rest)
    else:
        tex = default_symbol("_".join([parts[0], *rest, *accents[-1:]]))
    return tex + "".join(f"^{{{power if power.startswith('(') else default_symbol(power)}}}" for power in powers)


def _add_text(segments: list[Segment], text: str) -> None:
    text = _SPACES.sub(" ", text.replace(r"\$", "$") if "\\$" in text else text)
    if '"' in text:
        text = _QUOTED.sub("\u201c\\1\u201d", text)
    if segments and segments[-1][0] == "display":
        text = text.lstrip()  # a displayed equation ends its line: no space opens the next
    if text.strip() or (text and segments):
        segments.append(("text", text))


_TOKEN_CACHE: dict[tuple[str, ...], re.Pattern] = {}


def _tokens(separators: tuple[str, ...]) -> re.Pattern:
    """What split_top must look at: groups, \\left/\\right, escaped characters, control words and the separators."""
    pattern = _TOKEN_CACHE.get(separators)
    if pattern is None:
        seps = "|".join(re.escape(s) + ("(?![A-Za-z])" if s[-1].isalpha() else "") for s in separators)
        pattern = _TOKEN_CACHE[separators] = re.compile(
            r"(?P<open>\\left(?![A-Za-z])|\{)|(?P<close>\\right(?![A-Za-z])|\})|(?P<sep>" + seps + r")|\\[^A-Za-z]|\\[A-Za-z]+"
        )
    return pattern


def split_top(tex: str, separators: tuple[str, ...]) -> list[tuple[str, str]]:
    """Split TeX at separators outside braces and \\left...\\right: [(separator before, piece), ...]."""
    pieces: list[tuple[str, str]] = []
    depth, start, before = 0, 0, ""
    for token in _tokens(separators).finditer(tex):
        if token.lastgroup == "open":
            depth += 1
        elif token.lastgroup == "close":
            depth -= 1
        elif token.lastgroup == "sep" and depth == 0:
            pieces.append((before, tex[start : token.start()].strip()))
            before, start = token.group(), token.end()
    pieces.append((before, tex[start:].strip()))
    return [(separator, piece) for separator, piece in pieces if piece]


@lru_cache(maxsize=4096)
def step_shape(tex: str, long: int = 70) -> tuple[str, list[tuple[str, str]]]:
    """How to lay out a worked step: ("list", given values), ("chain", relations, one per line) or ("line", whole)."""
    if r"\quad" in tex:
        items = split_top(tex, (r",\quad", r"\quad"))
        if len(items) > 1:
            return "list", items
    if len(tex) >= long:
        chain = split_top(tex, ("=", r"\approx"))
        if len(chain) >= 3:
            return "chain", chain
    return "line", [("", tex)]


def rounded_tex(value) -> str:
    """TeX of a rounded answer: a number, or a bmatrix (a vector as one row, as quizgen.engine.tex.value_tex prints it)."""
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(row) for row in value) + r" \end{bmatrix}"
        return r"\begin{bmatrix} " + " & ".join(value) + r" \end{bmatrix}"
    return str(value)
