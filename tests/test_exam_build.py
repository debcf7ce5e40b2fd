"""`quizgen exam build` end to end: the PDFs (read back with pypdf), the manifest, determinism, shards, errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from exam_support import REPO, ROSTER, SPEC, flat, make_small_bank, pdf_pages

from quizgen.cli import cli


@pytest.fixture(autouse=True)
def no_bank_from_environment(monkeypatch):
    monkeypatch.delenv("QUIZGEN_BANK", raising=False)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A small bank, a spec and a roster, and one build of three versions shared by the read-only tests."""
    folder = tmp_path_factory.mktemp("exam")
    bank = make_small_bank(folder / "bank")
    (folder / "exam.toml").write_text(SPEC, encoding="utf-8")
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    result = build(bank, folder / "exam.toml", folder / "versions", "--versions", "3")
    assert result.exit_code == 0, result.output
    return folder, bank


def build(bank: Path, spec: Path, out: Path, *options: str):
    return CliRunner().invoke(cli, ["--bank", str(bank), "exam", "build", str(spec), "--out", str(out), *options])


def manifest_of(out: Path, name: str = "manifest.json") -> dict:
    return json.loads((out / name).read_text(encoding="utf-8"))


def test_every_file_is_written(setup):
    folder, _ = setup
    out = folder / "versions"
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    expected = {"manifest.json", "all-papers.pdf", "all-keys.pdf", "answers-template.csv"}
    for version in "ABC":
        expected |= {f"paper-{version}.pdf", f"key-{version}.pdf", f"latex/paper-{version}.tex", f"latex/key-{version}.tex"}
        for source in ("paper", "key"):  # each figure's PDF that a LaTeX source includes, beside it
            text = (out / f"latex/{source}-{version}.tex").read_text(encoding="utf-8")
            expected |= {f"latex/{name}" for name in re.findall(r"\\qzfigure\{[0-9.]+\}\{(figures/[^}]+)\}", text)}
    assert names == expected
    from quizgen.marking.grade import answers_template
    from quizgen.marking.scans import load_build

    assert manifest_of(out)["files"]["answers_template"] == "answers-template.csv"
    assert (out / "answers-template.csv").read_text(encoding="utf-8") == answers_template(load_build(out, sheets=False))  # what grade reads
    assert not [p for p in out.rglob(".*")], "no temporary files left behind"


def test_the_manifest_names_seed_bank_and_every_question(setup):
    folder, bank = setup
    from quizgen.engine.bank import load_bank

    manifest = manifest_of(folder / "versions")
    assert manifest["schema"] == "quizgen.exam-manifest/1"
    assert manifest["seed"] == 7
    assert manifest["bank_fingerprint"] == load_bank(bank).fingerprint
    assert [p["key"] for p in manifest["papers"]] == ["A", "B", "C"]
    for paper in manifest["papers"]:
        assert [q["number"] for q in paper["questions"]] == list(range(1, 7))
        for question in paper["questions"]:
            assert re.fullmatch(r"[0-9A-Z]+-[0-9A-Z]+", question["code"])
            assert question["answers"], question
    codes = [(q["template"], q["code"]) for p in manifest["papers"] for q in p["questions"]]
    assert len(set(codes)) == len(codes), "a code names one variant of its template"


def test_each_paper_holds_its_own_questions_on_sane_pages(setup):
    folder, _ = setup
    out = folder / "versions"
    manifest = manifest_of(out)
    for paper in manifest["papers"]:
        pages = pdf_pages(out / paper["files"]["paper"])
        assert len(pages) == paper["pages"]["paper"]
        assert 2 <= len(pages) <= 1 + len(paper["questions"]), "a cover, then at most a page per question"
        cover = pages[0]
        for words in ("Quiz 1", "DNN 301", "2026-02-01", "30 minutes", "Name", "Student ID", "Answer every question.", "Total"):
            assert words in cover, words
        for number, page in enumerate(pages, start=1):
            assert f"Version {paper['key']}" in page, "version on every page"
            assert f"Page {number} of {len(pages)}" in page
        body = "\n".join(pages[1:])
        numbers = [int(n) for n in re.findall(r"Question (\d+) \(", body)]
        assert numbers == list(range(1, len(paper["questions"]) + 1))
        for question in paper["questions"]:
            assert question["code"] in body
        assert "Worked solution" not in body and "Answer key" not in body


def test_each_key_holds_the_answers_of_the_manifest(setup):
    folder, _ = setup
    out = folder / "versions"
    for paper in manifest_of(out)["papers"]:
        pages = pdf_pages(out / paper["files"]["key"])
        assert len(pages) == paper["pages"]["key"] >= 1
        text = "\n".join(pages)
        assert "Answer key" in text and f"Version {paper['key']}" in text
        for question in paper["questions"]:
            assert question["code"] in text and question["template"] in text
            for answer in question["answers"]:
                if answer["kind"] == "matching":
                    for pair in question["matching"]:
                        assert pair["left"] in text
                    continue
                for value in flat(answer["rounded"]):
                    assert str(value) in text, (question["template"], value)
                if answer["option"]:
                    assert f"option {answer['option']}" in text
        assert "Worked solution" in text


def test_papers_embed_only_the_bundled_fonts(setup):
    """Text in New Computer Modern, math in New Computer Modern Math (Typst's default math font, which the template relies on), codes in DejaVu Sans Mono."""
    from pypdf import PdfReader

    folder, _ = setup
    paper = manifest_of(folder / "versions")["papers"][0]
    for kind in ("paper", "key"):
        fonts = set()
        for page in PdfReader(folder / "versions" / paper["files"][kind]).pages:
            for font in page["/Resources"]["/Font"].values():
                fonts.add(re.sub(r"^/[A-Z]{6}\+|-Identity-H$", "", str(font.get_object()["/BaseFont"])))
        assert {"NewCM10-Regular", "NewCMMath-Book", "DejaVuSansMono"} <= fonts <= {"NewCM10-Regular", "NewCM10-Bold", "NewCMMath-Book", "DejaVuSansMono"}, (kind, fonts)


def test_a_concept_answer_is_text_in_the_key_so_that_it_wraps(setup):
    """A concept's option can be a long phrase: as math it would run out of the summary's Answer column."""
    from quizgen.engine.bank import load_bank
    from quizgen.exams.papers import typst_data
    from quizgen.exams.spec import PaperKey, load_spec, paper_document

    folder, bank_path = setup
    bank = load_bank(bank_path)
    spec = load_spec(folder / "exam.toml", bank)
    data = typst_data(paper_document(spec, bank, PaperKey("version", "A"), spec.seed), "key")
    choices = [a for q in data["questions"] for a in q["answers"] if a["kind"] == "choice"]
    assert choices and all(a["text"] and a["math"] == "" for a in choices)


def test_a_key_names_the_mistake_of_each_wrong_option(setup):
    folder, bank_path = setup
    from quizgen.engine.bank import load_bank

    bank = load_bank(bank_path)
    out = folder / "versions"
    checked = 0
    for paper in manifest_of(out)["papers"]:
        text = " ".join("\n".join(pdf_pages(out / paper["files"]["key"])).split())
        for question in paper["questions"]:
            template = bank.get(question["template"])
            if template.kind != "multichoice":
                continue
            labels = {m.name: m.label for m in template.mistakes}
            for option in question["options"]:
                if not option["correct"]:
                    assert labels[option["mistake"]].split("(")[0].strip()[:25] in text
                    checked += 1
    assert checked


def test_combined_pdfs_hold_every_paper_padded_for_duplex(setup):
    folder, _ = setup
    out = folder / "versions"
    manifest = manifest_of(out)
    papers = pdf_pages(out / "all-papers.pdf")
    keys = pdf_pages(out / "all-keys.pdf")
    padded = lambda n: n + n % 2  # noqa: E731
    assert len(papers) == sum(padded(p["pages"]["paper"]) for p in manifest["papers"])
    assert len(keys) == sum(padded(p["pages"]["key"]) for p in manifest["papers"])
    first_pages = [i for i, page in enumerate(papers) if "Student ID" in page]
    assert len(first_pages) == 3 and all(i % 2 == 0 for i in first_pages), "each paper starts on a new sheet"
    start = 0
    for paper in manifest["papers"]:  # a padding page says whose paper it ends
        count = paper["pages"]["paper"]
        if count % 2:
            assert "this page is left blank" in papers[start + count] and paper["key"] in papers[start + count]
        start += count + count % 2


def test_a_padding_page_shows_any_heading_as_text(tmp_path):
    import pikepdf

    from quizgen.exams.build import _padding_page

    pdf = pikepdf.new()
    _padding_page(pdf, (595.0, 842.0), "Ada (x) \\ Lovelace) Tj ET BT (s1)")
    pdf.save(tmp_path / "p.pdf")
    assert "Ada (x) \\ Lovelace) Tj ET BT (s1): this page is left blank" in pdf_pages(tmp_path / "p.pdf")[0]


def test_the_same_seed_gives_identical_bytes_on_any_number_of_workers(setup, tmp_path):
    folder, bank = setup
    first = folder / "versions"
    # Another process with two workers (forked), against the in-process build of the fixture.
    result = subprocess.run(
        [sys.executable, "-m", "quizgen", "--bank", str(bank), "exam", "build", str(folder / "exam.toml"), "--out", str(tmp_path / "again"), "--versions", "3", "--jobs", "2"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (tmp_path / "again" / relative).read_bytes(), relative


def test_another_seed_gives_other_papers(setup, tmp_path):
    folder, bank = setup
    result = build(bank, folder / "exam.toml", tmp_path / "other", "--versions", "1", "--seed", "8")
    assert result.exit_code == 0, result.output
    assert manifest_of(tmp_path / "other")["seed"] == 8
    assert (tmp_path / "other" / "paper-A.pdf").read_bytes() != (folder / "versions" / "paper-A.pdf").read_bytes()


def test_shards_build_the_same_papers(setup, tmp_path):
    folder, bank = setup
    for k in (1, 2):
        result = build(bank, folder / "exam.toml", tmp_path, "--versions", "3", "--shard", f"{k}/2")
        assert result.exit_code == 0, result.output
    first, second = manifest_of(tmp_path, "manifest-1-of-2.json"), manifest_of(tmp_path, "manifest-2-of-2.json")
    assert [p["key"] for p in first["papers"]] + [p["key"] for p in second["papers"]] == ["A", "B", "C"]
    assert first["shard"] == {"index": 1, "count": 2} and first["papers_total"] == 3
    assert (tmp_path / "all-papers-1-of-2.pdf").exists() and (tmp_path / "all-keys-2-of-2.pdf").exists()
    for version in "ABC":
        assert (tmp_path / f"paper-{version}.pdf").read_bytes() == (folder / "versions" / f"paper-{version}.pdf").read_bytes()
        assert (tmp_path / f"key-{version}.pdf").read_bytes() == (folder / "versions" / f"key-{version}.pdf").read_bytes()


def test_adding_a_student_changes_no_one_elses_paper(setup, tmp_path):
    folder, bank = setup
    result = build(bank, folder / "exam.toml", tmp_path / "two", "--roster", str(folder / "roster.csv"))
    assert result.exit_code == 0, result.output
    bigger = tmp_path / "roster3.csv"
    bigger.write_text("id,name\ns000,Grace Hopper\n" + ROSTER.split("\n", 1)[1], encoding="utf-8")
    result = build(bank, folder / "exam.toml", tmp_path / "three", "--roster", str(bigger))
    assert result.exit_code == 0, result.output
    for student in ("s001", "s002"):
        for kind in ("paper", "key"):
            assert (tmp_path / "two" / f"{kind}-{student}.pdf").read_bytes() == (tmp_path / "three" / f"{kind}-{student}.pdf").read_bytes()
    cover = pdf_pages(tmp_path / "three" / "paper-s001.pdf")[0]
    assert "Name Ada Lovelace" in cover and "Student ID s 0 0 1" in cover, "a personal paper comes with name and ID filled in"
    assert manifest_of(tmp_path / "three")["mode"] == "roster"


def test_moodle_option_writes_the_exams_moodle_xml(setup, tmp_path):
    """One command gives papers, keys and the Moodle XML, the same bytes `export moodle --exam` writes with that seed."""
    import xml.etree.ElementTree as ET

    folder, bank = setup
    result = build(bank, folder / "exam.toml", tmp_path / "out", "--versions", "1", "--seed", "11", "--moodle", "2")
    assert result.exit_code == 0, result.output
    xml = (tmp_path / "out" / "moodle.xml").read_bytes()
    exported = CliRunner().invoke(cli, ["--bank", str(bank), "export", "moodle", "--exam", str(folder / "exam.toml"), "-n", "2", "--allow-fewer", "--seed", "11", "-o", str(tmp_path / "export.xml")])
    assert exported.exit_code == 0, exported.output
    assert xml == (tmp_path / "export.xml").read_bytes()
    root = ET.fromstring(xml)
    categories = [q.find("idnumber").text for q in root.findall("question[@type='category']")]
    drawn = {question["template"] for paper in manifest_of(tmp_path / "out")["papers"] for question in paper["questions"]}
    assert drawn <= {c.removeprefix("quizgen:") for c in categories}, "every template on the paper has its category"
    assert "Wrote" in result.output and "moodle.xml" in result.output
    assert manifest_of(tmp_path / "out")["files"]["moodle"] == "moodle.xml", "the build's manifest names the file"
    result = build(bank, folder / "exam.toml", tmp_path / "out", "--versions", "2", "--seed", "12", "--force")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "out" / "moodle.xml").exists(), "--force removes the earlier build's moodle.xml with its papers"
    assert "moodle" not in manifest_of(tmp_path / "out")["files"]


@pytest.mark.parametrize(
    "change, options, message",
    [
        (("points = 6", "points = -6"), [], r"exam\.toml: sections\[4\]\.points: must be positive, got -6"),
        (('template = "cnn.conv_output_size"', 'template = "cnn.nope"'), [], r"exam\.toml: sections\[1\]\.template: unknown template 'cnn\.nope'"),
        (('title = "Quiz 1"\n', ""), [], r"exam\.toml: title: missing required field"),
        (("count = 2\npoints = 2", "count = 5\npoints = 2"), [], r"exam\.toml: sections\[2\]\.count: asks for 5 questions but only 2 templates match"),
        (None, ["--versions", "2", "--roster", "roster.csv"], r"give --versions or --roster, not both"),
        (None, ["--shard", "3/2"], r"--shard 3/2: K must be from 1 to N"),
        (None, ["--shard", "x"], r"--shard 'x' must be K/N"),
        (None, ["--versions", "2", "--shard", "1/3"], r"--shard 1/3: this slice of 2 papers is empty"),
        (None, ["--roster", "missing.csv"], r"missing\.csv: no such file"),
        (None, ["--seed", "-1"], r"seed=-1 must be a whole number"),
    ],
)
def test_bad_input_is_one_error_line_with_exit_2(setup, tmp_path, change, options, message):
    folder, bank = setup
    spec = tmp_path / "exam.toml"
    spec.write_text(SPEC.replace(*change, 1) if change else SPEC, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    options = [str(tmp_path / o) if o.endswith(".csv") else o for o in options]
    result = build(bank, spec, tmp_path / "out", *options)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert re.search(message, lines[0]), lines[0]
    assert not list((tmp_path / "out").glob("*.pdf")) if (tmp_path / "out").exists() else True


def test_latex_pdf_without_pdflatex_is_a_clear_error(setup, tmp_path, monkeypatch):
    folder, bank = setup
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex here
    result = build(bank, folder / "exam.toml", tmp_path / "out", "--versions", "1", "--latex-pdf")
    assert result.exit_code == 2
    assert "--latex-pdf needs pdflatex on PATH" in result.output
    assert not (tmp_path / "out" / "paper-A.pdf").exists(), "nothing is built when the request cannot be met"


def test_help_has_an_example():
    result = CliRunner().invoke(cli, ["exam", "build", "--help"])
    assert result.exit_code == 0
    assert "quizgen exam build examples/midterm.toml --out" in result.output


def test_a_folder_holding_another_build_is_refused_unless_forced(tmp_path):
    """A roster build into the folder of a versions build would leave paper-A.pdf beside the students' papers."""
    import quizgen

    spec = Path(__file__).resolve().parent.parent / "examples" / "midterm.toml"
    out = tmp_path / "midterm"
    quizgen.build_exam(spec, out, versions=1)
    quizgen.build_exam(spec, out, versions=1)  # the same build again is fine
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(quizgen.QuizgenError, match=r"holds another build \(manifest.json: 1 papers \(versions\) of midterm.toml.*--force"):
        quizgen.build_exam(spec, out, versions=2)
    assert sorted(p.name for p in out.glob("paper-*.pdf")) == ["paper-A.pdf"]
    quizgen.build_exam(spec, out, versions=2, seed=5, force=True)
    assert sorted(p.name for p in out.glob("paper-*.pdf")) == ["paper-A.pdf", "paper-B.pdf"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # only the old build's own files go


# ---------------------------------------------------------------------------
# Typesetting of the Typst papers and keys (issue 18): what the template is given


TYPESETTING_SPEC = """\
title = "Typesetting"
course = "DNN 301"
date = 2026-02-01
duration = 30
seed = 11
versions = 1

[[sections]]
templates = ["optimisers.adam_bias_correction"]
points = 1

[[sections]]
templates = ["optimisers.momentum_two_steps"]
points = 1

[[sections]]
templates = ["rnn.recurrent_params"]
points = 1

[[sections]]
templates = ["regularisation.he_std"]
points = 1

[[sections]]
templates = ["transformer.encoder_block_params"]
points = 1

[[sections]]
templates = ["optimisers.minibatch_gradient"]
points = 1

[[sections]]
templates = ["regularisation.l1_regularised_loss"]
points = 1

[[sections]]
templates = ["cnn.network_table"]
points = 1
"""


@pytest.fixture(scope="module")
def typeset(tmp_path_factory):
    """The paper document of a spec whose templates show each typesetting case, and its key's and paper's Typst data."""
    from quizgen.engine.bank import load_bank
    from quizgen.exams.papers import typst_data
    from quizgen.exams.spec import PaperKey, load_spec, paper_document

    spec_path = tmp_path_factory.mktemp("typeset") / "exam.toml"
    spec_path.write_text(TYPESETTING_SPEC, encoding="utf-8")
    bank = load_bank()
    spec = load_spec(spec_path, bank)
    document = paper_document(spec, bank, PaperKey("version", "A"), spec.seed)
    return document, typst_data(document, "key"), typst_data(document, "paper")


def _question(data: dict, template: str) -> dict:
    return next(q for q in data["questions"] if q["template"] == template)


def _maths(segments: list) -> str:
    return " ".join(s["m"] for s in segments if "m" in s)


def _step_math(step: dict) -> str:
    return " ".join(step["items"]) if step["list"] else step["math"]


def _texts(segments: list) -> str:
    return "".join(s.get("t", "") for s in segments)


def test_a_value_carries_no_float_padding_but_an_answer_keeps_its_digits(typeset):
    """Adam's correction factors are rounded to 6 significant figures: 1 - 0.9^t is shown as the number it is, not 0.190000."""
    from quizgen.exams.papers import unpadded

    document, key, _ = typeset
    adam = _question(key, "optimisers.adam_bias_correction")
    factor = adam["steps"][1]["math"]  # 1 - beta_1^t = 1 - 0.9^t = c_1
    shown = factor.rsplit("=", 1)[1].strip()
    assert re.fullmatch(r"0\.\d*[1-9]", shown), factor
    trailing = re.compile(r"(?<![\d.])\d+\.\d*0(?![\d.])")
    source = _question(document, "optimisers.adam_bias_correction")
    answers = {a["rounded"] for a in source["answers"]}
    for step in adam["steps"]:
        for number in trailing.findall(_step_math(step)):
            assert number in answers or "approx" in _step_math(step), (number, step)
    # An answer to 4 decimal places keeps them in the key, in its steps and in the common wrong answers.
    momentum = _question(key, "optimisers.momentum_two_steps")
    rounded = [a["math"] for a in momentum["answers"]]
    assert all(re.fullmatch(r"-?\d+\.\d{4}", value) for value in rounded), rounded
    assert rounded[0] in " ".join(_step_math(s) for s in momentum["steps"])
    assert all(re.search(r"\.\d{4}$", m["math"]) for m in momentum["mistakes"])
    # The rule itself: an answer's digits and a rounded result stay, any other padding goes.
    assert unpadded(r"1 - {0.9}^{2} = 0.190000", frozenset()) == r"1 - {0.9}^{2} = 0.19"
    assert unpadded(r"x = 2.0 + 0.0 - 1.4300 + 0.50", frozenset({"1.4300"})) == r"x = 2 + 0 - 1.4300 + 0.5"
    assert unpadded(r"x_{10} = 100 + 10.5", frozenset()) == r"x_{10} = 100 + 10.5"


def test_the_json_record_keeps_its_rounding(typeset):
    """Only the papers drop padding: the paper document (the build's data, as JSON and Moodle show it) is unchanged."""
    document, _, _ = typeset
    adam = _question(document, "optimisers.adam_bias_correction")
    assert re.search(r"= 0\.\d+0\b", adam["steps"][1]["tex"]), adam["steps"][1]["tex"]


def test_sizes_are_written_with_a_times_sign(typeset):
    _, key, paper = typeset
    for template in ("regularisation.he_std", "transformer.encoder_block_params", "rnn.recurrent_params", "cnn.network_table"):
        question = _question(key, template)
        labels = [step["label"] for step in question["steps"]] + [m["label"] for m in question["mistakes"]]
        for label in labels:
            assert not re.search(r"\w x \w|\dx\d", _texts(label)), (template, label)
        assert any("times" in _maths(label) for label in labels), template
    table = _question(paper, "cnn.network_table")
    text = json.dumps(table["text"], ensure_ascii=False)
    assert "×" in text and not re.search(r"\dx\d", text)


def test_step_captions_typeset_their_maths(typeset):
    from quizgen.exams.captions import caption

    _, key, _ = typeset
    recurrent = _question(key, "rnn.recurrent_params")
    label = recurrent["steps"][1]["label"]  # Input weights W_xh: one row of n_in weights per hidden unit (n_h × n_in)
    assert _maths(label).count("_") >= 3 and "times" in _maths(label), label
    assert caption("Compare the query with each key: s_i = k_i^T q") == (
        ("text", "Compare the query with each key: "), ("math", r"s_{i} = k_{i}^{T} q"))
    assert caption("Divide every score by sqrt(d_k), the square root") == (
        ("text", "Divide every score by "), ("math", r"\sqrt{d_{k}}"), ("text", ", the square root"))
    assert caption("(a) Divide by D and add 1") == (("text", "(a) Divide by "), ("math", "D"), ("text", " and add 1"))
    assert caption("Layer 1: conv, 16 filters, 3x3, stride 1") == (
        ("text", "Layer 1: conv, 16 filters, "), ("math", r"3 \times 3"), ("text", ", stride 1"))
    assert caption("a simple RNN is one such block") == (("text", "a simple RNN is one such block"),)
    assert caption("PE(pos, j) #import") == (("text", "PE(pos, "), ("math", "j"), ("text", ") #import"))
    assert caption("x_{#} ||#|| sqrt(#)") == (("text", "x_{#} ||#|| sqrt(#)"),)  # no math around a '#'
    deep = "(" * 3000 + "x" + ")" * 3000  # a hostile label: read as plain text (its names only), no recursion
    assert "".join(body for _, body in caption(deep)) == deep


def test_bars_hug_what_they_enclose(typeset):
    from quizgen.exams.texmath import tex_to_typst

    assert tex_to_typst("|W_{xh}|") == "lr(|W_(x h)|)"
    assert tex_to_typst(r"\lambda\|\theta\|_2^2") == "lambda norm(theta)_2^2"
    assert tex_to_typst(r"\sum_j |\theta_j|") == "sum_j lr(|theta_j|)"
    assert tex_to_typst("{|x}|") == "| x |"  # bars in different groups: left as written
    _, key, _ = typeset
    steps = " ".join(_step_math(s) for s in _question(key, "rnn.recurrent_params")["steps"])
    assert "lr(|W_(x h)|)" in steps and "| W" not in steps
    l1 = " ".join(_step_math(s) for s in _question(key, "regularisation.l1_regularised_loss")["steps"])
    assert "norm(theta)" in l1 and "bar.v" not in l1


def test_inline_fractions_are_full_size_and_short_inline_maths_keeps_to_one_line(typeset):
    from quizgen.exams.papers import paragraphs

    _, _, paper = typeset
    segments = [s for paragraph in _question(paper, "optimisers.minibatch_gradient")["text"] for s in paragraph]
    fractions = [s for s in segments if "frac(" in s.get("m", "")]
    assert fractions and all("display(frac(1, B))" in s["m"] and s["h"] for s in fractions), fractions
    inline = [s for s in segments if "m" in s and not s["b"]]
    assert all(s["k"] for s in inline), inline
    (text,) = paragraphs(r"$D = {10000}^{\frac{2i}{d}}$ and $\frac{\frac{a}{b}}{c}$")
    assert text[0]["m"] == "D = 10000^((2 i)/d)"  # a fraction in a power stays small
    assert text[2]["m"] == "display(frac(a/b, c))"
    (long,) = paragraphs("$" + " + ".join(f"x_{i}" for i in range(20)) + "$")
    assert not long[0]["k"]  # longer than half a line: may break


def test_typesetting_cases_compile(typeset):
    from quizgen.exams.papers import render_pdf

    document, _, _ = typeset
    for mode in ("paper", "key"):
        assert render_pdf(document, mode).startswith(b"%PDF-")


def test_an_answer_sheet_keeps_inline_fractions_small(typeset):
    """A sheet's grids sit where its text puts them: taller lines pushed a grid below the page's margin, onto the footer."""
    from quizgen.exams.papers import typst_data

    document, key, _ = typeset
    sheet = typst_data({**document, "sheet": {}}, "paper")
    text = json.dumps(_question(sheet, "optimisers.minibatch_gradient")["text"])
    assert "frac(" not in text and "1/B" in text
    assert "display(frac(" in json.dumps(_question(key, "optimisers.minibatch_gradient")["text"])
