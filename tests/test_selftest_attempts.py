"""A practice round: attempts saved on the self-test page in a real Chromium, graded by ``quizgen grade``.

Students answer on the page as they would (right answers, named mistakes, a solution shown
first, a second variant after a wrong first check), press **Save my attempt**, and the saved
files are graded against the page. The grades must equal the page's own score (first check
of each variant), and each planted mistake must be counted once.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizgen import api
from quizgen.cli import cli
from quizgen.engine.generate import make_variant, parse_code
from quizgen.formats.typed import flat_rounded
from quizgen.marking.attempts import read_page

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
IDS = ["cnn.conv_output_size", "cnn.conv_params", "multiclass.softmax", "concepts.lstm_gates", "concepts.lstm_gates_matching"]


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("round") / "round.html"
    api.export_html(IDS, variants=3, seed=5, title="Week 6 practice", output=path)
    return path


def _variant(bank, article):
    code = article.get_attribute("data-code")
    template_id = article.locator("xpath=ancestor::section").get_attribute("data-template")
    template = bank.get(template_id)
    return make_variant(template, *parse_code(template.id, code))


def _fill(article, variant, mistake: str | None = None) -> None:
    kind = variant.template.kind
    if kind in ("multichoice", "concept"):
        option = next(o for o in variant.options if (o.source is not None and o.source.name == mistake) or (mistake is None and o.correct))
        article.locator(f'input[type=radio][value="{option.label}"]').check()
    elif kind == "matching":
        for i, (_, right) in enumerate(variant.answers[0].value):
            article.locator("select").nth(i).select_option(label=right)
    else:
        named = {m.answer: m for m in variant.mistakes if m.name == mistake}  # a mistake may be named on several blanks
        for i, answer in enumerate(variant.answers):
            value = named[answer.spec.name].rounded if answer.spec.name in named else answer.rounded
            article.locator(".blank input, .blank textarea").nth(i).fill(flat_rounded(value))
    article.locator("button.check").click()
    article.locator(".feedback .verdict").wait_for()


def _visible(tab, number: int):
    return tab.locator(f"#q{number} article.variant:not([hidden])")


def _save(tab, folder: Path, name: str, student_id: str) -> Path:
    tab.fill("#save-name", name)
    tab.fill("#save-id", student_id)
    with tab.expect_download() as download:
        tab.click(".save-button")
    target = folder / download.value.suggested_filename
    download.value.save_as(target)
    return target


@pytest.mark.skipif(sync_playwright is None or not Path(CHROMIUM).exists(), reason="needs Playwright and Debian's chromium (see README)")
def test_attempts_saved_in_chromium_are_graded_as_the_page_scored_them(bank, page, tmp_path):
    attempts = tmp_path / "attempts"
    attempts.mkdir()
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        context = browser.new_context(accept_downloads=True)
        context.route("**/*", lambda route: (requests.append(route.request.url), route.continue_() if route.request.url == page.as_uri() else route.abort()))
        # Ada: right, right, forgot the +1 on the width only, solution first, right.
        tab = context.new_page()
        tab.goto(page.as_uri())
        _fill(_visible(tab, 1), _variant(bank, _visible(tab, 1)))
        _fill(_visible(tab, 2), _variant(bank, _visible(tab, 2)))
        softmax = _variant(bank, _visible(tab, 3))
        _fill(_visible(tab, 3), softmax, mistake=softmax.mistakes[0].name)
        _visible(tab, 4).locator("button.reveal").click()
        _fill(_visible(tab, 4), _variant(bank, _visible(tab, 4)))  # checked after the solution: not right
        _fill(_visible(tab, 5), _variant(bank, _visible(tab, 5)))
        ada = _save(tab, attempts, "Ada Lovelace", "s1")
        assert tab.locator(".scores tfoot .right").inner_text() == "3"
        # Alan: no_plus_one on question 1, then another variant answered right (the first check counts).
        tab = context.new_page()
        tab.goto(page.as_uri())
        first = _variant(bank, _visible(tab, 1))
        _fill(_visible(tab, 1), first, mistake="no_plus_one")
        _visible(tab, 1).locator("button.another").click()
        _fill(_visible(tab, 1), _variant(bank, _visible(tab, 1)))
        conv = _variant(bank, _visible(tab, 2))
        wrong = next(o for o in conv.options if o.source is not None)
        _fill(_visible(tab, 2), conv, mistake=wrong.source.name)
        alan = _save(tab, attempts, "Alan Turing", "s2")
        assert tab.locator(".scores tfoot .right").inner_text() == "1"
        context.close()
        browser.close()
    assert set(requests) <= {page.as_uri()}
    assert (ada.name, alan.name) == ("attempt-s1.json", "attempt-s2.json")
    saved = json.loads(alan.read_text())
    assert [a["code"] for a in saved["answers"]][0] == first.code and len(saved["answers"]) == 3

    # a typed text the page could not have sent: a problem, never a crash
    garbage = json.loads(ada.read_text())
    garbage.update(student_id="s3", name="Grace Hopper")
    garbage["answers"] = [{"question": 1, "template": IDS[0], "code": first.code, "revealed": False, "responses": {"blanks": {"H_out": "abc", "W_out": "7"}}}]
    (attempts / "attempt-s3.json").write_text(json.dumps(garbage))

    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["grade", str(page), str(attempts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    grades = {row["student_id"]: row for row in csv.DictReader((out / "grades.csv").open())}
    # the page's score counts whole questions; the grade shares a question's points among its elements
    partial = float(grades["s1"]["Q3"])
    assert 0 < partial < 1 and grades["s1"]["max_points"] == "5"
    assert float(grades["s1"]["total"]) == pytest.approx(3 + partial)
    assert [grades["s1"][f"Q{n}"] for n in (1, 2, 4, 5)] == ["1", "1", "0", "1"]
    hit = sum(1 for m in first.mistakes if m.name == "no_plus_one")  # blanks of question 1 Alan got wrong
    assert float(grades["s2"]["Q1"]) == pytest.approx(1 - hit / len(first.answers))
    assert [grades["s2"][f"Q{n}"] for n in range(2, 6)] == ["0", "0", "0", "0"]
    assert grades["s3"]["status"] == "review" and grades["s1"]["status"] == "complete"
    mistakes: dict[tuple[str, str], int] = {}
    for row in csv.DictReader((out / "mistakes.csv").open()):  # a row per blank a mistake was named on
        mistakes[(row["question"], row["mistake"])] = mistakes.get((row["question"], row["mistake"]), 0) + int(row["count"])
    assert mistakes[("1", "no_plus_one")] == hit
    assert mistakes[("2", wrong.source.name)] == 1
    assert mistakes[("3", softmax.mistakes[0].name)] == 1
    problems = list(csv.DictReader((out / "problems.csv").open()))
    assert [(p["student"], p["question"], p["text"]) for p in problems] == [("s3", "1", "abc")]
    assert "self-test attempts" in (out / "report.html").read_text()
    assert (out / "feedback").is_dir()


def _attempt(page_key: int, **fields):
    return {"schema": "quizgen.selftest-attempt/1", "page": page_key, "student_id": "s1", "name": "", "answers": [], **fields}


def test_bad_attempt_folders_are_one_line_errors(page, tmp_path):
    key = read_page(page)["key"]
    runner = CliRunner()

    def grade(files: dict[str, object]) -> str:
        folder = tmp_path / f"a{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_text(data if isinstance(data, str) else json.dumps(data))
        result = runner.invoke(cli, ["grade", str(page), str(folder), "--out", str(tmp_path / "r")])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        return result.output

    assert "not an attempt file" in grade({"a.json": "{"})
    assert "saved on another self-test page" in grade({"a.json": _attempt(key + 1)})
    assert "answers[0]" in grade({"a.json": _attempt(key, answers=[{"question": "x"}])})
    assert "student_id" in grade({"a.json": _attempt(key, student_id="")})
    assert "no attempt files" in grade({})
    not_page = tmp_path / "other.html"
    not_page.write_text("<html></html>")
    result = runner.invoke(cli, ["grade", str(not_page), str(tmp_path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "not a quizgen self-test page" in result.output


def test_saved_twice_keeps_the_fuller_file_and_says_so(bank, page, tmp_path):
    info = read_page(page)
    code = info["questions"][1]["codes"][0]
    variant = make_variant(bank.get(IDS[1]), *parse_code(IDS[1], code))
    right = next(o.label for o in variant.options if o.correct)
    folder = tmp_path / "attempts"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(_attempt(info["key"])))
    (folder / "b.json").write_text(json.dumps(_attempt(info["key"], answers=[{"question": 2, "code": code, "responses": {"option": right}}])))
    result = CliRunner().invoke(cli, ["grade", str(page), str(folder), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "s1: saved twice; b.json is graded, a.json is not" in result.output
    grades = list(csv.DictReader((tmp_path / "r" / "grades.csv").open()))
    assert len(grades) == 1 and grades[0]["Q2"] == "1" and grades[0]["total"] == "1"
