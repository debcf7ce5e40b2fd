"""TeX math (as the bank writes it) to Typst math, for the Typst papers and keys.

PyPI's ``tex2typst`` does the conversion; ``tex_to_typst`` only patches its known gaps
(``\\lVert``/``\\rVert``, ``\\limits``, ``\\hline``, a space printed between
``\\text{f}`` and its bracket). tex2typst runs a JavaScript engine and
costs milliseconds per snippet, growing with length, while an exam batch converts
thousands of snippets that differ only in their numbers. So every number (and every
matrix of numbers, and every bracketed number) is first replaced by a numbered
placeholder and the conversion is cached on that shape: the formula of one template is
converted once, whatever its numbers, their signs or its matrices' sizes, and the
conversions are kept between runs (quizgen.cache).

The template evaluates this Typst as math (``eval(code, mode: "math")``), and math from a
shared bank is someone else's text. So every conversion is checked by ``is_safe_math``
before it leaves here: Typst code starts with ``#`` (in math mode, names reach only the
math module: no ``read``, no ``eval``), so no ``#`` may stand outside a string but before a
plain value (``#none``), and nothing may hide one from the check (comments, raw text, an
unterminated string). Math that fails the check, or that tex2typst cannot convert, is shown
as its TeX source, a Typst string: visible text, never code.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..cache import Store
from ..errors import RenderError
from .typst_names import MATH_NAMES

# Known gaps of tex2typst: norms become \left\| ... \right\| (Typst's norm()), \limits
# is dropped (Typst places sum limits itself in display math), \hline has no Typst
# counterpart inside a matrix.
_GAPS = [
    (re.compile(r"(?:\\left\s*)?\\lVert(?![A-Za-z])"), r"\\left\\|"),
    (re.compile(r"(?:\\right\s*)?\\rVert(?![A-Za-z])"), r"\\right\\|"),
    (re.compile(r"\\(?:no)?limits(?![A-Za-z])"), ""),
    (re.compile(r"\\hline(?![A-Za-z])"), ""),
]

# What is swapped for a placeholder before converting, so that the shape, not the numbers,
# is what gets converted (and cached):
# - a matrix of plain numbers, whole: the Typst matrix is written here (its size would
#   otherwise make a new shape, and its cells are most of the conversion's work);
# - a bracketed number, \left(-3\right), where it follows an operator or a bracket (its
#   sign would otherwise make a new shape: steps bracket negative numbers only);
# - a plain number: not right after _ or ^ without braces (x_12 is x_1 then 2 in TeX) and
#   not right after a control word (\frac12). A minus sign belongs to the number where it
#   cannot be a subtraction (after an opening bracket, a comma, a matrix cell or row, a
#   relation, or at the start).
# Groups whose letters and digits are text, not math, are left untouched.
_NUMERAL = r"-?\s*\d+(?:\.\d+)?"
_SWAPPABLE = re.compile(
    r"(?P<matrix>\\begin\{(?P<delim>[bp])matrix\}\s*(?P<cells>" + _NUMERAL + r"(?:\s*(?:&|\\\\)\s*" + _NUMERAL + r")*)\s*\\end\{(?P=delim)matrix\})"
    r"|(?:(?<=^)|(?<=\\cdot)|(?<=\\times)|(?<=[-+=({,&]))(?P<space>\s*)\\left\(\s*(?P<bracketed>" + _NUMERAL + r")\s*\\right\)"
    r"|(?P<text>\\(?:text|mathrm|mathit|mathbf|operatorname|textbf|textit|begin|end)\s*\{[^{}]*\})"
    r"|(?:(?<=^)|(?<=[({\[,&=])|(?<=\\\\)|(?<=bmatrix\})|(?<=pmatrix\}))(?P<signed>\s*-\s*\d+(?:\.\d+)?)(?![\d])"
    r"|(?<![_^\\A-Za-z\d.])(?P<plain>\d+(?:\.\d+)?)(?![\d])"
)
_PLACEHOLDER = re.compile(r'"qzq(\d+)q"( (?=[,(]))?')  # tex2typst spaces text, not numbers, before a comma or bracket


def _placeholder(k: int) -> str:
    """The TeX that stands for swapped part k: a text tex2typst keeps as "qzq<k>q"."""
    return r"\text{qzq%dq}" % k


@lru_cache(maxsize=16384)
def tex_to_typst(tex: str) -> str:
    """Typst math for TeX math (no $ delimiters): safe to evaluate, or the TeX itself as a Typst string.

    Cached whole: a paper and its key share most snippets, and labels recur on every paper.
    Otherwise only the numbers are put back into the shape's conversion, which is cached.
    """
    try:
        return convert_or_fail(tex)
    except RenderError:
        return typst_string(tex)


def convert_or_fail(tex: str) -> str:
    """Typst math for TeX math, or a RenderError saying why it would be shown as its source (``validate``)."""
    if len(tex) > MAX_MATH:
        raise RenderError(f"math longer than {MAX_MATH} characters")
    code = _tex_to_typst(tex)
    reason = unsafe_part(code)
    if reason:
        raise RenderError(f"math '{tex}' becomes Typst with {reason}, not only math: papers show it as its TeX source")
    return code


MAX_MATH = 20_000  # characters of TeX in one snippet: longer is no formula of a question

# The only code a conversion may hold: a plain value after '#', where Typst wants one
# (mat(delim: #none, align: #center, ...)).
_SAFE_HASH = re.compile(r"#(?:none|auto|true|false|left|right|center|start|end|top|bottom|horizon)(?![\w.(\[{\"])")
_NAMED_ARGUMENTS = frozenset({"delim", "align", "gap", "augment", "size"})  # keys of mat(), lr(), cases()
_MATH_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"|\\u\{[0-9A-Fa-f]{1,6}\}|\\.|//|/\*|[#$`"]'
    r"|(?P<name>[^\W\d_][^\W_]*)(?:\.[^\W\d_][^\W_]*)*(?P<key>\s*:(?!=))?",  # a name, its modifiers (arrow.r.long)
    re.S,
)


def is_safe_math(code: str) -> bool:
    """Whether Typst, evaluating ``code`` as math, can only typeset it: no code, nothing that hides code.

    Read as Typst's math lexer reads it: a string runs to its closing quote (with \\\\ and
    \\" escapes), a backslash escapes the next character. Outside strings a comment
    (// or /*), raw text (`), a '$' or a lone quote could make Typst read what follows
    differently from this check, so they are refused with every '#' but a plain value.
    A name of two or more letters must be one of Typst's math module (``alpha``, ``frac``):
    any other would stop the compile as an unknown variable.
    """
    return unsafe_part(code) is None


def unsafe_part(code: str) -> str | None:
    """What makes ``code`` more than math (is_safe_math), described for an author; None if nothing."""
    position = 0
    while token := _MATH_TOKEN.search(code, position):
        position = token.end()
        text = token.group()
        name = token.group("name")
        if name is not None:
            if len(name) == 1 or (token.group("key") and name in _NAMED_ARGUMENTS):
                continue
            if name in MATH_NAMES:
                continue
            return f"the name '{name}', which Typst's math does not know"
        if text[0] == '"' and len(text) > 1 and text.endswith('"'):
            continue  # a whole string: text
        if text[0] == "\\":
            continue  # an escaped character
        if text == "#":
            value = _SAFE_HASH.match(code, token.start())
            if value:
                position = value.end()
                continue
            return "Typst code ('#')"
        return {"//": "a comment ('//')", "/*": "a comment ('/*')", "`": "raw text ('`')", "$": "a '$'"}.get(text, "an unterminated string")
    return None


def typst_string(text: str) -> str:
    """A Typst string literal: shown in math as the text itself, upright, whatever it holds."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tex_to_typst(tex: str) -> str:
    tex = fix_gaps(tex)
    if not tex:
        return ""
    shape, parts = _placeholders(tex)
    converted = _shape_to_typst(shape)
    if converted is None:  # a piece came back rearranged: convert as written
        return "".join(joint + _text_before_brackets(_convert(piece)) for joint, piece in _split_top(tex))
    if not parts:
        return _text_before_brackets(converted)
    return _text_before_brackets(_PLACEHOLDER.sub(lambda m: _restore(parts[int(m.group(1))], converted, m), converted))


_SHAPE_PLACEHOLDER = re.compile(r"\\text\{qzq(\d+)q\}")
_QUOTED_PLACEHOLDER = re.compile(r'"qzq(\d+)q"')


@lru_cache(maxsize=8192)
def _shape_to_typst(shape: str) -> str | None:
    """A shape's Typst, its placeholders kept (None if tex2typst moved one).

    A long shape is converted piece by piece, split where '=', '+', ',' or '\\approx' stand
    outside every bracket, each piece with its placeholders numbered from 0: pieces recur far
    more often than whole snippets (a product in a sum of any length), and conversion costs
    grow with length.
    """
    out = []
    for joint, piece in _split_top(shape):
        numbers = [int(n) for n in _SHAPE_PLACEHOLDER.findall(piece)]
        local = iter(range(len(numbers)))
        converted = _convert(_SHAPE_PLACEHOLDER.sub(lambda m: _placeholder(next(local)), piece))
        if sorted(int(n) for n in _QUOTED_PLACEHOLDER.findall(converted)) != list(range(len(numbers))):
            return None
        out.append(joint + _QUOTED_PLACEHOLDER.sub(lambda m: '"qzq%dq"' % numbers[int(m.group(1))], converted))
    return "".join(out)


# Where a snippet may be split: the separators, as Typst writes them between two pieces, and
# what nests (a separator inside any of these stays in its piece).
_JOINTS = {"=": " = ", "+": " + ", ",": ", ", r"\approx": " approx "}
_SPLIT_TOKEN = re.compile(
    r"(?P<open>\\left(?![A-Za-z])|\\begin(?![A-Za-z])|[{(\[])|(?P<close>\\right(?![A-Za-z])|\\end(?![A-Za-z])|[})\]])"
    r"|(?P<joint>=|\+|,|\\approx(?![A-Za-z]))|\\[^A-Za-z]|\\[A-Za-z]+"
)


def _split_top(tex: str) -> list[tuple[str, str]]:
    """[(joint before, piece), ...]: the snippet cut at separators outside brackets (a snippet too short to gain: whole)."""
    if len(tex) < 40:
        return [("", tex)]
    pieces: list[tuple[str, str]] = []
    depth, start, joint = 0, 0, ""
    for token in _SPLIT_TOKEN.finditer(tex):
        kind = token.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "joint" and depth == 0 and tex[token.start() - 1 : token.start()] not in ("^", "_"):
            pieces.append((joint, tex[start : token.start()].strip()))
            joint, start = _JOINTS[token.group()], token.end()
    pieces.append((joint, tex[start:].strip()))
    if depth != 0 or not all(piece for _, piece in pieces):
        return [("", tex)]  # unbalanced, or a separator at an end: not worth the risk
    return pieces


def _text_before_brackets(code: str) -> str:
    """'"LayerNorm" (u)' → '"LayerNorm"(u)': in Typst a space after text is printed, unlike TeX's \\text{LayerNorm}(u)."""
    if '" (' not in code:
        return code
    out, inside, i = [], False, 0
    while i < len(code):
        character = code[i]
        out.append(character)
        if character == "\\" and inside:
            out.append(code[i + 1 : i + 2])
            i += 2
            continue
        if character == '"':
            inside = not inside
            if not inside and code.startswith(" (", i + 1):
                i += 1  # skip the space
        i += 1
    return "".join(out)


def fix_gaps(tex: str) -> str:
    """The TeX with what tex2typst does not know rewritten (norms, bars) or dropped (\\limits, \\hline)."""
    if "Vert" in tex or "limits" in tex or "hline" in tex:  # most snippets have none of them
        for pattern, replacement in _GAPS:
            tex = pattern.sub(replacement, tex)
    if "|" in tex:
        tex = pair_bars(tex)
    return tex.strip()


# A bar as TeX writes it: already paired (\left| \right\|), a row break (\\), a norm's
# double bar (\|), a control word (\mid) or a bare bar; braces count the group it is in.
_BAR = re.compile(r"\\(?:left|right)\s*\\?\||\\\\|\\\||\\[A-Za-z]+|\\.|[{}|]")


def pair_bars(tex: str) -> str:
    """|x| as \\left| x \\right| and \\|x\\| as \\left\\| x \\right\\|: Typst's lr() and norm(), whose bars hug what they enclose.

    tex2typst keeps bare bars as loose symbols (| W_(x h) |, bar.v.double). Bars are paired
    in order, each pair within one group; a snippet whose bars do not pair so is left as written.
    """
    bars: dict[str, list[tuple[int, int]]] = {"|": [], "\\|": []}
    depth = 0
    for token in _BAR.finditer(tex):
        text = token.group()
        if text == "{":
            depth += 1
        elif text == "}":
            depth -= 1
        elif text in bars:
            bars[text].append((token.start(), depth))
    edits = []
    for bar, found in bars.items():
        if len(found) % 2 or any(found[i][1] != found[i + 1][1] for i in range(0, len(found), 2)):
            continue
        edits += [(start, bar, "\\left" if i % 2 == 0 else "\\right") for i, (start, _) in enumerate(found)]
    for start, bar, side in sorted(edits, reverse=True):
        tex = tex[:start] + side + bar + tex[start + len(bar) :]
    return tex


def convert_as_written(tex: str) -> str:
    """The conversion without number placeholders (slower; the tests compare both)."""
    return _text_before_brackets(_convert(fix_gaps(tex)))


def _placeholders(tex: str) -> tuple[str, list[tuple[str, str]]]:
    """The snippet with each swappable part replaced by \\text{qzq<k>q}, and the parts: (kind, Typst code)."""
    parts: list[tuple[str, str]] = []

    def swap(match: re.Match) -> str:
        if match.group("text") is not None:
            return match.group(0)
        if match.group("matrix") is not None:
            rows = [", ".join(cell.replace(" ", "").strip() for cell in row.split("&")) for row in match.group("cells").split("\\\\")]
            parts.append(("matrix", ("mat(delim: \"[\", " if match.group("delim") == "b" else "mat(") + "; ".join(rows) + ")"))
            return _placeholder(len(parts) - 1)
        if match.group("bracketed") is not None:
            parts.append(("bracketed", "(" + match.group("bracketed").replace(" ", "") + ")"))
            return match.group("space") + _placeholder(len(parts) - 1)
        number = match.group("signed") or match.group("plain")
        leading = number[: len(number) - len(number.lstrip())]
        parts.append(("number", number.strip().replace(" ", "")))
        return leading + _placeholder(len(parts) - 1)

    return _SWAPPABLE.sub(swap, tex), parts


def _restore(part: tuple[str, str], converted: str, match: re.Match) -> str:
    """A swapped part back in place of its placeholder, written as tex2typst writes it there.

    A negative number in an atom's place keeps brackets (x^(-1), (-1)/2, (-0.5)^2); a
    bracketed number or a matrix gets brackets around it there (x^((-1)), (mat(1, 2))/2), as
    tex2typst writes any group; a number is followed directly by a
    comma or a bracket (4(a + b)), except after ^, _ or / where tex2typst separates the atom
    from what follows (1/2 (a + b)).
    """
    kind, code = part
    before = converted[match.start() - 1 : match.start()]
    after = converted[match.end() : match.end() + 1]
    attached = before in ("^", "_", "/")
    if kind != "number" and (attached or after == "/"):
        code = f"({code})"
    elif kind == "number" and code.startswith("-") and (attached or after in ("^", "_", "/")):
        code = f"({code})"
    space = match.group(2) or ""
    return code + (space if attached and after == "(" else "")


@lru_cache(maxsize=8192)
def _convert(tex: str) -> str:
    """tex2typst's conversion, kept between runs (quizgen.cache): the shapes recur in every build."""
    store = _store()
    converted = store.get(tex)
    if converted is None:
        import tex2typst

        try:
            converted = tex2typst.tex2typst(tex)
        except Exception as error:  # the JavaScript engine reports any parse failure as one kind
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise RenderError(f"cannot convert TeX math to Typst: '{tex}' ({reason.removeprefix('Conversion failed: ')})") from None
        store.put(tex, converted)
    return converted


@lru_cache(maxsize=1)
def _store() -> Store:
    """The store of this tex2typst version's conversions (another version starts a new one)."""
    import tex2typst

    return Store(f"tex2typst-{tex2typst.__version__}")


def save_conversions() -> None:
    """Keep this run's new conversions for the next run (called at the end of a build)."""
    _store().save()
