"""docs/api.md must stay true: its examples run, in order, in a fresh folder, and say what they print."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from pathlib import Path

import pytest

import quizgen

ROOT = Path(__file__).resolve().parent.parent
API_DOC = ROOT / "docs" / "api.md"


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Run every block of the page in one namespace, as a reader would in one notebook."""
    folder = tmp_path_factory.mktemp("api-docs")
    shutil.copy(ROOT / "examples" / "midterm.toml", folder / "midterm.toml")
    namespace: dict = {}
    printed = io.StringIO()
    before = Path.cwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(printed):
            for block in _python_blocks(API_DOC.read_text(encoding="utf-8")):
                exec(compile(block, str(API_DOC), "exec"), namespace)  # the doc's own examples, nothing else
    finally:
        os.chdir(before)
    return folder, namespace, printed.getvalue()


def test_the_page_has_an_example_of_every_call():
    blocks = "\n".join(_python_blocks(API_DOC.read_text(encoding="utf-8")))
    for name in ("load_bank", "generate", "variant", "solve", "variant_record", "render_text",
                 "export_moodle", "export_gift", "export_html", "build_exam", "grade", "answers_template", "QuizgenError"):
        assert f"quizgen.{name}(" in blocks or f"quizgen.{name}" in blocks, name
    assert set(quizgen.__all__) >= {"load_bank", "generate", "solve", "variant_record", "build_exam", "export_moodle", "export_html"}


def test_the_examples_print_what_their_comments_say(ran):
    _, namespace, printed = ran
    assert "['7-0R', '7-2M', '7-41']" in printed
    assert "{'output height': '32', 'output width': '28'}" in printed
    assert "Error: " in printed and "cnn.no_such_template" in printed
    assert namespace["again"].note == namespace["first"].note
    assert "1 [('s1', 5)]" in printed


def test_the_examples_write_the_files_they_name(ran):
    folder, namespace, _ = ran
    assert (folder / "quiz.xml").read_text(encoding="utf-8").startswith("<?xml")
    assert (folder / "concepts.gift.txt").stat().st_size > 0
    assert "<html" in (folder / "attention.html").read_text(encoding="utf-8")
    manifest = namespace["manifest"]
    assert [paper["key"] for paper in manifest["papers"]] == ["A", "B"]
    for name in ("paper-A.pdf", "key-A.pdf", "paper-B.pdf", "key-B.pdf", "manifest.json", "moodle.xml"):
        assert (folder / "midterm" / name).is_file(), name
    for name in ("grades.csv", "items.csv", "mistakes.csv", "problems.csv", "report.html"):
        assert (folder / "report" / name).is_file(), name


def test_the_api_gives_the_bytes_the_command_gives(ran, tmp_path):
    from click.testing import CliRunner

    from quizgen.cli import cli

    folder, _, _ = ran
    result = CliRunner().invoke(cli, ["export", "moodle", "cnn.conv_params", "mlp.param_count", "-n", "5", "--seed", "1", "-o", str(tmp_path / "cli.xml")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli.xml").read_bytes() == (folder / "quiz.xml").read_bytes()


def test_import_quizgen_loads_no_room(tmp_path):
    """The API imports each room inside its calls: `import quizgen` (and so every command's start) stays light."""
    import subprocess
    import sys

    code = "import sys, quizgen; print(sorted(m for m in sys.modules if m.startswith(('quizgen.', 'sympy', 'numpy', 'jinja2'))))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['quizgen.api', 'quizgen.errors']"
