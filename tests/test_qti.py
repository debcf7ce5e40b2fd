"""The QTI export (quizgen/formats/qti.py, qti_canvas.py): structure, schemas, text, determinism, escaping and marking.

The marking is checked by evaluating the exported ``responseProcessing`` with a small
evaluator written here (the and/gte/lte/sum/divide/product/multiple/match/mapResponse
constructs the export writes, with QTI's NULL rules), independent of the exporter: the key
gets full marks, each named mistake gets none of its blank's marks, a clearly wrong number
gets nothing. The real engine check (TAO's qtism) is run by hand; docs/lms.md gives what it found.
"""

from __future__ import annotations

import io
import re
import zipfile
from fractions import Fraction

import pytest
from click.testing import CliRunner
from lxml import etree
from lxml import html as lxml_html

import quizgen
from quizgen.cli import cli
from quizgen.formats.moodle import ExportItem, elements
from quizgen.formats.qti import FLAVOURS, SCHEMAS, export_qti, schema
from quizgen.formats.qti_canvas import PLACES, accepted_texts, canvas_range

QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI30 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI12 = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
MATHML = "http://www.w3.org/1998/Math/MathML"
VARIANTS = 2
SEED = 3


@pytest.fixture(scope="module")
def bank():
    return quizgen.load_bank()


@pytest.fixture(scope="module")
def packages(bank):
    """The whole bank, VARIANTS per template, in every flavour: {flavour: (export, {name: bytes})}."""
    made = {}
    items = [ExportItem(t) for _, t in sorted(bank.templates.items())]
    for flavour in FLAVOURS:
        result = export_qti(items, VARIANTS, SEED, flavour, allow_fewer=True)
        archive = zipfile.ZipFile(io.BytesIO(result.data))
        made[flavour] = (result, {name: archive.read(name) for name in archive.namelist()})
    return made


@pytest.fixture(scope="module")
def variants(bank):
    """Every exported variant, found again independently of the export: {(template id, code): variant}."""
    found = {}
    for template_id, template in sorted(bank.templates.items()):
        try:
            drawn = quizgen.generate(template, VARIANTS, seed=SEED)
        except quizgen.VariantError:
            drawn = quizgen.generate(template, 1, seed=SEED)
        for variant in drawn:
            found[(template_id, variant.code)] = variant
    return found


def _items(files: dict[str, bytes]) -> dict[str, etree._Element]:
    return {name: etree.fromstring(data) for name, data in files.items() if name.startswith("items/")}


# ---------------------------------------------------------------------------
# A small, independent evaluator of the response processing the export writes


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _local(element: etree._Element) -> str:
    name = etree.QName(element).localname
    return _camel(name[4:]) if name.startswith("qti-") else name


def _attr(element: etree._Element, name: str) -> str | None:
    if name in element.attrib:
        return element.get(name)
    return element.get(re.sub(r"([A-Z])", r"-\1", name).lower())


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


class Evaluator:
    """Runs an item's responseProcessing (QTI 2.1 or 3.0 names) on given responses; NULL is None."""

    def __init__(self, item: etree._Element):
        self.declarations: dict[str, etree._Element] = {}
        self.defaults: dict[str, object] = {}
        self.processing = None
        for child in _children(item):
            name = _local(child)
            if name == "responseDeclaration":
                self.declarations[_attr(child, "identifier")] = child
            elif name == "outcomeDeclaration":
                values = [v.text for v in child.iter() if _local(v) == "value"]
                self.defaults[_attr(child, "identifier")] = self._typed(_attr(child, "baseType"), values[0]) if values else None
            elif name == "responseProcessing":
                self.processing = child

    @staticmethod
    def _typed(base_type: str, text: str):
        if base_type in ("float", "integer"):
            return float(text)
        return text.strip()

    def correct(self) -> dict[str, object]:
        found = {}
        for identifier, declaration in self.declarations.items():
            values = [v.text for v in declaration.iter() if _local(v) == "value" and _local(v.getparent()) == "correctResponse"]
            base, cardinality = _attr(declaration, "baseType"), _attr(declaration, "cardinality")
            typed = [self._typed(base, v) for v in values]
            found[identifier] = typed if cardinality != "single" else typed[0]
        return found

    def run(self, responses: dict[str, object]) -> dict[str, object]:
        self.responses = responses
        self.outcomes = dict(self.defaults)
        for rule in _children(self.processing):
            self._rule(rule)
        return self.outcomes

    def _rule(self, rule: etree._Element) -> None:
        name = _local(rule)
        if name == "setOutcomeValue":
            self.outcomes[_attr(rule, "identifier")] = self._expr(_children(rule)[0])
        elif name == "responseCondition":
            for branch in _children(rule):
                kind = _local(branch)
                parts = _children(branch)
                if kind == "responseElse" or self._expr(parts[0]) is True:
                    for inner in parts[(0 if kind == "responseElse" else 1):]:
                        self._rule(inner)
                    return
        else:
            raise AssertionError(f"unexpected rule {name}")

    def _expr(self, element: etree._Element):
        name = _local(element)
        operands = [self._expr(child) for child in _children(element)] if name not in ("baseValue", "variable", "mapResponse") else []
        if name == "baseValue":
            return self._typed(_attr(element, "baseType"), element.text)
        if name == "variable":
            identifier = _attr(element, "identifier")
            return self.responses.get(identifier) if identifier in self.declarations else self.outcomes.get(identifier)
        if name == "and":
            if any(o is False for o in operands):
                return False
            return None if any(o is None for o in operands) else True
        if name in ("gte", "lte", "match", "sum", "product", "divide"):
            if any(o is None for o in operands):
                return None
            a, b = operands[0], operands[-1]
            return {"gte": lambda: a >= b, "lte": lambda: a <= b, "match": lambda: a == b, "sum": lambda: sum(operands),
                    "product": lambda: a * b, "divide": lambda: a / b}[name]()
        if name == "multiple":
            flat = []
            for o in operands:
                flat.extend(o if isinstance(o, list) else ([] if o is None else [o]))
            return flat or None
        if name == "mapResponse":
            declaration = self.declarations[_attr(element, "identifier")]
            mapping = next(c for c in _children(declaration) if _local(c) == "mapping")
            table = {_attr(e, "mapKey"): float(_attr(e, "mappedValue")) for e in _children(mapping)}
            given = self.responses.get(_attr(element, "identifier")) or []
            return sum(table.get(pair, float(_attr(mapping, "defaultValue"))) for pair in set(given))
        raise AssertionError(f"unexpected expression {name}")


def _blank_responses(item: etree._Element) -> list[str]:
    return [_attr(e, "responseIdentifier") for e in item.iter() if isinstance(e.tag, str) and _local(e) == "textEntryInteraction"]


# ---------------------------------------------------------------------------
# Structure of each flavour


def test_qti21_package_structure(packages):
    result, files = packages["qti21"]
    names = list(files)
    assert names[:2] == ["imsmanifest.xml", "test.xml"] and result.files == names
    manifest = etree.fromstring(files["imsmanifest.xml"])
    cp = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
    resources = manifest.findall(f"{cp}resources/{cp}resource")
    assert resources[0].get("type") == "imsqti_test_xmlv2p1"
    items = [r for r in resources if r.get("type") == "imsqti_item_xmlv2p1"]
    figures = [name for name in names if name.startswith("media/")]  # the figures (SVG)
    assert len(items) == result.items == len(names) - 2 - len(figures)
    listed = set()
    for resource in resources:  # every file the manifest names is in the zip
        for file in resource.findall(f"{cp}file"):
            assert file.get("href") in files
            listed.add(file.get("href"))
    assert listed == set(names) - {"imsmanifest.xml"}  # and every file of the zip is named
    test = etree.fromstring(files["test.xml"])
    sections = test.findall(f".//{{{QTI21}}}assessmentSection")
    assert len(sections) == len(result.pools)
    for section, pool in zip(sections, result.pools):
        assert section[0].tag == f"{{{QTI21}}}selection" and section[0].get("select") == "1"
        assert [ref.get("identifier") for ref in section.findall(f"{{{QTI21}}}assessmentItemRef")] == pool.items
    control = test.find(f".//{{{QTI21}}}itemSessionControl")
    assert control.get("showFeedback") == "true" and control.get("showSolution") == "true"
    # the metadata names template, topic and variant code
    first = items[0]
    text = " ".join(first.itertext())
    pool = result.pools[0]
    assert pool.template in text and pool.topic in text and pool.items[0].split("-", 1)[1] in text


def test_qti21_item_structure_numeric_choice_matching(packages):
    _, files = packages["qti21"]
    items = _items(files)
    conv = next(root for name, root in items.items() if "cnn.conv_output_size-" in name)
    q = f"{{{QTI21}}}"
    assert conv.get("adaptive") == "false" and conv.get("toolName") == "quizgen"
    entries = conv.findall(f".//{q}textEntryInteraction")
    assert [e.get("responseIdentifier") for e in entries] == ["RESPONSE_1", "RESPONSE_2"]
    processing = conv.find(f"{q}responseProcessing")
    first_if = processing.find(f"{q}responseCondition/{q}responseIf")
    rule = first_if[0]
    assert rule.tag == f"{q}and" and [c.tag for c in rule] == [f"{q}gte", f"{q}lte"]
    assert all(c[1].tag == f"{q}baseValue" and c[1].get("baseType") == "float" for c in rule)
    outcomes = {o.get("identifier") for o in conv.findall(f"{q}outcomeDeclaration")}
    assert {"SCORE", "MAXSCORE", "FEEDBACK", "SCORE_1", "SCORE_2"} <= outcomes
    feedback = {f.get("identifier"): f for f in conv.findall(f"{q}modalFeedback")}
    assert "SOLUTION" in feedback and "Worked solution" in "".join(feedback["SOLUTION"].itertext())
    assert any(key.startswith("MISTAKE_") for key in feedback)
    assert conv.find(f".//{{{MATHML}}}math") is not None
    choice = next(root for root in items.values() if root.find(f".//{q}choiceInteraction") is not None)
    interaction = choice.find(f".//{q}choiceInteraction")
    assert interaction.get("shuffle") == "true" and interaction.get("maxChoices") == "1"
    options = {c.get("identifier") for c in interaction.findall(f"{q}simpleChoice")}
    assert options <= {f.get("identifier") for f in choice.findall(f"{q}modalFeedback")} | {"SOLUTION"}
    matching = next(root for root in items.values() if root.find(f".//{q}matchInteraction") is not None)
    declaration = matching.find(f"{q}responseDeclaration")
    assert declaration.get("baseType") == "directedPair" and declaration.find(f"{q}mapping") is not None


def test_qti30_is_the_same_item_in_3_0_names(packages):
    _, files = packages["qti30"]
    items = _items(files)
    conv = next(root for name, root in items.items() if "cnn.conv_output_size-" in name)
    q = f"{{{QTI30}}}"
    assert conv.tag == f"{q}qti-assessment-item" and conv.get("time-dependent") == "false"
    entries = conv.findall(f".//{q}qti-text-entry-interaction")
    assert [e.get("response-identifier") for e in entries] == ["RESPONSE_1", "RESPONSE_2"]
    assert conv.find(f".//{q}qti-response-if/{q}qti-and/{q}qti-gte/{q}qti-base-value").get("base-type") == "float"
    for feedback in conv.findall(f"{q}qti-modal-feedback"):
        assert feedback.get("show-hide") == "show" and feedback[0].tag == f"{q}qti-content-body"
    assert conv.find(f".//{q}p") is not None  # XHTML keeps its names
    manifest = etree.fromstring(files["imsmanifest.xml"])
    assert etree.QName(manifest).namespace == "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
    types = {r.get("type") for r in manifest.iter("{http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1}resource")}
    assert types == {"imsqti_test_xmlv3p0", "imsqti_item_xmlv3p0"}
    test = etree.fromstring(files["test.xml"])
    assert all(s[0].tag == f"{q}qti-selection" and s[0].get("select") == "1" for s in test.iter(f"{q}qti-assessment-section"))


def test_no_tolerance_mode_and_no_relative_tolerance_anywhere(packages):
    for flavour in ("qti21", "qti30"):
        for name, data in packages[flavour][1].items():
            text = data.decode("utf-8")
            assert "toleranceMode" not in text and "tolerance-mode" not in text, name


def test_canvas_package_structure(packages, variants):
    result, files = packages["canvas"]
    package = [name for name in files if not name.startswith("media/")]  # media/: the figures' SVG files (tests/test_figures_outputs.py)
    assert package[0] == "imsmanifest.xml" and len(package) == 3
    assert all(name.endswith(".svg") for name in files if name.startswith("media/"))
    (assessment_name,) = [n for n in files if n.endswith(".xml") and "/" in n and not n.endswith("assessment_meta.xml")]
    root = etree.fromstring(files[assessment_name])
    q = f"{{{QTI12}}}"
    groups = root.findall(f"{q}assessment/{q}section/{q}section")
    assert len(groups) == len(result.pools)
    for group, pool in zip(groups, result.pools):
        assert group.findtext(f"{q}selection_ordering/{q}selection/{q}selection_number") == "1"
        assert group.findtext(f".//{q}points_per_item") == "1"
        assert [i.get("ident") for i in group.findall(f"{q}item")] == pool.items
    seen = set()
    for item in root.iter(f"{q}item"):
        fields = {f.findtext(f"{q}fieldlabel"): f.findtext(f"{q}fieldentry") for f in item.iter(f"{q}qtimetadatafield")}
        kind = fields["question_type"]
        seen.add(kind)
        template, code = fields["quizgen_template"], fields["quizgen_variant"]
        assert (template, code) in variants
        assert item.find(f"{q}itemfeedback[@ident='general_fb']") is not None
        if kind == "numerical_question":
            low, high = item.findtext(f".//{q}vargte"), item.findtext(f".//{q}varlte")
            assert all(len(b.partition(".")[2]) <= PLACES for b in (low, high)), (low, high)
        if kind == "fill_in_multiple_blanks_question":
            text = item.findtext(f"{q}presentation/{q}material/{q}mattext")
            for lid in item.iter(f"{q}response_lid"):
                assert f"[{lid.get('ident').removeprefix('response_')}]" in text
        if kind == "multiple_choice_question":
            assert item.find(f".//{q}response_lid").get("rcardinality") == "Single"
    assert seen == {"numerical_question", "fill_in_multiple_blanks_question", "multiple_choice_question", "matching_question"}
    meta = etree.fromstring(files[assessment_name.rsplit("/", 1)[0] + "/assessment_meta.xml"])
    assert meta.findtext("{http://canvas.instructure.com/xsd/cccv1p0}shuffle_answers") == "true"


# ---------------------------------------------------------------------------
# Schemas: the whole bank's export is valid QTI, checked here again with the shipped XSDs


@pytest.mark.parametrize("flavour", ["qti21", "qti30"])
def test_the_whole_bank_export_is_valid_against_the_shipped_schemas(packages, flavour):
    _, files = packages[flavour]
    validator = schema(flavour)
    for name, data in files.items():
        document = etree.fromstring(data)
        if name.endswith(".svg"):  # a figure: SVG, not QTI (tests/test_figures.py checks it)
            assert document.tag == "{http://www.w3.org/2000/svg}svg"
            continue
        checker = schema(f"{flavour}-manifest") if name == "imsmanifest.xml" else validator
        assert checker.validate(document), f"{name}: {checker.error_log.last_error}"


def test_the_schemas_ship_inside_the_package_with_their_notices():
    assert (SCHEMAS / "qtiv2p1" / "imsqti_v2p1.xsd").is_file()
    assert (SCHEMAS / "qtiv3p0" / "imsqti_asiv3p0_sbacv1p0_v1p0.xsd").is_file()
    assert "Distribution" in (SCHEMAS / "qtiv2p1" / "imsqti_v2p1.xsd").read_text(encoding="utf-8")
    assert (SCHEMAS / "NOTICE.md").is_file()


def test_an_invalid_item_is_refused_by_the_schema(packages):
    _, files = packages["qti21"]
    name = next(n for n in files if n.startswith("items/"))
    broken = files[name].replace(b"textEntryInteraction", b"numericInteraction", 2)
    assert not schema("qti21").validate(etree.fromstring(broken))


# ---------------------------------------------------------------------------
# Marking: the encoded ranges accept the key and reject every named mistake


def _flavour_items(packages, flavour):
    for name, root in _items(packages[flavour][1]).items():
        yield name, root


@pytest.mark.parametrize("flavour", ["qti21", "qti30"])
def test_the_key_gets_full_marks_and_wrong_answers_none(packages, flavour):
    checked = 0
    for name, root in _flavour_items(packages, flavour):
        evaluator = Evaluator(root)
        key = evaluator.correct()
        full = evaluator.run(key)
        assert full["SCORE"] == pytest.approx(full["MAXSCORE"]) and full["SCORE"] > 0, name
        assert "SOLUTION" in full["FEEDBACK"], name
        wrong = {}
        for identifier, value in key.items():
            if isinstance(value, float):
                wrong[identifier] = value + 1e6
            elif isinstance(value, list):
                targets = [pair.split()[1] for pair in value]
                wrong[identifier] = [f"{pair.split()[0]} {targets[(i + 1) % len(targets)]}" for i, pair in enumerate(value)]
            else:
                wrong[identifier] = "CHOICE_none"
        assert evaluator.run(wrong)["SCORE"] == 0, name
        assert evaluator.run({})["SCORE"] == 0, name  # nothing typed: NULL everywhere
        checked += 1
    assert checked == packages[flavour][0].items


@pytest.mark.parametrize("flavour", ["qti21", "qti30"])
def test_each_named_mistake_scores_nothing_on_its_blank_and_names_itself(packages, variants, flavour):
    result, files = packages[flavour]
    mistakes_checked = 0
    for pool in result.pools:
        for identifier in pool.items:
            root = etree.fromstring(files[f"items/{identifier}.xml"])
            evaluator = Evaluator(root)
            key = evaluator.correct()
            variant = variants[(pool.template, identifier[len(pool.template) + 1:])]
            blanks = _blank_responses(root)
            if blanks:
                numbers = [e for answer in variant.answers for e in elements(variant, answer)]
                assert len(numbers) == len(blanks)
                for response, element in zip(blanks, numbers):
                    assert key[response] == float(element.rounded)
                    for value, shown, mistake in element.mistakes:
                        if abs(Fraction(shown) - element.exact) <= element.tolerance or abs(value - element.exact) <= element.tolerance:
                            continue  # quizgen's own rule marks it right: nothing to tell apart
                        outcome = evaluator.run({**key, response: float(shown)})
                        assert outcome["SCORE"] < outcome["MAXSCORE"], (identifier, mistake.name)
                        if len(blanks) > 1:
                            assert outcome[response.replace("RESPONSE", "SCORE")] == 0
                        # named: this mistake, or another one that gives the same typed value (the first listed wins, as in Moodle)
                        same = {f"MISTAKE_{m.name}" for v, s, m in element.mistakes
                                if abs(Fraction(shown) - v) <= max(element.tolerance, abs(Fraction(s) - v))}
                        assert f"MISTAKE_{mistake.name}" in same and same & set(outcome["FEEDBACK"]), (identifier, mistake.name)
                        mistakes_checked += 1
            else:
                for option in variant.options:
                    outcome = evaluator.run({"RESPONSE": f"CHOICE_{option.label}"})
                    if option.correct:
                        assert outcome["SCORE"] == outcome["MAXSCORE"]
                    else:
                        assert outcome["SCORE"] == 0 and f"CHOICE_{option.label}" in outcome["FEEDBACK"]
                        mistakes_checked += 1
    assert mistakes_checked > 300


def test_the_range_is_quizgens_rule_at_its_edges(packages, variants):
    """Just inside |r − exact| ≤ tol is right, just outside is wrong (the bounds are rounded outward by < 1e-14 relative)."""
    result, files = packages["qti21"]
    for pool in result.pools:
        for identifier in pool.items:
            root = etree.fromstring(files[f"items/{identifier}.xml"])
            blanks = _blank_responses(root)
            if not blanks:
                continue
            evaluator = Evaluator(root)
            key = evaluator.correct()
            variant = variants[(pool.template, identifier[len(pool.template) + 1:])]
            numbers = [e for answer in variant.answers for e in elements(variant, answer)]
            for response, element in zip(blanks, numbers):
                margin = max(abs(element.exact), 1) * Fraction(1, 10**9)
                for offset, right in ((element.tolerance - margin, True), (element.tolerance + margin, False)):
                    if offset < 0:
                        continue
                    for sign in (1, -1):
                        outcome = evaluator.run({**key, response: float(element.exact + sign * offset)})
                        assert (outcome["SCORE"] == outcome["MAXSCORE"]) is right, (identifier, response, sign, right)


def test_a_wide_tolerance_lists_a_bounded_number_of_texts():
    from quizgen.formats.moodle import Element

    wide = Element(Fraction(1234567, 100), Fraction(10**6), "12345.67", [])
    texts, capped = accepted_texts(wide)
    assert capped and "12345.67" in texts and len(texts) <= 2 * 41
    assert all(abs(Fraction(t) - wide.exact) <= wide.tolerance for t in texts)


def test_canvas_ranges_and_blank_texts_follow_quizgens_rule(bank):
    checked = 0
    for _, template in sorted(bank.templates.items()):
        if template.kind in ("multichoice", "concept", "matching"):
            continue
        variant = quizgen.generate(template, 1, seed=SEED)[0]
        for answer in variant.answers:
            for element in elements(variant, answer):
                key = Fraction(element.rounded)
                texts, _ = accepted_texts(element)
                assert element.rounded in texts
                for text in texts:
                    assert abs(Fraction(text) - element.exact) <= element.tolerance
                bounds = canvas_range(element)
                if bounds is not None:
                    low, high = Fraction(bounds[0]), Fraction(bounds[1])
                    assert low <= key <= high
                    assert element.exact - element.tolerance <= low and high <= element.exact + element.tolerance  # inward
                for _, shown, _ in element.mistakes:
                    if abs(Fraction(shown) - element.exact) > element.tolerance:
                        assert shown not in texts
                        assert bounds is None or not (Fraction(bounds[0]) <= Fraction(shown) <= Fraction(bounds[1]))
                checked += 1
    assert checked > 100


# ---------------------------------------------------------------------------
# Text: every variant's numbers and key are where they should be


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _text(element: etree._Element) -> str:
    return "".join(element.itertext())


@pytest.mark.parametrize("flavour", ["qti21", "qti30"])
def test_each_items_text_holds_its_variants_numbers_and_its_key(packages, variants, flavour):
    result, files = packages[flavour]
    for pool in result.pools:
        for identifier in pool.items:
            code = identifier[len(pool.template) + 1:]
            variant = variants[(pool.template, code)]
            root = etree.fromstring(files[f"items/{identifier}.xml"])
            body = next(e for e in root if isinstance(e.tag, str) and _local(e) == "itemBody")
            shown = _text(body)
            assert f"Variant {code}" in shown
            for number in _NUMBER.findall(variant.text):
                assert number in shown, (identifier, number)
            solution = next(f for f in root if isinstance(f.tag, str) and _local(f) == "modalFeedback" and f.get("identifier") == "SOLUTION")
            solved = _text(solution)
            record = quizgen.variant_record(variant, steps=False)
            for answer in record["answers"]:
                flat = answer["rounded"] if isinstance(answer["rounded"], list) else [answer["rounded"]]
                for value in (x for row in flat for x in (row if isinstance(row, list) else [row])):
                    assert str(value).lstrip("-") in solved, (identifier, value)


def test_canvas_text_holds_each_variants_numbers(packages, variants):
    _, files = packages["canvas"]
    (name,) = [n for n in files if "/" in n and not n.endswith("assessment_meta.xml") and not n.startswith("media/")]
    q = f"{{{QTI12}}}"
    for item in etree.fromstring(files[name]).iter(f"{q}item"):
        fields = {f.findtext(f"{q}fieldlabel"): f.findtext(f"{q}fieldentry") for f in item.iter(f"{q}qtimetadatafield")}
        variant = variants[(fields["quizgen_template"], fields["quizgen_variant"])]
        shown = lxml_html.fromstring(item.findtext(f"{q}presentation/{q}material/{q}mattext")).text_content()
        for number in _NUMBER.findall(variant.text):
            assert number in shown


# ---------------------------------------------------------------------------
# Determinism and the API, the command line


def test_the_same_seed_gives_the_same_bytes(bank):
    items = [ExportItem(bank.get(t)) for t in ("cnn.conv_output_size", "concepts.activation_loss_for_task", "multiclass.softmax")]
    for flavour in FLAVOURS:
        first = export_qti(items, 2, 5, flavour).data
        assert export_qti(items, 2, 5, flavour).data == first
        assert export_qti(items, 2, 6, flavour).data != first
        for info in zipfile.ZipFile(io.BytesIO(first)).infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)


def test_a_large_export_built_on_every_core_gives_the_same_bytes(monkeypatch, bank):
    from quizgen.formats import qti, qti_canvas

    items = [ExportItem(bank.get(t)) for t in ("cnn.conv_output_size", "concepts.activation_loss_for_task", "multiclass.softmax", "mlp.param_count")]
    monkeypatch.setattr(qti, "PARALLEL_FROM", 1)
    monkeypatch.setattr(qti_canvas, "PARALLEL_FROM", 1)
    parallel = {flavour: export_qti(items, 2, 4, flavour).data for flavour in ("qti21", "canvas")}
    monkeypatch.setattr(qti, "PARALLEL_FROM", 10**9)
    monkeypatch.setattr(qti_canvas, "PARALLEL_FROM", 10**9)
    for flavour, data in parallel.items():
        assert export_qti(items, 2, 4, flavour).data == data, flavour


def test_api_writes_the_zip_atomically_and_says_what_it_loses(tmp_path, bank):
    out = tmp_path / "quiz.zip"
    result = quizgen.export_qti(["cnn.conv_params"], variants=3, seed=1, flavour="canvas", output=out, bank=bank)
    assert out.read_bytes() == result.data and result.items == 3 and result.notes
    with pytest.raises(quizgen.QuizgenError, match="flavour"):
        quizgen.export_qti(["cnn.conv_params"], flavour="qti22", bank=bank)
    assert not (tmp_path / "nothing.zip").exists()


def test_exam_points_scale_the_score(tmp_path, bank):
    items = [ExportItem(bank.get("cnn.conv_output_size"), points=3.0)]
    files = zipfile.ZipFile(io.BytesIO(export_qti(items, 1, 0, "qti21").data))
    item = etree.fromstring(files.read(next(n for n in files.namelist() if n.startswith("items/"))))
    evaluator = Evaluator(item)
    key = evaluator.correct()
    assert evaluator.run(key)["SCORE"] == 3.0
    half = evaluator.run({**key, "RESPONSE_2": key["RESPONSE_2"] + 50})
    assert half["SCORE"] == pytest.approx(1.5)


def test_cli_export_qti(tmp_path):
    runner = CliRunner()
    out = tmp_path / "cnn.zip"
    result = runner.invoke(cli, ["export", "qti", "cnn.conv_params", "-n", "2", "--flavour", "qti30", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.stderr and zipfile.is_zipfile(out)
    bad = runner.invoke(cli, ["export", "qti", "cnn.conv_params", "--flavour", "qti22", "-o", str(tmp_path / "x.zip")])
    assert bad.exit_code == 2
    few = runner.invoke(cli, ["export", "qti", "concepts.gru_gates_matching", "-n", "5", "-o", str(tmp_path / "y.zip")])  # it makes 3
    assert few.exit_code == 2 and few.stderr.count("\n") == 1 and "Error:" in few.stderr and not (tmp_path / "y.zip").exists()
    fewer = runner.invoke(cli, ["export", "qti", "concepts.gru_gates_matching", "-n", "5", "--allow-fewer", "-o", str(tmp_path / "y.zip")])
    assert fewer.exit_code == 0 and "only 3 distinct variants" in fewer.stderr


# ---------------------------------------------------------------------------
# Hostile text from a bank is escaped in every flavour


HOSTILE = r"""id: evil.{slug}
title: 'Evil </title><script>alert(1)</script> & ]]>'
topic: evil
section: 1
difficulty: 1
kind: {kind}
variables:
  - {{name: a, draw: "int(min_value=2, max_value=90)"}}
  - {{name: b, value: a + 1}}
  - {{name: c, value: a + 5}}
text: |
  Question <script>alert("x")</script> & <img src=x onerror=alert(1)> ]]> with $\text{{<svg/onload=alert(1)>}}$ and {{@a@}}.
answers:
{answers}
mistakes:
  - {{name: m1, label: 'mistake <b>bold</b>', value: a + 2, feedback: 'fb <iframe src=x></iframe> $\text{{</math><script>y</script>}}$'}}
  - {{name: m2, label: 'mistake two', value: a + 3, feedback: 'second'}}
  - {{name: m3, label: 'mistake three', value: a + 4, feedback: 'third'}}
"""


@pytest.fixture(scope="module")
def hostile_bank(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-qti") / "bank"
    (root / "evil").mkdir(parents=True)
    one = "  - {name: b, kind: integer, label: 'answer <script>z</script>', unit: '<b>u</b>'}"
    two = one + "\n  - {name: c, kind: integer, label: 'second </mattext>'}"
    (root / "evil" / "choice.yaml").write_text(HOSTILE.format(slug="choice", kind="multichoice", answers=one), encoding="utf-8")
    (root / "evil" / "blanks.yaml").write_text(HOSTILE.format(slug="blanks", kind="multipart", answers=two), encoding="utf-8")
    return quizgen.load_bank(root)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_hostile_text_is_escaped(hostile_bank, flavour):
    items = [ExportItem(t) for _, t in sorted(hostile_bank.templates.items())]
    result = export_qti(items, 2, 0, flavour)
    archive = zipfile.ZipFile(io.BytesIO(result.data))
    html_seen = 0
    for name in archive.namelist():
        root = etree.fromstring(archive.read(name))
        tags = {etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)}
        assert not tags & {"script", "img", "svg", "iframe", "b"}, (name, tags & {"script", "img", "svg", "iframe", "b"})
        for mattext in root.iter(f"{{{QTI12}}}mattext"):  # Canvas: the HTML inside, parsed as a browser would
            if mattext.get("texttype") == "text/html" and mattext.text:
                fragment = lxml_html.fragment_fromstring(mattext.text, create_parent="div")
                assert not {e.tag for e in fragment.iter() if isinstance(e.tag, str)} & {"script", "img", "svg", "iframe", "b"}
                html_seen += 1
        text = "".join(root.itertext())
        if name.startswith("items/"):
            assert "<script>alert(" in text and "<img src=x onerror=alert(1)> ]]>" in text  # shown as text, not lost
    assert flavour != "canvas" or html_seen > 4
