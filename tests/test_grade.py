"""quizgen grade: typed answers and marks.csv to grades, item statistics and report.html.

The statistics are checked against numpy on random data (and on the edge cases: one student,
everyone alike); the grades and mistake counts against a synthetic class whose answers were
planted from the manifest: right answers, named mistakes' values, garbage and blanks.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from exam_support import SPEC

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.marking import item_stats as st
from quizgen.marking.class_simulator import _text, planted_counts, simulate_answers
from quizgen.marking.grade import answers_template, grade_answers
from quizgen.marking.grade_report import write_report
from quizgen.marking.scans import load_build

# ---------------------------------------------------------------------------
# The formulas, against numpy


def _np_alpha(m: np.ndarray) -> float:
    k = m.shape[1]
    return k / (k - 1) * (1 - m.var(axis=0, ddof=1).sum() / m.sum(axis=1).var(ddof=1))


def _np_discrimination(item: np.ndarray, totals: np.ndarray, top: float) -> float:
    n = len(item)
    g = max(1, min(n // 2, int(np.floor(0.27 * n + 0.5))))
    order = np.lexsort((np.arange(n), -totals))  # by total, best first; ties in class order
    return (item[order[:g]].mean() - item[order[-g:]].mean()) / top


@pytest.mark.parametrize("seed", range(25))
def test_statistics_equal_numpy_on_random_classes(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(3, 60)), int(rng.integers(2, 9))
    maxima = rng.integers(1, 6, size=k).astype(float)
    ability = rng.random(n)
    if seed % 2:  # dichotomous: KR-20
        m = (rng.random((n, k)) < ability[:, None]).astype(float) * maxima
    else:
        m = np.round(rng.random((n, k)) * ability[:, None] * maxima * 2) / 2
        m = np.minimum(m, maxima)
    totals = m.sum(axis=1)
    rows = m.tolist()
    stats = st.test_stats(rows, maxima.tolist())
    assert stats.mean == pytest.approx(totals.mean())
    assert stats.sd == pytest.approx(totals.std(ddof=1))
    if totals.std() > 0:
        assert stats.alpha == pytest.approx(_np_alpha(m))
        assert stats.sem == pytest.approx(totals.std(ddof=1) * np.sqrt(max(0.0, 1 - _np_alpha(m))))
    if seed % 2:
        assert stats.kr20
        p = m.mean(axis=0) / maxima
        kr20 = k / (k - 1) * (1 - (p * (1 - p) * maxima**2).sum() / totals.var(ddof=0))
        if totals.std() > 0:
            assert stats.alpha == pytest.approx(kr20)
    for j in range(k):
        item = m[:, j]
        assert st.facility(item.tolist(), maxima[j]) == pytest.approx(item.mean() / maxima[j])
        rest = totals - item
        expected = None if item.std() == 0 or rest.std() == 0 else np.corrcoef(item, rest)[0, 1]
        got = st.rest_correlation(item.tolist(), totals.tolist())
        assert (got is None) == (expected is None)
        if expected is not None:
            assert got == pytest.approx(expected)
        if totals.std() > 0:
            assert st.discrimination_index(item.tolist(), maxima[j], totals.tolist()) == pytest.approx(_np_discrimination(item, totals, maxima[j]))


def test_statistics_of_degenerate_classes_are_none_not_errors():
    assert st.test_stats([[1.0, 2.0]], [2.0, 2.0]).sd is None  # one student
    one = st.test_stats([[1.0, 2.0]], [2.0, 2.0])
    assert one.alpha is None and one.sem is None and one.mean == 3
    same = [[1.0, 1.0]] * 5  # everyone alike
    stats = st.test_stats(same, [1.0, 1.0])
    assert stats.sd == 0 and stats.alpha is None and stats.sem is None
    assert st.rest_correlation([1.0] * 5, [2.0] * 5) is None
    assert st.discrimination_index([1.0] * 5, 1.0, [2.0] * 5) is None
    assert st.discrimination_index([1.0], 1.0, [2.0]) is None
    assert st.cronbach_alpha([[1.0], [0.0]]) is None  # one item
    assert st.facility([], 1.0) is None


def test_a_hand_worked_case():
    # 4 students, 2 right/wrong items: totals 2, 1, 1, 0.
    m = [[1, 1], [1, 0], [0, 1], [0, 0]]
    stats = st.test_stats(m, [1, 1])
    # item variances 1/3 each (n-1), total variance 2/3: alpha = 2 * (1 - (2/3)/(2/3)) = 0
    assert stats.alpha == pytest.approx(0.0)
    assert st.group_size(4) == 1
    # best (2) has item 1 right, worst (0) not: D = 1
    assert st.discrimination_index([1, 1, 0, 0], 1, [2, 1, 1, 0]) == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# A synthetic class


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """A roster build's manifest (no papers typeset: grading needs only the manifest)."""
    from quizgen.exams.build import papers_for
    from quizgen.exams.spec import (
        MANIFEST_SCHEMA,
        load_spec,
        manifest_entry,
        paper_document,
    )

    folder = tmp_path_factory.mktemp("grade-build")
    bank = load_bank(None)
    (folder / "quiz.toml").write_text(SPEC, encoding="utf-8")
    roster = folder / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"s{n:03d},Student {n}\n" for n in range(40)) + 's999,"<script>alert(1)</script>"\n', encoding="utf-8")
    spec = load_spec(folder / "quiz.toml", bank)
    mode, keys = papers_for(spec, None, roster)
    papers = [manifest_entry(paper_document(spec, bank, key), {}) for key in keys]
    manifest = {"schema": MANIFEST_SCHEMA, "title": "Quiz 1", "course": "DNN 301", "mode": mode, "bank_fingerprint": bank.fingerprint,
                "sheets": None, "papers": papers}
    out = folder / "build"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out, bank


def test_a_planted_class_is_graded_as_planted(build, tmp_path):
    build_dir, bank = build
    text, planted = simulate_answers(load_build(build_dir, sheets=False), bank)
    answers = tmp_path / "answers.csv"
    answers.write_text(text, encoding="utf-8")
    grading = grade_answers(build_dir, answers, bank)
    analysis = write_report(tmp_path / "report", grading, bank)
    counts: dict = {}
    for s in grading.students:
        for b in s.blanks:
            what = planted[(s.student_id, b.question, b.blank)]
            if what == "right":
                assert b.points == pytest.approx(b.max_points), (s.student_id, b)
            elif isinstance(what, tuple):  # a vector's mistake may still have some elements right: their share only
                assert b.points < b.max_points - 1e-9, (s.student_id, b, what)
            else:
                assert b.points == 0, (s.student_id, b, what)
            if isinstance(what, tuple):
                assert b.mistake == what[1], (s.student_id, b)
                key = (b.question, b.template, b.blank, what[1])
                counts[key] = counts.get(key, 0) + 1
            if what == "empty":
                assert b.status == "empty"
            if what == "garbage":
                assert b.status == "doubtful" and s.review
    garbage = sorted((k[0], k[1], k[2]) for k, v in planted.items() if v == "garbage")
    assert sorted((p.student, p.question, p.blank) for p in grading.problems) == garbage
    # each named mistake's count in mistakes.csv is what was planted
    mistakes = list(csv.DictReader(io.StringIO((tmp_path / "report" / "mistakes.csv").read_text(encoding="utf-8"))))
    found = {(int(r["question"]), r["template"], r["blank"], r["mistake"]): int(r["count"]) for r in mistakes}
    assert found == counts and counts
    assert found == planted_counts(planted, load_build(build_dir, sheets=False))  # what examples/simulate_class.py reports
    # grades.csv: per-question points add up to the total; facility and alpha equal numpy's over its columns
    grades = list(csv.DictReader(io.StringIO((tmp_path / "report" / "grades.csv").read_text(encoding="utf-8"))))
    qs = [f"Q{n}" for n in analysis.questions]
    m = np.array([[float(r[q]) for q in qs] for r in grades])
    assert [float(r["total"]) for r in grades] == pytest.approx(m.sum(axis=1).tolist(), abs=1e-3)
    assert analysis.test.alpha == pytest.approx(_np_alpha(m), abs=1e-3)
    assert analysis.test.mean == pytest.approx(m.sum(axis=1).mean(), abs=1e-3)
    problems = (tmp_path / "report" / "problems.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in problems  # a formula stays text in a spreadsheet


def test_same_inputs_same_bytes_and_the_report_is_escaped(build, tmp_path):
    build_dir, bank = build
    text, _ = simulate_answers(load_build(build_dir, sheets=False), bank)
    answers = tmp_path / "answers.csv"
    answers.write_text(text, encoding="utf-8")
    outputs = []
    for name in ("one", "two"):
        write_report(tmp_path / name, grade_answers(build_dir, answers, bank), bank)
        outputs.append({p.name: p.read_bytes() if p.is_file() else b"" for p in (tmp_path / name).iterdir()})
    assert outputs[0] == outputs[1]
    html = outputs[0]["report.html"].decode()
    assert "<script" not in html and 'HYPERLINK("x") <b>' not in html
    assert "&lt;b&gt;" in html  # the garbage answer, shown as text
    assert html.count("<svg") >= 4 and "http" not in html.replace("http-equiv", "")
    feedback = {name: data for name, data in outputs[0].items() if name == "feedback"}
    assert feedback  # a folder: compared by its files below
    pages = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "one" / "feedback").iterdir()}
    assert pages == {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "two" / "feedback").iterdir()}
    assert len(pages) == 41 and "s999.html" in pages
    assert "<script" not in pages["s999.html"] and "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["s999.html"]
    assert "Worked solution" in pages["s001.html"]


def test_feedback_file_names_are_safe_and_unique():
    from quizgen.marking.grade_html import _file_name

    taken: set[str] = set()
    names = [_file_name(i, taken) for i in ["../../etc/passwd", "a/b", "a_b", "A_B", "", "..."]]
    assert len({n.lower() for n in names}) == len(names)
    assert all("/" not in n and not n.startswith(".") for n in names)


def test_overrides_replace_points_and_are_recorded(build, tmp_path):
    build_dir, bank = build
    text, _ = simulate_answers(load_build(build_dir, sheets=False), bank)
    answers = tmp_path / "answers.csv"
    answers.write_text(text, encoding="utf-8")
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("student,question,points\ns001,Q1,1.5\ns002,2,0.5\n", encoding="utf-8")
    grading = grade_answers(build_dir, answers, bank, overrides)
    s1 = next(s for s in grading.students if s.student_id == "s001")
    assert s1.question_points(1) == 1.5 and 1 in s1.overrides
    write_report(tmp_path / "r", grading, bank)
    row = next(r for r in csv.DictReader((tmp_path / "r" / "grades.csv").open(encoding="utf-8")) if r["student_id"] == "s001")
    assert row["Q1"] == "1.5" and "Q1:" in row["overrides"] and "-> 1.5" in row["overrides"]
    bad = tmp_path / "bad.csv"
    for body, message in [("student,question,points\nnobody,1,1\n", "student"), ("student,question,points\ns001,99,1\n", "question"),
                          ("student,question,points\ns001,1,400\n", "points"), ("student,question,points\ns001,1,abc\n", "points")]:
        bad.write_text(body, encoding="utf-8")
        result = CliRunner().invoke(cli, ["grade", str(build_dir), str(answers), "--out", str(tmp_path / "x"), "--overrides", str(bad)])
        assert result.exit_code == 2 and "bad.csv: line 2" in result.output and message in result.output, result.output


def test_the_command_and_bad_answer_files(build, tmp_path):
    build_dir, _ = build
    runner = CliRunner()
    template = tmp_path / "t.csv"
    result = runner.invoke(cli, ["grade", str(build_dir), "--empty-template", str(template)])
    assert result.exit_code == 0, result.output
    assert template.read_text(encoding="utf-8").startswith("paper,student_id,name,Q1")
    result = runner.invoke(cli, ["grade", str(build_dir), str(template), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output  # all empty: graded, nothing to settle
    assert "41 students" in result.output
    bad = tmp_path / "bad.csv"
    for body, message in [("", "empty"), ("paper,Q1.1\nnope,1\n", "paper"), ("student_id,Q1.1\nx,1\n", "'paper' column"),
                          ("paper,Q77\ns001,1\n", "Q77"), ("paper,Q1.1\ns001,1,2,3\n", "cells"), ("paper,Q1.1\ns001," + "9" * 5000 + "\n", "characters"),
                          ("paper,Q1.1\ns001,1\ns001,2\n", "twice"), ("paper,Q1.1,Q1.1\ns001,1,2\n", "twice")]:
        bad.write_text(body, encoding="utf-8")
        result = runner.invoke(cli, ["grade", str(build_dir), str(bad), "--out", str(tmp_path / "x")])
        assert result.exit_code == 2 and "Error:" in result.output and message in result.output, (body[:30], result.output)
        assert "Traceback" not in result.output


def test_marks_csv_is_read_and_checked_against_the_manifest(build, tmp_path):
    build_dir, bank = build
    b = load_build(build_dir, sheets=False)
    paper = b.papers["s001"]
    rows = ["sheet,student_id,name,question,template,code,blank,read,status,right,points,max_points,mistake,mistake_label,review_reason"]
    for q in paper["questions"]:
        rows.append(f"s001,s001,Ada,{q['number']},{q['template']},{q['code']},x,1,ok,yes,{q['points']},{q['points']},,,")
    rows.append(f"s001,s001,Ada,1,{paper['questions'][0]['template']},{paper['questions'][0]['code']},y,,doubtful,,0,1,,,two ticks")
    marks = tmp_path / "marks.csv"
    marks.write_text("\n".join(rows) + "\n", encoding="utf-8")
    grading = grade_answers(build_dir, marks, bank)
    assert grading.source == "marks" and len(grading.students) == 1
    assert grading.students[0].review and grading.problems[0].reason == "two ticks"
    write_report(tmp_path / "r", grading, bank)  # one student: statistics undefined, no error
    marks.write_text("\n".join(rows).replace(paper["questions"][0]["code"], "WRONGCODE-00", 1) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["grade", str(build_dir), str(marks), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "another build" in result.output


def test_every_column_is_documented(build, tmp_path):
    build_dir, bank = build
    text, _ = simulate_answers(load_build(build_dir, sheets=False), bank)
    (tmp_path / "a.csv").write_text(text, encoding="utf-8")
    write_report(tmp_path / "r", grade_answers(build_dir, tmp_path / "a.csv", bank), bank)
    doc = (Path(__file__).resolve().parent.parent / "docs" / "grading.md").read_text(encoding="utf-8")
    for name in ("items.csv", "mistakes.csv", "problems.csv", "grades.csv"):
        header = (tmp_path / "r" / name).read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        missing = [c for c in header if not c.startswith("Q") and f"`{c}" not in doc and f" {c}," not in doc and f", {c}`" not in doc]
        assert not missing, (name, missing)


def test_report_in_chromium_draws_its_plots_fetches_nothing_and_prints(build, tmp_path):
    import shutil

    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Debian's chromium is not installed")
    build_dir, bank = build
    text, _ = simulate_answers(load_build(build_dir, sheets=False), bank)
    (tmp_path / "a.csv").write_text(text, encoding="utf-8")
    write_report(tmp_path / "r", grade_answers(build_dir, tmp_path / "a.csv", bank), bank)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto((tmp_path / "r" / "report.html").as_uri())
            assert [u for u in requests if not u.startswith("file:")] == []
            assert page.locator("#histogram rect.bar").count() == 10
            assert page.locator("#scatter circle").count() >= 4
            assert page.locator("svg.mistake-chart").count() >= 4
            assert page.locator("#topic-chart rect").count() >= 2
            box = page.locator("#histogram").bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50
            assert page.pdf()[:5] == b"%PDF-"
        finally:
            browser.close()


def test_grade_help_has_an_example_and_a_half_command_is_one_clean_error(build, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["grade", "--help"])
    assert result.exit_code == 0 and "Example" in result.output and "quizgen grade midterm midterm/answers-template.csv --out report" in result.output and "attempts/" in result.output
    result = runner.invoke(cli, ["grade", str(build[0])])
    assert result.exit_code == 2 and "give ANSWERS and --out REPORT" in result.output
    result = runner.invoke(cli, ["grade", str(tmp_path), str(tmp_path / "a.csv"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "no manifest.json" in result.output


def test_version_papers_need_a_student_id_and_read_compact_matching(tmp_path):
    from quizgen.exams.build import papers_for
    from quizgen.exams.spec import (
        MANIFEST_SCHEMA,
        load_spec,
        manifest_entry,
        paper_document,
    )

    bank = load_bank(None)
    (tmp_path / "quiz.toml").write_text(SPEC, encoding="utf-8")
    spec = load_spec(tmp_path / "quiz.toml", bank)
    mode, keys = papers_for(spec, 2, None)
    papers = [manifest_entry(paper_document(spec, bank, key), {}) for key in keys]
    out = tmp_path / "build"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"schema": MANIFEST_SCHEMA, "mode": mode, "bank_fingerprint": bank.fingerprint, "sheets": None,
                                                   "papers": papers}), encoding="utf-8")
    b = load_build(out, sheets=False)
    empty = answers_template(b)
    header = empty.splitlines()[0].split(",")
    assert empty.splitlines()[1:] == ["A,," + "," * (len(header) - 3), "B,," + "," * (len(header) - 3)]  # a row per version, to copy per student
    paper = b.papers["A"]
    cells = {"paper": "A", "student_id": "x1"}
    for q in paper["questions"]:
        columns = [h for h in header if h == f"Q{q['number']}" or h.startswith(f"Q{q['number']}.")]
        if "matching" in q:
            cells[columns[0]] = "".join(p["label"] for p in q["matching"])  # 'CAB': the letters in row order
        elif q["options"]:
            cells[columns[0]] = next(o["label"] for o in q["options"] if o["correct"])
        else:
            for column, answer in zip(columns, q["answers"]):
                cells[column] = _text(answer["rounded"])
    body = ",".join(header) + "\n" + ",".join(f'"{cells.get(h, "")}"' for h in header) + "\n" + "\n".join(empty.splitlines()[1:]) + "\n"  # unused template rows stay
    (tmp_path / "a.csv").write_text(body, encoding="utf-8")
    grading = grade_answers(out, tmp_path / "a.csv", bank)
    student = grading.students[0]
    assert student.student_id == "x1" and not grading.problems
    assert student.total(grading.questions) == pytest.approx(sum(float(q["points"]) for q in paper["questions"]))
    (tmp_path / "a.csv").write_text(body.replace('"A","x1"', '"A",""'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["grade", str(out), str(tmp_path / "a.csv"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "student_id: empty" in result.output


def test_marks_csv_rounded_shares_add_up_to_the_question_points(build, tmp_path):
    build_dir, bank = build
    paper = load_build(build_dir, sheets=False).papers["s002"]
    q = paper["questions"][0]
    third = f"{float(q['points']) / 3:.4f}"
    rows = ["sheet,student_id,name,question,template,code,blank,read,status,right,points,max_points,mistake,mistake_label,review_reason"]
    rows += [f"s002,s002,,{q['number']},{q['template']},{q['code']},b{k},1,ok,yes,{third},{third},,," for k in range(3)]
    (tmp_path / "marks.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    student = grade_answers(build_dir, tmp_path / "marks.csv", bank).students[0]
    assert student.question_points(q["number"]) == float(q["points"])  # exactly: exam mark's grades.csv says the same
