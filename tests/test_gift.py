"""GIFT export: Moodle's GIFT reader gets back the very questions of the Moodle XML export.

The reader is ported below from question/format/gift/format.php (qformat_gift::readquestion,
escapedchar_pre/post, extract_idnumber_and_tags_from_comment) and question/format.php
(qformat_default::readquestions: a blank line ends a question), for the question types the
export writes: category, numerical, multichoice and matching.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.formats.gift import export_gift, gift_escape, self_contained
from quizgen.formats.moodle import ExportItem

_ESCAPED = ["\\:", "\\#", "\\=", "\\{", "\\}", "\\~", "\\n"]
_PLACEHOLDERS = ["&&058;", "&&035;", "&&061;", "&&123;", "&&125;", "&&126;", "&&010"]
_CHARACTERS = [":", "#", "=", "{", "}", "~", "\n"]


def _pre(text: str) -> str:
    text = text.replace("\\\\", "&&092;")
    for escaped, placeholder in zip(_ESCAPED, _PLACEHOLDERS):
        text = text.replace(escaped, placeholder)
    return text.replace("&&092;", "\\")


def _post(text: str) -> str:
    for placeholder, character in zip(_PLACEHOLDERS, _CHARACTERS):
        text = text.replace(placeholder, character)
    return text


def _with_format(text: str) -> str:
    if text.startswith("["):
        end = text.index("]")
        assert text[1:end] == "html", text[:20]
        text = text[end + 1:]
    return _post(text).strip()


def _comment(answer: str) -> tuple[str, str]:
    bits = answer.split("#", 1)
    return _with_format(bits[0].strip()), _with_format(bits[1].strip()) if len(bits) > 1 else ""


def _weight(answer: str) -> tuple[float, str]:
    match = re.match(r"^%-*([0-9]{1,2})\.?([0-9]*)%", answer)
    if not match:
        return None, answer
    end = answer.index("%", 1)
    return float(answer[1:end]) / 100, answer[end + 1:]


def read_question(lines: list[str]) -> dict | None:
    comments = "\n".join(line for line in lines if line.startswith("//"))
    text = "\n".join(" " if line.startswith("//") else line for line in lines).strip()
    if not text:
        return None
    text = _pre(text)
    if text.startswith("$CATEGORY:"):
        return {"qtype": "category", "category": text[10:].strip()}
    question: dict = {}
    assert text.startswith("::")
    text = text[2:]
    end = text.index("::")
    question["name"] = _post(text[:end])
    text = text[end + 2:].strip()
    start, finish = text.index("{"), text.index("}")
    answertext = text[start + 1:finish].strip()
    assert text.endswith("}"), "nothing may follow the answers"
    question["text"] = _with_format(text[:start])
    separator = answertext.rfind("####")
    question["generalfeedback"] = _with_format(answertext[separator + 4:]) if separator >= 0 else ""
    answertext = answertext[:separator].strip() if separator >= 0 else answertext
    match = re.search(r"\[id:((?:\\]|[^\]\x00-\x1f\x7f])+)]", comments)  # PCRE: [^][:cntrl:]]
    question["idnumber"] = match.group(1).replace("\\]", "]").strip() if match else ""
    if answertext.startswith("#"):
        question["qtype"] = "numerical"
        answertext = answertext[1:]
        wrong = ""
        if "~" in answertext:
            answertext, wrong = answertext[:answertext.index("~")], answertext[answertext.index("~"):]
        parts = [p for p in answertext.split("=")]
        if not parts[0].strip():
            parts = parts[1:]
        question["answers"] = []
        for part in parts:
            weight, part = _weight(part.strip())
            body, feedback = _comment(part)
            value, tolerance = body.split(":") if ":" in body else (body, "0")
            question["answers"].append({"value": value.strip(), "tolerance": tolerance.strip(), "fraction": 1.0 if weight is None else weight, "feedback": feedback})
        if wrong:
            question["answers"].append({"value": "*", "tolerance": "", "fraction": 0.0, "feedback": _comment(wrong)[1]})
    elif "~" in answertext:
        question["qtype"] = "multichoice"
        parts = answertext.replace("=", "~=").split("~")
        if not parts[0].strip():
            parts = parts[1:]
        question["answers"] = []
        for part in parts:
            part = part.strip()
            fraction = 1.0 if part.startswith("=") else 0.0
            body, feedback = _comment(part[1:] if part.startswith("=") else part)
            question["answers"].append({"text": body, "fraction": fraction, "feedback": feedback})
    elif "=" in answertext and "->" in answertext:
        question["qtype"] = "match"
        parts = answertext.split("=")
        if not parts[0].strip():
            parts = parts[1:]
        question["pairs"] = []
        for part in parts:
            part = part.strip()
            marker = part.index("->")
            question["pairs"].append((_with_format(part[:marker]), _post(part[marker + 2:]).strip()))
    else:
        raise AssertionError(f"not a question type the export writes: {answertext[:60]}")
    return question


def read_gift(text: str) -> list[dict]:
    """qformat_default::readquestions: blank lines separate questions."""
    questions, current = [], []
    for line in text.split("\n") + [""]:
        line = line.strip()
        if not line:
            if current and (question := read_question(current)):
                questions.append(question)
            current = []
        else:
            current.append(line)
    return questions


@pytest.fixture(scope="module")
def shipped():
    return load_bank()


@pytest.fixture(scope="module")
def exported(shipped):
    items = [ExportItem(t) for _, t in sorted(shipped.templates.items())]
    return export_gift(items, 2, 4, allow_fewer=True)


@pytest.mark.parametrize("text", ["a:b=c#d~e{f}g", r"\frac{a}{b} \: \n \\ \#", "two\nlines\n\nand a blank one", "ends with \\"])
def test_escape_round_trips(text):
    escaped = gift_escape(text)
    assert "\n" not in escaped
    assert _post(_pre(escaped)) == " ".join(line.strip() for line in text.split("\n") if line.strip())


def test_moodles_reader_gets_back_every_question(exported):
    parsed = read_gift(exported.text)
    expected = []
    for category in exported.categories:
        kept = [q for q in category.questions if q.qtype != "cloze"]
        if kept:
            expected.append(("category", category.path, None))
            expected += [(q.qtype, q.name, q) for q in kept]
    assert [(p["qtype"].replace("match", "matching"), p.get("category") or p["name"]) for p in parsed] == [(kind, name) for kind, name, _ in expected]
    for read, (kind, _, question) in zip(parsed, expected):
        if question is None:
            continue
        flat = lambda html: " ".join(line.strip() for line in html.split("\n") if line.strip())  # noqa: E731
        assert read["idnumber"] == question.idnumber
        written = self_contained(question)  # a figure's <img> shows a data URI instead of the XML's @@PLUGINFILE@@ file
        assert read["text"] == flat(written.text)
        assert read["generalfeedback"] == flat(written.general_feedback)
        if kind == "numerical":
            assert [(a["value"], a["fraction"], a["feedback"]) for a in read["answers"]] == [(a.value, a.fraction / 100, flat(a.feedback)) for a in question.answers]
            assert [a["tolerance"] for a in read["answers"] if a["value"] != "*"] == [a.tolerance for a in question.answers if a.value != "*"]
        elif kind == "multichoice":
            assert [(a["text"], a["fraction"], a["feedback"]) for a in read["answers"]] == [(a.text, a.fraction / 100, flat(a.feedback)) for a in question.answers]
        else:
            assert read["pairs"] == [(left, right) for left, right in question.pairs]


def test_cloze_questions_are_left_out_and_counted(exported):
    cloze = sum(1 for c in exported.categories for q in c.questions if q.qtype == "cloze")
    assert exported.skipped == cloze > 0
    assert exported.written == sum(len(c.questions) for c in exported.categories) - cloze
    assert f"// {cloze} multi-part (cloze) questions left out" in exported.text
    assert len(read_gift(exported.text)) == exported.written + sum(1 for c in exported.categories if any(q.qtype != "cloze" for q in c.questions))


def test_same_seed_same_bytes(shipped):
    items = [ExportItem(t) for _, t in sorted(shipped.templates.items())[:8]]
    assert export_gift(items, 2, 9, allow_fewer=True).text == export_gift(items, 2, 9, allow_fewer=True).text


def test_cli(tmp_path):
    out = tmp_path / "q.gift.txt"
    result = CliRunner().invoke(cli, ["export", "gift", "--topic", "concepts", "-n", "2", "--allow-fewer", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert read_gift(out.read_text())
    bad = CliRunner().invoke(cli, ["export", "gift", "no.such", "-o", str(tmp_path / "x.txt")])
    assert bad.exit_code == 2 and bad.stderr.strip().startswith("Error: unknown template") and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.txt").exists()


def test_exam_points_are_said_in_a_comment_that_moodles_reader_skips(shipped):
    """GIFT has no syntax for a mark (qformat_gift gives every question defaultmark 1): with an exam's points each
    category says them in a comment, and the questions Moodle reads are the same as without."""
    ids = ["cnn.conv_params", "mlp.param_count", "cnn.conv_output_size"]
    plain = export_gift([ExportItem(shipped.get(t)) for t in ids], 2, 5)
    exam = export_gift([ExportItem(shipped.get(t), points=p) for t, p in zip(ids, (6, 2.5, 10))], 2, 5)
    assert read_gift(exam.text) == read_gift(plain.text)
    assert "The exam gives" not in plain.text
    for shown in ("6", "2.5"):
        assert (f"// The exam gives each question of this category {shown} points. GIFT cannot hold a mark: Moodle imports these "
                f"questions worth 1; set the quiz slot's maximum mark to {shown}.") in exam.text
    assert "10 points" not in exam.text  # the cloze template's category is left out whole
    assert [line for line in exam.text.splitlines() if line not in plain.text.splitlines()] == [line for line in exam.text.splitlines() if "The exam gives" in line]


def test_a_figure_is_written_into_its_question_as_a_data_uri(shipped):
    """GIFT has no files: each figure's SVG is the <img>'s data URI, with its alt text, in the text and in the general feedback.

    Moodle 5.1 keeps it: its own GIFT import stores the data URI unchanged, and the question
    engine shows it (question text is shown with noclean; only $CFG->forceclean drops it, and
    the caption stays). Checked with qformat_gift and question_usage::render_question; see docs/lms.md.
    """
    import base64
    import html

    from quizgen.engine.figures import variant_figures
    from quizgen.formats.figures import figure_svg

    export = export_gift([ExportItem(shipped.get("binary.sigmoid")), ExportItem(shipped.get("cnn.conv_params"))], 2, 4)
    assert "@@PLUGINFILE@@" not in export.text
    assert export.figures == 4 and "// 4 figures written into their questions as SVG data URIs" in export.text
    questions = [q for q in read_gift(export.text) if q["qtype"] != "category"]
    built = {q.idnumber: q for c in export.categories for q in c.questions}
    pattern = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"')
    seen = 0
    for read in questions:
        variant = built[read["idnumber"]].variant
        for text, part in ((read["text"], "question"), (read["generalfeedback"], "solution")):
            figures = variant_figures(variant, part)
            images = pattern.findall(text)
            assert len(images) == len(figures)
            for (data, alt), figure in zip(images, figures):
                assert base64.b64decode(data).decode() == figure_svg(figure, part)
                assert html.unescape(alt) == figure.alt and figure.caption in html.unescape(text)
                seen += 1
    assert seen == 4
    assert export_gift([ExportItem(shipped.get("binary.sigmoid"))], 2, 4).text == export_gift([ExportItem(shipped.get("binary.sigmoid"))], 2, 4).text
