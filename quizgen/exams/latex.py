"""LaTeX source of a paper and its key (the ``exam`` class and amsmath), for instructors who edit in LaTeX.

The templates in ``templates/latex/`` use Jinja with delimiters that cannot collide with
TeX (``((* *))`` and ``((( )))``, as nbconvert does). Text is escaped with pylatexenc;
math is the bank's own TeX, which amsmath typesets as written, once it has passed
``is_safe_math``: only math macros and environments of a fixed list, balanced braces, and
none of TeX's ways to make a macro from characters (``^^5c``, ``\\csname``). Any other math
(``\\input``, ``\\write18``, ``\\catcode``...) is printed as its source, in typewriter text. ``compile_pdf`` runs
pdflatex twice (the second pass fills in "page X of Y"; nothing needs a third) with a fixed
date, so its output is reproducible too.
"""

from __future__ import annotations

import datetime
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ..errors import QuizgenError, RenderError
from ..formats import prose
from ..formats.render import RecordEnvironment
from ..outputs import atomic_write_bytes
from ..resources import templates_dir
from .papers import SIZES, times_sign

PDFLATEX_TIMEOUT = 120  # seconds per pass
PDFLATEX_PASSES = 2  # as the sources' headers say: enough for "Page X of Y" (tests/test_exam_latex.py checks it is a fixed point)

# Characters pdflatex's default (OT1) fonts lack, as math; the rest is pylatexenc's defaults.
_MATH_CHARACTERS = {
    "×": r"\ensuremath{\times}", "→": r"\ensuremath{\rightarrow}", "←": r"\ensuremath{\leftarrow}", "·": r"\ensuremath{\cdot}",
    "≈": r"\ensuremath{\approx}", "≤": r"\ensuremath{\leq}", "≥": r"\ensuremath{\geq}", "≠": r"\ensuremath{\neq}",
    "−": r"\ensuremath{-}", "±": r"\ensuremath{\pm}", "∑": r"\ensuremath{\sum}", "√": r"\ensuremath{\surd}",
    "—": "---", "–": "--", "\u201c": "``", "\u201d": "''", "\u2018": "`", "\u2019": "'",
}


@lru_cache(maxsize=1)
def _encoder():
    from pylatexenc.latexencode import RULE_DICT, UnicodeToLatexConversionRule, UnicodeToLatexEncoder

    import logging

    logging.getLogger("pylatexenc").setLevel(logging.ERROR)  # an unknown character becomes '?' here, said in the docs, not logged
    rules = [UnicodeToLatexConversionRule(rule_type=RULE_DICT, rule={ord(c): tex for c, tex in _MATH_CHARACTERS.items()}), "defaults"]
    return (
        UnicodeToLatexEncoder(conversion_rules=rules, replacement_latex_protection="braces-after-macro", unknown_char_policy="replace"),
        UnicodeToLatexEncoder(conversion_rules=rules, non_ascii_only=True, replacement_latex_protection="braces-after-macro", unknown_char_policy="replace"),
    )


_PLAIN = re.compile(r"^[A-Za-z0-9 .,;:!?()'/+=*@<>|-]*$")


@lru_cache(maxsize=16384)
def escape(text: Any) -> str:
    """Plain text as LaTeX: special characters escaped, non-ASCII characters as LaTeX macros.

    pdflatex's fonts (OT1 Computer Modern) compose the Latin letters with accents, and a
    few more (ß, æ, ø, ł); a character of any other script (Arabic, Hebrew, Chinese,
    Devanagari, an emoji) is written '?': it would stop pdflatex, or vanish. The Typst PDFs
    show most of these scripts (docs/exam.md says which).
    """
    text = str(text)
    if _PLAIN.match(text):
        return text
    out = []
    for ascii_run, run in itertools.groupby(text, key=str.isascii):
        chunk = "".join(run)
        out.append(_encoder()[0].unicode_to_latex(chunk) if ascii_run else "".join(_latex_character(c) for c in chunk))
    return "".join(out)


# What a non-ASCII character may become: an accent macro on a letter, a letter macro the
# OT1 fonts have, a dash or quote, or math. Anything else pylatexenc writes (\DH, \k{a},
# \textcyrillic...) is not in the fonts pdflatex uses here.
_OT1 = re.compile(
    r"^(?:(?:\\['`^\"~=.uvHcdbr]\s*\{?)+\\?[A-Za-z]\}*(?:\{\})?|\{?\\(?:ss|ae|AE|oe|OE|o|O|aa|AA|l|L|i|j)\}?(?:\{\})?|---|--|``|''|`|'"
    r"|\\ensuremath\{[^{}]*\}|\\textperiodcentered\{\}|\\S(?:\{\})?|\\P(?:\{\})?)$"
)


@lru_cache(maxsize=4096)
def _latex_character(character: str) -> str:
    if unicodedata.category(character) == "Mn":
        return ""  # a combining mark whose letter pylatexenc could not compose: the letter stays, plain
    encoded = _encoder()[0].unicode_to_latex(character)
    return encoded if encoded != character and _OT1.match(encoded.strip()) else "?"


@lru_cache(maxsize=16384)
def math(tex: str) -> str:
    """The bank's TeX math, with any non-ASCII character spelled as a macro for pdflatex; unsafe math as its source."""
    if not is_safe_math(tex):
        return source_text(tex)
    return tex if tex.isascii() else _encoder()[1].unicode_to_latex(tex)


def source_text(tex: str) -> str:
    """Math shown as what was written, in typewriter text inside math: nothing of it is read as TeX."""
    return r"\text{\ttfamily " + escape(tex) + "}"


# The math a question may hold: what amsmath typesets, and nothing that reads or writes a
# file, defines a macro or changes how TeX reads characters.
_MATH_MACROS = frozenset("""
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi omicron pi varpi rho
    varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
    frac dfrac tfrac sqrt binom dbinom tbinom left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr middle
    sum prod int iint oint lim limsup liminf max min sup inf arg argmax argmin det exp log ln lg sin cos tan cot sec csc
    sinh cosh tanh coth arcsin arccos arctan sgn operatorname limits nolimits displaystyle textstyle scriptstyle
    cdot cdots ldots dots vdots ddots times div pm mp ast star circ bullet odot otimes oplus ominus setminus wedge vee
    cap cup leq le geq ge neq ne approx sim simeq cong equiv propto ll gg prec succ in notin ni subset subseteq supset
    supseteq to rightarrow leftarrow leftrightarrow Rightarrow Leftarrow Leftrightarrow mapsto longrightarrow
    implies iff uparrow downarrow mid parallel perp top bot intercal prime infty partial nabla ell hbar forall exists
    emptyset varnothing neg lnot angle triangle Box
    langle rangle lfloor rfloor lceil rceil lvert rvert lVert rVert vert Vert backslash
    hat bar tilde vec dot ddot breve check acute grave overline underline widehat widetilde overbrace underbrace
    overrightarrow overleftarrow
    mathrm mathit mathbf mathsf mathtt mathcal mathbb mathfrak boldsymbol bm text textrm textit textbf textsf texttt
    textnormal emph quad qquad hline hspace vspace phantom hphantom vphantom mathstrut strut
    begin end
""".split())
_MATH_ENVIRONMENTS = frozenset("matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix array cases aligned gathered split".split())
_CONTROL_SYMBOLS = frozenset(",;:! \\{}_%#&$|'")
_TEX_TOKEN = re.compile(r"\\([A-Za-z]+|.)|\^\^|[{}%#$]|\\$", re.S)
_ENVIRONMENT = re.compile(r"\s*\{([A-Za-z*]+)\}")


@lru_cache(maxsize=16384)
def is_safe_math(tex: str) -> bool:
    """Whether the TeX can only be typeset: every macro and environment known, braces balanced, no ^^, %, # or $."""
    depth = 0
    for token in _TEX_TOKEN.finditer(tex):
        text, name = token.group(), token.group(1)
        if name is None:
            if text == "{":
                depth += 1
            elif text == "}":
                depth -= 1
                if depth < 0:
                    return False
            else:
                return False  # ^^ (a character by its code: ^^5c is a backslash), a comment, a parameter, the end of math
        elif len(name) == 1 and not name.isalpha():
            if name not in _CONTROL_SYMBOLS:
                return False
        elif name not in _MATH_MACROS:
            return False
        elif name in ("begin", "end"):
            environment = _ENVIRONMENT.match(tex, token.end())
            if not environment or environment.group(1) not in _MATH_ENVIRONMENTS:
                return False
    return depth == 0


def segments(items: list[prose.Segment]) -> str:
    """Text escaped, math checked; a size such as 3x3 with a times sign (\\times), as the Typst papers show it."""
    parts = []
    for kind, body in items:
        if kind == "text":
            parts.append(_sized_text(body))
        elif kind == "display":
            parts.append(r"\[ " + math(times_sign(body)) + r" \]")
        else:
            parts.append("$" + math(times_sign(body)) + "$")  # a size in a table's \text{}: 3\ensuremath{\times}3
    return "".join(parts)


def _sized_text(text: str) -> str:
    """Text escaped, each size in it (3x3) as maths: $3 \\times 3$."""
    if "x" not in text:
        return escape(text)
    out, position = [], 0
    for size in SIZES.finditer(text):
        out.append(escape(text[position : size.start()]) + rf"${size.group(1)} \times {size.group(2)}$")
        position = size.end()
    out.append(escape(text[position:]))
    return "".join(out)


@lru_cache(maxsize=1024)
def paragraphs(text: str | None) -> str:
    """Prose as LaTeX (cached: a paper and its key show the same question text, and the exam's instructions recur on every paper)."""
    return "\n\n".join(segments(paragraph) for paragraph in prose.paragraphs(text))


@lru_cache(maxsize=4096)
def label(text: str | None) -> str:
    """A label as LaTeX (cached: step and answer labels recur on every paper)."""
    return segments(prose.label(text))


def step(tex: str) -> str:
    """A worked step, after its label: given values inline on the next line (they wrap), a long chain as align*, else one displayed line."""
    shape, pieces = prose.step_shape(tex)
    if shape == "list":
        return "\\par\\nopagebreak\n" + ", \\quad ".join("$" + math(piece) + "$" for _, piece in pieces)
    if shape == "line":
        return r"\[ " + math(tex) + r" \]"
    lines = [f"{math(pieces[0][1])} &{pieces[1][0]} {math(pieces[1][1])}"]
    lines += [f"&{separator} {math(piece)}" for separator, piece in pieces[2:]]
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def answer_boxes(rounded: Any) -> str:
    """Blank boxes shaped like the answer: one, a row (vector) or a grid (matrix), in brackets."""
    shape = [] if not isinstance(rounded, list) else ([len(rounded), len(rounded[0])] if rounded and isinstance(rounded[0], list) else [len(rounded)])
    box = r"\fbox{\rule{0pt}{0.5cm}\hspace{%s}}"
    if not shape:
        return box % "3cm"
    rows, columns = (1, shape[0]) if len(shape) == 1 else shape
    width = "1.4cm" if columns > 4 else "1.9cm"
    body = r" \\[2pt] ".join(" & ".join([r"\text{" + box % width + "}"] * columns) for _ in range(rows))
    return r"$\left[\begin{array}{" + "c" * columns + "}" + body + r"\end{array}\right]$"


def is_long_answer(rounded: Any) -> bool:
    """A matrix, or a vector of more than four: set on the line under its label (as the Typst paper does)."""
    return isinstance(rounded, list) and bool(rounded) and (isinstance(rounded[0], list) or len(rounded) > 4)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The LaTeX Environment: TeX-safe delimiters, StrictUndefined, filters for text, math and steps."""
    env = RecordEnvironment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "latex")),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(
        escape=escape, math=math, paragraphs=paragraphs, label=label, step=step, boxes=answer_boxes,
        rounded=lambda value: math(prose.rounded_tex(value)),
    )
    env.tests["long_answer"] = is_long_answer
    return env


def render_latex(document: dict[str, Any], mode: str) -> str:
    """The LaTeX source of the paper (mode "paper") or the key (mode "key") of one paper document."""
    from .figure_pdf import figures_for_latex

    template = environment().get_template(f"{mode}.tex.j2")
    questions = [{**q, "latex_figures": figures_for_latex(document, q, "question"), "latex_solution_figures": figures_for_latex(document, q, "solution")} for q in document["questions"]]
    return template.render(exam=document["exam"], paper=document["paper"], questions=questions)


# ---------------------------------------------------------------------------
# Compiling with pdflatex


def pdflatex() -> str:
    """The pdflatex on PATH, or a QuizgenError that says how to get one."""
    found = shutil.which("pdflatex")
    if not found:
        raise QuizgenError("--latex-pdf needs pdflatex on PATH (e.g. apt-get install texlive-latex-base texlive-latex-recommended texlive-latex-extra); the Typst PDFs need no TeX")
    return found


_FIGURE = re.compile(r"\\qzfigure\{[0-9.]+\}\{(figures/[A-Za-z0-9._-]+\.pdf)\}")


def compile_pdf(source: str, target: Path, day: datetime.date | None = None) -> None:
    """Compile LaTeX source to ``target`` with PDFLATEX_PASSES pdflatex passes; a RenderError quotes the first LaTeX error."""
    with tempfile.TemporaryDirectory(prefix="quizgen-latex-") as folder:
        typeset(source, Path(folder), day, target)
        atomic_write_bytes(target, (Path(folder) / "exam.pdf").read_bytes())


def typeset(source: str, folder: Path, day: datetime.date | None = None, target: Path | None = None) -> list[tuple[str, bytes]]:
    """Run pdflatex PDFLATEX_PASSES times on ``source`` as ``folder``/exam.tex; each pass's log and the .aux it wrote.

    The sources' headers say "compile with pdflatex twice": after two passes every page
    reference ("Page X of Y", the last page's footer, the key's table widths) has its final
    value, so the .aux of the second pass is that of the first and the log asks for no rerun.
    """
    program = pdflatex()
    name = (target or Path("exam.pdf")).name
    epoch = int(datetime.datetime(*(day.timetuple()[:3] if day else (2000, 1, 1)), tzinfo=datetime.timezone.utc).timestamp())
    # Paranoid file access (kpathsea): TeX may read and write only in its own folder, which
    # holds nothing but this build's source; no shell escape, whatever the TeX installation says.
    environment_variables = {
        **os.environ, "SOURCE_DATE_EPOCH": str(epoch), "FORCE_SOURCE_DATE": "1",
        "openin_any": "p", "openout_any": "p", "shell_escape": "f",
    }
    (folder / "exam.tex").write_text(source, encoding="utf-8")
    from .figure_pdf import provide

    for figure in sorted(set(_FIGURE.findall(source))):  # the figures' PDFs: written beside the .tex, or drawn again
        provide(figure, target.parent if target else folder, folder)
    passes = []
    for _ in range(PDFLATEX_PASSES):
        try:
            result = subprocess.run(
                [program, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "exam.tex"],
                cwd=folder, env=environment_variables, stdin=subprocess.DEVNULL, capture_output=True, timeout=PDFLATEX_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise RenderError(f"{name}: pdflatex took longer than {PDFLATEX_TIMEOUT} s") from None
        log = result.stdout.decode("utf-8", "replace")
        if result.returncode != 0:
            error = re.search(r"^! (.*)$", log, re.M)
            raise RenderError(f"{name}: pdflatex failed: {error.group(1) if error else 'see the LaTeX log'} (source: {Path(name).with_suffix('.tex').name})")
        passes.append((log, (folder / "exam.aux").read_bytes()))
    return passes
