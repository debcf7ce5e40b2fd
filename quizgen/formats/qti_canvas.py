"""Canvas's QTI (``quizgen export qti --flavour canvas``): QTI 1.2 with Canvas's metadata, as Canvas Classic Quizzes writes it.

Canvas imports a QTI 1.2 zip through its ``qti_converter`` migration (canvas-lms
gems/plugins/qti_exporter, with Instructure's QTIMigrationTool): the question type comes from
the ``question_type`` metadata field, and its converters read only the shapes Canvas itself
exports (text2qti and R/exams write the same). This module writes those shapes:

* one question group per template (a ``section`` whose ``selection_number`` is 1, with
  ``points_per_item``), so each student draws one variant;
* a single number → ``numerical_question`` with a range answer (``vargte``/``varlte``). Canvas
  Classic Quizzes keeps numbers to 4 decimal places (a typed answer is rounded to 4 decimals:
  text2qti, issue 51), so the range is written at 4 decimals, rounded *inward* (it never
  accepts what quizgen's rule rejects); an answer that needs more decimals, or whose range
  would then lose the key, becomes a text blank instead;
* several numbers (vectors, matrices, multi-part) → ``fill_in_multiple_blanks_question``: each
  blank accepts the text of every decimal at the key's precision that quizgen's rule accepts
  (Canvas compares a blank's text, not its number), capped at :data:`MAX_ACCEPTED`;
* multiple choice → ``multiple_choice_question`` with each wrong option's named-mistake
  feedback; matching → ``matching_question``;
* the key and the worked solution are the general feedback (``general_fb``); Canvas has no
  feedback for a particular wrong number, so the named mistakes of typed answers are listed in
  the incorrect-answer feedback.

Maths is MathML inside the HTML (browsers draw it natively), made as for QTI 2.x.

A figure is an SVG file of the package, ``media/<item>-figure-<n>-<part>.svg``, listed in
``imsmanifest.xml`` as a ``webcontent`` resource, and shown by an ``<img>`` whose ``src`` is
``$IMS-CC-FILEBASE$/media/...``, with the figure's alt text (its numbers) and its caption. That
is the path Canvas reads: QTIMigrationTool copies every non-XML ``<file>`` of the manifest into
the QTI 2.1 package and leaves the question's HTML as it is; Canvas's ``Qti.convert_files``
makes each such file a course file (an attachment whose path is its ``href``), and its
``Importers::LinkParser`` turns ``$IMS-CC-FILEBASE$/<path>`` into a link to the file at that
path (``LinkResolver#resolve_relative_file_url``). text2qti writes its images the same way.

Every file is parsed again and checked (the key inside its range, every blank declared, every
figure's file in the zip and in the manifest) before the zip is returned; QTI 1.2 is not
validated against an XSD, since Canvas's importer reads no schema.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from lxml import etree
from ..engine.fraction import Fraction, fraction_of_text  # fractions.Fraction in C (quicktions), several times faster

from .. import __version__
from ..engine.figures import variant_figures
from ..engine.generate import Variant
from ..errors import RenderError
from ..parallel import ordered_map, worker_count
from .figures import figure_size, figure_svg
from .moodle import Element, ExportItem, elements
from .qti import (
    PARALLEL_FROM, Html, QtiExport, QtiPool, check_file, fill, item_identifier, mistake_blocks, ncname, package_identifier,
    question_kind, solution_blocks, variants_of, zip_bytes,
)
from .records import variant_record

QTI12 = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CANVAS_META = "http://canvas.instructure.com/xsd/cccv1p0"
IMSCC = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PLACES = 4  # decimal places Canvas Classic Quizzes keeps of a number
MAX_ACCEPTED = 41  # texts one blank accepts, at most (a wider tolerance keeps those nearest the key)
FILEBASE = "$IMS-CC-FILEBASE$"  # the package's root, in a question's HTML (Canvas's WEB_CONTENT_TOKEN)
MEDIA = "media"  # the figures' folder in the package
QUESTION_TYPES = ("numerical_question", "fill_in_multiple_blanks_question", "multiple_choice_question", "matching_question")


# ---------------------------------------------------------------------------
# Numbers as Canvas keeps them


def _scaled(value: Fraction, places: int, up: bool) -> Fraction:
    step = Fraction(1, 10 ** places)
    units = value / step
    return (math.ceil(units) if up else math.floor(units)) * step


def _decimal(value: Fraction, places: int) -> str:
    """A value that is a whole number of 10^-places, as positional text with exactly that many decimals."""
    units = value * 10 ** places
    if units.denominator != 1:
        raise RenderError(f"{value} is not a multiple of 10^-{places}")
    sign = "-" if units < 0 else ""
    digits = str(abs(units.numerator)).rjust(places + 1, "0")
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


def _places(shown: str) -> int | None:
    """Decimals of a key as shown ('0.6590' → 4); None for text that is not plain positional."""
    body = shown.lstrip("-")
    if not body.replace(".", "", 1).isdigit():
        return None
    return len(body.split(".", 1)[1]) if "." in body else 0


def canvas_range(element: Element) -> tuple[str, str] | None:
    """The range a numerical_question writes, at 4 decimals rounded inward; None when the key needs more or would fall outside."""
    places = _places(element.rounded)
    if places is None or places > PLACES:
        return None
    low = _scaled(element.exact - element.tolerance, PLACES, up=True)
    high = _scaled(element.exact + element.tolerance, PLACES, up=False)
    key = fraction_of_text(element.rounded)
    if not low <= key <= high:
        return None
    return _trim(_decimal(low, PLACES)), _trim(_decimal(high, PLACES))


def _trim(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def accepted_texts(element: Element) -> tuple[list[str], bool]:
    """The texts a blank accepts: every decimal at the key's precision within the tolerance, as shown and with trailing zeros cut.

    The second value is True when the tolerance held more than :data:`MAX_ACCEPTED` of them
    (those nearest the key are kept).
    """
    shown = element.rounded
    places = _places(shown)
    if places is None:
        return [shown], False
    step = Fraction(1, 10 ** places)
    first = math.ceil((element.exact - element.tolerance) / step)
    last = math.floor((element.exact + element.tolerance) / step)
    centre = round(fraction_of_text(shown) / step)
    capped = last - first + 1 > MAX_ACCEPTED
    if capped:  # the MAX_ACCEPTED nearest the key, never a list as long as the tolerance is wide
        half = MAX_ACCEPTED // 2
        start = min(max(first, centre - half), last - MAX_ACCEPTED + 1)
        first, last = start, start + MAX_ACCEPTED - 1
    units = range(first, last + 1)
    texts: list[str] = []
    for unit in units:
        text = _decimal(unit * step, places)
        for spelling in (text, _trim(text)):
            if spelling not in texts:
                texts.append(spelling)
    if shown not in texts:
        raise RenderError(f"the key {shown} is outside the texts its blank accepts")
    return texts, capped


# ---------------------------------------------------------------------------
# Building the QTI 1.2 item of one variant


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: Any) -> etree._Element:
    element = etree.SubElement(parent, f"{{{QTI12}}}{tag}" if not tag.startswith("{") else tag, {k: str(v) for k, v in attributes.items()})
    if text:  # an empty text is no text: '<fieldentry/>', whether the item was built here or in a worker
        element.text = text
    return element


def _html(blocks: list[etree._Element]) -> str:
    """Elements as the HTML text a ``mattext`` holds (lxml escapes it once more inside the XML)."""
    return "\n".join(etree.tostring(block, encoding="unicode") for block in blocks)


def _mattext(parent: etree._Element, html: str, texttype: str = "text/html") -> None:
    _sub(_sub(parent, "material"), "mattext", html, texttype=texttype)


def _score(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _points(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass
class CanvasItem:
    identifier: str
    root: etree._Element
    question_type: str
    points: float
    text_fallback: bool = False  # a single number written as a text blank (it needs more than 4 decimals)
    capped: bool = False  # some blank's tolerance held more texts than it lists
    xml: bytes = b""  # the item as text, while it travels back from a worker process
    media: list[tuple[str, bytes]] = field(default_factory=list)  # the figures: (path in the package, SVG)


class CanvasBuilder:
    def __init__(self, variant: Variant, points: float | None):
        self.variant = variant
        self.template = variant.template
        self.record = variant_record(variant)
        self.points = points
        self.html = Html(None)
        # Canvas's own identifiers are word characters and dashes; its QTI 1.2 → 2.1 step rewrites a '.' as '_'
        self.identifier = item_identifier(self.template.id, variant.code or "").replace(".", "_")
        self.feedbacks: list[tuple[str, str]] = []  # itemfeedback ident → HTML
        self.media: list[tuple[str, bytes]] = []  # the figures' SVG files

    def build(self) -> CanvasItem:
        kind = question_kind(self.record)
        item = etree.Element(f"{{{QTI12}}}item", ident=self.identifier, title=f"{self.template.title} ({self.variant.code})")
        text = self.html.paragraphs(self.record["text"], f"{self.template.source}: text") + self._figures("question")
        if kind == "choice":
            result = self._choice(item, text)
        elif kind == "matching":
            result = self._matching(item, text)
        else:
            result = self._blanks(item, text)
        self.feedbacks.insert(0, ("general_fb", _html(self._figures("solution") + solution_blocks(self.html, self.variant, self.record))))
        for ident, html in self.feedbacks:
            feedback = _sub(item, "itemfeedback", ident=ident)
            _mattext(_sub(feedback, "flow_mat"), html)
        result.media = self.media
        return result

    def _figures(self, part: str) -> list[etree._Element]:
        """The variant's figures for ``part``: each an <img> of an SVG file of the package, at Canvas's ``$IMS-CC-FILEBASE$`` path, with alt text and caption."""
        blocks = []
        for figure in variant_figures(self.variant, part):
            path = f"{MEDIA}/{self.identifier}-figure-{figure.index + 1}-{part}.svg"
            width, height = figure_size(figure, part)
            self.media.append((path, figure_svg(figure, part).encode("utf-8")))
            image = self.html.el("img", src=f"{FILEBASE}/{path}", alt=figure.alt, width=round(width), height=round(height),
                                 style="max-width: 100%; height: auto;")
            blocks.append(self.html.line("p", image))
            blocks.append(self.html.line("p", self.html.line("small", figure.caption)))
        return blocks

    def _metadata(self, item: etree._Element, question_type: str, points: float, answer_ids: list[str]) -> None:
        metadata = etree.Element(f"{{{QTI12}}}itemmetadata")
        item.insert(0, metadata)
        fields = _sub(metadata, "qtimetadata")
        for label, entry in (
            ("question_type", question_type), ("points_possible", _points(points)), ("original_answer_ids", ",".join(answer_ids)),
            ("assessment_question_identifierref", f"{self.identifier}-ref"), ("quizgen_template", self.template.id),
            ("quizgen_topic", self.template.topic), ("quizgen_variant", self.variant.code or ""),
        ):
            field = _sub(fields, "qtimetadatafield")
            _sub(field, "fieldlabel", label)
            _sub(field, "fieldentry", entry)

    def _processing(self, item: etree._Element) -> etree._Element:
        processing = _sub(item, "resprocessing")
        _sub(_sub(processing, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
        condition = _sub(processing, "respcondition", **{"continue": "Yes"})
        _sub(_sub(condition, "conditionvar"), "other")
        _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
        return processing

    def _incorrect(self, processing: etree._Element, elements_and_labels: list[tuple[Element, str]]) -> None:
        """Canvas has no feedback for one wrong number: the named mistakes of the typed answers, listed as the incorrect feedback."""
        blocks: list[etree._Element] = []
        seen: set[str] = set()
        for element, label in elements_and_labels:
            for _, shown, mistake in element.mistakes:
                if mistake.name in seen:
                    continue
                seen.add(mistake.name)
                text = next((m["feedback"] for m in self.record["mistakes"] if m["name"] == mistake.name), mistake.feedback)
                blocks += mistake_blocks(self.html, f"{label} {shown}: {mistake.label}", text, f"{self.template.source}: mistakes.{mistake.name}.feedback")
        if not blocks:
            return
        blocks.insert(0, self.html.line("p", "Not right? These are the mistakes that give a wrong answer near the one you typed:"))
        self.feedbacks.append(("general_incorrect_fb", _html(blocks)))
        condition = _sub(processing, "respcondition", **{"continue": "Yes"})
        _sub(_sub(condition, "conditionvar"), "other")
        _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid="general_incorrect_fb")

    # -- numbers

    def _blanks(self, item: etree._Element, text: list[etree._Element]) -> CanvasItem:
        answers = self.variant.answers
        parts = [(answer, shown, elements(self.variant, answer)) for answer, shown in zip(answers, self.record["answers"])]
        count = sum(len(found) for _, _, found in parts)
        if count == 1:
            element = parts[0][2][0]
            bounds = canvas_range(element)
            if bounds is not None:
                return self._numerical(item, text, element, bounds, parts[0][1])
        return self._fill_in(item, text, parts, count)

    def _numerical(self, item: etree._Element, text: list[etree._Element], element: Element, bounds: tuple[str, str], shown: dict[str, Any]) -> CanvasItem:
        points = 1.0 if self.points is None else float(self.points)
        unit = f" ({shown['unit']})" if shown["unit"] else ""
        presentation = _sub(item, "presentation")
        _mattext(presentation, _html(text + [self.html.line("p", f"{shown['label'][:1].upper()}{shown['label'][1:]}{unit}: type a number."), self._code_line()]))
        response = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
        _sub(_sub(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
        processing = self._processing(item)
        condition = _sub(processing, "respcondition", **{"continue": "No"})
        variables = _sub(condition, "conditionvar")
        _sub(variables, "vargte", bounds[0], respident="response1")
        _sub(variables, "varlte", bounds[1], respident="response1")
        _sub(condition, "setvar", "100", action="Set", varname="SCORE")
        self._incorrect(processing, [(element, shown["label"])])
        self._metadata(item, "numerical_question", points, [])
        return CanvasItem(self.identifier, item, "numerical_question", points)

    def _code_line(self) -> etree._Element:
        return self.html.line("p", f"Variant {self.variant.code}")

    def _blank_prefix(self, html: str) -> str:
        """A blank id prefix the question's own text cannot contain as '[prefixN]' (Canvas would make it a blank)."""
        for attempt in range(10):
            prefix = "blank" + "x" * attempt
            if f"[{prefix}" not in html:
                return prefix
        raise RenderError(f"{self.template.source}: text: cannot find a blank name its text does not use")

    def _fill_in(self, item: etree._Element, text: list[etree._Element], parts: list, count: int) -> CanvasItem:
        html = self.html
        prefix = self._blank_prefix(_html(text))
        blocks = list(text)
        blanks: list[tuple[str, Element]] = []
        labelled: list[tuple[Element, str]] = []
        for answer, shown, found in parts:
            names = []
            for element in found:
                blanks.append((f"{prefix}{len(blanks) + 1}", element))
                names.append(f"[{blanks[-1][0]}]")
                labelled.append((element, shown["label"]))
            label = f"{shown['label'][:1].upper()}{shown['label'][1:]}"
            unit = f" {shown['unit']}" if shown["unit"] else ""
            if shown["kind"] == "matrix":
                columns = answer.value.shape[1]
                blocks.append(html.line("p", label + (" (" + shown["unit"] + ")" if shown["unit"] else "") + ":"))
                blocks.append(html.matrix(names, columns))
            elif shown["kind"] == "vector":
                blocks.append(html.line("p", f"{label}: [ " + " , ".join(names) + " ]" + unit))
            else:
                blocks.append(html.line("p", f"{label}: {names[0]}{unit}"))
        blocks.append(self._code_line())
        presentation = _sub(item, "presentation")
        _mattext(presentation, _html(blocks))
        processing_conditions = []
        answer_ids: list[str] = []
        capped = False
        for name, element in blanks:
            texts, too_many = accepted_texts(element)
            capped = capped or too_many
            lid = _sub(presentation, "response_lid", ident=f"response_{name}")
            _mattext(lid, name, texttype="text/plain")
            choices = _sub(lid, "render_choice")
            for number, accepted in enumerate(texts, start=1):
                ident = f"{name}_{number}"
                answer_ids.append(ident)
                label = _sub(choices, "response_label", ident=ident)
                _mattext(label, accepted, texttype="text/plain")
                processing_conditions.append((name, ident))
        processing = self._processing(item)
        share = _score(100 / len(blanks))
        for name, ident in processing_conditions:
            condition = _sub(processing, "respcondition")
            _sub(_sub(condition, "conditionvar"), "varequal", ident, respident=f"response_{name}")
            _sub(condition, "setvar", share, varname="SCORE", action="Add")
        self._incorrect(processing, labelled)
        points = 1.0 if self.points is None else float(self.points)  # the same for every variant of a template: a group has one value
        self._metadata(item, "fill_in_multiple_blanks_question", points, answer_ids)
        return CanvasItem(self.identifier, item, "fill_in_multiple_blanks_question", points, text_fallback=count == 1, capped=capped)

    # -- choice and matching

    def _choice(self, item: etree._Element, text: list[etree._Element]) -> CanvasItem:
        html = self.html
        concept = self.record["answers"][0]["kind"] == "choice"
        presentation = _sub(item, "presentation")
        _mattext(presentation, _html(text + [self._code_line()]))
        response = _sub(presentation, "response_lid", ident="response1", rcardinality="Single")
        choices = _sub(response, "render_choice")
        processing = self._processing(item)
        ids, correct = [], None
        for option, shown in zip(self.variant.options, self.record["options"]):
            ident = ncname(f"{self.identifier}-{option.label}").replace(".", "_")
            ids.append(ident)
            label = _sub(choices, "response_label", ident=ident)
            content = [shown["rounded"]] if concept else [html.math(shown["tex"])]
            _mattext(label, _html([fill(html.el("span"), content)]))
            if option.correct:
                correct = ident
            elif option.source is not None:
                where = f"{self.template.source}: mistakes.{option.source.name}.feedback"
                feedback = next((m["feedback"] for m in self.record["mistakes"] if m["name"] == option.source.name), option.source.feedback)
                self.feedbacks.append((f"{ident}_fb", _html(mistake_blocks(html, option.source.label, feedback, where))))
                condition = _sub(processing, "respcondition", **{"continue": "Yes"})
                _sub(_sub(condition, "conditionvar"), "varequal", ident, respident="response1")
                _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid=f"{ident}_fb")
        if correct is None:
            raise RenderError(f"{self.template.source}: no option is right")
        condition = _sub(processing, "respcondition", **{"continue": "No"})
        _sub(_sub(condition, "conditionvar"), "varequal", correct, respident="response1")
        _sub(condition, "setvar", "100", action="Set", varname="SCORE")
        points = 1.0 if self.points is None else float(self.points)
        self._metadata(item, "multiple_choice_question", points, ids)
        return CanvasItem(self.identifier, item, "multiple_choice_question", points)

    def _matching(self, item: etree._Element, text: list[etree._Element]) -> CanvasItem:
        matching = self.record["matching"]
        lefts, rights = matching["left"], matching["right"]
        partner = dict((left, right) for left, right in self.record["answers"][0]["exact"])
        right_id = {right: f"{self.identifier}-R{i + 1}" for i, right in enumerate(rights)}
        presentation = _sub(item, "presentation")
        _mattext(presentation, _html(text + [self._code_line()]))
        processing = self._processing(item)
        share = _score(100 / len(lefts))
        ids = []
        for number, left in enumerate(lefts, start=1):
            ident = f"{self.identifier}-L{number}"
            ids.append(ident)
            lid = _sub(presentation, "response_lid", ident=f"response_{ident}")
            _mattext(lid, left, texttype="text/plain")
            choices = _sub(lid, "render_choice")
            for right in rights:
                _mattext(_sub(choices, "response_label", ident=right_id[right]), right, texttype="text/plain")
            condition = _sub(processing, "respcondition")
            _sub(_sub(condition, "conditionvar"), "varequal", right_id[partner[left]], respident=f"response_{ident}")
            _sub(condition, "setvar", share, varname="SCORE", action="Add")
        points = 1.0 if self.points is None else float(self.points)
        self._metadata(item, "matching_question", points, ids)
        return CanvasItem(self.identifier, item, "matching_question", points)


# ---------------------------------------------------------------------------
# The assessment, its Canvas settings, the manifest


def check_item(item: CanvasItem) -> None:
    """What Canvas's importer needs of an item, checked on the element tree (no XSD: QTI 1.2 in Canvas's flavour has none it reads)."""
    root = item.root
    fields = {f.findtext(f"{{{QTI12}}}fieldlabel"): f.findtext(f"{{{QTI12}}}fieldentry") for f in root.iter(f"{{{QTI12}}}qtimetadatafield")}
    if fields.get("question_type") not in QUESTION_TYPES:
        raise RenderError(f"{item.identifier}: unknown Canvas question_type {fields.get('question_type')!r}")
    if item.question_type == "fill_in_multiple_blanks_question":
        text = root.find(f"{{{QTI12}}}presentation/{{{QTI12}}}material/{{{QTI12}}}mattext").text or ""
        for lid in root.iter(f"{{{QTI12}}}response_lid"):
            name = lid.get("ident").removeprefix("response_")
            if text.count(f"[{name}]") != 1:
                raise RenderError(f"{item.identifier}: blank [{name}] is not in the question text exactly once")


def build_assessment(identifier: str, title: str, groups: list[tuple[QtiPool, list[CanvasItem]]]) -> etree._Element:
    root = etree.Element(f"{{{QTI12}}}questestinterop", nsmap={None: QTI12, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{QTI12} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd")
    assessment = _sub(root, "assessment", ident=identifier, title=title)
    field = _sub(_sub(assessment, "qtimetadata"), "qtimetadatafield")
    _sub(field, "fieldlabel", "cc_maxattempts")
    _sub(field, "fieldentry", "1")
    top = _sub(assessment, "section", ident="root_section")
    for pool, items in groups:
        group = _sub(top, "section", ident=ncname(f"g-{pool.template}").replace(".", "_"), title=pool.title)
        selection = _sub(_sub(group, "selection_ordering"), "selection")
        _sub(selection, "selection_number", "1")
        _sub(_sub(selection, "selection_extension"), "points_per_item", _points(pool.points))
        for item in items:
            group.append(item.root)
    return root


def build_meta(identifier: str, title: str, points: float, templates: int) -> etree._Element:
    """assessment_meta.xml: the Classic Quiz's settings (answers shuffled, one attempt, correct answers shown after it)."""
    root = etree.Element(f"{{{CANVAS_META}}}quiz", nsmap={None: CANVAS_META, "xsi": XSI}, identifier=identifier)
    root.set(f"{{{XSI}}}schemaLocation", f"{CANVAS_META} https://canvas.instructure.com/xsd/cccv1p0.xsd")
    for name, value in (
        ("title", title), ("description", f"<p>{templates} question{'s' if templates != 1 else ''}: each student draws one variant of each (quizgen {__version__}).</p>"),
        ("shuffle_answers", "true"), ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"), ("points_possible", _points(points)),
        ("show_correct_answers", "true"), ("allowed_attempts", "1"), ("one_question_at_a_time", "false"), ("cant_go_back", "false"), ("available", "false"),
    ):
        etree.SubElement(root, f"{{{CANVAS_META}}}{name}").text = value
    return root


def build_manifest(identifier: str, assessment: str, meta: str, media: list[str] | None = None) -> etree._Element:
    """The package's manifest: the quiz, its settings, and each figure as a ``webcontent`` resource (QTIMigrationTool copies each into the package Canvas reads)."""
    root = etree.Element(f"{{{IMSCC}}}manifest", nsmap={None: IMSCC, "xsi": XSI}, identifier=identifier)
    root.set(f"{{{XSI}}}schemaLocation", f"{IMSCC} http://www.imsglobal.org/xsd/imscp_v1p1.xsd")
    metadata = etree.SubElement(root, f"{{{IMSCC}}}metadata")
    etree.SubElement(metadata, f"{{{IMSCC}}}schema").text = "IMS Content"
    etree.SubElement(metadata, f"{{{IMSCC}}}schemaversion").text = "1.1.3"
    etree.SubElement(root, f"{{{IMSCC}}}organizations")
    resources = etree.SubElement(root, f"{{{IMSCC}}}resources")
    quiz = etree.SubElement(resources, f"{{{IMSCC}}}resource", identifier=f"{identifier}-assessment", type="imsqti_xmlv1p2")
    etree.SubElement(quiz, f"{{{IMSCC}}}file", href=assessment)
    etree.SubElement(quiz, f"{{{IMSCC}}}dependency", identifierref=f"{identifier}-meta")
    settings = etree.SubElement(resources, f"{{{IMSCC}}}resource", identifier=f"{identifier}-meta", type="associatedcontent/imscc_xmlv1p1/learning-application-resource", href=meta)
    etree.SubElement(settings, f"{{{IMSCC}}}file", href=meta)
    for number, path in enumerate(media or [], start=1):
        resource = etree.SubElement(resources, f"{{{IMSCC}}}resource", identifier=f"{identifier}-media-{number}", type="webcontent", href=path)
        etree.SubElement(resource, f"{{{IMSCC}}}file", href=path)
    return root


_FILE_REFERENCE = re.compile(r'src="' + re.escape(FILEBASE) + r'/([^"]*)"')


def check_media(assessment: bytes, manifest: bytes, names: set[str]) -> None:
    """Every ``$IMS-CC-FILEBASE$`` path of a question's HTML is a file of the zip and of the manifest, and every figure file is used."""
    listed = {element.get("href") for element in etree.fromstring(manifest).iter(f"{{{IMSCC}}}file")}
    used: set[str] = set()
    for text in etree.fromstring(assessment).iter(f"{{{QTI12}}}mattext"):
        for path in _FILE_REFERENCE.findall(text.text or ""):
            if path not in names:
                raise RenderError(f"a question shows {FILEBASE}/{path}, which is not in the package")
            if path not in listed:
                raise RenderError(f"a question shows {FILEBASE}/{path}, which imsmanifest.xml does not list")
            used.add(path)
    media = {name for name in names if name.startswith(f"{MEDIA}/")}
    if media - used:
        raise RenderError(f"{min(media - used)}: in the package, but no question shows it")


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_canvas(items: list[ExportItem], count: int, seed: int, allow_fewer: bool = False,
                  progress: Callable[[], None] | None = None, title: str | None = None) -> QtiExport:
    processes = worker_count(len(items)) if count * len(items) >= PARALLEL_FROM else 1

    def build(export_item: ExportItem) -> tuple[QtiPool, list[CanvasItem]]:
        """One template's question group, its items built and checked (in a worker for a large export: sent back as XML text)."""
        template = export_item.template
        pool = QtiPool(template.id, template.title, template.topic, [])
        made: list[CanvasItem] = []
        for variant in variants_of(template, count, seed, export_item.nice, allow_fewer):
            built = CanvasBuilder(variant, export_item.points).build()
            check_item(built)
            made.append(built)
            pool.items.append(built.identifier)
            if progress and processes == 1:
                progress()
        pool.points = made[0].points
        if any(item.points != pool.points for item in made):
            raise RenderError(f"{template.id}: its variants are worth different points; a Canvas question group needs one value")
        pool.shortfall = count - len(made)
        if processes > 1:
            for item in made:
                item.xml, item.root = etree.tostring(item.root), None
        return pool, made

    groups: list[tuple[QtiPool, list[CanvasItem]]] = []
    for pool, made in ordered_map(build, items, processes):
        for item in made:
            if item.root is None:
                item.root = etree.fromstring(item.xml)
            if progress and processes > 1:
                progress()
        groups.append((pool, made))
    pools = [pool for pool, _ in groups]
    identifier = package_identifier("canvas", seed, pools)
    quiz_title = title or f"quizgen: {len(pools)} question{'s' if len(pools) != 1 else ''}, one variant each (seed {seed})"
    folder = identifier
    assessment = _bytes(build_assessment(identifier, quiz_title, groups))
    meta = _bytes(build_meta(identifier, quiz_title, sum(p.points for p in pools), len(pools)))
    every = [item for _, made in groups for item in made]
    media = [entry for item in every for entry in item.media]
    manifest = _bytes(build_manifest(f"M-{identifier}", f"{folder}/{folder}.xml", f"{folder}/assessment_meta.xml", [path for path, _ in media]))
    files = [("imsmanifest.xml", manifest), (f"{folder}/{folder}.xml", assessment), (f"{folder}/assessment_meta.xml", meta), *media]
    for name, data in files:
        check_file(name, data, None)
    check_media(assessment, manifest, {name for name, _ in files})
    notes = ["Canvas: a named mistake of a typed number is not recognised (Canvas has no feedback for one wrong number): they are listed in the incorrect-answer feedback"]
    fallback = sum(1 for item in every if item.text_fallback)
    blanks = sum(1 for item in every if item.question_type == "fill_in_multiple_blanks_question" and not item.text_fallback)
    if blanks:
        notes.append(f"Canvas: {blanks} multi-part questions are fill-in-multiple-blanks: each blank accepts the listed decimals at the key's precision (text, not a number)")
    if fallback:
        notes.append(f"Canvas: {fallback} single-number questions need more than {PLACES} decimals (Canvas keeps {PLACES}): written as a text blank accepting the listed decimals")
    if any(item.capped for item in every):
        notes.append(f"Canvas: some blanks' tolerance holds more than {MAX_ACCEPTED} decimals: those nearest the key are accepted")
    return QtiExport(zip_bytes(files), "canvas", pools, seed, [name for name, _ in files], notes)
