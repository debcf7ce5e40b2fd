"""Moodle XML export: one question category per template, holding N distinct variants.

A Moodle quiz then draws one variant at random per student, and Moodle marks it with
quizgen's own rule, |response − exact| ≤ absolute tolerance (docs/json.md):

* a single number → ``numerical``: the exact answer (to the 14 significant digits Moodle
  keeps) at fraction 100 with the absolute tolerance (rounded up); each named mistake as
  a fraction-0 answer carrying its feedback; a catch-all ``*``;
* multiple choice and concept questions → ``multichoice`` (single answer, shuffled);
* matching questions → ``matching``;
* everything else (several answers, vectors, matrices) → ``cloze``, one NUMERICAL gap
  per number with the same answers (but no ``*``: Moodle's cloze import stores it without
  a tolerance), a matrix as a table of gaps. No template has a choice among several
  answers, so there are no MULTICHOICE gaps; such an answer is refused with a RenderError.

A question is worth 1 mark, or its exam section's points (:class:`ExportItem`): its
``defaultgrade``, and for a cloze question its gaps' whole-number weights, which Moodle sums
into its mark (:func:`gap_weights`).

Questions are first built as plain data (:class:`MoodleCategory`, :class:`MoodleQuestion`),
which the GIFT export (quizgen/gift.py) renders too. The XML is the text of the Jinja
templates in templates/moodle/: quiz.xml.j2 renders the file, and a category's part
(category.xml.j2), a worked solution (solution.html.j2) and a cloze question's text
(cloze.html.j2) are written out in Python with the same escaping, several times faster
(:func:`_category_xml`, :func:`_solution_html`, :func:`_cloze_html`); those three templates
remain the reference of that text. The rules of Moodle's importer
(question/format/xml/format.php and qtype_multianswer's cloze parser) that this module
relies on are pinned by tests/test_moodle.py.
"""

from __future__ import annotations

import base64
import gc
import math
import numbers
import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal
from functools import lru_cache
from html import escape
from typing import Any, Callable, Iterable
from xml.parsers import expat

import jinja2
import sympy
from markupsafe import Markup
from markupsafe import escape as markup_escape
from ..engine.fraction import Fraction, fraction_of_text  # fractions.Fraction in C (quicktions), several times faster

from .. import __version__
from ..engine.figures import variant_figures
from ..engine.generate import Answer, MistakeValue, Variant, generate_allowing_fewer
from ..engine.template import Template
from ..engine.values import is_array, to_decimal
from ..errors import QuizgenError, RenderError
from ..parallel import ordered_map, worker_count
from . import prose
from .figures import figure_size, figure_svg
from .plain import math_to_plain
from .records import variant_record
from .render import environment

DIGITS = 14  # significant digits written for a centre or tolerance: what Moodle keeps (PHP precision 14)
PENALTIES = (1.0, 0.5, 0.3333333, 0.25, 0.2, 0.1, 0.0)  # the choices of Moodle's question form
DEFAULT_PENALTY = 0.3333333
IDNUMBER_LENGTH = 100  # question_bank_entries.idnumber is char(100)

# Moodle's grade list (question_bank::fraction_options_full), as percentages: the importer
# refuses any other fraction ("Grades do not match grade options").
_RAW_FRACTIONS = (0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25,
                  0.2, 0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05)
ALLOWED_FRACTIONS = frozenset([0.0, 100.0] + [round(s * f * 100, 5) for f in _RAW_FRACTIONS for s in (1, -1)] + [-100.0])


# ---------------------------------------------------------------------------
# What one export holds, independent of the file format


@dataclass
class ExportItem:
    """A template to export and the marks one of its questions is worth (an exam's points; None: 1)."""

    template: Template
    points: float | None = None
    nice: bool = False  # only 'nice' variants (an exam section may ask for them)


@dataclass
class NumericAnswer:
    """One numerical answer: Moodle accepts r when |r − value| ≤ tolerance (value '*' matches anything)."""

    value: str
    tolerance: str
    fraction: int
    feedback: str  # HTML
    mistake: str | None = None  # the named mistake it recognises


@dataclass
class Choice:
    text: str  # HTML
    fraction: int
    feedback: str  # HTML


@dataclass
class Gap:
    """One blank of a cloze question: a NUMERICAL gap."""

    answers: list[NumericAnswer]
    weight: int = 1

    def markup(self) -> str:
        """The gap in Moodle's cloze syntax, e.g. ``{1:NUMERICAL:=18:0#Right~%0%17:0#...}``."""
        parts = []
        for answer in self.answers:
            prefix = "=" if answer.fraction == 100 else f"%{answer.fraction}%"
            parts.append(f"{prefix}{answer.value}:{answer.tolerance}#{cloze_escape(answer.feedback)}")
        return "{" + f"{self.weight}:NUMERICAL:" + "~".join(parts) + "}"


@dataclass
class MoodleQuestion:
    qtype: str  # "numerical", "multichoice", "matching" or "cloze"
    name: str
    idnumber: str
    template: str
    code: str
    text: str  # HTML; for cloze it holds the gaps' markup
    general_feedback: str  # HTML: the key and the worked solution
    defaultgrade: float
    penalty: float
    answers: list[Any] = field(default_factory=list)  # numerical: NumericAnswer; multichoice: Choice
    pairs: list[tuple[str, str]] = field(default_factory=list)  # matching: (left HTML, right plain text)
    gaps: list[Gap] = field(default_factory=list)  # cloze
    record: dict[str, Any] = field(default_factory=dict, repr=False)
    variant: Variant | None = field(default=None, repr=False)
    text_files: list[tuple[str, str]] = field(default_factory=list)  # (name, base64): the question's figures
    feedback_files: list[tuple[str, str]] = field(default_factory=list)  # the worked solution's figures


@dataclass
class MoodleCategory:
    path: str  # $course$/top/quizgen/<topic>/<title>, with '/' inside a name doubled
    idnumber: str
    info: str  # HTML
    template: str
    questions: list[MoodleQuestion]
    shortfall: int = 0  # variants asked for but not made (with allow_fewer)
    xml: str = ""  # its part of the Moodle XML file, once rendered
    made: int = -1  # questions made: len(questions), also once a worker has sent back only the XML
    points: float | None = None  # what an exam gives each of its questions (None: no exam)

    def __post_init__(self) -> None:
        if self.made < 0:
            self.made = len(self.questions)


# ---------------------------------------------------------------------------
# Numbers as Moodle reads them


_CONTEXTS = {rounding: Context(prec=DIGITS, rounding=rounding) for rounding in (ROUND_HALF_EVEN, ROUND_CEILING, ROUND_FLOOR)}


def decimal_text(value: Fraction, rounding: str = ROUND_HALF_EVEN) -> str:
    """Positional decimal text of an exact value: whole numbers exactly, others to 14 significant digits.

    Moodle stores an answer as a PHP float printed with 14 digits, so it keeps exactly what
    is written here (and :func:`accepts` reproduces its test). Tolerances are written rounded
    up (``ROUND_CEILING``): Moodle's interval then holds quizgen's, up to the centre's rounding
    (a few parts in 10^14 of the answer).
    """
    numerator, denominator = value.as_integer_ratio()
    if denominator == 1:
        return str(numerator)
    number = _CONTEXTS[rounding].divide(Decimal(numerator), Decimal(denominator))
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def tolerance_text(value: Fraction) -> str:
    return decimal_text(value, ROUND_CEILING)


def exact_fraction(value: Any) -> Fraction:
    """A variant's exact scalar as a Fraction: rationals exactly, other reals (exp, sqrt, pi) to 60 digits."""
    kind = type(value)
    if kind is Fraction:
        return value
    if kind is int:
        return Fraction(value)
    if isinstance(value, numbers.Rational):  # the standard library's Fraction
        return Fraction(value.numerator, value.denominator)
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    if kind is sympy.Float:  # its 60 digits are those of its binary value: worked out once for each (a value recurs)
        fraction = _FLOATS.get(value._mpf_)
        if fraction is None:
            if len(_FLOATS) >= 65536:
                _FLOATS.clear()
            fraction = _FLOATS[value._mpf_] = Fraction(to_decimal(value))
        return fraction
    try:
        return Fraction(to_decimal(value))
    except (ValueError, TypeError, ArithmeticError) as error:
        raise RenderError(f"{value} is not a real number ({error})") from None


_FLOATS: dict[tuple, Fraction] = {}  # exact_fraction of a sympy Float, by its binary value (mpmath's mpf tuple)


def _flat(value: Any) -> list[Any]:
    """The elements of a scalar, vector or matrix (exact values or rounded strings), in reading order."""
    if is_array(value):
        return list(value.flat)
    if isinstance(value, list):
        return [item for part in value for item in _flat(part)]
    return [value]


def moodle_interval(value: str, tolerance: str) -> tuple[float, float]:
    """The interval Moodle's qtype_numerical accepts for an answer (its 'nominal' tolerance, in floats)."""
    centre, width = float(value), abs(float(tolerance))
    epsilon = 1e-14  # 10 ** -ini_get('precision')
    width = width + epsilon * max(width, abs(centre), epsilon)
    return centre - width, centre + width


def accepts(answer: NumericAnswer, response: str) -> bool:
    """Whether Moodle's numerical grader matches ``response`` to this answer."""
    if answer.value == "*":
        return True
    low, high = moodle_interval(answer.value, answer.tolerance)
    return low <= float(response) <= high


# ---------------------------------------------------------------------------
# Text: prose with $...$ math → HTML for Moodle's MathJax filter

def prose_html(text: str, where: str = "text") -> str:
    """Author prose with TeX in ``$...$``/``$$...$$`` as HTML: math in ``\\( \\)``/``\\[ \\]``, paragraphs at blank lines.

    Split by quizgen.formats.prose (as every output is); everything is HTML-escaped (MathJax reads
    the decoded text, so ``a < b`` inside math survives).
    """
    try:
        split = prose.paragraphs(text, strict=True)
    except ValueError as error:
        raise RenderError(f"{where}: {error}") from None
    html = []
    for segments in split:
        out, previous = [], ""
        for kind, body in segments:
            if kind == "text":
                out.append((" " if previous == "display" else "") + escape(body, quote=False))
            elif kind == "display":
                out.append(r"\[" + escape(body, quote=False) + r"\]")
            else:
                out.append(math_html(body))
            previous = kind
        html.append("<p>" + "".join(out).strip() + "</p>")
    return "\n".join(html)


def math_html(tex: str) -> str:
    """TeX (no delimiters) as inline math HTML."""
    return r"\(" + escape(tex, quote=False) + r"\)"


_CLOZE = {"\\": "&#92;", "}": "\\}", "#": "\\#", "~": "&#126;"}
_CLOZE_SPECIAL = re.compile(r"[\\}#~]")


def cloze_escape(html: str) -> str:
    """HTML as Moodle's cloze parser wants it inside a gap (answer or feedback).

    The parser ends an answer at ~ # } and a feedback at ~ } unless a backslash (or, for
    the answer, '&') comes just before; it then entity-decodes the text and turns \\} and \\#
    back into } and #. So: '&' → '&amp;' (the decoding gives the HTML back), then in one pass
    '\\' → '&#92;' (a backslash of the text can then never escape anything), '}' → '\\}',
    '#' → '\\#', '~' → '&#126;'.
    """
    html = html.replace("&", "&amp;")  # first: the other replacements bring '&'s of their own
    if _CLOZE_SPECIAL.search(html) is None:  # most feedback (str.translate would look every character up)
        return html
    return _CLOZE_SPECIAL.sub(lambda match: _CLOZE[match.group()], html)


def cdata(text: str) -> Markup:
    """A CDATA section that survives any text, ']]>' included (split across two sections)."""
    return Markup("<![CDATA[" + str(text).replace("]]>", "]]]]><![CDATA[>") + "]]>")


def category_name(text: str) -> str:
    """A category name inside a path: Moodle splits paths at '/', and reads '//' as a slash."""
    return " ".join(text.split()).replace("/", "//")


def _number(value: float) -> str:
    """A grade or penalty as Moodle writes it (0.3333333, 2.5, 1)."""
    return f"{value:.7f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=None)
def _environment(output_format: str) -> jinja2.Environment:
    env = environment(output_format)
    env.filters["cdata"] = cdata
    env.filters["prose"] = lambda text: Markup(prose_html(text))
    env.filters["math"] = lambda tex: Markup(math_html(tex))
    env.filters["number"] = _number
    return env


# ---------------------------------------------------------------------------
# Building the questions of one variant


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


class _MistakeFeedback:
    """'Forgot the +1? The formula ends with +1: ...' in one paragraph, made once per mistake of a variant.

    The text comes from the variant's record (rendered there once); a vector's mistake is
    shown on each of its elements, so the HTML is kept.
    """

    def __init__(self, variant: Variant, record: dict[str, Any], plain: bool = False):
        self.source = variant.template.source
        self.texts = {m["name"]: m["feedback"] for m in record["mistakes"]}
        self.made: dict[str, str] = {}
        self.plain = plain  # a cloze gap's feedback is a popover that nothing typesets: its maths as plain Unicode text

    def __call__(self, mistake: MistakeValue) -> str:
        if mistake.name not in self.made:
            text = self.texts.get(mistake.name)
            text = mistake.feedback if text is None else text
            self.made[mistake.name] = _mistake_html(text, mistake.label, self.plain, f"{self.source}: mistakes.{mistake.name}.feedback")
        return self.made[mistake.name]


@lru_cache(maxsize=16384)
def _mistake_html(text: str, label: str, plain: bool, where: str) -> str:
    """A mistake's feedback paragraph: made once per text (most feedback shows no drawn value, so it recurs on every variant)."""
    if plain:
        words = " ".join("".join(part if kind == "text" else math_to_plain(part) for kind, part in segments) for segments in prose.paragraphs(text))
        body = escape(" ".join(words.split()), quote=False)
    else:
        body = prose_html(text, where)
    body = " ".join(body.removeprefix("<p>").removesuffix("</p>").replace("</p>\n<p>", "<br>").split())
    return f"<p><strong>{escape(_first_upper(label))}?</strong> {body}</p>"


def _key_tex(answer: dict[str, Any]) -> str:
    rounded = answer["rounded"]
    if answer["kind"] == "vector":
        return r"\begin{bmatrix} " + " & ".join(rounded) + r" \end{bmatrix}"
    if answer["kind"] == "matrix":
        return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(row) for row in rounded) + r" \end{bmatrix}"
    return str(rounded)


def _numeric_answers(element: Element, feedback: _MistakeFeedback, catch_all: bool) -> list[NumericAnswer]:
    """The right answer first (Moodle takes the first answer whose interval holds the response), then each mistake, then '*'.

    A mistake's interval is its exact value ± the answer's tolerance, widened to reach its
    rounded value (what a student who made it would type). A mistake whose rounded value
    Moodle would already mark right is left out: it can never be reached.
    """
    answers = []
    mistakes = element.mistakes
    # the plan's key: exact values as (numerator, denominator), which hash far faster than Fractions
    key = (element.exact.as_integer_ratio(), element.tolerance.as_integer_ratio(), element.rounded, *[(v.as_integer_ratio(), shown) for v, shown, _ in mistakes])
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= 32768:
            _PLANS.clear()
        plan = _PLANS[key] = _answer_plan(element.exact, element.tolerance, element.rounded, tuple((v, shown) for v, shown, _ in mistakes))
    for value, tolerance, fraction, text, index, kept in plan:
        if index is None:
            answers.append(NumericAnswer(value, tolerance, fraction, text))
            continue
        mistake = mistakes[index][2]
        text = feedback(mistake)  # also for a duplicate left out: its feedback must render
        if kept:
            answers.append(NumericAnswer(value, tolerance, fraction, text, mistake.name))
    if catch_all:
        answers.append(NumericAnswer("*", "0", 0, "<p>Not right: compare your working with the worked solution.</p>"))
    return answers


Plan = tuple[tuple[str, str, int, str, int | None, bool], ...]  # see _answer_plan


_PLANS: dict[tuple, Plan] = {}  # _answer_plan's, by exact values as integer ratios (see _numeric_answers)


def _answer_plan(exact: Fraction, tolerance: Fraction, rounded: str, mistakes: tuple[tuple[Fraction, str], ...]) -> Plan:
    """:func:`_numeric_answers` without the mistakes' feedback: (value, tolerance, fraction, the right
    answer's feedback, the index of the mistake, kept) for each answer, in order.

    Worked out once for each number, tolerance, key and mistakes' values: whole numbers and
    zeros recur across variants (about two numbers in five of the bank's).
    """
    exact_text = decimal_text(exact)
    tolerance_shown = tolerance_text(tolerance)
    right_feedback = _right_feedback(rounded, tolerance, tolerance_shown)
    right = (rounded if _same_number(rounded, exact) else exact_text, tolerance_shown)  # the key's own text: '-1.0', not '-1'
    plan: list[tuple[str, str, int, str, int | None, bool]] = [(*right, 100, right_feedback, None, True)]
    shown = _shown_key(exact, tolerance, rounded, exact_text)
    if shown is not None:
        plan.insert(0, (rounded, shown, 100, right_feedback, None, True))
    low, high = moodle_interval(*right)  # what accepts(right, ...) tests
    for index, (value, shown_value) in enumerate(mistakes):
        centre = decimal_text(value)
        if low <= float(shown_value) <= high or low <= float(centre) <= high:
            continue
        off = abs(_fraction(shown_value) - _fraction(centre))  # the rounded value from the centre Moodle keeps
        reach = tolerance_text(off) if off > tolerance else tolerance_shown  # tolerance_text(max(tolerance, off))
        duplicate = any(entry[5] and entry[0] == centre and entry[1] == reach for entry in plan)
        plan.append((centre, reach, 0, "", index, not duplicate))
    return tuple(plan)


_fraction = lru_cache(maxsize=65536)(fraction_of_text)  # a number's text as a Fraction: keys and centres recur across variants


def _same_number(text: str, value: Fraction) -> bool:
    try:
        return _fraction(text) == value
    except (ValueError, ZeroDivisionError):
        return False


def _shown_key(exact: Fraction, tolerance: Fraction, rounded_text: str, exact_text: str) -> str | None:
    """The tolerance of the rounded key as a first right answer, so that Moodle's "The correct answer is" shows it, not 14 digits.

    Its interval lies inside the exact answer's (centre the rounded value, tolerance what is
    left of the answer's, rounded down), and the exact answer follows it: the two together
    accept exactly what the answer alone does, so the marking rule is unchanged. None when the
    rounded value is the exact one, or lies outside the tolerance (a stated tolerance smaller
    than the rounding).
    """
    try:
        rounded = _fraction(rounded_text)
    except (ValueError, ZeroDivisionError):
        return None
    if rounded == exact:
        return None
    centre = _fraction(exact_text)  # the exact answer as written (14 digits), which Moodle's interval is around
    margin = abs(centre) / 10**13  # Moodle computes the intervals in floating point: keep clear of their last digit
    left = tolerance - abs(rounded - centre) - margin
    if left < 0 or decimal_text(rounded) == exact_text:
        return None
    return decimal_text(left, ROUND_FLOOR)  # centred on the key as it shows it, trailing zeros too


def _right_feedback(rounded: str, tolerance: Fraction, tolerance_shown: str) -> str:
    if tolerance == 0:
        return f"<p>Right: {escape(rounded)}.</p>"
    return f"<p>Right: {escape(rounded)} (answers within {escape(tolerance_shown)} of the exact value are accepted).</p>"


@dataclass
class Element:
    """One number a student types: its exact value, the absolute tolerance, the key, and the named mistakes' values for it."""

    exact: Fraction
    tolerance: Fraction
    rounded: str
    mistakes: list[tuple[Fraction, str, MistakeValue]]


def elements(variant: Variant, answer: Answer) -> list[Element]:
    """The numbers of one answer (one for a scalar, one per element of a vector or matrix), in reading order."""
    where = f"{variant.template.source}: answers.{answer.spec.name}"
    try:
        exact = [exact_fraction(v) for v in _flat(answer.value)]
        tolerance = [exact_fraction(t) for t in _flat(answer.tolerance)] if is_array(answer.value) else [exact_fraction(answer.tolerance)]
        mistakes = [(m, [exact_fraction(v) for v in _flat(m.value)], _flat(m.rounded)) for m in variant.mistakes if m.answer == answer.spec.name]
    except RenderError as error:
        raise RenderError(f"{where}: {error}") from None
    rounded = _flat(answer.rounded)
    return [
        Element(exact[i], tolerance[i], str(rounded[i]), [(values[i], str(shown[i]), m) for m, values, shown in mistakes])
        for i in range(len(exact))
    ]


def _numerical(question: MoodleQuestion, variant: Variant, feedback: _MistakeFeedback) -> None:
    (element,) = elements(variant, variant.answers[0])
    question.answers = _numeric_answers(element, feedback, catch_all=True)


def _choice_html(record: dict[str, Any], option: dict[str, Any]) -> str:
    """A word as text, a number (or vector) as math."""
    if record["answers"][0]["kind"] == "choice":
        return escape(option["rounded"], quote=False)
    return math_html(option["tex"])


def _multichoice(question: MoodleQuestion, variant: Variant, record: dict[str, Any], feedback: _MistakeFeedback) -> None:
    for option, shown in zip(variant.options, record["options"]):
        html = _choice_html(record, shown)
        if option.correct:
            question.answers.append(Choice(html, 100, "<p>Right.</p>"))
        else:
            question.answers.append(Choice(html, 0, feedback(option.source)))


def _matching(question: MoodleQuestion, record: dict[str, Any], template: Template) -> None:
    pairs = [(escape(left, quote=False), right) for left, right in record["answers"][0]["exact"]]
    used = {right for _, right in pairs}
    for right in record["matching"]["right"]:  # the variant's distractors: answers that match no question
        if right not in used:
            pairs.append(("", right))
            used.add(right)
    # Moodle's editing form wants at least 3 answers: add unused rows of the table as distractors.
    for _, right in template.pairs:
        if len({r for _, r in pairs}) >= 3:
            break
        if right not in used:
            pairs.append(("", right))
            used.add(right)
    question.pairs = pairs


def gap_weights(points: float | None, count: int) -> list[int]:
    """The whole-number weights of a cloze question's ``count`` blanks: Moodle makes their sum its mark.

    Without points each blank weighs 1. With an exam's points P, which the paper exam shares
    equally among the blanks (P/n each), the weights are those shares rounded cumulatively: blank
    i weighs floor((i+1)·P/n) − floor(i·P/n). They sum to P, each is within 1 of its share, and
    so is every run of blanks (an answer's vector): 10 points over 4 blanks weigh 2, 3, 2, 3,
    12 over 8 weigh 1, 2, 1, 2, 1, 2, 1, 2 (6 for each 4-vector, as on paper). Points that are
    not a whole number, or fewer points than blanks, cannot be a cloze question's mark: each
    blank then weighs 1 (equal shares, as on paper), and the quiz slot's maximum mark must give
    the points.
    """
    if points is None or points != int(points) or int(points) < count:
        return [1] * count
    whole = int(points)
    return [(i + 1) * whole // count - i * whole // count for i in range(count)]


def _cloze(question: MoodleQuestion, variant: Variant, record: dict[str, Any], feedback: _MistakeFeedback, text: str, points: float | None = None) -> None:
    """The gaps and the text of a cloze question; ``text`` is its prose as HTML."""
    template = variant.template
    answers = []
    for answer, shown in zip(variant.answers, record["answers"]):
        if answer.spec.kind not in ("integer", "number", "vector", "matrix"):
            raise RenderError(f"{template.source}: answers.{answer.spec.name}: a {answer.spec.kind} answer cannot be a cloze gap")
        gaps = [Gap(_numeric_answers(element, feedback, catch_all=False)) for element in elements(variant, answer)]
        question.gaps.extend(gaps)
        answers.append((answer, shown, gaps))
    for gap, weight in zip(question.gaps, gap_weights(points, len(question.gaps))):
        gap.weight = weight
    parts = []
    for answer, shown, gaps in answers:
        markup = [Markup(gap.markup()) for gap in gaps]
        if answer.spec.kind == "matrix":
            columns = answer.value.shape[1]
            rows = [markup[i:i + columns] for i in range(0, len(markup), columns)]
        else:
            rows = [markup]
        parts.append({"label": shown["label"], "kind": shown["kind"], "unit": shown["unit"], "rows": rows})
    question.text = _cloze_html(_protect_braces(text), parts, record["code"]).strip()


def _cloze_html(text: str, parts: list[dict[str, Any]], code: str) -> str:
    """templates/moodle/cloze.html.j2 rendered, written out in Python (the same text, a fifth of the time):
    the prose, then each answer's gaps (Markup) as a line, a vector in brackets or a matrix as a table."""
    out = [text]
    for part in parts:
        label, unit, rows = _html(part["label"]), part["unit"], part["rows"]
        if part["kind"] == "matrix":
            out.append(f'\n<p>{label}{f" ({_html(unit)})" if unit else ""}:</p>\n<table class="quizgen-matrix">')
            out.extend("\n  <tr>" + "".join(f"<td>{gap}</td>" for gap in row) + "</tr>" for row in rows)
            out.append("\n</table>")
        elif part["kind"] == "vector":
            out.append(f"\n<p>{label}: [ {' , '.join(rows[0])} ]{f' {_html(unit)}' if unit else ''}</p>")
        else:
            out.append(f"\n<p>{label}: {rows[0][0]}{f' {_html(unit)}' if unit else ''}</p>")
    out.append(f"\n<p><small>Variant {_html(code)}</small></p>\n")
    return "".join(out)


def _html(value: Any) -> str:
    """A value as Jinja's autoescape writes it (markupsafe: & < > ' " escaped, Markup as it is)."""
    return str(markup_escape(value))


def _solution_html(record: dict[str, Any]) -> str:
    """templates/moodle/solution.html.j2 rendered, written out in Python (the same text, a fifth of the time):
    the key, the worked steps, the solution's prose."""
    key = record["answers"]
    out = [f"<p><strong>Answer{'s' if len(key) > 1 else ''}</strong></p>\n<ul>"]
    for answer in key:
        kind = answer["kind"]
        if kind == "choice":
            out.append(f"\n  <li>{_html(answer['label'])}: {_html(answer['rounded'])}</li>")
        elif kind == "matching":
            out.extend(f"\n  <li>{_html(left)} \u2192 {_html(right)}</li>" for left, right in answer["rounded"])
        else:
            unit = answer["unit"]
            out.append(f"\n  <li>{_html(answer['label'])}: {math_html(_key_tex(answer))}{f' {_html(unit)}' if unit else ''}</li>")
    out.append("\n</ul>")
    steps = record["steps"]
    if steps:
        out.append("\n<p><strong>Worked solution</strong></p>\n<ol>")
        out.extend(f"\n  <li>{_html(step['label'])}\n  \\[{_html(step['tex'])}\\]</li>" for step in steps)
        out.append("\n</ol>")
    if record.get("solution"):
        out.append("\n" + prose_html(record["solution"]))
    out.append("\n")
    return "".join(out)


def _protect_braces(html: str) -> str:
    """'{' as '&#123;' in the prose of a cloze question, so no TeX group can look like a gap to Moodle.

    MathJax reads the decoded text, so the math is unchanged.
    """
    return html.replace("{", "&#123;")


def _question_type(record: dict[str, Any]) -> str:
    kind = record["kind"]
    if kind in ("multichoice", "concept"):
        return "multichoice"
    if kind == "matching":
        return "matching"
    answers = record["answers"]
    if len(answers) == 1 and answers[0]["kind"] in ("integer", "number"):
        return "numerical"
    return "cloze"


def _idnumber(template_id: str, code: str) -> str:
    """Stable and unique: the template id and the variant code (a long id keeps its tail and a checksum)."""
    text = f"{template_id}:{code}"
    if len(text) <= IDNUMBER_LENGTH:
        return text
    import zlib

    tail = f"~{zlib.crc32(template_id.encode()):08x}:{code}"
    return template_id[: IDNUMBER_LENGTH - len(tail)] + tail


def build_question(variant: Variant, points: float | None = None, penalty: float = DEFAULT_PENALTY, record: dict[str, Any] | None = None) -> MoodleQuestion:
    """The Moodle question of one variant, built from its JSON record (the truth every output shares).

    ``points``: what an exam gives the question (None: 1 mark, a cloze question 1 per blank).
    A cloze question's blanks share them by :func:`gap_weights`.
    """
    template = variant.template
    record = variant_record(variant) if record is None else record
    qtype = _question_type(record)
    text = prose_html(record["text"], f"{template.source}: text")
    general = _solution_html(record)
    question = MoodleQuestion(
        qtype=qtype,
        name=f"{template.title} ({record['code']})",
        idnumber=_idnumber(template.id, record["code"]),
        template=template.id,
        code=record["code"],
        text=text + f'\n<p><small>Variant {escape(record["code"])}</small></p>',
        general_feedback=general.strip(),
        defaultgrade=1.0 if points is None else points,
        penalty=penalty,
        record=record,
        variant=variant,
    )
    feedback = _MistakeFeedback(variant, record, plain=qtype == "cloze")
    if qtype == "numerical":
        _numerical(question, variant, feedback)
    elif qtype == "multichoice":
        _multichoice(question, variant, record, feedback)
    elif qtype == "matching":
        _matching(question, record, template)
    else:
        _cloze(question, variant, record, feedback, text, points)
        question.defaultgrade = float(sum(gap.weight for gap in question.gaps))  # Moodle takes a cloze's mark from its gaps' weights
    if template.figures:
        _attach_figures(question, variant, qtype == "cloze")
    return question


def _attach_figures(question: MoodleQuestion, variant: Variant, cloze: bool) -> None:
    """Each figure as an SVG file of the question (base64), shown by an <img> at @@PLUGINFILE@@ with its alt text."""
    for part in ("question", "solution"):
        html, files = [], []
        for figure in variant_figures(variant, part):
            name = f"figure-{figure.index + 1}-{part}.svg"
            svg = figure_svg(figure, part)
            width, height = figure_size(figure, part)
            files.append((name, base64.b64encode(svg.encode("utf-8")).decode("ascii")))
            html.append(
                f'<figure><img src="@@PLUGINFILE@@/{name}" alt="{escape(figure.alt)}" width="{round(width)}" height="{round(height)}" '
                f'style="max-width: 100%; height: auto;"><figcaption><small>{escape(figure.caption)}</small></figcaption></figure>'
            )
        block = "\n".join(html)
        if part == "question":
            question.text = question.text + "\n" + (_protect_braces(block) if cloze else block)
            question.text_files = files
        else:
            question.general_feedback = block + "\n" + question.general_feedback
            question.feedback_files = files


_variants = generate_allowing_fewer


PARALLEL_FROM = 400  # variants: a smaller export is built in this process (a fork costs more than it saves)


def build_categories(
    items: Iterable[ExportItem], count: int, seed: int, penalty: float = DEFAULT_PENALTY, allow_fewer: bool = False,
    progress: Callable[[], None] | None = None, workers: int | None = None, finish: Callable[[MoodleCategory], None] | None = None,
) -> list[MoodleCategory]:
    """One category per template, holding ``count`` distinct variants (fewer only with ``allow_fewer``).

    A large export is built on every core, a template per task; ``finish`` (rendering a
    category's part of the file) runs in the same task. Questions built in a worker come
    back without their ``variant`` and ``record`` (plain data only), and not at all once
    ``finish`` has rendered them: the category then carries its XML and ``made``.
    """
    if penalty not in PENALTIES:
        raise QuizgenError(f"penalty={penalty} must be one of Moodle's choices: {', '.join(f'{p:g}' for p in PENALTIES)}")
    items = list(items)
    for item in items:
        points = 1.0 if item.points is None else item.points
        if not (math.isfinite(points) and points > 0):
            raise QuizgenError(f"{item.template.id}: points={item.points} must be a positive number")
    processes = worker_count(len(items), workers) if count * len(items) >= PARALLEL_FROM else 1

    def build(item: ExportItem) -> MoodleCategory:
        if processes > 1:  # a worker, which ends with the export: its collector may run less often
            gc.set_threshold(*WORKER_GC_THRESHOLD)
        category = _category(item, count, seed, penalty, allow_fewer, progress if processes == 1 else None)
        if finish:
            finish(category)
        if processes > 1:
            for question in category.questions:
                question.variant, question.record = None, {}
            if finish:
                category.questions = []  # rendered: sending them back would only cost pickling
        return category

    categories = []
    frozen = processes > 1 and _freeze()
    try:
        for category in ordered_map(build, items, processes):
            if progress and processes > 1:
                for _ in range(category.made):
                    progress()
            categories.append(category)
    finally:
        if frozen:
            gc.unfreeze()
    return categories


# A worker's garbage collector: a young collection after 500,000 new objects rather than 700. The
# variants, records and questions of a template are many small objects that live until its
# category is rendered, and each collection walks them (most of the full ones, too): with
# Python's default the collector took about 1.5 of a worker's 12 CPU-s at 100 variants a template,
# with 20,000 about 0.3 of each worker's 6, with 500,000 next to nothing. Almost nothing they make
# is cyclic garbage: the workers' peak memory stayed at 150-165 MB from 20,000 to no collection at all.
WORKER_GC_THRESHOLD = (500_000, 20, 20)


def _freeze() -> bool:
    """Move every object of this process (the bank, its compiled templates) out of the collector's sight
    before the workers are forked, so that none of their collections walks them (nor touches their
    pages, which then stay shared with this process). Undone by gc.unfreeze() once the workers end."""
    if gc.get_freeze_count():  # someone else froze them: leave it to them
        return False
    gc.freeze()
    return True


def _category(item: ExportItem, count: int, seed: int, penalty: float, allow_fewer: bool, progress: Callable[[], None] | None) -> MoodleCategory:
    template = item.template
    questions = []
    for variant in _variants(template, count, seed, item.nice, allow_fewer):
        questions.append(build_question(variant, item.points, penalty))
        if progress:
            progress()
    path = "/".join(["$course$", "top", "quizgen", category_name(template.topic), category_name(template.title)])
    made = len(questions)
    info = f"<p>{made} variant{'s' if made != 1 else ''} of the quizgen template <code>{escape(template.id)}</code> (seed {seed}): add a random question from this category to a quiz to give each student one of them.</p>"
    if item.points is not None:
        info += "\n" + _points_info(questions, item.points)
    elif any(q.qtype == "cloze" for q in questions):
        info += "\n<p>Each blank is worth 1 mark: Moodle takes a cloze question's mark from its blanks.</p>"
    return MoodleCategory(path, f"quizgen:{template.id}"[:IDNUMBER_LENGTH], info, template.id, questions, count - len(questions), points=item.points)


def _points_info(questions: list[MoodleQuestion], points: float) -> str:
    """What a category's description says of an exam's points: each question's mark, its blanks' weights, the quiz slot."""
    shown = _number(points)
    text = f"<p>The exam gives each question of this category {shown} points."
    if all(q.defaultgrade == points for q in questions):
        text += f" Each is worth {shown} marks here."
    cloze = [q for q in questions if q.qtype == "cloze"]
    carried = [q for q in cloze if q.defaultgrade == points]
    if carried:
        weights = dict.fromkeys(tuple(g.weight for g in q.gaps) for q in carried)
        text += " A cloze question's mark is the sum of its blanks' weights, which Moodle keeps as whole numbers: its blanks weigh "
        text += " or ".join(", ".join(str(w) for w in ws) for ws in weights)
        if any(len(set(ws)) > 1 for ws in weights):
            text += " (on paper they share the points equally)"
        text += "."
    if len(carried) < len(cloze):
        counts = sorted({len(q.gaps) for q in cloze if q.defaultgrade != points})
        text += (f" Moodle's cloze weights are whole numbers, and {shown} points cannot be shared among {' or '.join(map(str, counts))} blanks:"
                 " each blank then weighs 1, so such a question's mark is its number of blanks.")
    text += f" A random question added to a quiz starts with a maximum mark of 1: set the quiz slot's maximum mark to {shown}.</p>"
    return text


# ---------------------------------------------------------------------------
# The XML file


def render_category_xml(category: MoodleCategory) -> None:
    """A category's part of the Moodle XML file, checked by an XML parser: the file is only these parts in <quiz>."""
    text = _category_xml(category).rstrip("\n")
    try:
        top = _top_elements(f"<quiz>{text}</quiz>")
    except expat.ExpatError as error:
        raise RenderError(f"{category.template}: the Moodle XML does not parse ({error})") from None
    expected = 1 + len(category.questions)
    if len(top) != expected or any(tag != "question" for tag in top):
        raise RenderError(f"{category.template}: the Moodle XML holds {len(top)} elements, expected {expected} <question> elements")
    category.xml = text


_FEEDBACKS = "".join(f'\n    <{kind}feedback format="html"><text></text></{kind}feedback>' for kind in ("correct", "partiallycorrect", "incorrect"))


def _category_xml(category: MoodleCategory) -> str:
    """templates/moodle/category.xml.j2 rendered, written out in Python (the same text, a fraction of the time):
    the category's own <question type="category">, then each of its questions."""
    e, c = _html, cdata
    out = [
        f'\n  <question type="category">\n    <category><text>{e(category.path)}</text></category>'
        f'\n    <info format="html"><text>{c(category.info)}</text></info>\n    <idnumber>{e(category.idnumber)}</idnumber>\n  </question>'
    ]
    add = out.append
    for q in category.questions:
        add(f'\n  <question type="{e(q.qtype)}">\n    <name><text>{e(q.name)}</text></name>\n    <questiontext format="html"><text>{c(q.text)}</text>')
        for name, data in q.text_files:
            add(f'\n      <file name="{e(name)}" path="/" encoding="base64">{e(data)}</file>')
        add(f'\n    </questiontext>\n    <generalfeedback format="html"><text>{c(q.general_feedback)}</text>')
        for name, data in q.feedback_files:
            add(f'\n      <file name="{e(name)}" path="/" encoding="base64">{e(data)}</file>')
        add(f"\n    </generalfeedback>\n    <defaultgrade>{e(_number(q.defaultgrade))}</defaultgrade>\n    <penalty>{e(_number(q.penalty))}</penalty>"
            f"\n    <hidden>0</hidden>\n    <idnumber>{e(q.idnumber)}</idnumber>")
        if q.qtype == "numerical":
            for a in q.answers:
                add(f'\n    <answer fraction="{e(a.fraction)}" format="moodle_auto_format">\n      <text>{e(a.value)}</text>'
                    f'\n      <feedback format="html"><text>{c(a.feedback)}</text></feedback>\n      <tolerance>{e(a.tolerance)}</tolerance>\n    </answer>')
            add("\n    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0.1</unitpenalty>\n    <showunits>3</showunits>\n    <unitsleft>0</unitsleft>")
        elif q.qtype == "multichoice":
            add("\n    <single>true</single>\n    <shuffleanswers>true</shuffleanswers>\n    <answernumbering>abc</answernumbering>"
                "\n    <showstandardinstruction>0</showstandardinstruction>" + _FEEDBACKS)
            for a in q.answers:
                add(f'\n    <answer fraction="{e(a.fraction)}" format="html">\n      <text>{c(a.text)}</text>'
                    f'\n      <feedback format="html"><text>{c(a.feedback)}</text></feedback>\n    </answer>')
        elif q.qtype == "matching":
            add("\n    <shuffleanswers>true</shuffleanswers>" + _FEEDBACKS)
            for left, right in q.pairs:
                add(f'\n    <subquestion format="html">\n      <text>{c(left)}</text>\n      <answer><text>{e(right)}</text></answer>\n    </subquestion>')
        add("\n  </question>")
    add("\n")
    return "".join(out)


def _top_elements(document: str) -> list[str]:
    """The tags of the root's children, read by the XML parser itself (expat, as ElementTree uses it).

    It checks all that parsing into a tree does (well-formed, legal characters and entities,
    one root) at a third of the cost, as it builds no tree: only the nesting depth is kept.
    """
    parser = expat.ParserCreate()
    top: list[str] = []
    depth = 0

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        if depth == 1:
            top.append(tag)
        depth += 1

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.Parse(document.encode("utf-8"), True)
    return top


def render_moodle_xml(categories: list[MoodleCategory], seed: int) -> str:
    """The Moodle XML file: each category's checked part (rendered now if it is not yet) inside <quiz>."""
    for category in categories:
        if not category.xml:
            render_category_xml(category)
    env = _environment("moodle")
    return env.get_template("quiz.xml.j2").render(categories=[{"xml": Markup(c.xml)} for c in categories], version=__version__, seed=seed)


@dataclass
class MoodleExport:
    text: str
    categories: list[MoodleCategory]
    seed: int  # the seed the variants were drawn with


def export_moodle(
    items: list[ExportItem], count: int, seed: int, penalty: float = DEFAULT_PENALTY, allow_fewer: bool = False,
    progress: Callable[[], None] | None = None, workers: int | None = None,
) -> MoodleExport:
    """The Moodle XML text of N variants of each template, and the categories it holds."""
    categories = build_categories(items, count, seed, penalty, allow_fewer, progress, workers, finish=render_category_xml)
    return MoodleExport(render_moodle_xml(categories, seed), categories, seed)
