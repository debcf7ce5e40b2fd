"""The LaTeX sources of papers and keys compile with pdflatex (CI installs TeX Live; skipped without it)."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner
from exam_support import SPEC, make_small_bank, pdf_pages

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.exams.latex import compile_pdf, escape, render_latex
from quizgen.exams.spec import PaperKey, load_spec, paper_document

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
    assert typst_label("divide by 1 - beta_1^t")[0] == {"t": "divide by 1 \u2212 "}
    assert label("mini-batch") == "mini-batch"


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
