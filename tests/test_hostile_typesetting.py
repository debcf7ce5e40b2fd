"""Text from a shared bank, an exam spec or a roster reaches Typst and LaTeX as data, never as code.

A hostile bank puts Typst code (``#read``, ``#include``, ``#import``, ``#eval``, a
billion-step ``#for``) and TeX that reads or writes files (``\\input``, ``\\write18``) into
every field a template or a spec can set. The papers and keys must show each as visible
text, and nothing of the files it names (the Typst template beside ``exam.typ``, a secret
file given by absolute path) may reach a PDF.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exam_support import pdf_pages
from quizgen.exams import latex, texmath

SECRET = "quizgen-secret-4711"  # the contents of a file a hostile text tries to read
TEMPLATE_START = "One exam paper or its answer key"  # the first words of templates/typst/exam.typ

TYPST_PAYLOADS = [
    '#read("exam.typ")', '#include "exam.typ"', '#import "exam.typ": *', '#eval("1 + 1")',
    "#for i in range(1000000000) { }",
]


def _template(secret: Path) -> str:
    math_attack = r'\text{x" #read("exam.typ") "y}'
    return f"""\
id: evil.everywhere
title: 'Everything #read("exam.typ")'
topic: evil
section: 1
difficulty: 1
kind: multichoice
variables:
  - {{name: a, draw: "int(min_value=2, max_value=90)"}}
  - name: b
    value: a + 1
    tex: '\\text{{b" #read("exam.typ") "}}'
    label: 'Add one #include "exam.typ"'
text: |
  Question ${math_attack}$ with #import "exam.typ": * and $\\input{{{secret}}}$ and {{@a@}}.
  Another $\\text{{"#for i in range(1000000000) {{ }}"}}$, $\\write18{{touch pwned}}$, #eval("1 + 1").
  Hidden in maths: $a // "\\n #read("exam.typ") "$ and $^^5cinput{{{secret}}}$.
solution: 'Solve $\\text{{s" #eval("1+1") "}}$ then #read("exam.typ") and $\\csname input\\endcsname{{{secret}}}$.'
answers:
  - {{name: b, kind: integer, label: 'answer #read("exam.typ")', unit: '#eval("x")'}}
mistakes:
  - {{name: m1, label: 'mistake #read("exam.typ")', value: a + 2, feedback: 'fb $\\text{{f" #read("exam.typ") "}}$ #eval("2")'}}
  - {{name: m2, label: 'mistake two', value: a + 3, feedback: 'second $\\input{{{secret}}}$'}}
  - {{name: m3, label: 'mistake three', value: a + 4, feedback: 'third'}}
"""


SPEC = """\
title = 'Exam #read("exam.typ")'
course = '#eval("1") $\\text{{c" #read("exam.typ") "}}$'
date = 2026-03-12
duration = 60
seed = 1
instructions = ['Do $\\text{{i" #read("exam.typ") "}}$ #include "exam.typ" and $\\input{{{secret}}}$']

[[sections]]
template = "evil.everywhere"
points = 2
title = 'Section #import "exam.typ": *'
"""

ROSTER = 'id,name\ns1,"Eve #read(""exam.typ"") \\input{{{secret}}}"\n'


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    secret = root / "secret.tex"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    (root / "bank" / "evil").mkdir(parents=True)
    (root / "bank" / "evil" / "everywhere.yaml").write_text(_template(secret), encoding="utf-8")
    (root / "exam.toml").write_text(SPEC.format(secret=secret), encoding="utf-8")
    (root / "roster.csv").write_text(ROSTER.format(secret=secret), encoding="utf-8")
    command = [sys.executable, "-m", "quizgen", "--bank", str(root / "bank"), "exam", "build", str(root / "exam.toml"),
               "--out", str(root / "out"), "--roster", str(root / "roster.csv")]
    if shutil.which("pdflatex"):
        command.append("--latex-pdf")
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def pdf_text(path: Path) -> str:
    return "\n".join(pdf_pages(path))


def _squeezed(text: str) -> str:
    """PDF text without spaces, line breaks and typographic quotes (Typst and LaTeX set quotes their way)."""
    for curly in "\u201c\u201d\u2018\u2019":
        text = text.replace(curly, '"')
    return "".join(text.replace("''", '"').split())


def test_typst_shows_every_payload_as_text_and_reads_no_file(hostile_build):
    for name in ("paper-s1.pdf", "key-s1.pdf"):
        text = pdf_text(hostile_build / "out" / name)
        squeezed = _squeezed(text)
        assert SECRET not in text and TEMPLATE_START not in text, name
        for payload in TYPST_PAYLOADS:
            assert _squeezed(payload) in squeezed, (name, payload)
        assert _squeezed(r"\input{") in squeezed and _squeezed(r"\write18{touchpwned}") in squeezed
    key = _squeezed(pdf_text(hostile_build / "out" / "key-s1.pdf"))
    for field in ('answer#read("exam.typ")', 'mistake#read("exam.typ")', 'Addone#include"exam.typ"'):
        assert field in key, field  # answer label, mistake label, variable label
    paper = _squeezed(pdf_text(hostile_build / "out" / "paper-s1.pdf"))
    for field in ('Exam#read("exam.typ")', '#eval("1")$\\text{c"#read("exam.typ")"}$', 'Eve#read("exam.typ")'):
        assert field in paper and field in key, field  # the spec's title and course, the roster's name


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="needs pdflatex")
def test_latex_reads_no_file_and_prints_the_source(hostile_build):
    for name in ("paper-s1", "key-s1"):
        source = (hostile_build / "out" / "latex" / f"{name}.tex").read_text(encoding="utf-8")
        assert "\\input{" not in source.replace("\\textbackslash{}input", "")
        assert "\\write18" not in source and "\\csname" not in source and "^^5c" not in source
        text = pdf_text(hostile_build / "out" / "latex" / f"{name}.pdf")
        assert SECRET not in text, name
        assert "\\input{" in text.replace(" ", "")
    assert not (hostile_build / "pwned").exists() and not (hostile_build / "out" / "latex" / "pwned").exists()


def test_pdflatex_runs_paranoid_and_without_shell_escape(monkeypatch, tmp_path):
    seen = {}

    def fake_run(command, **options):
        seen["command"], seen["env"] = command, options["env"]
        raise subprocess.TimeoutExpired(command, 1)

    monkeypatch.setattr(latex, "pdflatex", lambda: "pdflatex")
    monkeypatch.setattr(latex.subprocess, "run", fake_run)
    with pytest.raises(Exception):
        latex.compile_pdf("\\documentclass{article}", tmp_path / "x.pdf")
    assert "-no-shell-escape" in seen["command"]
    assert seen["env"]["openin_any"] == "p" and seen["env"]["openout_any"] == "p" and seen["env"]["shell_escape"] == "f"


@pytest.mark.parametrize("code", [
    '#read("exam.typ")', '"a" #read("x") "b"', 'a // "\n #read("x") "', '/* " */ #read("x")', '"unterminated',
    '`#read("x")`', '$ #x $', '#none.x', '#center(x)', 'read("exam.typ")', 'eval("1")', 'json("x")',
    '\\"#read("x")', 'sys.inputs', 'foo: #read("x")',
])
def test_typst_math_with_code_or_unknown_names_is_refused(code):
    assert not texmath.is_safe_math(code)


@pytest.mark.parametrize("code", [
    'mat(delim: #none, align: #center, "layer"; 0, "input")', 'alpha_(t + 1) = "text with # and //"',
    'epsilon.alt + arrow.r.long', '\\# r e a d(x)', '"\\"#read()"', 'op("eval")(x)', 'lr(|x|)',
])
def test_typst_math_that_is_only_math_passes(code):
    assert texmath.is_safe_math(code)


def test_refused_typst_math_is_shown_as_its_tex_source():
    tex = r'\text{a" #read("exam.typ") "b}'
    code = texmath.tex_to_typst(tex)
    assert texmath.is_safe_math(code)
    query = (  # in a process of its own: Typst's threads must not start in this one, which later forks workers
        "import sys, typst; print(typst.query(b'#metadata(eval(sys.inputs.code, mode: \"math\").body.text) <s>', '<s>',"
        " field='value', one=True, sys_inputs={'code': sys.argv[1]}))"
    )
    shown = subprocess.run([sys.executable, "-c", query, code], capture_output=True, text=True, check=True).stdout
    assert json.loads(shown) == tex


@pytest.mark.parametrize("tex", [
    r"\input{/etc/passwd}", r"\text{\input{x}}", r"^^5cinput{x}", r"\csname input\endcsname", r"x % comment",
    r"\write18{ls}", r"\immediate\openout1=x", r"\begin{document}", r"\end{bmatrix}}\input{x}{", r"\def\x{y}",
    r"\catcode`\#=12", r"a # b", r"\include{x}", r"\openin", r"\newcommand{\x}{y}", "x \\",
])
def test_latex_math_that_could_run_or_read_is_refused(tex):
    assert not latex.is_safe_math(tex)
    assert latex.math(tex).startswith(r"\text{\ttfamily ")


def test_every_math_snippet_of_the_bank_is_safe_for_latex(bank):
    from quizgen.engine.generate import generate
    from quizgen.exams.check import math_snippets
    from quizgen.formats.records import variant_record

    for _, template in sorted(bank.templates.items()):
        for variant in generate(template, min(3, template.min_variants or 3), seed=0):
            for field, tex in math_snippets(variant_record(variant)):
                assert latex.is_safe_math(tex), (template.id, field, tex)


def test_the_math_names_are_the_installed_typsts_own():
    """The list is kept in the code (a query would start Typst's threads before the workers fork): it must be Typst's."""
    code = 'import json, typst; print(typst.query(b"#metadata(dictionary(math).keys()) <n>", "<n>", field="value", one=True))'
    listed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert set(json.loads(listed)) == set(texmath.MATH_NAMES)


def test_a_runaway_typesetting_stops_the_build_with_a_clear_error(tmp_path):
    """Typst runs in workers the build can kill: past the time limit the build stops, names the paper, writes no manifest."""
    from exam_support import SPEC, make_small_bank

    bank = make_small_bank(tmp_path / "bank")
    (tmp_path / "quiz.toml").write_text(SPEC, encoding="utf-8")
    script = (
        "import sys; import quizgen.exams.build as build; build.TYPESET_TIMEOUT = 0.001; "
        "from quizgen.cli import main; sys.argv = ['quizgen'] + sys.argv[1:]; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "--bank", str(bank), "exam", "build", str(tmp_path / "quiz.toml"), "--out", str(tmp_path / "out"), "--jobs", "2"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "typesetting took longer than 0.001 s" in lines[0] and "Version A" in lines[0], result.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize("tex", [r"\text{<svg/onload=alert(1)>}", r"\text{<b>bold</b>}", r"\mathrm{<img src=x>}", r"\text{</math><script>x</script>}"])
def test_math_whose_mathml_would_carry_markup_is_shown_as_tex_on_the_page(tex):
    from quizgen.formats.selftest import math_html

    shown = str(math_html(tex))
    assert not any(tag in shown for tag in ("<svg", "<b>", "<script", "<img")), shown
    assert shown.startswith('<code class="tex">') or shown.startswith("<math"), shown


def test_every_math_snippet_of_the_bank_is_plain_mathml(bank):
    from latex2mathml.converter import convert

    from quizgen.engine.generate import generate
    from quizgen.exams.check import math_snippets
    from quizgen.formats.records import variant_record
    from quizgen.formats.selftest import is_plain_mathml

    for _, template in sorted(bank.templates.items()):
        for variant in generate(template, min(3, template.min_variants or 3), seed=0):
            for field, tex in math_snippets(variant_record(variant)):
                assert is_plain_mathml(convert(tex)), (template.id, field, tex)


NAMES = {"ar": "محمد عبد الله", "he": "דוד כהן", "zh": "王小明", "hi": "अमित शर्मा", "comb": "Zoë Ðặng Nguyễn", "emoji": "Sam 🙂 Lee", "de": "Jürgen Groß"}


def test_names_in_other_scripts_build_on_both_outputs(tmp_path):
    """Typst shows Latin, Greek, Cyrillic, Arabic, Hebrew and Devanagari; LaTeX prints what its fonts lack as '?'."""
    from exam_support import SPEC, make_small_bank

    bank = make_small_bank(tmp_path / "bank")
    (tmp_path / "quiz.toml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "roster.csv").write_text("id,name\n" + "".join(f"{k},{v}\n" for k, v in NAMES.items()), encoding="utf-8")
    command = [sys.executable, "-m", "quizgen", "--bank", str(bank), "exam", "build", "quiz.toml", "--roster", "roster.csv", "--out", "out"]
    if shutil.which("pdflatex"):
        command.append("--latex-pdf")
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "No known latex representation" not in result.stderr
    for key in ("ar", "he", "de"):  # Devanagari is typeset right (seen rendered), but pypdf extracts it garbled
        words = NAMES[key].split()
        text = pdf_text(tmp_path / "out" / f"paper-{key}.pdf")
        assert all(word in text for word in words), (key, text[:300])
    source = (tmp_path / "out" / "latex" / "paper-de.tex").read_text(encoding="utf-8")
    assert r'J\"urgen Gro\ss{}' in source
    assert "????" in (tmp_path / "out" / "latex" / "paper-ar.tex").read_text(encoding="utf-8")


EMPTY_ROOT = """\
id: evil.root
title: Empty root
topic: evil
section: 1
difficulty: 1
kind: numerical
variables:
  - {name: a, draw: "int(min_value=2, max_value=90)"}
  - {name: b, value: a + 1}
text: 'What is $\\sqrt{}$ plus {@a@}?'
answers:
  - {name: b, kind: integer, label: answer}
"""


def test_math_typst_refuses_is_named_by_file_and_field_in_validate_and_in_a_build(tmp_path):
    (tmp_path / "bank" / "evil").mkdir(parents=True)
    (tmp_path / "bank" / "evil" / "root.yaml").write_text(EMPTY_ROOT, encoding="utf-8")
    (tmp_path / "q.toml").write_text('title = "Q"\ncourse = "C"\ndate = 2026-01-01\nduration = 10\n[[sections]]\ntemplate = "evil.root"\npoints = 1\n')
    run = lambda *a: subprocess.run([sys.executable, "-m", "quizgen", "--bank", "bank", *a], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    validated = run("validate", "bank")
    assert validated.returncode == 2
    assert "Problem: bank/evil/root.yaml: text: Typst cannot typeset the math '\\sqrt{}' (sqrt()): missing argument" in validated.stderr
    built = run("exam", "build", "q.toml", "--out", "out")
    assert built.returncode == 2 and built.stderr.count("\n") == 1, built.stderr
    assert "Version A, paper: Typst cannot typeset it" in built.stderr and "in bank/evil/root.yaml: text: the math '\\sqrt{}'" in built.stderr
    assert not (tmp_path / "out").exists()
