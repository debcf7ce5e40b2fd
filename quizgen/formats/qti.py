"""IMS QTI export: content packages in QTI 2.1 and 3.0 (``quizgen export qti``); Canvas's QTI 1.2 is in qti_canvas.py.

The same questions as the Moodle export (quizgen/formats/moodle.py), marked by the same rule,
|response − exact| ≤ absolute tolerance, with the same named mistakes and worked solutions:

* one ``assessmentItem`` per variant; an ``assessmentTest`` with one section per template that
  selects one item at random (``<selection select="1"/>``), so each student draws a variant;
  the manifest's metadata names each item's template, topic and variant code;
* every number a student types is a ``textEntryInteraction`` (a float response): a vector or
  matrix is one blank per element, as the Moodle cloze. The response processing writes the
  rule as an explicit range, ``<and><gte>response, low</gte><lte>response, high</lte></and>``,
  with the bounds as base values rounded outward (never ``toleranceMode``, which Canvas's QTI
  2.x converter ignores, and never a relative tolerance, which the spec's formula makes empty
  around a negative key). Several blanks: one outcome per blank (``SCORE_k``), summed into
  SCORE, so a partly right answer gets part of the marks;
* a named mistake's value (± the tolerance, reaching its rounded value) adds its identifier
  to FEEDBACK, and its ``modalFeedback`` names the mistake; a multiple-choice option that
  encodes a mistake does the same through the option's identifier (``choiceInteraction``,
  shuffled); matching questions are a ``matchInteraction``;
* the key and the worked solution are a ``modalFeedback`` shown after every submission;
* maths is MathML made by latex2mathml, as on the self-test page, and only when the result is
  plain MathML (quizgen.formats.selftest.is_plain_mathml); otherwise the TeX is shown as code.

The XML is built as element trees (lxml), so every text from a bank reaches it escaped. QTI 3.0
is the same tree under 3.0's names (``qti-text-entry-interaction``, ``response-identifier``...):
one builder, two dialects. Every file is parsed and validated against the official schemas
shipped in quizgen/formats/schemas/ before the zip is returned; the zip's entries have fixed
times, so the same seed gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from latex2mathml.converter import convert as latex_to_mathml
from lxml import etree
from ..engine.fraction import Fraction, fraction_of_text  # fractions.Fraction in C (quicktions), several times faster

from .. import __version__
from ..engine.figures import variant_figures
from ..engine.generate import Variant, generate_allowing_fewer
from ..errors import QuizgenError, RenderError
from ..parallel import ordered_map, worker_count
from . import prose
from .figures import figure_size, figure_svg
from .moodle import Element, ExportItem, _key_tex, elements
from .records import variant_record
from .selftest import is_plain_mathml

FLAVOURS = ("canvas", "qti21", "qti30")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
DIGITS = 15  # significant digits of a bound: a double keeps 15 exactly
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no wall-clock time in an export
PARALLEL_FROM = 400  # variants: a smaller export is built in this process (a fork costs more than it saves)
MAX_ELEMENT_DEPTH = 64  # nesting a math formula may reach before it is refused (bounded recursion)


# ---------------------------------------------------------------------------
# What an export holds


@dataclass
class QtiPool:
    """One template's variants: a section of the test (QTI 2.x/3.0) or a question group (Canvas)."""

    template: str
    title: str
    topic: str
    items: list[str]  # item identifiers
    shortfall: int = 0  # variants asked for but not made (with allow_fewer)
    points: float = 1.0

    @property
    def made(self) -> int:
        return len(self.items)


@dataclass
class QtiExport:
    data: bytes  # the zip
    flavour: str
    pools: list[QtiPool]
    seed: int
    files: list[str] = field(default_factory=list)  # the zip's entries, in order
    notes: list[str] = field(default_factory=list)  # what this flavour could not keep, said once each

    @property
    def items(self) -> int:
        return sum(p.made for p in self.pools)


def check_flavour(flavour: str) -> str:
    if flavour not in FLAVOURS:
        raise QuizgenError(f"flavour={flavour!r} must be one of {', '.join(FLAVOURS)}")
    return flavour


variants_of = generate_allowing_fewer


# ---------------------------------------------------------------------------
# Numbers: exact values to the decimal text a QTI engine reads as a double


_DIRECTED = {rounding: Context(prec=DIGITS, rounding=rounding) for rounding in (ROUND_FLOOR, ROUND_CEILING)}


def bound_text(value: Fraction, up: bool) -> str:
    """Decimal text of an exact bound, to 15 significant digits, rounded outward (down for a low bound, up for a high one).

    Reading decimal text as a double is monotonic, so any typed number inside quizgen's
    interval is read inside the written one.
    """
    if value.denominator == 1:
        return str(value.numerator)
    number = _DIRECTED[ROUND_CEILING if up else ROUND_FLOOR].divide(Decimal(value.numerator), Decimal(value.denominator))
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass
class Range:
    """The interval a blank accepts, as written: [low, high], decimal text a QTI engine reads as doubles."""

    low: str
    high: str

    @cached_property
    def _bounds(self) -> tuple[Fraction, Fraction]:
        """The two texts as Fractions, parsed once: holds is asked for the key and each mistake's two values."""
        return fraction_of_text(self.low), fraction_of_text(self.high)

    def holds(self, value: Fraction) -> bool:
        low, high = self._bounds
        return low <= value <= high


def key_range(element: Element) -> Range:
    return Range(bound_text(element.exact - element.tolerance, up=False), bound_text(element.exact + element.tolerance, up=True))


@dataclass
class MistakeRange:
    name: str
    range: Range


def mistake_ranges(element: Element, key: Range) -> list[MistakeRange]:
    """Each named mistake's value ± the tolerance, reaching its rounded value (what a student who made it types), as Moodle's.

    A mistake whose value or rounded value the key's range already holds is left out: it is
    marked right, and can never be told apart.
    """
    found: list[MistakeRange] = []
    for value, shown, mistake in element.mistakes:
        typed = fraction_of_text(shown)
        if key.holds(typed) or key.holds(value):
            continue
        reach = max(element.tolerance, abs(typed - value))
        candidate = MistakeRange(mistake.name, Range(bound_text(value - reach, up=False), bound_text(value + reach, up=True)))
        if any(f.name == candidate.name and f.range == candidate.range for f in found):
            continue
        found.append(candidate)
    return found


def check_key(element: Element, key: Range, where: str) -> None:
    if not key.holds(fraction_of_text(element.rounded)):
        raise RenderError(f"{where}: the key {element.rounded} is outside its own accepted range [{key.low}, {key.high}]")


# ---------------------------------------------------------------------------
# Dialects: QTI 2.1 names (camelCase) and QTI 3.0 names (qti-kebab-case), one builder


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


class Dialect:
    """How one QTI version spells things: namespace, element and attribute names, schema locations."""

    version = "2.1"
    namespace = "http://www.imsglobal.org/xsd/imsqti_v2p1"
    schema_location = "http://www.imsglobal.org/xsd/imsqti_v2p1 http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
    item_type = "imsqti_item_xmlv2p1"
    test_type = "imsqti_test_xmlv2p1"

    def tag(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"

    def attribute(self, name: str) -> str:
        return name

    def q(self, name: str, *children: Any, text: str | None = None, **attributes: Any) -> etree._Element:
        """A QTI element (its name and attributes in this dialect's spelling), with children appended."""
        element = etree.Element(self.tag(self.element_name(name)), {self.attribute(k.rstrip("_")): _attribute_text(v) for k, v in attributes.items() if v is not None})
        if text is not None:
            element.text = text
        for child in children:
            element.append(child)
        return element

    def element_name(self, name: str) -> str:
        return name

    def html(self, name: str, text: str | None = None, **attributes: Any) -> etree._Element:
        """An XHTML element of the item body (the same name in every version), in QTI's namespace."""
        element = etree.Element(self.tag(name), {k.rstrip("_"): str(v) for k, v in attributes.items()})
        if text is not None:
            element.text = text
        return element

    def feedback_body(self, feedback: etree._Element, children: list[etree._Element]) -> None:
        feedback.extend(children)

    def root(self, name: str, **attributes: Any) -> etree._Element:
        element = etree.Element(self.tag(self.element_name(name)), nsmap={None: self.namespace, "xsi": XSI})
        element.set(f"{{{XSI}}}schemaLocation", self.schema_location)
        for key, value in attributes.items():
            if value is not None:
                element.set(self.attribute(key) if not key.startswith("{") else key, _attribute_text(value))
        return element


class Dialect30(Dialect):
    version = "3.0"
    namespace = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
    schema_location = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0 https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
    item_type = "imsqti_item_xmlv3p0"
    test_type = "imsqti_test_xmlv3p0"

    def element_name(self, name: str) -> str:
        return "qti-" + _kebab(name)

    def attribute(self, name: str) -> str:
        return name if name.startswith("{") else _kebab(name)

    def feedback_body(self, feedback: etree._Element, children: list[etree._Element]) -> None:
        body = self.q("contentBody")
        body.extend(children)
        feedback.append(body)


DIALECTS = {"qti21": Dialect(), "qti30": Dialect30()}


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------------
# Prose and maths as XHTML + MathML elements (the QTI item body; Canvas's HTML too)


class Html:
    """Makes the elements of prose: ``<p>`` with text, MathML ``<math>`` and, for TeX that cannot be MathML, ``<code>``.

    ``dialect`` None gives plain (namespace-less) HTML, which the Canvas flavour serialises
    into its ``mattext``.
    """

    def __init__(self, dialect: Dialect | None):
        self.dialect = dialect

    def el(self, name: str, text: str | None = None, **attributes: Any) -> etree._Element:
        if self.dialect is not None:
            return self.dialect.html(name, text, **attributes)
        element = etree.Element(name, {k.rstrip("_"): str(v) for k, v in attributes.items()})
        if text is not None:
            element.text = text
        return element

    def math(self, tex: str, display: bool = False) -> etree._Element:
        mathml = _mathml(tex, display)
        if mathml is None:
            return self.el("code", tex)
        return etree.fromstring(mathml)

    def paragraphs(self, text: str | None, where: str) -> list[etree._Element]:
        """Author prose (``$...$`` and ``$$...$$`` maths, paragraphs at blank lines), split by quizgen.formats.prose."""
        try:
            split = prose.paragraphs(text, strict=True)
        except ValueError as error:
            raise RenderError(f"{where}: {error}") from None
        blocks = []
        for segments in split:
            paragraph = self.el("p")
            for kind, body in segments:
                if kind == "text":
                    append_text(paragraph, body)
                else:
                    paragraph.append(self.math(body, display=kind == "display"))
            blocks.append(paragraph)
        return blocks

    def inline(self, text: str | None, where: str) -> list[Any]:
        """One paragraph's pieces (text and elements), to run on inside another element."""
        blocks = self.paragraphs(text, where)
        pieces: list[Any] = []
        for number, block in enumerate(blocks):
            if number:
                pieces.append(" ")
            if block.text:
                pieces.append(block.text)
            for child in block:
                pieces.append(child)
                if child.tail:
                    pieces.append(child.tail)
                    child.tail = None
        return pieces

    def line(self, name: str, *pieces: Any, **attributes: Any) -> etree._Element:
        """An element holding text and elements in order (strings become text or tails)."""
        element = self.el(name, **attributes)
        fill(element, pieces)
        return element

    def matrix(self, cells: list[Any], columns: int, **attributes: Any) -> etree._Element:
        """A matrix's blanks as a table, row by row (``cells`` in reading order)."""
        table, body = self.el("table", **attributes), self.el("tbody")
        for start in range(0, len(cells), columns):
            row = self.el("tr")
            for cell in cells[start:start + columns]:
                row.append(self.line("td", cell))
            body.append(row)
        table.append(body)
        return table


def fill(element: etree._Element, pieces: Iterable[Any]) -> etree._Element:
    for piece in pieces:
        if isinstance(piece, str):
            append_text(element, piece)
        else:
            element.append(piece)
    return element


def append_text(element: etree._Element, text: str) -> None:
    """Text after whatever the element holds so far (its text, or the last child's tail)."""
    if not text:
        return
    if len(element):
        last = element[-1]
        last.tail = (last.tail or "") + text
    else:
        element.text = (element.text or "") + text


@lru_cache(maxsize=4096)
def _mathml(tex: str, display: bool) -> bytes | None:
    """latex2mathml's MathML for TeX, or None when it fails or is not plain MathML (\\text{<svg ...>} is copied unescaped)."""
    try:
        mathml = latex_to_mathml(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds; the TeX is then shown as code
        return None
    if not is_plain_mathml(mathml):
        return None
    root = etree.fromstring(mathml.encode("utf-8"))
    if _depth(root) > MAX_ELEMENT_DEPTH:
        return None
    return etree.tostring(root, encoding="utf-8")


def _depth(element: etree._Element) -> int:
    deepest, stack = 0, [(element, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level <= MAX_ELEMENT_DEPTH:
            stack.extend((child, level + 1) for child in node)
    return deepest


def key_pieces(html: Html, answer: dict[str, Any]) -> list[Any]:
    """An answer's key as the solution shows it: a word as text, numbers as maths, pairs as arrows."""
    if answer["kind"] == "choice":
        return [f"{answer['label']}: {answer['rounded']}"]
    if answer["kind"] == "matching":
        return ["; ".join(f"{left} → {right}" for left, right in answer["rounded"])]
    unit = f" {answer['unit']}" if answer["unit"] else ""
    return [f"{answer['label']}: ", html.math(_key_tex(answer)), unit]


def solution_blocks(html: Html, variant: Variant, record: dict[str, Any]) -> list[etree._Element]:
    """The key and the worked solution, step by step: the feedback shown after every submission."""
    answers = record["answers"]
    blocks = [html.line("p", html.line("strong", "Answer" + ("s" if len(answers) > 1 else "")))]
    listing = html.el("ul")
    for answer in answers:
        listing.append(html.line("li", *key_pieces(html, answer)))
    blocks.append(listing)
    steps = record.get("steps") or []
    if steps:
        blocks.append(html.line("p", html.line("strong", "Worked solution")))
        ordered = html.el("ol")
        for step in steps:
            ordered.append(html.line("li", step["label"], " ", html.math(step["tex"], display=True)))
        blocks.append(ordered)
    if record.get("solution"):
        blocks.extend(html.paragraphs(record["solution"], f"{variant.template.source}: solution"))
    return blocks


def mistake_blocks(html: Html, label: str, feedback: str | None, where: str) -> list[etree._Element]:
    """'Forgot the +1? The formula ends with +1: ...' in one paragraph."""
    pieces = html.inline(feedback, where) if feedback else []
    return [html.line("p", html.line("strong", f"{label[:1].upper()}{label[1:]}?"), " ", *pieces)]


# ---------------------------------------------------------------------------
# Identifiers


def ncname(text: str) -> str:
    """An XML NCName (what QTI identifiers are) from a template id and a code: other characters become '_'."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", text)
    return name if re.match(r"[A-Za-z_]", name) else f"Q_{name}"


def item_identifier(template_id: str, code: str) -> str:
    return ncname(f"{template_id}-{code}")


def question_kind(record: dict[str, Any]) -> str:
    """'choice', 'matching' or 'blanks' (every number a blank), the three shapes of item."""
    if record["kind"] in ("multichoice", "concept"):
        return "choice"
    if record["kind"] == "matching":
        return "matching"
    for answer in record["answers"]:
        if answer["kind"] not in ("integer", "number", "vector", "matrix"):
            raise RenderError(f"{record['template']}: answers.{answer['name']}: a {answer['kind']} answer cannot be a blank")
    return "blanks"


# ---------------------------------------------------------------------------
# One item (QTI 2.1 or 3.0)


@dataclass
class Blank:
    response: str  # the response variable
    outcome: str  # its score outcome (one per blank when there are several)
    element: Element
    key: Range
    mistakes: list[MistakeRange]


@dataclass
class BuiltItem:
    identifier: str
    href: str
    root: etree._Element
    interaction: str  # for the manifest's qtiMetadata
    max_score: float
    variant: Variant = field(repr=False)
    record: dict[str, Any] = field(repr=False)
    media: list[tuple[str, bytes]] = field(default_factory=list)  # the figures: (path in the package, media/..., SVG)


@dataclass
class PackedItem:
    """An item as the package needs it once built and checked: plain data, so a worker process can send it back."""

    identifier: str
    href: str
    interaction: str
    code: str
    data: bytes
    media: list[tuple[str, bytes]] = field(default_factory=list)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class ItemBuilder:
    """Builds the ``assessmentItem`` of one variant in one dialect."""

    def __init__(self, dialect: Dialect, variant: Variant, points: float | None):
        self.d = dialect
        self.html = Html(dialect)
        self.variant = variant
        self.record = variant_record(variant)
        self.points = points
        self.template = variant.template
        self.identifier = item_identifier(self.template.id, variant.code or "")
        self.feedback: list[tuple[str, list[etree._Element]]] = []  # modalFeedback identifier → content
        self.media: list[tuple[str, bytes]] = []  # the figures' SVG files

    def _figures(self, part: str) -> list[etree._Element]:
        """The variant's figures for ``part``: each an <img> of an SVG file in the package's media/ (listed in the manifest), with alt text and caption."""
        blocks = []
        for figure in variant_figures(self.variant, part):
            name = f"{self.identifier}-figure-{figure.index + 1}-{part}.svg"
            width, height = figure_size(figure, part)
            self.media.append((f"media/{name}", figure_svg(figure, part).encode("utf-8")))
            blocks.append(self.html.line("p", self.html.el("img", src=f"../media/{name}", alt=figure.alt, width=round(width), height=round(height))))
            blocks.append(self.html.line("p", self.html.line("small", figure.caption)))
        return blocks

    # -- shared pieces

    def _outcome(self, identifier: str, base_type: str, default: str | None = None, cardinality: str = "single", **extra: Any) -> etree._Element:
        d = self.d
        element = d.q("outcomeDeclaration", identifier=identifier, cardinality=cardinality, baseType=base_type, **extra)
        if default is not None:
            element.append(d.q("defaultValue", d.q("value", text=default)))
        return element

    def _set(self, identifier: str, expression: etree._Element) -> etree._Element:
        return self.d.q("setOutcomeValue", expression, identifier=identifier)

    def _base(self, base_type: str, value: str) -> etree._Element:
        return self.d.q("baseValue", text=value, baseType=base_type)

    def _var(self, identifier: str) -> etree._Element:
        return self.d.q("variable", identifier=identifier)

    def _add_feedback(self, identifier: str) -> etree._Element:
        """FEEDBACK := FEEDBACK ∪ {identifier} (NULL sub-expressions of <multiple> are ignored)."""
        return self._set("FEEDBACK", self.d.q("multiple", self._var("FEEDBACK"), self._base("identifier", identifier)))

    def _range(self, response: str, bounds: Range) -> etree._Element:
        d = self.d
        return d.q("and",
                   d.q("gte", self._var(response), self._base("float", bounds.low)),
                   d.q("lte", self._var(response), self._base("float", bounds.high)))

    def _scaled(self, total: etree._Element, raw_max: int, max_score: float) -> etree._Element:
        """The sum of the blanks' scores as the item's score: itself, or scaled to the exam's points (exact for the full mark)."""
        if float(raw_max) == float(max_score):
            return total
        d = self.d
        if float(max_score) != 1.0:
            total = d.q("product", total, self._base("float", _number(max_score)))
        return d.q("divide", total, self._base("float", str(raw_max)))

    def _mistake_id(self, name: str) -> str:
        return ncname(f"MISTAKE_{name}")

    # -- the three shapes

    def build(self) -> BuiltItem:
        kind = question_kind(self.record)
        d = self.d
        root = d.root("assessmentItem", identifier=self.identifier, title=f"{self.template.title} ({self.variant.code})",
                      adaptive=False, timeDependent=False, toolName="quizgen", toolVersion=__version__)
        root.set(f"{{{XML_NS}}}lang", "en")
        body = d.q("itemBody")
        body.extend(self.html.paragraphs(self.record["text"], f"{self.template.source}: text"))
        body.extend(self._figures("question"))
        if kind == "blanks":
            declarations, interaction, processing, max_score = self._blanks(body)
        elif kind == "choice":
            declarations, interaction, processing, max_score = self._choice(body)
        else:
            declarations, interaction, processing, max_score = self._matching(body)
        body.append(self.html.line("p", f"Variant {self.variant.code}", class_="quizgen-variant"))
        outcomes = [
            self._outcome("SCORE", "float", "0", normalMaximum=_number(max_score), normalMinimum="0"),
            self._outcome("MAXSCORE", "float", _number(max_score)),
            self._outcome("FEEDBACK", "identifier", cardinality="multiple"),
        ]
        root.extend(declarations[0])
        root.extend(outcomes)
        root.extend(declarations[1])
        root.append(body)
        processing.append(self._add_feedback("SOLUTION"))
        root.append(processing)
        self.feedback.append(("SOLUTION", self._figures("solution") + solution_blocks(self.html, self.variant, self.record)))
        for identifier, content in self.feedback:
            feedback = d.q("modalFeedback", outcomeIdentifier="FEEDBACK", identifier=identifier, showHide="show")
            d.feedback_body(feedback, content)
            root.append(feedback)
        return BuiltItem(self.identifier, f"items/{self.identifier}.xml", root, interaction, max_score, self.variant, self.record, self.media)

    def _blanks(self, body: etree._Element) -> tuple[tuple[list, list], str, etree._Element, float]:
        d, html = self.d, self.html
        blanks: list[Blank] = []
        answers = self.variant.answers
        total = sum(len(elements(self.variant, answer)) for answer in answers)
        for answer, shown in zip(answers, self.record["answers"]):
            where = f"{self.template.source}: answers.{answer.spec.name}"
            made = []
            for element in elements(self.variant, answer):
                number = len(blanks) + 1
                response = "RESPONSE" if total == 1 else f"RESPONSE_{number}"
                key = key_range(element)
                check_key(element, key, where)
                blank = Blank(response, "SCORE" if total == 1 else f"SCORE_{number}", element, key, mistake_ranges(element, key))
                blanks.append(blank)
                made.append(d.q("textEntryInteraction", responseIdentifier=response, expectedLength=max(6, len(element.rounded) + 2)))
            label = shown["label"]
            unit = f" {shown['unit']}" if shown["unit"] else ""
            unit_note = f" ({shown['unit']})" if shown["unit"] else ""
            if shown["kind"] == "matrix":
                columns = answer.value.shape[1]
                body.append(html.line("p", f"{_first_upper(label)}{unit_note}:"))
                body.append(html.matrix(made, columns, class_="quizgen-matrix"))
            elif shown["kind"] == "vector":
                pieces: list[Any] = [f"{_first_upper(label)}: [ "]
                for index, blank_element in enumerate(made):
                    pieces += ([" , "] if index else []) + [blank_element]
                body.append(html.line("p", *pieces, " ]", unit))
            else:
                body.append(html.line("p", f"{_first_upper(label)}: ", made[0], unit))
        max_score = 1.0 if self.points is None else float(self.points)  # a question is worth the same whatever its variant's blanks
        responses = []
        for blank in blanks:
            responses.append(d.q("responseDeclaration", d.q("correctResponse", d.q("value", text=blank.element.rounded)),
                                 identifier=blank.response, cardinality="single", baseType="float"))
        per_blank = [] if total == 1 else [self._outcome(b.outcome, "float", "0", normalMaximum="1") for b in blanks]
        processing = d.q("responseProcessing")
        seen: set[str] = set()
        for blank in blanks:
            score = self._base("float", _number(max_score) if total == 1 else "1")
            condition = d.q("responseCondition", d.q("responseIf", self._range(blank.response, blank.key), self._set(blank.outcome, score)))
            for mistake in blank.mistakes:
                identifier = self._mistake_id(mistake.name)
                condition.append(d.q("responseElseIf", self._range(blank.response, mistake.range), self._add_feedback(identifier)))
                if identifier not in seen:
                    seen.add(identifier)
                    source = next(m for _, _, m in blank.element.mistakes if m.name == mistake.name)
                    self.feedback.append((identifier, mistake_blocks(html, source.label, self._mistake_text(source.name, source.feedback), f"{self.template.source}: mistakes.{source.name}.feedback")))
            processing.append(condition)
        if total > 1:
            processing.append(self._set("SCORE", self._scaled(d.q("sum", *[self._var(b.outcome) for b in blanks]), total, max_score)))
        return (responses, per_blank), "textEntryInteraction", processing, max_score

    def _mistake_text(self, name: str, fallback: str) -> str:
        for mistake in self.record["mistakes"]:
            if mistake["name"] == name:
                return mistake["feedback"]
        return fallback

    def _choice(self, body: etree._Element) -> tuple[tuple[list, list], str, etree._Element, float]:
        d, html = self.d, self.html
        concept = self.record["answers"][0]["kind"] == "choice"
        interaction = d.q("choiceInteraction", responseIdentifier="RESPONSE", shuffle=True, maxChoices=1)
        correct = None
        for option, shown in zip(self.variant.options, self.record["options"]):
            identifier = ncname(f"CHOICE_{option.label}")
            content = [shown["rounded"]] if concept else [html.math(shown["tex"])]
            interaction.append(fill(d.q("simpleChoice", identifier=identifier), content))
            if option.correct:
                correct = identifier
                self.feedback.append((identifier, [html.line("p", "Right.")]))
            elif option.source is not None:
                where = f"{self.template.source}: mistakes.{option.source.name}.feedback"
                self.feedback.append((identifier, mistake_blocks(html, option.source.label, self._mistake_text(option.source.name, option.source.feedback), where)))
        if correct is None:
            raise RenderError(f"{self.template.source}: no option is right")
        body.append(interaction)
        max_score = 1.0 if self.points is None else float(self.points)
        response = d.q("responseDeclaration", d.q("correctResponse", d.q("value", text=correct)), identifier="RESPONSE", cardinality="single", baseType="identifier")
        processing = d.q("responseProcessing",
                         d.q("responseCondition", d.q("responseIf", d.q("match", self._var("RESPONSE"), self._base("identifier", correct)),
                                                      self._set("SCORE", self._base("float", _number(max_score))))),
                         self._set("FEEDBACK", d.q("multiple", self._var("RESPONSE"))))
        return ([response], []), "choiceInteraction", processing, max_score

    def _matching(self, body: etree._Element) -> tuple[tuple[list, list], str, etree._Element, float]:
        d = self.d
        matching = self.record["matching"]
        lefts, rights = matching["left"], matching["right"]
        left_id = {left: f"L{i + 1}" for i, left in enumerate(lefts)}
        right_id = {right: f"R{i + 1}" for i, right in enumerate(rights)}
        pairs = [(left_id[left], right_id[right]) for left, right in self.record["answers"][0]["exact"]]
        interaction = d.q("matchInteraction", responseIdentifier="RESPONSE", shuffle=True, maxAssociations=len(pairs))
        interaction.append(d.q("prompt", text=" → ".join(matching["columns"])))
        for side, ids in ((lefts, left_id), (rights, right_id)):
            match_set = d.q("simpleMatchSet")
            for text in side:
                match_set.append(d.q("simpleAssociableChoice", text=text, identifier=ids[text], matchMax=1))
            interaction.append(match_set)
        body.append(interaction)
        max_score = 1.0 if self.points is None else float(self.points)
        response = d.q("responseDeclaration",
                       d.q("correctResponse", *[d.q("value", text=f"{a} {b}") for a, b in pairs]),
                       d.q("mapping", *[d.q("mapEntry", mapKey=f"{a} {b}", mappedValue=1) for a, b in pairs], defaultValue=0),
                       identifier="RESPONSE", cardinality="multiple", baseType="directedPair")
        processing = d.q("responseProcessing", self._set("SCORE", self._scaled(d.q("mapResponse", identifier="RESPONSE"), len(pairs), max_score)))
        return ([response], []), "matchInteraction", processing, max_score


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------
# Test and manifest


def build_test(dialect: Dialect, pools: list[tuple[QtiPool, list[PackedItem]]], identifier: str, title: str) -> etree._Element:
    """One section per template, each selecting one of its items at random; SCORE is the sum of the items' SCOREs."""
    d = dialect
    root = d.root("assessmentTest", identifier=identifier, title=title, toolName="quizgen", toolVersion=__version__)
    root.append(d.q("outcomeDeclaration", d.q("defaultValue", d.q("value", text="0")), identifier="SCORE", cardinality="single", baseType="float"))
    part = d.q("testPart", identifier="part-1", navigationMode="nonlinear", submissionMode="individual")
    part.append(d.q("itemSessionControl", maxAttempts=1, showFeedback=True, allowReview=True, showSolution=True))
    for pool, items in pools:
        section = d.q("assessmentSection", identifier=ncname(f"S-{pool.template}"), title=pool.title, visible=True)
        section.append(d.q("selection", select=1))
        for item in items:
            section.append(d.q("assessmentItemRef", identifier=item.identifier, href=item.href))
        part.append(section)
    root.append(part)
    root.append(d.q("outcomeProcessing", d.q("setOutcomeValue", d.q("sum", d.q("testVariables", variableIdentifier="SCORE")), identifier="SCORE")))
    return root


IMSCP = "http://www.imsglobal.org/xsd/imscp_v1p1"
IMSMD = "http://www.imsglobal.org/xsd/imsmd_v1p2"
QTIMD21 = "http://www.imsglobal.org/xsd/imsqti_metadata_v2p1"
IMSCP30 = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
LOM = "http://ltsc.ieee.org/xsd/LOM"
QTIMD30 = "http://www.imsglobal.org/xsd/imsqti_metadata_v3p0"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def build_manifest(flavour: str, identifier: str, test_href: str, test_id: str, items: list[tuple[QtiPool, PackedItem]]) -> etree._Element:
    """imsmanifest.xml: the test and every item as resources; each item's metadata names its template, topic and variant code."""
    if flavour == "qti21":
        cp, nsmap = IMSCP, {None: IMSCP, "imsmd": IMSMD, "imsqti": QTIMD21, "xsi": XSI}
        location = f"{IMSCP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd {IMSMD} http://www.imsglobal.org/xsd/imsmd_v1p2p4.xsd {QTIMD21} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_metadata_v2p1.xsd"
        schema, version = "QTIv2.1 Package", "1.0.0"
    else:
        cp, nsmap = IMSCP30, {None: IMSCP30, "lom": LOM, "imsqti": QTIMD30, "xsi": XSI}
        location = f"{IMSCP30} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
        schema, version = "QTI Package", "3.0.0"
    dialect = DIALECTS[flavour]
    root = etree.Element(f"{{{cp}}}manifest", nsmap=nsmap)
    root.set("identifier", identifier)
    root.set(f"{{{XSI}}}schemaLocation", location)
    metadata = _sub(root, f"{{{cp}}}metadata")
    _sub(metadata, f"{{{cp}}}schema", schema)
    _sub(metadata, f"{{{cp}}}schemaversion", version)
    _sub(root, f"{{{cp}}}organizations")
    resources = _sub(root, f"{{{cp}}}resources")
    test = _sub(resources, f"{{{cp}}}resource", identifier=test_id, type=dialect.test_type, href=test_href)
    _sub(test, f"{{{cp}}}file", href=test_href)
    for _, item in items:
        _sub(test, f"{{{cp}}}dependency", identifierref=item.identifier)
    for pool, item in items:
        resource = _sub(resources, f"{{{cp}}}resource", identifier=item.identifier, type=dialect.item_type, href=item.href)
        meta = _sub(resource, f"{{{cp}}}metadata")
        title = f"{pool.title} ({item.code})"
        description = f"quizgen template {pool.template}, topic {pool.topic}, variant {item.code}"
        if flavour == "qti21":
            lom = _sub(meta, f"{{{IMSMD}}}lom")
            general = _sub(lom, f"{{{IMSMD}}}general")
            _sub(general, f"{{{IMSMD}}}identifier", item.identifier)
            _sub(_sub(general, f"{{{IMSMD}}}title"), f"{{{IMSMD}}}langstring", title, **{f"{{{XML_NS}}}lang": "en"})
            for catalog, entry in (("quizgen-template", pool.template), ("quizgen-variant", item.code)):
                catalogentry = _sub(general, f"{{{IMSMD}}}catalogentry")
                _sub(catalogentry, f"{{{IMSMD}}}catalog", catalog)
                _sub(_sub(catalogentry, f"{{{IMSMD}}}entry"), f"{{{IMSMD}}}langstring", entry)
            _sub(_sub(general, f"{{{IMSMD}}}description"), f"{{{IMSMD}}}langstring", description, **{f"{{{XML_NS}}}lang": "en"})
            _sub(_sub(general, f"{{{IMSMD}}}keyword"), f"{{{IMSMD}}}langstring", pool.topic)
            qti = _sub(meta, f"{{{QTIMD21}}}qtiMetadata")
            _sub(qti, f"{{{QTIMD21}}}timeDependent", "false")
            _sub(qti, f"{{{QTIMD21}}}interactionType", item.interaction)
            _sub(qti, f"{{{QTIMD21}}}feedbackType", "nonadaptive")
            _sub(qti, f"{{{QTIMD21}}}solutionAvailable", "true")
            _sub(qti, f"{{{QTIMD21}}}toolName", "quizgen")
            _sub(qti, f"{{{QTIMD21}}}toolVersion", __version__)
        else:
            qti = _sub(meta, f"{{{QTIMD30}}}qtiMetadata")
            _sub(qti, f"{{{QTIMD30}}}timeDependent", "false")
            _sub(qti, f"{{{QTIMD30}}}interactionType", item.interaction)
            _sub(qti, f"{{{QTIMD30}}}feedbackType", "nonadaptive")
            _sub(qti, f"{{{QTIMD30}}}solutionAvailable", "true")
            _sub(qti, f"{{{QTIMD30}}}toolName", "quizgen")
            _sub(qti, f"{{{QTIMD30}}}toolVersion", __version__)
            lom = _sub(meta, f"{{{LOM}}}lom")
            general = _sub(lom, f"{{{LOM}}}general")
            for catalog, entry in (("quizgen-item", item.identifier), ("quizgen-template", pool.template), ("quizgen-variant", item.code)):
                identifier_element = _sub(general, f"{{{LOM}}}identifier")
                _sub(identifier_element, f"{{{LOM}}}catalog", catalog)
                _sub(identifier_element, f"{{{LOM}}}entry", entry)
            _sub(_sub(general, f"{{{LOM}}}title"), f"{{{LOM}}}string", title, language="en")
            _sub(_sub(general, f"{{{LOM}}}description"), f"{{{LOM}}}string", description, language="en")
            _sub(_sub(general, f"{{{LOM}}}keyword"), f"{{{LOM}}}string", pool.topic, language="en")
        _sub(resource, f"{{{cp}}}file", href=item.href)
        for path, _ in getattr(item, "media", []):
            _sub(resource, f"{{{cp}}}file", href=path)
    return root


# ---------------------------------------------------------------------------
# Validation: every file parses and matches the official schema before it is written


class _Offline(etree.Resolver):
    """Schema imports of remote URLs (the QTI 3.0 packaging extension imports xlink from the web) get an empty schema: nothing is fetched."""

    def resolve(self, url, public_id, context):  # noqa: ANN001 (lxml's signature)
        if url and re.match(r"https?://", url):
            namespace = "http://www.w3.org/1999/xlink" if "xlink" in url else "urn:quizgen:unused"
            return self.resolve_string(f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{namespace}"/>', context)
        return None


def _schema_parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Offline())
    return parser


_DRIVERS = {
    # A manifest's metadata holds elements of other schemas: one small schema imports them all.
    "qti21-manifest": [(IMSCP, "imscp_v1p1.xsd"), (IMSMD, "imsmd_v1p2p4.xsd"), (QTIMD21, "qtiv2p1/imsqti_metadata_v2p1.xsd")],
}
_SCHEMA_FILES = {
    "qti21": "qtiv2p1/imsqti_v2p1.xsd",
    "qti30": "qtiv3p0/imsqti_asiv3p0_sbacv1p0_v1p0.xsd",
    "qti30-manifest": "qtiv3p0/imsqtiv3p0_imscpv1p2_v1p0.xsd",
}


@lru_cache(maxsize=None)
def schema(kind: str) -> etree.XMLSchema:
    """The compiled XSD for 'qti21', 'qti30' (items and tests), 'qti21-manifest' or 'qti30-manifest' (compiled once per process)."""
    parser = _schema_parser()
    try:
        if kind in _DRIVERS:
            imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{(SCHEMAS / path).as_uri()}"/>' for ns, path in _DRIVERS[kind])
            document = etree.fromstring(f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'.encode(), parser)
            return etree.XMLSchema(document)
        return etree.XMLSchema(etree.parse(str(SCHEMAS / _SCHEMA_FILES[kind]), parser))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as error:
        raise RenderError(f"the {kind} schema shipped with quizgen does not load ({error})") from None


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def check_file(name: str, data: bytes, kind: str | None) -> None:
    """Parse ``data`` again (as an LMS will) and, for ``kind``, validate it against that schema; a failure names the file and line."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=False)
    try:
        document = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise RenderError(f"{name}: does not parse ({error})") from None
    if kind is None:
        return
    validator = schema(kind)
    if not validator.validate(document):
        first = validator.error_log[0]
        raise RenderError(f"{name}: not valid QTI ({kind} schema), line {first.line}: {first.message}")


# ---------------------------------------------------------------------------
# The zip


def zip_bytes(files: list[tuple[str, bytes]]) -> bytes:
    """A zip of these files in this order, with fixed times and permissions: the same files give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def package_identifier(flavour: str, seed: int, pools: list[QtiPool]) -> str:
    """Stable: the same templates, seed and variants give the same identifier."""
    import hashlib

    digest = hashlib.sha256(repr((flavour, seed, [(p.template, p.items) for p in pools])).encode()).hexdigest()[:12]
    return f"quizgen-{digest}"


def check_points(items: list[ExportItem]) -> None:
    for item in items:
        if item.points is not None and not (math.isfinite(item.points) and item.points > 0):
            raise QuizgenError(f"{item.template.id}: points={item.points} must be a positive number")


def export_qti(
    items: list[ExportItem], count: int, seed: int, flavour: str = "qti21", allow_fewer: bool = False,
    progress: Callable[[], None] | None = None, title: str | None = None,
) -> QtiExport:
    """The zip of ``count`` distinct variants of each template in one flavour ('qti21', 'qti30' or 'canvas')."""
    check_flavour(flavour)
    check_points(items)
    if flavour == "canvas":
        from .qti_canvas import export_canvas

        return export_canvas(items, count, seed, allow_fewer, progress, title)
    dialect = DIALECTS[flavour]
    processes = worker_count(len(items)) if count * len(items) >= PARALLEL_FROM else 1

    def build(item: ExportItem) -> tuple[QtiPool, list[PackedItem]]:
        """One template's pool, its items built, serialised and validated (in a worker for a large export)."""
        template = item.template
        pool = QtiPool(template.id, template.title, template.topic, [], points=1.0 if item.points is None else float(item.points))
        made: list[PackedItem] = []
        for variant in variants_of(template, count, seed, item.nice, allow_fewer):
            one = ItemBuilder(dialect, variant, item.points).build()
            data = serialise(one.root)
            check_file(one.href, data, flavour)
            made.append(PackedItem(one.identifier, one.href, one.interaction, variant.code or "", data, one.media))
            pool.items.append(one.identifier)
            if progress and processes == 1:
                progress()
        pool.shortfall = count - len(made)
        return pool, made

    if processes > 1:
        schema(flavour)  # compiled once, before the workers fork, rather than once in each
    built: list[tuple[QtiPool, list[PackedItem]]] = []
    for pool, made in ordered_map(build, items, processes):
        if progress and processes > 1:
            for _ in made:
                progress()
        built.append((pool, made))
    files = [entry for _, made in built for one in made for entry in [(one.href, one.data), *one.media]]
    pools = [pool for pool, _ in built]
    identifier = package_identifier(flavour, seed, pools)
    test_title = title or f"quizgen: {len(pools)} question{'s' if len(pools) != 1 else ''}, one variant each (seed {seed})"
    test = serialise(build_test(dialect, built, f"T-{identifier}", test_title))
    check_file("test.xml", test, flavour)
    manifest = serialise(build_manifest(flavour, f"M-{identifier}", "test.xml", f"T-{identifier}", [(pool, one) for pool, made in built for one in made]))
    check_file("imsmanifest.xml", manifest, f"{flavour}-manifest")
    ordered = [("imsmanifest.xml", manifest), ("test.xml", test)] + files
    notes = [
        f"QTI {dialect.version}: an LMS that imports the items but not the test must be set to draw one item per template itself (docs/lms.md says how for each LMS)",
        f"QTI {dialect.version}: matching questions have no feedback per wrong pair (the worked solution is shown)",
    ]
    return QtiExport(zip_bytes(ordered), flavour, pools, seed, [name for name, _ in ordered], notes)
