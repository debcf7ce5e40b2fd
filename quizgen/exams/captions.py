"""The maths of a plain-text label, found and written as TeX, for the Typst papers and keys.

The bank's labels (a worked step's caption, an answer's or a mistake's name) are plain text
in which authors write maths as they would type it: "Compare the query with each key:
s_i = k_i^T q", "divide by sqrt(sigma_B^2 + epsilon)", "a K x K patch", "Layer 1: conv,
16 filters, 3x3". Other outputs show them as text. On paper the maths should be typeset:
``caption`` cuts a label into text and TeX math, a run of maths at a time, where a run is
made of names (with subscripts and powers, Greek letters, single letters), numbers,
operators and brackets, and holds at least one name, or numbers joined by an operator.
A word ends a run, and so does punctuation outside brackets. "x" between two sizes is a
times sign. Nothing here runs: the TeX goes through the same checked conversion as the
bank's own math, and a run it cannot convert stays text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import RenderError
from ..formats import prose
from .texmath import convert_or_fail

Segment = tuple[str, str]

_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega nabla".split()
)
_FUNCTIONS = {"log": r"\log", "ln": r"\ln", "exp": r"\exp", "tanh": r"\tanh", "max": r"\max", "min": r"\min", "sin": r"\sin", "cos": r"\cos"}
_OPERATORS = {
    ">=": r"\geq", "<=": r"\leq", "≥": r"\geq", "≤": r"\leq", "!=": r"\neq", "=": "=", "+": "+", "-": "-", "−": "-", "*": r"\cdot",
    "·": r"\cdot", "×": r"\times", "/": "/", "<": "<", ">": ">", "→": r"\to", "⌊": r"\lfloor ", "⌋": r"\rfloor ", "~": r"\sim",
}
_NOT_LETTERS = frozenset("aAI")  # English words of one letter: never a name on their own

_SCRIPT = r"[_^](?:\((?:[^()]|\([^()]*\))*\)|\{[^{}]*\}|[A-Za-z0-9]+)"
_TOKEN = re.compile(
    r"(?P<norm>\|\|[^|]+\|\|(?:" + _SCRIPT + r")*)"
    r"|(?P<abs>\|[^|\s][^|]*\|)"
    r"|(?P<scripted>(?:[A-Za-z]+|\d+)'*(?:" + _SCRIPT + r")+'*|[A-Za-z]'+(?![A-Za-z]))"
    r"|(?P<sizes>\d+x\d+(?![\w]))"
    r"|(?P<call>[A-Za-z]+'*(?=\())"
    r"|(?P<number>\d+(?:\.\d+)?[A-Za-z]?(?![\w]))"
    r"|(?P<word>[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z]+)*)"
    r"|(?P<op>>=|<=|!=|[=+\-−*/<>≥≤·×→⌊⌋~])"
    r"|(?P<open>\()|(?P<close>\))|(?P<space>\s+)|(?P<other>.)"
)


class _Math:
    """A piece of maths: its TeX, and what it is (a name, a number, an operator or a bracket group)."""

    __slots__ = ("kind", "source", "tex")

    def __init__(self, kind: str, tex: str, source: str):
        self.kind, self.tex, self.source = kind, tex, source


def _name_tex(word: str) -> str:
    """A name as TeX: Greek letters by name, identifiers as the rest of quizgen writes them (y_hat_k → \\hat{y}_{k})."""
    if word in _GREEK:
        return "\\" + word
    segments = prose.label(word)
    if len(segments) == 1 and segments[0][0] == "math":
        return segments[0][1]
    return word


def _scripted_tex(token: str) -> str:
    """beta_1^t, e^(-z), W^(l), 10000^(2i/d_model): a base with its scripts; an index in brackets keeps them."""
    if "(" not in token and "{" not in token:
        head = token.rstrip("'")
        return _name_tex(head) + "'" * (len(token) - len(head))
    match = re.match(r"(?:[A-Za-z]+|\d+)'*", token)
    base, rest = match.group(), token[match.end() :]
    tex = _name_tex(base) if base[0].isalpha() else base
    for mark, body in re.findall(r"([_^])(\((?:[^()]|\([^()]*\))*\)|\{[^{}]*\}|[A-Za-z0-9]+)'*", rest):
        if body.startswith("{"):
            converted = _math_tex(body[1:-1])
            if converted is None:
                raise ValueError(token)
            body = converted
        elif body.startswith("("):
            inner = body[1:-1]
            converted = _math_tex(inner)
            if converted is None:
                raise ValueError(token)
            body = f"({converted})" if re.fullmatch(r"[A-Za-z0-9]+(?:[+-][A-Za-z0-9]+)?", inner) else converted
        else:
            body = _name_tex(body) if body.isalpha() else body
        tex += f"{mark}{{{body}}}"
    return tex + "'" * (len(token) - len(token.rstrip("'")))


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]


def _group_end(tokens: list[tuple[str, str]], start: int) -> int:
    """The index of the bracket closing the one opened at ``start`` (-1 if none)."""
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i][0] == "open":
            depth += 1
        elif tokens[i][0] == "close":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _math_tex(text: str) -> str | None:
    """TeX for text that is all maths (a bracket's inside), or None if it holds a word."""
    items = _items(_tokens(text), inside=True)
    if items is None or any(not isinstance(item, _Math) and item.strip() not in ("", ",") for item in items):
        return None
    return "".join(item.tex if isinstance(item, _Math) else (", " if item.strip() == "," else " ") for item in items)


def _call_tex(name: str, inner: str) -> str:
    if name == "sqrt":
        return rf"\sqrt{{{inner}}}"
    if name == "floor":
        return rf"\lfloor {inner} \rfloor"
    if name in _FUNCTIONS:
        return rf"{_FUNCTIONS[name]}\left({inner}\right)"
    head = name.rstrip("'")
    primes = name[len(head) :]
    if head in _GREEK or len(head) == 1:
        return rf"{_name_tex(head)}{primes}\left({inner}\right)"
    return rf"\operatorname{{{head}}}{primes}\left({inner}\right)"


def _items(tokens: list[tuple[str, str]], inside: bool = False) -> list[_Math | str] | None:
    """Tokens as maths pieces and text; ``inside`` a bracket every single letter is a name (U(-a, a)) and a word fails."""
    items: list[_Math | str] = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "call":
            end = _group_end(tokens, i + 1)
            inner = _math_tex("".join(t for _, t in tokens[i + 2 : end])) if end > 0 else None
            if inner is not None:
                items.append(_Math("name", _call_tex(text, inner), "".join(t for _, t in tokens[i : end + 1])))
                i = end + 1
                continue
            kind = "word"
        if kind == "open":
            end = _group_end(tokens, i)
            source = "".join(t for _, t in tokens[i : end + 1]) if end > 0 else ""
            inner = _math_tex(source[1:-1]) if end > 0 else None
            lone_letter = re.fullmatch(r"\([A-Za-z]\)", source) is not None and not inside  # (a), (b): an enumeration
            if inner is not None and not lone_letter:
                items.append(_Math("group", f"({inner})", source))
                i = end + 1
                continue
            if inside:
                return None
            if lone_letter:
                items.append(source)
                i = end + 1
                continue
            items.append(text)
        elif kind == "norm":
            bars, scripts = re.match(r"\|\|([^|]+)\|\|(.*)", text).groups()
            inner = _math_tex(bars)
            if inner is None:
                items.append(text)
            else:
                items.append(_Math("name", _scripted_tex("N" + scripts).replace("N", f"\\left\\|{inner}\\right\\|", 1), text))
        elif kind == "abs":
            inner = _math_tex(text[1:-1])
            items.append(text if inner is None else _Math("name", f"\\left|{inner}\\right|", text))
        elif kind == "scripted":
            try:
                items.append(_Math("name", _scripted_tex(text), text))
            except ValueError:
                if inside:
                    return None
                items.append(text)
        elif kind == "sizes":
            rows, columns = text.split("x")
            items.append(_Math("name", rf"{rows} \times {columns}", text))
        elif kind == "number":
            items.append(_Math("number" if text[-1].isdigit() else "name", text, text))
        elif kind == "op":
            items.append(_Math("op", _OPERATORS[text], text))
        elif kind == "word" and text == "x" and _is_size(items) and _is_size_next(tokens, i):
            items.append(_Math("op", r"\times", text))
        elif kind == "word" and (text in _GREEK or (len(text) == 1 and (inside or text not in _NOT_LETTERS))):
            items.append(_Math("name", _name_tex(text), text))
        elif kind == "word" and _is_product(text):
            items.append(_Math("name", text, text))
        elif inside and kind not in ("space", "other") or inside and kind == "other" and text != ",":
            return None
        else:
            items.append(text)
        i += 1
    return items


# Two-letter words that are English, not a product of two names (Xw, xW).
_TWO_LETTER_WORDS = frozenset("An As At Be By Do Go He If In Is It Me My No Of Oh On Or So To Up Us We".split())


def _is_product(word: str) -> bool:
    """Xw, xW: two names side by side, one capital (a matrix) and one small (a vector)."""
    return len(word) == 2 and word.isalpha() and word[0].isupper() != word[1].isupper() and word not in _TWO_LETTER_WORDS


def _is_size(items: list[_Math | str]) -> bool:
    """Whether the last piece before a space is a size (a name, a number, a bracket group)."""
    for item in reversed(items):
        if isinstance(item, str) and not item.strip():
            continue
        return isinstance(item, _Math) and item.kind in ("name", "number", "group")
    return False


def _is_size_next(tokens: list[tuple[str, str]], i: int) -> bool:
    for kind, text in tokens[i + 1 :]:
        if kind == "space":
            continue
        return kind in ("scripted", "number", "norm", "call") or (kind == "word" and len(text) == 1 and text not in _NOT_LETTERS)
    return False


def _runs(items: list[_Math | str]) -> list[Segment]:
    """Consecutive maths pieces as one math segment (a name after a name: a product; a bracket after a space: new run)."""
    segments: list[Segment] = []
    run: list[_Math | str] = []

    def close() -> None:
        while run and (isinstance(run[-1], str) or run[-1].kind == "op"):  # a run ends on a name, a number or a bracket
            trailing = run.pop()
            segments_after.insert(0, trailing if isinstance(trailing, str) else trailing.source)
        pieces = [p for p in run if isinstance(p, _Math)]
        names = [p for p in pieces if p.kind != "op"]
        is_math = any(p.kind in ("name", "group") for p in pieces) or (len(names) >= 2 and len(pieces) > len(names))
        if is_math:
            while run and (isinstance(run[0], str) or (run[0].kind == "op" and run[0].source not in "-−⌊")):
                first = run.pop(0)
                _text(segments, first if isinstance(first, str) else first.source)
            tex = "".join(p.tex if isinstance(p, _Math) else " " for p in run)
            try:
                convert_or_fail(tex)
                segments.append(("math", tex))
            except RenderError:
                _text(segments, "".join(p.source if isinstance(p, _Math) else p for p in run))
        else:
            _text(segments, "".join(p.source if isinstance(p, _Math) else p for p in run))
        run.clear()
        for text in segments_after:
            _text(segments, text)
        segments_after.clear()

    segments_after: list[str] = []
    for item in items:
        if isinstance(item, _Math):
            previous = next((p for p in reversed(run) if isinstance(p, _Math)), None)
            spaced = bool(run) and isinstance(run[-1], str)
            if item.kind == "group" and spaced and previous is not None and previous.kind != "op":
                close()  # W_1 (d_model x d_ff): two things, not a product
            run.append(item)
        elif not item.strip() and run:
            run.append(item)
        else:
            close()
            _text(segments, item)
    close()
    return segments


def _text(segments: list[Segment], text: str) -> None:
    if not text:
        return
    if segments and segments[-1][0] == "text":
        segments[-1] = ("text", segments[-1][1] + text)
    else:
        segments.append(("text", text))


_LONGEST = 600  # characters of a label read for maths (the bank's longest: about 300)
_DEEPEST = 6  # brackets inside brackets (the bank's deepest: 3)


def _depth(text: str) -> int:
    depth = deepest = 0
    for character in text:
        if character == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif character == ")":
            depth -= 1
    return deepest


@lru_cache(maxsize=4096)
def caption(text: str | None) -> tuple[Segment, ...]:
    """A plain-text label as text and TeX math segments: "divide by sqrt(d_k)" → text "divide by ", math \\sqrt{d_{k}}."""
    if not text:
        return ()
    if len(text) > _LONGEST or _depth(text) > _DEEPEST:  # no label of the bank; reading it costs more than it gives
        return tuple(prose.label(text))
    items = _items(_tokens(text))
    if items is None:
        return tuple(prose.label(text))
    return tuple(_runs(items))
