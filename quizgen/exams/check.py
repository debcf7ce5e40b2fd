"""Can a template's variants be typeset? Every math snippet checked as the papers would use it.

``quizgen validate`` runs this beside the engine's own checks: a snippet tex2typst cannot
convert, or whose conversion is not plain math, would be printed as its TeX source on a
paper; math LaTeX is not allowed to typeset as written would be printed as its source in
the LaTeX papers; and math Typst refuses would stop an exam build. Each is a problem of the
template, named by its file and field, long before an exam is built. The snippets of a
template are typeset together in one small Typst document (some 10 ms), one by one only
when that fails; snippets this Typst has typeset before are kept between runs (quizgen.cache,
like the conversions) and not typeset again. Typst's threads do not survive a fork: a build later in the same process
(the Python API, the tests) is told, and spawns its workers.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Iterator

from ..engine.generate import Variant, generate
from ..engine.template import Template
from ..cache import Store
from ..errors import QuizgenError, RenderError
from ..formats import prose
from ..formats.records import variant_record
from . import latex
from .papers import run_typst
from .texmath import convert_or_fail, save_conversions, tex_to_typst

VARIANTS = 3  # per template: enough to meet each branch of a text's conditions in most templates


def math_snippets(record: dict) -> Iterator[tuple[str, str]]:
    """(field, TeX math) for every snippet of a variant's record that a paper or key shows."""
    def in_prose(text: str | None, field: str) -> Iterator[tuple[str, str]]:
        for paragraph in prose.paragraphs(text):
            for kind, body in paragraph:
                if kind != "text":
                    yield field, body

    def in_label(text: str | None, field: str) -> Iterator[tuple[str, str]]:
        for kind, body in prose.label(text):
            if kind == "math":
                yield field, body

    yield from in_prose(record["text"], "text")
    yield from in_prose(record.get("solution"), "solution")
    for step in record["steps"]:
        yield f"steps ('{step['label']}')", step["tex"]
        yield from in_label(step["label"], "variables.label")
    for option in record["options"]:
        yield f"options ({option['label']})", option["tex"]
    for mistake in record["mistakes"]:
        yield from in_prose(mistake["feedback"], f"mistakes.{mistake['name']}.feedback")
        yield from in_label(mistake["label"], f"mistakes.{mistake['name']}.label")
    for answer in record["answers"]:
        yield from in_label(answer["label"], f"answers.{answer['name']}.label")


def typesetting_problems(template: Template, seed: int, variants: int = VARIANTS, drawn: list[Variant] | None = None) -> list[str]:
    """The first snippet of each field that Typst or LaTeX would show as its source, or that Typst cannot typeset.

    ``drawn``: variants of this seed drawn before, in the order ``generate`` gives them (the
    stress run's first ones, their steps and figures made). They are the variants this check
    draws when they are draws 0, 1, 2... (no draw was a duplicate, so ``generate`` gives them
    first whatever its count); otherwise the check draws its own.
    """
    problems: dict[str, str] = {}
    wanted = min(variants, template.min_variants or variants)
    if drawn is not None and len(drawn) >= wanted and all(v.index == i and v.seed == seed for i, v in enumerate(drawn[:wanted])):
        drawn = drawn[:wanted]
    else:
        try:
            drawn = list(generate(template, wanted, seed))
        except QuizgenError:
            return []  # the engine's own checks report why no variant can be drawn
    converted: dict[str, tuple[str, str]] = {}  # Typst code -> (field, TeX)
    known: dict[str, tuple[str | RenderError, bool]] = {}  # TeX -> (its conversion or why not, whether LaTeX typesets it): half the snippets recur
    for variant in drawn:
        for field, tex in math_snippets(variant_record(variant)):
            if field in problems:
                continue
            if tex not in known:
                try:
                    known[tex] = convert_or_fail(tex), latex.is_safe_math(tex)
                except RenderError as error:
                    known[tex] = error, True
            code, safe = known[tex]
            if isinstance(code, RenderError):
                problems[field] = f"{template.source}: {field}: {code}"
                continue
            converted.setdefault(code, (field, tex))
            if not safe:
                problems[field] = (
                    f"{template.source}: {field}: math '{tex}' uses a TeX command or character that the LaTeX papers do not "
                    "typeset (only math macros; no %, #, ^^ or unbalanced braces): it is shown as its source"
                )
    for code in untypesettable(list(converted)):
        field, tex = converted[code]
        problems.setdefault(field, f"{template.source}: {field}: Typst cannot typeset the math '{tex}' ({code}): {converted_error(code)}")
    return list(problems.values())


def refused_snippet(record: dict) -> tuple[str, str] | None:
    """(field, TeX) of the first math snippet of a variant's record that Typst refuses, or None: a failed build names it."""
    snippets = {tex_to_typst(tex): (field, tex) for field, tex in math_snippets(record)}
    refused = untypesettable(list(snippets))
    return snippets[next(iter(refused))] if refused else None


_MATH_DOCUMENT = b'#let codes = json(bytes(sys.inputs.codes))\n#for code in codes { math.equation(block: true, eval(code, mode: "math")) }\n'


def converted_error(code: str) -> str:
    """Typst's own message for one snippet of math, '' if it typesets."""
    import typst

    try:
        run_typst(typst.compile, _MATH_DOCUMENT, format="pdf", sys_inputs={"codes": json.dumps([code])}, ignore_system_fonts=True)
    except typst.TypstError as error:
        return error.message.splitlines()[0] if error.message else "error"
    return ""


@lru_cache(maxsize=1)
def _math_compiler():
    """One Typst compiler per process for the snippets' documents: it keeps its fonts between them
    (a template's check 11 -> 7 ms). Used through run_typst, so a later fork knows Typst has run."""
    import typst

    return typst.Compiler(ignore_system_fonts=True)


def untypesettable(codes: list[str]) -> dict[str, str]:
    """The snippets of Typst math that Typst refuses (all are typeset in one document; one by one only if that fails).

    Snippets Typst has typeset before (this Typst, this document: ``save_typesetting``
    keeps them between runs) are not typeset again: the same seed gives the same snippets.
    """
    import typst

    if not codes:
        return {}
    verdicts = _typeset_before()
    unknown = [code for code in codes if verdicts.get(code) is None]
    if not unknown:
        return {}
    try:
        run_typst(_math_compiler().compile, input=_MATH_DOCUMENT, format="pdf", sys_inputs={"codes": json.dumps(unknown)})
        refused = {}
    except typst.TypstError:
        refused = {code: code for code in unknown if converted_error(code)}
    for code in unknown:
        if code not in refused:
            verdicts.put(code, "")
    return refused


@lru_cache(maxsize=1)
def _typeset_before() -> Store:
    """The snippets this Typst version has typeset in _MATH_DOCUMENT (each kept with the value '')."""
    import typst

    return Store(f"typst-math-{typst.__version__}-{hashlib.sha256(_MATH_DOCUMENT).hexdigest()[:12]}")


def save_typesetting() -> None:
    """Keep this process's new conversions and typeset snippets for the next run (nothing is written when none are new)."""
    save_conversions()
    _typeset_before().save()
