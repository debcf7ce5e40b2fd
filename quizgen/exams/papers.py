"""Paper and key PDFs with Typst (PyPI's ``typst``: the compiler is inside the wheel, no TeX needed).

One static template, ``templates/typst/exam.typ``, receives the paper as JSON through
``sys_inputs``: prose is split here into text and math segments, and TeX math is
converted to Typst math (``quizgen.exams.texmath``), so the template shows text as plain
strings and never has to escape anything. Fonts are the ones bundled with typst (New
Computer Modern) and system fonts are ignored, and the PDF's timestamp is fixed (the
exam's date), so the same paper gives the same bytes on any machine.
"""

from __future__ import annotations

import datetime
import json
import re
from functools import lru_cache
from typing import Any

from ..errors import RenderError
from ..formats import prose
from ..formats.prose import rounded_tex
from ..resources import templates_dir
from .captions import caption
from .texmath import tex_to_typst

_FIXED_TIME = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


# ---------------------------------------------------------------------------
# From the paper document (quizgen.exams.spec.paper_document) to the template's data


_MATRIX = re.compile(r'mat\(delim: "\[", ([^()]*)\)')
# Characters of Typst math (a matrix counted by its longest row) worth measuring against the
# line. Measured over the bank's steps, a character takes at most ~1.2% of the line, so
# below 70 an equation fits (measuring is slow: it lays the equation out twice).
_MAY_BE_WIDE = 70


def may_be_wide(code: str) -> bool:
    """Whether a displayed equation might not fit the line: only those are measured (and shrunk), which is slow."""
    narrow = _MATRIX.sub(lambda m: max(m.group(1).split(";"), key=len), code)
    return max(len(line.replace(" ", "")) for line in narrow.split("\\\n")) > _MAY_BE_WIDE


# The key's summary table leaves an answer at least ~5.3 cm (with the bank's longest template
# id beside it); a digit of an answer takes ~0.19 cm, so an answer up to 22 characters
# wide (its columns' widest entries, plus one for each gap between them) fits unmeasured.
_SUMMARY_FITS = 22


def answer_width(code: str) -> int:
    """Characters across an answer's Typst math: a matrix by its columns' widest entries, one more per column for the gap."""
    match = _MATRIX.fullmatch(code)
    if not match:
        return len(code.replace(" ", ""))
    rows = [[cell.strip() for cell in row.split(",")] for row in match.group(1).split(";")]
    columns = max(len(row) for row in rows)
    return sum(max(len(row[j]) for row in rows if j < len(row)) + 1 for j in range(columns))


_TALL = re.compile(r"/|sqrt\(|root\(|mat\(|frac\(|sum_|prod_|binom\(")


def is_tall(code: str) -> bool:
    """Whether inline math stands taller than a line (fractions, roots, sums, matrices): its lines are spaced by its real height."""
    return bool(_TALL.search(code))


# Inline math up to this many characters across (a name counted as one) is kept on one line:
# half a line of text, so a line it would cross is left short by less than half.
_KEEP_TOGETHER = 40
_NAME = re.compile(r"[A-Za-z]{2,}(?:\.[A-Za-z]+)*")


def keep_together(code: str) -> bool:
    """Whether inline math is short enough to keep on one line (a line break inside "θ_t − η m̂" misleads)."""
    return len(_NAME.sub("x", code).replace(" ", "")) <= _KEEP_TOGETHER


_FRACTION_TOKEN = re.compile(r"\\frac(?![A-Za-z])|\\[A-Za-z]+|\\.|[{}^_]|\S")


def full_size_fractions(tex: str) -> str:
    """Inline TeX with its outermost fractions as \\dfrac (not those in a script or in another fraction).

    tex2typst writes \\dfrac as frac(a, b), which ``inline_fractions`` then sets at full size:
    a text-size fraction in a line of text is too small to read.
    """
    if "\\frac" not in tex:
        return tex
    out, position = [], 0
    groups: list[bool] = []  # per open brace: inside a script or a fraction's argument?
    script, arguments = False, 0
    for token in _FRACTION_TOKEN.finditer(tex):
        text = token.group()
        if text == "{":
            inner = script or arguments > 0
            if arguments > 0:
                arguments -= 1
            groups.append(inner or (bool(groups) and groups[-1]))
            script = False
        elif text == "}":
            if groups:
                groups.pop()
        elif text in "^_":
            script = True
        elif text == "\\frac":
            if not script and not (groups and groups[-1]):
                out.append(tex[position : token.start()] + "\\dfrac")
                position = token.end()
            arguments, script = 2, False
        else:
            script = False
    out.append(tex[position:])
    return "".join(out)


_FRAC_CALL = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![\w.])frac\(|[()]')


def inline_fractions(code: str) -> str:
    """Typst math with each frac(a, b) set in display size: display(frac(a, b))."""
    if "frac(" not in code:
        return code
    out, position, depth, closing = [], 0, 0, []
    for token in _FRAC_CALL.finditer(code):
        text = token.group()
        if text == "frac(":
            out.append(code[position : token.start()] + "display(frac(")
            position = token.end()
            closing.append(depth)
            depth += 1
        elif text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
            if closing and closing[-1] == depth:
                closing.pop()
                out.append(code[position : token.end()] + ")")
                position = token.end()
    out.append(code[position:])
    return "".join(out) if not closing else code


def _inline(tex: str, fractions: bool = True) -> str:
    """Typst math for inline TeX: its outer fractions at full size (``fractions``)."""
    if not fractions:
        return tex_to_typst(tex)
    return inline_fractions(tex_to_typst(full_size_fractions(tex)))


SIZES = re.compile(r"(?<![\w.])(\d+)x(\d+)(?![\w.])")  # "max pool 2x2", in text or a table's \text{}: a times sign, 2×2


def times_sign(body: str) -> str:
    """Sizes written "3x3" (a kernel, a pooling window) with a times sign, 3×3: the Typst papers and the LaTeX sources alike."""
    return SIZES.sub("\\1\u00d7\\2", body) if "x" in body else body


def _segments(segments: list[prose.Segment], keep: frozenset[str] = frozenset(), fractions: bool = True) -> list[dict[str, Any]]:
    """{"t": text} or {"m": Typst math, "b": displayed?, "w": may be too wide?, "h": tall inline math?, "k": kept on one line?}.

    What the template's ``inline`` shows; ``keep``: the numbers whose trailing zeros stay (``unpadded``).
    """
    result: list[dict[str, Any]] = []
    for kind, body in segments:
        body = times_sign(body)
        if kind == "text":
            result.append({"t": body})
        elif kind == "display":
            code = tex_to_typst(unpadded(body, keep))
            result.append({"m": code, "b": True, "w": may_be_wide(code), "h": False, "k": False})
        else:
            code = _inline(unpadded(body, keep), fractions)
            result.append({"m": code, "b": False, "w": False, "h": is_tall(code), "k": keep_together(code)})
    return result


@lru_cache(maxsize=256)
def paragraphs(text: str | None, keep: frozenset[str] = frozenset(), fractions: bool = True) -> list[list[dict[str, Any]]]:
    """Prose as the template's segments (shared between calls: read-only); a paper and its key show the same text.

    ``fractions``: inline fractions at full size; an answer sheet keeps them small, so its
    pages (and the grids the scan reader finds) stay where they were laid out.
    """
    return [_segments(paragraph, keep, fractions) for paragraph in prose.paragraphs(text)]


@lru_cache(maxsize=4096)
def label(text: str | None) -> list[dict[str, Any]]:
    """A label's segments, its maths typeset (quizgen.exams.captions; shared between calls: read-only); labels recur on every paper."""
    return _segments(list(caption(text)))


# ---------------------------------------------------------------------------
# Trailing zeros: an answer keeps the digits its question asks for; any other number is
# shown as the number it is (0.19, not 0.190000, where a template rounds a factor to 6
# significant figures), except a rounded result (after \approx), whose zeros are digits.

_PADDED = re.compile(r"(?<![\w.\\])(-?\d+)\.(\d*?)0+(?![\d.])")
_APPROXIMATED = re.compile(r"\\approx(?![A-Za-z])(.*?)(?=\\approx(?![A-Za-z])|=|$)", re.DOTALL)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _flat(value: Any):
    if isinstance(value, list):
        for item in value:
            yield from _flat(item)
    else:
        yield str(value)


def kept_digits(question: dict[str, Any]) -> frozenset[str]:
    """The numbers of a question shown with every digit: its answers' rounded values and the rounded results of its steps."""
    kept = {number.lstrip("-") for answer in question["answers"] for number in _flat(answer["rounded"])}
    for step in question["steps"]:
        for match in _APPROXIMATED.finditer(step["tex"]):
            kept.update(number.lstrip("-") for number in _NUMBER.findall(match.group(1)))
    return frozenset(kept)


def unpadded(tex: str, keep: frozenset[str]) -> str:
    """TeX math with the trailing zeros of its decimals dropped (0.190000 → 0.19, 2.0 → 2), except those of ``keep``."""
    if "0" not in tex or "." not in tex:
        return tex

    def trim(match: re.Match) -> str:
        if match.group().lstrip("-") in keep:
            return match.group()
        whole, fraction = match.group(1), match.group(2)
        number = f"{whole}.{fraction}" if fraction else whole
        return "0" if number == "-0" else number

    return _PADDED.sub(trim, tex)


def step_data(step: dict[str, str], keep: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A worked step: given values flow and wrap; a long chain of equalities gets one relation per aligned line."""
    tex = unpadded(step["tex"], keep)
    shape, pieces = prose.step_shape(tex)
    if shape == "list":
        return {"label": label(step["label"]), "list": True, "items": [tex_to_typst(piece) for _, piece in pieces]}
    if shape == "line":
        code = tex_to_typst(tex)
        return {"label": label(step["label"]), "list": False, "math": code, "wide": may_be_wide(code)}
    relation = {"=": "=", r"\approx": "approx"}
    lines = [f"{tex_to_typst(pieces[0][1])} &{relation[pieces[1][0]]} {tex_to_typst(pieces[1][1])}"]
    lines += [f"&{relation[separator]} {tex_to_typst(piece)}" for separator, piece in pieces[2:]]
    code = " \\\n".join(lines)
    return {"label": label(step["label"]), "list": False, "math": code, "wide": may_be_wide(code)}


def _empty_grid(grid: dict[str, Any] | None) -> dict[str, Any] | None:
    """A digit grid as the paper draws it: its size only (the bubbles the key fills stay out of the paper's data)."""
    return None if grid is None else {k: grid[k] for k in ("signed", "integers", "decimals")}


def shape_of(value: Any) -> list[int]:
    """[] for a number, [n] for a vector, [rows, columns] for a matrix: the answer boxes to draw."""
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return [len(value), len(value[0])]
        return [len(value)]
    return []


def _answer(answer: dict[str, Any], question: dict[str, Any]) -> dict[str, Any]:
    """An answer as the key shows it: the rounded value as Typst math (or text), its rounding and tolerance."""
    data = {k: answer[k] for k in ("kind", "option", "unit", "rounding", "tolerance")}
    data["label"] = label(answer["label"])
    data["text"] = None
    if answer["kind"] == "matching":
        data["text"] = ",  ".join(f"{i + 1} → {pair['label']}" for i, pair in enumerate(question["matching"]["key"]))
        data["math"] = ""
    elif answer["kind"] == "choice":  # a concept's option: text, which wraps in the key's narrow summary column
        data["text"] = answer["rounded"]
        data["math"] = ""
    else:
        data["math"] = tex_to_typst(rounded_tex(answer["rounded"]))
    data["shape"] = shape_of(answer["rounded"])
    data["grid"] = answer.get("grid")
    data["wide"] = bool(data["shape"]) and answer_width(data["math"]) > _SUMMARY_FITS  # shrunk to the summary's column if need be
    return data


MAX_FIGURE_WIDTH = 430.0  # points: a figure never runs past the text width of an A4 page
MAX_FIGURE_HEIGHT = 300.0  # points: nor takes more than about half of its height


def figures_data(question: dict[str, Any], part: str) -> list[dict[str, Any]]:
    """A question's figures for ``part``: the SVG, its width in points (96 px to 72 pt, at most the text width), caption and alt."""
    return [
        {"svg": f[part]["svg"], "caption": f["caption"], "alt": f["alt"],
         "width": min(f[part]["width"] * 0.75, MAX_FIGURE_WIDTH, MAX_FIGURE_HEIGHT * f[part]["width"] / f[part]["height"])}
        for f in question.get("figures", []) if part in f
    ]


def typst_data(document: dict[str, Any], mode: str) -> dict[str, Any]:
    """The JSON the Typst template reads: the paper document with prose split and math converted."""
    exam, paper = document["exam"], document["paper"]
    digits = exam["id_digits"]
    key = paper["key"] if paper["kind"] == "student" else ""
    sheet = "sheet" in document and mode == "paper"
    questions = []
    for q in document["questions"]:
        keep = kept_digits(q)
        question = {
            "number": q["number"], "points": q["points"], "code": q["code"], "template": q["template"],
            "kind": q["kind"], "working_space": q["working_space"], "text": paragraphs(q["text"], keep, not sheet),
            "figures": figures_data(q, "question"),
        }
        if mode == "paper":  # the paper's data holds no answer: only what the answer boxes need
            question["options"] = [{"label": o["label"], "math": tex_to_typst(o["tex"])} for o in q["options"]]
            question["matching"] = q["matching"] and {k: v for k, v in q["matching"].items() if k != "key"}
            question["answers"] = [
                {"label": label(a["label"]), "unit": a["unit"], "shape": shape_of(a["rounded"]), "grid": _empty_grid(a.get("grid"))} for a in q["answers"]
            ]
        else:
            question["options"] = [{"label": o["label"], "correct": o["correct"], "mistake_label": label(o["mistake_label"]), "math": tex_to_typst(o["tex"])} for o in q["options"]]
            question["matching"] = q["matching"]
            question["answers"] = [_answer(a, q) for a in q["answers"]]
            question["steps"] = [step_data(s, keep) for s in q["steps"]]
            question["solution"] = paragraphs(q["solution"], keep) if q["solution"] else None
            question["solution_figures"] = figures_data(q, "solution")
            question["mistakes"] = [
                {"label": label(m["label"]), "answer_label": label(m["answer_label"]), "math": tex_to_typst(rounded_tex(m["rounded"]))} for m in q["mistakes"]
            ]
        questions.append(question)
    return {
        "mode": mode,
        "sheet": "sheet" in document,
        "exam": {**exam, "instructions": [paragraphs(p) for p in exam["instructions"]]},
        "paper": {**paper, "id_chars": list(key.ljust(digits))[: max(digits, len(key))]},
        "questions": questions,
    }


# ---------------------------------------------------------------------------
# Compiling


_RAN_TYPST = [False]  # set by every use of Typst in this process, besides the papers' compiler


def typst_started() -> bool:
    """Whether this process has run Typst: its thread pool does not survive a fork, so workers must then be spawned."""
    return _RAN_TYPST[0] or _compiler.cache_info().currsize > 0


def run_typst(compile_call, *arguments, **options):
    """``typst.compile`` (or another Typst call) in this process, remembered: a later build spawns its workers instead of forking them."""
    _RAN_TYPST[0] = True
    return compile_call(*arguments, **options)


@lru_cache(maxsize=1)
def _compiler():
    """One compiler per process: Typst keeps the parsed template and laid-out fonts between papers."""
    import typst

    folder = templates_dir() / "typst"
    return typst.Compiler(input=str(folder / "exam.typ"), root=str(folder), ignore_system_fonts=True)


def timestamp(day: datetime.date | None) -> datetime.datetime:
    """The PDFs' fixed creation time: the exam's date at midnight UTC, else 2000-01-01."""
    if day is None:
        return _FIXED_TIME
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)


def typst_json(document: dict[str, Any], mode: str) -> str:
    """The template's data for the paper (mode "paper") or key (mode "key"), as the JSON text Typst reads."""
    return json.dumps(typst_data(document, mode), ensure_ascii=False, allow_nan=False)


def compile_typst(data: str, what: str, day: datetime.date | None = None, codes: list[str] | None = None) -> bytes:
    """A tagged (accessible) PDF from the template's JSON data; ``what`` names the document in errors.

    ``codes``: an answer sheet's QR codes (SVG), page by page, passed beside the data.
    """
    import typst

    inputs = {"data": data} if codes is None else {"data": data, "codes": json.dumps(codes)}
    try:
        pdf = _compiler().compile(format="pdf", sys_inputs=inputs, timestamp=timestamp(day))
    except typst.TypstError as error:
        raise RenderError(f"{what}: Typst cannot typeset it: {error.message}") from None
    if not pdf or not pdf.startswith(b"%PDF-"):
        raise RenderError(f"{what}: Typst produced no PDF")
    return pdf


def sheet_marks(what: str) -> list[dict[str, Any]]:
    """What the last compiled answer sheet recorded for the scan reader (``sheet-mark`` in the template).

    A query of the document just compiled: Typst keeps its layout, so this costs no second
    typesetting.
    """
    import typst

    try:
        return json.loads(_compiler().query("<qz-sheet>", field="value", format="json"))
    except (typst.TypstError, ValueError) as error:
        raise RenderError(f"{what}: the sheet's layout cannot be read back from Typst ({error})") from None


def describe(document: dict[str, Any], mode: str) -> str:
    """How errors name a paper's PDF: "Alan Turing (s2026038), answer key"."""
    return f"{document['paper']['heading']}, {'answer key' if mode == 'key' else 'paper'}"


def render_pdf(document: dict[str, Any], mode: str, day: datetime.date | None = None) -> bytes:
    """The paper (mode "paper") or key (mode "key") of one paper document, as a tagged (accessible) PDF."""
    return compile_typst(typst_json(document, mode), describe(document, mode), day)
