"""The Moodle export writes a category's XML, a worked solution and a cloze question's text in
Python (faster than rendering Jinja); templates/moodle/category.xml.j2, solution.html.j2 and
cloze.html.j2 stay their reference. These tests render the templates beside the Python writers
over the whole bank and over a template full of markup, and require the same text: the
escaping included, so nothing a bank holds reaches the XML or the HTML as markup.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import Markup

from quizgen.engine.bank import load_bank
from quizgen.formats import moodle
from quizgen.formats.moodle import ExportItem, export_moodle

HOSTILE = """\
id: evil.html
title: 'Angle <script>alert("t")</script> & "quotes"'
topic: evil
section: 1
difficulty: 1
kind: multipart
variables:
  - {name: a, draw: "int(2, 90)"}
  - {name: v, draw: "vector(2, int(1, 9))"}
  - {name: b, value: a + 1, label: 'Add <b>one</b> & "more" ]]> here'}
  - {name: w, value: v * a, label: "Scale <img src=x onerror=alert(1)>"}
text: |
  Given a = {@a@} and v = {@v@} <script>alert(1)</script> & "x" ]]> 'y'.
solution: 'Solve <iframe src=x></iframe> & "z" ]]>.'
answers:
  - {name: b, kind: integer, label: 'answer <u>b</u> & "c"', unit: '<b>m&s</b> ]]>'}
  - {name: w, kind: vector, decimals: 0, label: "weights <svg onload=x>", unit: "k&g <i>"}
mistakes:
  - {name: m1, label: 'mistake <b>one</b>', answer: b, value: a + 2, feedback: 'fb <script>x</script> & "q" ]]>'}
"""


def _jinja_writers(monkeypatch) -> None:
    """The three writers replaced by the templates they stand for, rendered as the export rendered them before."""
    env = moodle._environment("moodle")
    monkeypatch.setattr(moodle, "_category_xml", lambda category: env.get_template("category.xml.j2").render(category=category))
    monkeypatch.setattr(moodle, "_solution_html", lambda record: env.get_template("solution.html.j2").render(v=record, key=[(a, moodle._key_tex(a)) for a in record["answers"]]))
    monkeypatch.setattr(moodle, "_cloze_html", lambda text, parts, code: env.get_template("cloze.html.j2").render(text=Markup(text), parts=parts, code=code))


def _export(items, count: int) -> str:
    return export_moodle(items, count, seed=3, allow_fewer=True, workers=1).text


@pytest.mark.parametrize("which", ["bank", "hostile"])
def test_python_writers_are_the_templates(which, monkeypatch, tmp_path: Path):
    if which == "bank":
        bank, count = load_bank(), 3
    else:
        (tmp_path / "evil").mkdir()
        (tmp_path / "evil" / "html.yaml").write_text(HOSTILE, encoding="utf-8")
        bank, count = load_bank(tmp_path), 4
    items = [ExportItem(t) for _, t in sorted(bank.templates.items())]
    ours = _export(items, count)
    with monkeypatch.context() as patch:
        _jinja_writers(patch)
        theirs = _export(items, count)
    assert ours == theirs
    if which == "hostile":
        assert "<script>" not in ours and "<img src=x" not in ours and "<svg onload" not in ours and "<iframe" not in ours
        assert "&lt;script&gt;" in ours
