"""The LaTeX sources of papers and keys compile with pdflatex (CI installs TeX Live; skipped without it)."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner
from exam_support import REPO, SPEC, make_small_bank, pdf_pages

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.exams.latex import (
    PDFLATEX_PASSES,
    compile_pdf,
    escape,
    render_latex,
    typeset,
)
from quizgen.exams.spec import PaperKey, load_spec, paper_document
from quizgen.formats import prose

needs_pdflatex = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="pdflatex is not on PATH (CI installs texlive-latex-base, texlive-latex-recommended and texlive-latex-extra)",
)


def test_text_is_escaped_for_latex():
    assert escape("50% of $5 & #1_a {b}") == r"50\% of \$5 \& \#1\_a \{b\}"
    assert escape("1×1 kernel → output") == r"1\ensuremath{\times}1 kernel \ensuremath{\rightarrow} output"
    assert escape("Forget gate") == "Forget gate"


def test_a_spaced_hyphen_in_a_label_is_typeset_as_a_minus():
    from quizgen.exams.latex import label
    from quizgen.exams.papers import label as typst_label

    assert label("divide by 1 - beta_1^t") == r"divide by 1 \ensuremath{-} $\beta_{1}^{t}$"
    text, formula = typst_label("divide by 1 - beta_1^t")  # Typst: the formula is typeset as maths, its '-' a minus
    assert text == {"t": "divide by "} and formula["m"] == "1 - beta_1^t"
    assert label("mini-batch") == "mini-batch"


def test_a_size_is_written_with_a_times_sign_as_on_the_typst_paper():
    from quizgen.exams.latex import label, paragraphs
    from quizgen.exams.papers import label as typst_label

    assert label("counted a 3x3 kernel") == r"counted a $3 \times 3$ kernel"
    assert [part.get("m") for part in typst_label("counted a 3x3 kernel")] == [None, "3 times 3", None]
    table = paragraphs(r"$\begin{array}{ll} 1 & \text{max pool 2x2, stride 2} \end{array}$")  # a network's layer, in a table
    assert r"\text{max pool 2\ensuremath{\times}2, stride 2}" in table
    assert label("cnn.conv1x1_params and 0.5x2") == "cnn.conv1x1\\_params and 0.5x2"  # no size: a name, a decimal


def test_the_source_uses_the_exam_class_and_amsmath(tmp_path):
    bank = load_bank(make_small_bank(tmp_path / "bank"))
    (tmp_path / "exam.toml").write_text(SPEC, encoding="utf-8")
    spec = load_spec(tmp_path / "exam.toml", bank)
    document = paper_document(spec, bank, PaperKey("version", "A"))
    paper, key = render_latex(document, "paper"), render_latex(document, "key")
    assert r"\documentclass[11pt]{exam}" in paper and r"\documentclass[11pt,answers]{exam}" in key
    assert r"\usepackage{amsmath,amssymb}" in paper
    assert paper.count(r"\question[") == key.count(r"\question[") == len(document["questions"])
    assert r"\begin{solution}" in key and r"\begin{solution}" not in paper
    for question in document["questions"]:
        assert question["code"] in paper and question["code"] in key


@needs_pdflatex
def test_paper_and_key_compile_with_pdflatex(tmp_path):
    bank = load_bank(make_small_bank(tmp_path / "bank"))
    (tmp_path / "exam.toml").write_text(SPEC, encoding="utf-8")
    spec = load_spec(tmp_path / "exam.toml", bank)
    document = paper_document(spec, bank, PaperKey("student", "s001", "Ada Lovelace"))
    for mode in ("paper", "key"):
        target = tmp_path / f"{mode}.pdf"
        compile_pdf(render_latex(document, mode), target, spec.day)
        pages = pdf_pages(target)
        assert f"Page 1 of {len(pages)}" in pages[0], "the second pass filled in the page count"
        text = "\n".join(pages)
        assert "Ada Lovelace" in text
        for question in document["questions"]:
            assert question["code"] in text
        if mode == "key":
            for question in document["questions"]:
                for answer in question["answers"]:
                    if answer["kind"] in ("number", "integer"):
                        assert answer["rounded"].replace("-", "") in text.replace("-", "")


@needs_pdflatex
def test_a_key_with_every_template_of_the_bank_compiles(bank, tmp_path):
    """Every template's text, steps, options and mistakes, through pdflatex."""
    sections = "\n".join(f'[[sections]]\ntemplate = "{template_id}"\npoints = 1\n' for template_id in sorted(bank.templates))
    (tmp_path / "all.toml").write_text(f'title = "Every template"\ncourse = "DNN"\ndate = "2026-01-01"\nduration = 600\n{sections}', encoding="utf-8")
    spec = load_spec(tmp_path / "all.toml", bank)
    document = paper_document(spec, bank, PaperKey("version", "A"))
    for mode in ("key", "paper"):
        compile_pdf(render_latex(document, mode), tmp_path / f"{mode}.pdf")
        assert len(pdf_pages(tmp_path / f"{mode}.pdf")) > 1
    key = pdf_pages(tmp_path / "key.pdf")
    assert "Template" in key[0] and "Template" in key[1], "the summary of a long exam runs on, its header repeated"
    text = " ".join(" ".join(key).split())
    choices = [a["rounded"] for q in document["questions"] for a in q["answers"] if a["kind"] == "choice"]
    assert choices and all(choice in text for choice in choices), "a concept's answer is text (as math its spaces vanish)"


@needs_pdflatex
def test_latex_pdf_option_writes_compiled_latex(tmp_path, monkeypatch):
    monkeypatch.delenv("QUIZGEN_BANK", raising=False)
    bank = make_small_bank(tmp_path / "bank")
    (tmp_path / "exam.toml").write_text(SPEC, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--bank", str(bank), "exam", "build", str(tmp_path / "exam.toml"), "--out", str(tmp_path / "out"), "--versions", "1", "--latex-pdf"])
    assert result.exit_code == 0, result.output
    for kind in ("paper", "key"):
        pages = pdf_pages(tmp_path / "out" / "latex" / f"{kind}-A.pdf")
        assert re.search(r"Page 1 of \d", pages[0])
    first = (tmp_path / "out" / "latex" / "paper-A.pdf").read_bytes()
    result = CliRunner().invoke(cli, ["--bank", str(bank), "exam", "build", str(tmp_path / "exam.toml"), "--out", str(tmp_path / "again"), "--versions", "1", "--latex-pdf"])
    assert (tmp_path / "again" / "latex" / "paper-A.pdf").read_bytes() == first, "pdflatex output is reproducible too"


def _squash(text: str) -> str:
    """Letters and digits only: what survives line breaks, hyphenation and spacing in a PDF's text."""
    return re.sub(r"[^A-Za-z0-9]", "", text)


def _midterm(bank, version):
    spec = load_spec(REPO / "examples" / "midterm.toml", bank)
    return spec, paper_document(spec, bank, PaperKey("version", version))


@needs_pdflatex
def test_two_pdflatex_passes_reach_a_fixed_point(bank, tmp_path):
    """The sources say "compile with pdflatex twice": the second pass writes the .aux the first wrote, and asks for no rerun."""
    spec, document = _midterm(bank, "A")
    assert PDFLATEX_PASSES == 2
    for mode in ("paper", "key"):
        source = render_latex(document, mode)
        assert "% Compile with pdflatex twice" in source.splitlines()[1]
        (tmp_path / mode).mkdir()
        passes = typeset(source, tmp_path / mode, spec.day)
        assert len(passes) == 2
        (_, first_aux), (last_log, last_aux) = passes
        assert last_aux == first_aux, f"{mode}: the second pass changed the .aux, so a third pass would change the PDF"
        assert not re.search(r"rerun", last_log, re.IGNORECASE), f"{mode}: pdflatex asks for another pass"
        assert "Page 1 of" in pdf_pages(tmp_path / mode / "exam.pdf")[0]


@needs_pdflatex
@pytest.mark.parametrize("version", ["A", "B"])
def test_each_paper_question_keeps_its_text_options_and_working_box_on_one_page(bank, tmp_path, version):
    """As the Typst paper: a circle to fill per option, and the dashed working box on the page of its question."""
    spec, document = _midterm(bank, version)
    questions = document["questions"]
    source = render_latex(document, "paper")
    assert r"\dbox" in source and r"\makeemptybox" not in source, "the working boxes are dashed, as the instructions say"
    compile_pdf(source, tmp_path / "paper.pdf", spec.day)
    pages = pdf_pages(tmp_path / "paper.pdf")
    assert any(q["options"] for q in questions) and any(q["working_space"] > 0 for q in questions)
    heads = {q["number"]: f"Question {q['number']} ({q['points']} points) {q['code']}" for q in questions}
    for q in questions:
        found = [i for i, text in enumerate(pages) if heads[q["number"]] in text]
        assert len(found) == 1, f"question {q['number']}'s head is on pages {found}"
        text = pages[found[0]]
        start = text.index(heads[q["number"]])
        later = [text.index(head) for head in heads.values() if head in text and text.index(head) > start]
        block = text[start:min(later, default=len(text))]  # from this question's head to the next one's
        squashed = _squash(block)
        for paragraph in prose.paragraphs(q["text"]):
            for kind, body in paragraph:
                if kind == "text":
                    assert _squash(body) in squashed, f"question {q['number']}: {body!r} is not on its page"
        if q["matching"]:  # every item of both columns (the right one may be the longer)
            for item in q["matching"]["left"] + [right["label"] + ")" + right["text"] for right in q["matching"]["right"]]:
                assert _squash(item) in squashed, f"question {q['number']}: {item!r} is missing"
        if q["options"]:
            assert block.count("\u25cb") == len(q["options"]), f"question {q['number']}: one circle per option"
            for option in q["options"]:
                assert re.search("\u25cb\\s*" + option["label"], block)
        else:
            assert "\u25cb" not in block
        assert ("Working" in block) == (q["working_space"] > 0), f"question {q['number']}: its working box is not on its page"


@needs_pdflatex
def test_the_key_fills_the_correct_options_circle(bank, tmp_path):
    spec, document = _midterm(bank, "A")
    source = render_latex(document, "key")
    compile_pdf(source, tmp_path / "key.pdf", spec.day)
    text = "\n".join(pdf_pages(tmp_path / "key.pdf"))
    chosen = [q for q in document["questions"] if q["options"]]
    assert chosen
    for q in chosen:
        for option in q["options"]:
            line = re.search("\u25cb\\s*" + option["label"] + r"\s+(.*)", text[text.index(q["code"]):]).group(1)
            assert line.endswith("(correct)") == option["correct"], line
    assert source.count(r"\CorrectChoice ") == len(chosen), "the exam class fills the circle of each correct option"
