"""TeX math (as the bank writes it) to Typst math, for the Typst papers and keys.

PyPI's ``tex2typst`` does the conversion; ``tex_to_typst`` only patches its known gaps
(``\\lVert``/``\\rVert``, ``\\limits``, ``\\hline``, a space printed between
``\\text{f}`` and its bracket). tex2typst runs a JavaScript engine and
costs milliseconds per snippet, growing with length, while an exam batch converts
thousands of snippets that differ only in their numbers. So every plain number is first
replaced by a numbered placeholder and the conversion is cached on that shape: the
formula of one template is converted once per process, whatever its numbers are.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import RenderError

# Known gaps of tex2typst: norms become \left\| ... \right\| (Typst's norm()), \limits
# is dropped (Typst places sum limits itself in display math), \hline has no Typst
# counterpart inside a matrix.
_GAPS = [
    (re.compile(r"(?:\\left\s*)?\\lVert(?![A-Za-z])"), r"\\left\\|"),
    (re.compile(r"(?:\\right\s*)?\\rVert(?![A-Za-z])"), r"\\right\\|"),
    (re.compile(r"\\(?:no)?limits(?![A-Za-z])"), ""),
    (re.compile(r"\\hline(?![A-Za-z])"), ""),
]

# A number that may be swapped for a placeholder: not right after _ or ^ without braces
# (x_12 is x_1 then 2 in TeX) and not right after a control word (\frac12). A minus sign
# belongs to the number where it cannot be a subtraction (after an opening bracket, a
# comma, a matrix cell or row, a relation, or at the start).
_NUMBER = re.compile(r"(?:(?<=^)|(?<=[({\[,&=])|(?<=\\\\)|(?<=bmatrix\})|(?<=pmatrix\}))(\s*-\s*\d+(?:\.\d+)?)(?![\d])|(?<![_^\\A-Za-z\d.])(\d+(?:\.\d+)?)(?![\d])")
# Groups whose letters and digits are text, not math: left untouched.
_TEXT_GROUP = re.compile(r"\\(?:text|mathrm|mathit|mathbf|operatorname|textbf|textit|begin|end)\s*\{[^{}]*\}")
_PLACEHOLDER = re.compile(r'"qzq(\d+)q"( (?=[,(]))?')  # tex2typst spaces text, not numbers, before a comma or bracket


@lru_cache(maxsize=16384)
def tex_to_typst(tex: str) -> str:
    """Typst math for TeX math (no $ delimiters); a RenderError names the snippet it cannot convert.

    Cached whole: a paper and its key share most snippets, and labels recur on every paper.
    """
    tex = fix_gaps(tex)
    if not tex:
        return ""
    shape, numbers = _placeholders(tex)
    if numbers:
        converted = _convert(shape)
        found = [int(m.group(1)) for m in _PLACEHOLDER.finditer(converted)]
        if sorted(found) == list(range(len(numbers))):
            return _text_before_brackets(_PLACEHOLDER.sub(lambda m: _number(numbers[int(m.group(1))], converted, m), converted))
    return _text_before_brackets(_convert(tex))  # no numbers, or the shape came back rearranged: convert as written


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
    """The TeX with what tex2typst does not know rewritten (norms) or dropped (\\limits, \\hline)."""
    for pattern, replacement in _GAPS:
        tex = pattern.sub(replacement, tex)
    return tex.strip()


def convert_as_written(tex: str) -> str:
    """The conversion without number placeholders (slower; the tests compare both)."""
    return _text_before_brackets(_convert(fix_gaps(tex)))


def _placeholders(tex: str) -> tuple[str, list[str]]:
    """The snippet with each plain number replaced by \\text{qzq<k>q}, and the numbers."""
    numbers: list[str] = []

    def swap(match: re.Match) -> str:
        if match.group(1) is not None:
            leading = match.group(1)[: len(match.group(1)) - len(match.group(1).lstrip())]
            numbers.append(match.group(1).strip().replace(" ", ""))
            return leading + r"\text{qzq%dq}" % (len(numbers) - 1)
        numbers.append(match.group(2))
        return r"\text{qzq%dq}" % (len(numbers) - 1)

    parts, position = [], 0
    for group in _TEXT_GROUP.finditer(tex):
        parts.append(_NUMBER.sub(swap, tex[position : group.start()]))
        parts.append(group.group(0))
        position = group.end()
    parts.append(_NUMBER.sub(swap, tex[position:]))
    return "".join(parts), numbers


def _number(number: str, converted: str, match: re.Match) -> str:
    """The number back in place of its placeholder, written as tex2typst writes a number there.

    A negative number in an atom's place keeps brackets (x^(-1), (-1)/2, (-0.5)^2); a
    number is followed directly by a comma or a bracket (4(a + b)), except after ^, _
    or / where tex2typst separates the atom from what follows (1/2 (a + b)).
    """
    before = converted[match.start() - 1 : match.start()]
    after = converted[match.end() : match.end() + 1]
    attached = before in ("^", "_", "/")
    if number.startswith("-") and (attached or after in ("^", "_", "/")):
        number = f"({number})"
    space = match.group(2) or ""
    return number + (space if attached and after == "(" else "")


@lru_cache(maxsize=8192)
def _convert(tex: str) -> str:
    import tex2typst

    try:
        return tex2typst.tex2typst(tex)
    except Exception as error:  # the JavaScript engine reports any parse failure as one kind
        raise RenderError(f"cannot convert TeX math to Typst: '{tex}' ({error})") from None
