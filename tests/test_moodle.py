"""Moodle XML export: what Moodle's importer requires, and that Moodle marks every variant as quizgen does.

CI has no Moodle, so the importer's rules are encoded here from its source:

* question/format/xml/format.php (qformat_xml): ``import_headers`` needs ``name/text``;
  ``import_answer`` reads ``answer/@fraction`` (a percentage), ``answer/text`` and
  ``feedback/text``; numerical answers carry ``tolerance``; ``import_match`` reads
  ``subquestion/text`` and ``subquestion/answer/text``; a category's ``info`` needs a
  ``format`` attribute; ``import_multianswer`` ignores ``defaultgrade``.
* question/format.php + question_bank::fraction_options_full(): any fraction outside
  Moodle's grade list makes the import skip the question ("match grades = error").
* question/type/multianswer/questiontype.php: the cloze regexes, ported below as they are
  (ANSWER_REGEX, ANSWER_ALTERNATIVE_REGEX, NUMERICAL_ALTERNATIVE_REGEX) together with the
  decoding Moodle applies (html_entity_decode, then \\} → } and \\# → #).
* question/type/numerical/question.php: an answer matches when
  answer − t ≤ r ≤ answer + t with t = tolerance + 1e-14·max(tolerance, |answer|)
  (qtype_numerical_answer, 'nominal'); the first matching answer decides.

The real thing is checked with ../shared/moodle-check/check.sh (see the issue); these
tests pin the same rules so CI catches a regression.
"""

from __future__ import annotations

import html
import re
import textwrap
import xml.etree.ElementTree as ElementTree
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.errors import QuizgenError, RenderError
from quizgen.formats.moodle import (
    ALLOWED_FRACTIONS,
    PENALTIES,
    ExportItem,
    NumericAnswer,
    accepts,
    build_categories,
    cdata,
    cloze_escape,
    decimal_text,
    elements,
    PARALLEL_FROM,
    export_moodle,
    gap_weights,
    moodle_interval,
    prose_html,
)

SEED = 3
VARIANTS = 3


# ---------------------------------------------------------------------------
# Moodle's cloze parser, ported from question/type/multianswer/questiontype.php

_FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
_ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"  # PCRE: (?<!\\\\|&|&amp;)
_FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
_ALTERNATIVE = f"({_FRACTION})?({_ANSWER})(#({_FEEDBACK}))?"
_NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
_NUMERICAL_ALTERNATIVE = f"^({_NUMBER})(:{_NUMBER})?$"
_TYPES = (
    "(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|"
    "(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)|"
    "(MULTICHOICE_S|MCS)|(MULTICHOICE_VS|MCVS)|(MULTICHOICE_HS|MCHS)|"
    "(MULTIRESPONSE|MR)|(MULTIRESPONSE_H|MRH)|(MULTIRESPONSE_S|MRS)|(MULTIRESPONSE_HS|MRHS)"
)
_ANSWER_REGEX = re.compile(r"\{([0-9]*):(" + _TYPES + "):(" + _ALTERNATIVE + "(~" + _ALTERNATIVE + r")*)\}", re.S)
_ALTERNATIVE_REGEX = re.compile("~?" + _ALTERNATIVE, re.S)


def _decode(text: str) -> str:
    return html.unescape(text).replace("\\}", "}").replace("\\#", "#")


def moodle_cloze(text: str) -> tuple[list[dict], str]:
    """(gaps, text with {#n} placeholders), as qtype_multianswer_extract_question makes them."""
    gaps = []
    while (match := _ANSWER_REGEX.search(text)) :
        numerical = bool(match.group(3))
        gap = {"weight": int(match.group(1) or 1), "numerical": numerical, "answers": []}
        remaining = match.group(16)
        while (alt := _ALTERNATIVE_REGEX.search(remaining)):
            fraction = 1.0 if alt.group(1) == "=" else (float(alt.group(2).replace(",", ".")) / 100 if alt.group(2) else 0.0)
            feedback = _decode(alt.group(5)) if alt.group(5) is not None else ""
            number = re.search(_NUMERICAL_ALTERNATIVE, alt.group(3), re.S) if numerical else None
            if number:
                answer = {"answer": number.group(1), "tolerance": number.group(6) or "0"}
            else:
                answer = {"answer": _decode(alt.group(3)), "tolerance": None}
            gap["answers"].append({**answer, "fraction": fraction, "feedback": feedback})
            remaining = remaining.split(alt.group(0), 1)[1]
        gaps.append(gap)
        text = text.replace(match.group(0), "{#%d}" % len(gaps), 1)
    return gaps, text


def moodle_number(text: str) -> bool:
    """qtype_numerical::is_valid_number: a number Moodle's answer processor reads, with no unit left."""
    return re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text) is not None


# ---------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def shipped():
    return load_bank()


@pytest.fixture(scope="module")
def bank_export(shipped):
    """The whole shipped bank, a few variants of each template."""
    items = [ExportItem(t) for _, t in sorted(shipped.templates.items())]
    return export_moodle(items, VARIANTS, SEED, allow_fewer=True)


@pytest.fixture(scope="module")
def root(bank_export):
    return ElementTree.fromstring(bank_export.text.encode("utf-8"))


def _questions(root, qtype=None):
    return [q for q in root.findall("question") if q.get("type") != "category" and (qtype is None or q.get("type") == qtype)]


def _text(element, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return found.text or ""


def _write_bank(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "bank" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path / "bank"


# A multi-part template whose text and feedback hold every character that XML, HTML,
# CDATA and the cloze syntax treat specially.
NASTY = """\
    id: misc.nasty
    title: "Text with <, & and ]]> / slashes"
    topic: misc
    section: 1
    difficulty: 1
    kind: multipart
    variables:
      - {name: a, draw: "int(1, 9)"}
      - {name: b, draw: "int(1, 9)"}
      - {name: s, value: "a + b"}
      - {name: d, value: "a - b"}
    text: |
      Is $a < b$ & "c" ]]> d? Here $a = {@a@}$, $b = {@b@}$, and {1:NUMERICAL:=5} is prose.

      $$\\{x \\mid x > {@a@}\\} \\sim \\# y$$
    answers:
      - {name: s, kind: integer, label: "sum <a & b>"}
      - {name: d, kind: integer, label: difference}
    mistakes:
      - name: product
        label: "multiplied <a> & b"
        answer: s
        value: "a * b + 100"
        feedback: 'Add, don''t multiply: ]]> <b> & $\\{a\\} \\# \\} ~ {@a@}$ # ~ } \\} end'
    tests:
      - set: {a: 2, b: 1}
        expect: {s: 3, d: 1}
"""

TINY = """\
    id: misc.tiny
    title: A tiny gradient
    topic: misc
    section: 1
    difficulty: 1
    kind: numerical
    variables:
      - {name: k, draw: "int(11, 99)"}
      - {name: g, value: "k / 1000000 + 1/3000000"}
    text: |
      What is $g = {@k@} \\times 10^{-6} + \\frac{1}{3} \\times 10^{-6}$? Give 3 significant figures.
    answers:
      - {name: g, kind: number, sigfigs: 3, label: gradient}
    mistakes:
      - name: scale
        label: used 10^-5
        value: "k / 100000"
        feedback: "The factor is $10^{-6}$."
    tests:
      - set: {k: 12}
        expect: {g: 0.0000123333333}
"""

RELATIVE = """\
    id: misc.relative
    title: Relative tolerance
    topic: misc
    section: 1
    difficulty: 1
    kind: numerical
    variables:
      - {name: x, draw: "int(2, 90)"}
      - {name: y, value: "x * x / 7"}
    text: |
      What is $y = {@x@}^2 / 7$?
    answers:
      - {name: y, kind: number, decimals: 3, tolerance: {rel: 0.01}, label: y}
    mistakes:
      - name: halved
        label: halved
        value: "x * x / 14"
        feedback: "Divide by 7, not 14."
    tests:
      - set: {x: 7}
        expect: {y: 7}
"""


# An integer answer whose named mistake is not a whole number (a student would type it rounded).
ROUNDED_MISTAKE = """\
    id: misc.rounded_mistake
    title: Whole answer, fractional mistake
    topic: misc
    section: 1
    difficulty: 1
    kind: numerical
    variables:
      - {name: k, draw: "int(5, 60)"}
      - {name: n, value: "3 * k"}
    text: |
      What is $3 \\times {@k@}$?
    answers:
      - {name: n, kind: integer, label: n}
    mistakes:
      - name: root
        label: took a root
        value: "k * sqrt(2) + 1/7"
        feedback: "Multiply."
    tests:
      - set: {k: 5}
        expect: {n: 15}
"""


@pytest.fixture(scope="module")
def misc_bank(tmp_path_factory):
    folder = tmp_path_factory.mktemp("misc")
    files = {"misc/nasty.yaml": NASTY, "misc/tiny.yaml": TINY, "misc/relative.yaml": RELATIVE, "misc/rounded_mistake.yaml": ROUNDED_MISTAKE}
    return load_bank(_write_bank(folder, files))


# ---------------------------------------------------------------------------
# The file parses, and holds what was asked for


def test_xml_parses_with_one_category_per_template_and_n_variants(shipped, bank_export, root):
    assert root.tag == "quiz"
    elements = root.findall("question")
    categories = [i for i, q in enumerate(elements) if q.get("type") == "category"]
    assert len(categories) == len(shipped.templates) == len(bank_export.categories)
    bounds = categories + [len(elements)]
    for category, start, end in zip(bank_export.categories, bounds, bounds[1:]):
        path = _text(elements[start], "category/text")
        template = shipped.get(category.template)
        assert path == f"$course$/top/quizgen/{template.topic}/{template.title.replace('/', '//')}"
        assert elements[start].find("info").get("format") == "html"
        questions = elements[start + 1:end]
        assert len(questions) == len(category.questions) == VARIANTS - category.shortfall
        assert all(q.get("type") in ("numerical", "multichoice", "matching", "cloze") for q in questions)
    assert sum(c.shortfall for c in bank_export.categories) < len(bank_export.categories)  # most templates make 3


def test_names_carry_the_variant_code_and_idnumbers_are_unique(root, bank_export):
    questions = _questions(root)
    idnumbers = [_text(q, "idnumber") for q in questions]
    assert len(set(idnumbers)) == len(idnumbers)
    assert all(0 < len(i) <= 100 for i in idnumbers)
    built = [q for c in bank_export.categories for q in c.questions]
    for element, question in zip(questions, built):
        assert _text(element, "name/text").endswith(f"({question.code})")
        assert _text(element, "idnumber") == f"{question.template}:{question.code}"
        assert f"Variant {question.code}" in _text(element, "questiontext/text")


def test_every_question_has_what_the_importer_requires(root):
    for question in _questions(root):
        name = _text(question, "name/text")
        assert name.strip(), "xmlimportnoname"
        assert question.find("questiontext").get("format") == "html"
        assert _text(question, "questiontext/text").strip()
        assert question.find("generalfeedback").get("format") == "html"
        assert float(_text(question, "penalty")) in PENALTIES
        assert float(_text(question, "defaultgrade")) > 0
        kind = question.get("type")
        if kind == "numerical":
            answers = question.findall("answer")
            assert answers and any(a.get("fraction") == "100" for a in answers), name
            for answer in answers:
                text = _text(answer, "text")
                assert text == "*" or moodle_number(text), (name, text)
                assert answer.find("feedback").get("format") == "html"
            assert answers[-1].find("text").text == "*"  # the catch-all comes last
            assert _text(question, "showunits") == "3"  # no units: Moodle asks for a number only
        elif kind == "multichoice":
            answers = question.findall("answer")
            assert len(answers) >= 2
            assert [a.get("fraction") for a in answers].count("100") == 1
            assert _text(question, "single") == "true" and _text(question, "shuffleanswers") == "true"
            texts = [_text(a, "text") for a in answers]
            assert len(set(texts)) == len(texts) and all(t.strip() for t in texts)
        elif kind == "matching":
            subquestions = question.findall("subquestion")
            asked = [s for s in subquestions if _text(s, "text").strip()]
            assert len(asked) >= 2  # edit_match_form: at least 2 questions ...
            assert len({_text(s, "answer/text") for s in subquestions}) >= 3  # ... and 3 answers
            assert all(_text(s, "answer/text").strip() for s in subquestions)
        else:
            gaps, rest = moodle_cloze(_text(question, "questiontext/text"))
            assert gaps, name
            assert not re.search(r"\{[0-9]*:[A-Z_]+:", rest), "text outside the gaps must not look like a gap"
            for gap in gaps:
                assert gap["numerical"]
                assert max(a["fraction"] for a in gap["answers"]) == 1  # qtype_multianswer_validate_question
                for answer in gap["answers"]:
                    assert answer["tolerance"] is not None and moodle_number(answer["answer"]), (name, answer)
            assert float(_text(question, "defaultgrade")) == sum(g["weight"] for g in gaps)


def test_fractions_are_in_moodles_grade_list(root):
    fractions = {float(a.get("fraction")) for q in _questions(root) for a in q.findall("answer")}
    assert fractions <= ALLOWED_FRACTIONS
    for question in _questions(root, "cloze"):
        gaps, _ = moodle_cloze(_text(question, "questiontext/text"))
        assert {round(a["fraction"] * 100, 5) for g in gaps for a in g["answers"]} <= ALLOWED_FRACTIONS


def test_tolerances_are_numbers(root):
    for question in _questions(root, "numerical"):
        for answer in question.findall("answer"):
            tolerance = _text(answer, "tolerance")
            assert moodle_number(tolerance) and float(tolerance) >= 0
    for question in _questions(root, "cloze"):
        gaps, _ = moodle_cloze(_text(question, "questiontext/text"))
        for answer in (a for g in gaps for a in g["answers"]):
            assert float(answer["tolerance"]) >= 0


def test_matching_and_multichoice_types_are_used(root, shipped):
    kinds = {t.kind for t in shipped.templates.values()}
    types = {q.get("type") for q in _questions(root)}
    if kinds & {"multichoice", "concept"}:
        assert "multichoice" in types
    if "matching" in kinds:
        assert "matching" in types
    if "multipart" in kinds:
        assert "cloze" in types


# ---------------------------------------------------------------------------
# Moodle marks what quizgen marks


def _scalar_groups(question):
    """(numeric answers, Element) per number the student types, in order."""
    variant = question.variant
    numbers = [e for answer in variant.answers for e in elements(variant, answer)]
    groups = [question.answers] if question.qtype == "numerical" else [g.answers for g in question.gaps]
    assert len(groups) == len(numbers)
    return list(zip(groups, numbers))


def test_every_key_is_inside_moodles_tolerance_and_no_named_mistake_is(shipped):
    """For every numeric template: the key's rounded answer gets full marks, and a student who
    makes a named mistake (every element of it) does not, and is shown a named mistake's feedback."""
    numeric = [t for t in shipped.templates.values() if t.kind in ("numerical", "multipart")]
    assert numeric
    for category in build_categories([ExportItem(t) for t in numeric], 5, 11, allow_fewer=True):
        for question in category.questions:
            pairs = _scalar_groups(question)
            for answers, number in pairs:
                rights = [a for a in answers if a.fraction == 100]
                assert answers[: len(rights)] == rights and 1 <= len(rights) <= 2
                assert accepts(rights[0], number.rounded), (question.name, number.rounded, rights[0])
                exact = rights[-1]  # the exact answer, last of the right ones ...
                assert Fraction(exact.tolerance) >= number.tolerance  # written rounded up
                if len(rights) == 2:  # ... after the rounded key, shown first, whose interval lies inside the exact one's
                    assert rights[0].value == number.rounded
                    low, high = moodle_interval(rights[0].value, rights[0].tolerance)
                    exact_low, exact_high = moodle_interval(exact.value, exact.tolerance)
                    assert exact_low <= low <= high <= exact_high, (question.name, rights)
            for mistake in question.variant.mistakes:
                firsts = [
                    next(a for a in answers if accepts(a, shown))
                    for answers, number in pairs
                    for _, shown, owner in number.mistakes
                    if owner is mistake
                ]
                assert firsts, (question.name, mistake.name)
                assert not all(a.fraction == 100 for a in firsts), (question.name, mistake.name)
                assert any(a.mistake is not None for a in firsts), (question.name, mistake.name)
                for answers, number in pairs:  # wherever it is not marked right, a named mistake's feedback shows
                    for _, shown, owner in number.mistakes:
                        if owner is mistake and not any(accepts(a, shown) for a in answers if a.fraction == 100):
                            assert next(a for a in answers if accepts(a, shown)).mistake is not None, (question.name, mistake.name, shown)


def test_moodle_interval_is_quizgens_rule():
    right = NumericAnswer(decimal_text(Fraction(1, 3)), "0.001", 100, "")
    assert accepts(right, "0.334") and accepts(right, "0.3333") and not accepts(right, "0.3344")
    low, high = moodle_interval("18", "0")
    assert low < 18 < high and high - low < 1e-9
    exact = NumericAnswer("18", "0", 100, "")
    assert accepts(exact, "18") and not accepts(exact, "17.999")


def test_very_small_answers_are_marked_right(misc_bank):
    (category,) = build_categories([ExportItem(misc_bank.get("misc.tiny"))], 6, 1)
    for question in category.questions:
        ((answers, number),) = _scalar_groups(question)
        rights = [a for a in answers if a.fraction == 100]  # the rounded key shown first, then the exact answer
        marked_right = lambda response: any(accepts(a, response) for a in rights)  # noqa: E731  (Moodle: the first that matches)
        assert 1e-5 < float(number.exact) < 1e-4 and 1e-9 < float(number.tolerance) < 1e-6
        assert marked_right(number.rounded) and accepts(rights[0], number.rounded)
        assert marked_right(format(float(number.exact), ".3e"))  # scientific notation, as a student may type it
        assert not marked_right("0")
        assert not marked_right(str(float(number.rounded) + 2 * float(number.tolerance)))
        scale = next(a for a in answers if a.mistake == "scale")
        assert accepts(scale, number.mistakes[0][1])
        assert all("e" not in a.value.lower() and "e" not in a.tolerance.lower() for a in rights)


def test_a_mistake_is_recognised_from_its_rounded_value(misc_bank):
    """Moodle keeps 14 digits: the mistake's interval reaches its rounded value from the centre as written."""
    (category,) = build_categories([ExportItem(misc_bank.get("misc.rounded_mistake"))], 20, 1)
    for question in category.questions:
        ((answers, number),) = _scalar_groups(question)
        ((value, shown, _),) = number.mistakes
        assert value.denominator != 1 and shown == str(round(value))
        assert len(answers[1].value.replace("-", "").replace(".", "").lstrip("0")) <= 14
        match = next(a for a in answers if accepts(a, shown))
        assert match.mistake == "root" and accepts(match, str(float(value)))
        assert not accepts(answers[0], shown)


def test_relative_tolerance_becomes_absolute_per_variant(misc_bank):
    (category,) = build_categories([ExportItem(misc_bank.get("misc.relative"))], 8, 2)
    tolerances = set()
    for question in category.questions:
        ((answers, number),) = _scalar_groups(question)
        exact = [a for a in answers if a.fraction == 100][-1]  # after the rounded key, shown first
        assert float(exact.tolerance) == pytest.approx(float(number.exact) / 100, rel=1e-12)
        tolerances.add(exact.tolerance)
    assert len(tolerances) > 1


# ---------------------------------------------------------------------------
# Text: math, HTML, CDATA and cloze escaping


def test_prose_becomes_html_with_mathjax_delimiters():
    html_text = prose_html("Let $a < b$ & $$x^2$$ cost \\$5.\n\nNext paragraph.")
    assert html_text == "<p>Let \\(a &lt; b\\) &amp; \\[x^2\\] cost $5.</p>\n<p>Next paragraph.</p>"
    with pytest.raises(RenderError, match="unmatched"):
        prose_html("half $open")


def test_cdata_survives_its_own_terminator():
    text = "a ]]> b ]]]]> c <&>"
    wrapped = str(cdata(text))
    assert ElementTree.fromstring(f"<t>{wrapped}</t>").text == text


@pytest.mark.parametrize("feedback", [
    "plain", "a } b # c ~ d", r"TeX \(\frac{a}{b}\) and \} \# \{", "&lt;b&gt; &amp; &quot;", "ends with \\", "#~}",
])
def test_cloze_escape_round_trips_through_moodles_parser(feedback):
    text = "{1:NUMERICAL:=1:0#" + cloze_escape(feedback) + "~%0%2:0#" + cloze_escape(feedback) + "}"
    (gap,), rest = moodle_cloze(text)
    assert rest == "{#1}"
    assert [a["feedback"] for a in gap["answers"]] == [feedback, feedback]
    assert [a["answer"] for a in gap["answers"]] == ["1", "2"]


def test_text_with_markup_characters_survives(misc_bank):
    result = export_moodle([ExportItem(misc_bank.get("misc.nasty"))], 2, 5)
    root = ElementTree.fromstring(result.text.encode("utf-8"))
    assert _text(root[0], "category/text") == "$course$/top/quizgen/misc/Text with <, & and ]]> // slashes"
    for element, question in zip(_questions(root), result.categories[0].questions):
        assert _text(element, "name/text").startswith("Text with <, & and ]]> / slashes (")
        text = _text(element, "questiontext/text")
        assert '\\(a &lt; b\\) &amp; \u201cc\u201d ]]&gt; d?' in text  # quotes typeset as on the paper (quizgen.formats.prose)
        gaps, rest = moodle_cloze(text)
        assert len(gaps) == 2
        assert "&#123;1:NUMERICAL:=5} is prose" in rest  # the prose look-alike stays text
        assert html.unescape(rest).count("{1:NUMERICAL:=5}") == 1
        assert "\\[\\&#123;x \\mid x &gt; &#123;" in rest
        wrong = [a for a in gaps[0]["answers"] if a["fraction"] == 0]
        assert len(wrong) == 1
        a = question.record["parameters"]["a"]["display"]
        assert wrong[0]["feedback"] == (  # a gap's feedback: the maths as plain text (nothing typesets the popover), the prose as written
            "<p><strong>Multiplied &lt;a&gt; &amp; b?</strong> Add, don't multiply: ]]&gt; &lt;b&gt; &amp; "
            + "{a} #} " + str(a) + " # ~ } \\} end</p>"  # math ignores spaces, as TeX does: \# \} reads '#}'
        )
        assert "<li>sum &lt;a &amp; b&gt;: \\(" in _text(element, "generalfeedback/text")


# ---------------------------------------------------------------------------
# Determinism, options, and the command line


def test_same_seed_same_bytes(shipped):
    items = [ExportItem(shipped.get(t)) for t in sorted(shipped.templates)[:6]]
    first = export_moodle(items, 3, 42, allow_fewer=True).text
    assert export_moodle(items, 3, 42, allow_fewer=True).text == first
    assert export_moodle(items, 3, 43, allow_fewer=True).text != first


def test_a_large_export_on_two_cores_gives_the_same_bytes(shipped):
    """Over PARALLEL_FROM variants the categories are built and rendered in forked workers, in input order."""
    ids = ["cnn.conv_output_size", "cnn.same_padding", "mlp.param_count", "cnn.pool_output", "concepts.lstm_gates"]
    items = [ExportItem(shipped.get(t), points=2 if i == 1 else None) for i, t in enumerate(ids)]
    count = -(-PARALLEL_FROM // len(items))
    ticks: list[int] = []
    parallel = export_moodle(items, count, 9, allow_fewer=True, progress=lambda: ticks.append(1), workers=2)
    serial = export_moodle(items, count, 9, allow_fewer=True, workers=1)
    assert parallel.text == serial.text
    assert [c.made for c in parallel.categories] == [len(c.questions) for c in serial.categories]
    assert [c.shortfall for c in parallel.categories] == [c.shortfall for c in serial.categories]
    assert len(ticks) == sum(c.made for c in parallel.categories)  # the progress bar still counts every question


def test_points_and_penalty(shipped):
    template = next(t for _, t in sorted(shipped.templates.items()) if t.kind == "multichoice")
    result = export_moodle([ExportItem(template, points=2.5)], 1, 0, penalty=0.1)
    question = _questions(ElementTree.fromstring(result.text.encode("utf-8")))[0]
    assert _text(question, "defaultgrade") == "2.5" and _text(question, "penalty") == "0.1"
    with pytest.raises(QuizgenError, match="penalty"):
        export_moodle([ExportItem(template)], 1, 0, penalty=0.3)
    with pytest.raises(QuizgenError, match="points"):
        export_moodle([ExportItem(template, points=0)], 1, 0)


def _run(*args):
    return CliRunner().invoke(cli, list(args))


def _fails(*args) -> str:
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_cli_writes_the_file_and_is_byte_identical(tmp_path, shipped):
    template = sorted(shipped.templates)[0]
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    for path in (first, second):
        result = _run("export", "moodle", template, "--variants", "2", "--seed", "9", "-o", str(path))
        assert result.exit_code == 0, result.output
        assert "1 categories" not in result.stderr and "Wrote" in result.stderr
    assert first.read_bytes() == second.read_bytes()
    root = ElementTree.fromstring(first.read_bytes())
    assert len(_questions(root)) == 2


def test_cli_exam_gives_every_template_its_points(tmp_path, shipped):
    chosen = sorted(t for t, v in shipped.templates.items() if v.kind == "multichoice")[:2]
    spec = tmp_path / "exam.toml"
    spec.write_text(textwrap.dedent(f"""\
        title = "Quiz"
        course = "DNN"
        date = 2026-03-12
        duration = 30
        seed = 77
        [[sections]]
        templates = {chosen!r}
        count = 1
        points = 4
    """).replace("'", '"'))
    out = tmp_path / "exam.xml"
    result = _run("export", "moodle", "--exam", str(spec), "-n", "2", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "seed 77" in result.stderr
    questions = _questions(ElementTree.fromstring(out.read_bytes()))
    assert len(questions) == 4 and {_text(q, "defaultgrade") for q in questions} == {"4"}
    assert "give --exam, or template ids" in _fails("export", "moodle", chosen[0], "--exam", str(spec))


def test_cloze_category_says_how_its_marks_work(shipped):
    template = next(t for _, t in sorted(shipped.templates.items()) if t.kind == "multipart")
    (category,) = build_categories([ExportItem(template, points=10)], 1, 0)
    assert "Each is worth 10 marks here" in category.info and "its blanks weigh" in category.info
    assert "set the quiz slot's maximum mark to 10" in category.info  # a random slot starts at 1 (mod_quiz structure::add_random_questions)
    (category,) = build_categories([ExportItem(template)], 1, 0)
    assert "Each blank is worth 1 mark" in category.info and "exam" not in category.info


@pytest.mark.parametrize("points, count", [(10, 2), (10, 4), (12, 8), (14, 3), (8, 5), (6, 6), (100, 7), (3, 3)])
def test_gap_weights_share_the_points_as_the_paper_exam_does(points, count):
    """Whole numbers summing to the points; each blank, and each run of blanks (a vector), within 1 of its equal share."""
    weights = gap_weights(points, count)
    assert len(weights) == count and all(isinstance(w, int) and w >= 1 for w in weights)
    assert sum(weights) == points
    share = Fraction(points, count)
    for start in range(count):
        for end in range(start + 1, count + 1):
            assert abs(sum(weights[start:end]) - (end - start) * share) < 1
    if points % count == 0:
        assert set(weights) == {points // count}


@pytest.mark.parametrize("points, count", [(None, 4), (2.5, 2), (2, 3), (1, 5)])
def test_gap_weights_that_cannot_make_the_points_weigh_1_each(points, count):
    assert gap_weights(points, count) == [1] * count


def _spec_points(spec_path: Path, bank) -> dict[str, float]:
    from quizgen.exams.spec import load_spec

    points: dict[str, float] = {}
    for section in load_spec(spec_path, bank).sections:
        for template_id in section.pool:
            points.setdefault(template_id, float(section.points))
    return points


def test_exam_export_gives_every_question_its_sections_points(tmp_path, shipped):
    """The midterm: every question's defaultgrade is its section's points; a cloze question's gap weights (what
    Moodle makes its mark from) sum to them, each gap within 1 of the paper exam's equal share."""
    spec = Path(__file__).resolve().parents[1] / "examples" / "midterm.toml"
    out = tmp_path / "midterm.xml"
    result = _run("export", "moodle", "--exam", str(spec), "-n", "3", "--allow-fewer", "-o", str(out))
    assert result.exit_code == 0, result.output
    points = _spec_points(spec, shipped)
    root = ElementTree.fromstring(out.read_bytes())
    seen, cloze = set(), 0
    for question in _questions(root):
        template = _text(question, "idnumber").rsplit(":", 1)[0]
        seen.add(template)
        expected = points[template]
        assert float(_text(question, "defaultgrade")) == expected, template
        if question.get("type") == "cloze":
            cloze += 1
            weights = [g["weight"] for g in moodle_cloze(_text(question, "questiontext/text"))[0]]
            assert sum(weights) == expected, (template, weights)
            assert all(abs(w - Fraction(int(expected), len(weights))) < 1 for w in weights), (template, weights)
    assert seen == set(points) and cloze > 0
    for category in root.findall("question[@type='category']"):
        info = _text(category, "info/text")
        template = _text(category, "idnumber").removeprefix("quizgen:")
        shown = f"{points[template]:g}"
        assert f"The exam gives each question of this category {shown} points. Each is worth {shown} marks here." in info
        assert f"set the quiz slot's maximum mark to {shown}" in info


def test_a_cloze_question_that_cannot_carry_the_points_says_so(shipped):
    template = shipped.get("cnn.conv_output_size")  # two blanks
    (category,) = build_categories([ExportItem(template, points=2.5)], 2, 0)
    for question in category.questions:
        assert [g.weight for g in question.gaps] == [1, 1] and question.defaultgrade == 2
    assert "2.5 points cannot be shared among 2 blanks" in category.info and "Each is worth" not in category.info
    assert "set the quiz slot's maximum mark to 2.5" in category.info


def test_a_category_of_one_variant_says_variant(shipped):
    (category,) = build_categories([ExportItem(shipped.get("cnn.conv_params"))], 1, 0)
    assert len(category.questions) == 1 and category.info.startswith("<p>1 variant of the quizgen template")
    (category,) = build_categories([ExportItem(shipped.get("cnn.conv_params"))], 2, 0)
    assert category.info.startswith("<p>2 variants of the quizgen template")


@pytest.mark.parametrize("args, message", [
    (["export", "moodle", "no.such_template", "-o", "{out}"], "unknown template"),
    (["export", "moodle", "--topic", "nosuchtopic", "-o", "{out}"], "unknown topic"),
    (["export", "moodle", "cnn.conv_params", "--penalty", "0.3", "-o", "{out}"], "penalty"),
    (["export", "moodle", "cnn.conv_params", "--seed", "-1", "-o", "{out}"], "seed"),
    (["export", "moodle", "cnn.conv_params", "-o", "{missing}"], "does not exist"),
    (["export", "moodle", "cnn.conv_params", "--exam", "{missing}"], "give --exam"),
    (["export", "moodle", "--exam", "{missing}"], "no such file"),
    (["export", "moodle", "concepts.lstm_gates_matching", "--variants", "500", "-o", "{out}"], "distinct variants"),
])
def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out.xml"
    out.write_text("previous contents")
    missing = tmp_path / "no" / "such" / "file.xml"
    args = [a.replace("{out}", str(out)).replace("{missing}", str(missing)) for a in args]
    assert message in _fails(*args)
    assert out.read_text() == "previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xml"]


def test_cli_usage_errors_exit_2():
    assert _run("export", "moodle", "cnn.conv_params", "--variants", "0").exit_code == 2
    assert _run("export", "moodle", "--frobnicate").exit_code == 2


def test_cli_allow_fewer_notes_the_shortfall(tmp_path):
    out = tmp_path / "few.xml"
    result = _run("export", "moodle", "concepts.lstm_gates_matching", "--variants", "500", "--allow-fewer", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert re.search(r"Note: concepts.lstm_gates_matching: only \d+ distinct variants? \(asked for 500\)", result.stderr)
    assert 0 < len(_questions(ElementTree.fromstring(out.read_bytes()))) < 500


def test_help_has_an_example():
    for command in ("moodle", "gift"):
        result = _run("export", command, "--help")
        assert result.exit_code == 0 and "Example" in result.output
