"""Scanned answer sheets, read and marked: tests with scans the tests make (quizgen/exams/scan_simulator.py).

The corpus: a roster exam with sheets, every paper filled in by a simulated student (key,
named mistakes, random; full, partial, faint, over-the-line and crossed-out ticks, stray
marks) and scanned with rotation, shift, scale, perspective, blur, uneven light, noise and
JPEG, shuffled, some pages upside down. What each student meant is known by construction,
so every bubble and every blank's points can be checked.
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import quizgen
from quizgen.exams import scan
from quizgen.exams.layout import load_items
from quizgen.exams.scan_simulator import Style, jpeg, simulate, write_pdf
from quizgen.marking import scans as marking

REPO = Path(__file__).resolve().parent.parent
STUDENTS = 24  # x 9 pages of the example midterm: over 200 pages


@pytest.fixture(scope="module")
def bank():
    return quizgen.load_bank()


@pytest.fixture(scope="module")
def roster_build(tmp_path_factory, bank):
    folder = tmp_path_factory.mktemp("sheets")
    roster = folder / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"s{2026100 + n},Student {n}\n" for n in range(STUDENTS)), encoding="utf-8")
    out = folder / "build"
    quizgen.build_exam(REPO / "examples" / "midterm.toml", out, roster=roster, sheets=True, bank=bank)
    return out


@pytest.fixture(scope="module")
def corpus(roster_build, bank, tmp_path_factory):
    """The simulated class's scans (one PDF), and what they mean."""
    simulated = simulate(roster_build, bank, seed=12, dpi=200, style=Style(partial=0.15, faint=0.08, over=0.1, crossed=0.05))
    path = tmp_path_factory.mktemp("scans") / "class.pdf"
    write_pdf(simulated, path)
    return path, simulated


@pytest.fixture(scope="module")
def marked(roster_build, corpus, bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    summary = quizgen.mark_exam(roster_build, [corpus[0]], out, bank=bank)
    return out, summary


def _layouts(build):
    loaded = marking.load_build(build)
    return loaded, {key: (loaded.check, items) for key, items in loaded.layouts.items()}


# ---------------------------------------------------------------------------
# The printed geometry


def test_a_printed_ring_surrounds_every_bubble_the_layout_computes(roster_build):
    """The layout's centres are where Typst drew the bubbles: checked on the rendered PDF itself."""
    loaded, layouts = _layouts(roster_build)
    key = next(iter(loaded.papers))
    pages = scan.scanned_pages(roster_build / loaded.papers[key]["files"]["paper"])
    checked = 0
    for page in pages:
        read, printed = scan.read_page(page, layouts, dpi=300, keep=True)
        assert read.problem is None, read.problem
        dark = scan.darkness(printed) / 255.0
        for index, fills in read.fills.items():
            for column, bubbles in zip(fills, layouts[key][1][index].columns()):
                for value, bubble in zip(column, bubbles):
                    ring = [dark[round((bubble.y + bubble.radius * math.sin(a)) * scan.PX_PER_MM), round((bubble.x + bubble.radius * math.cos(a)) * scan.PX_PER_MM)]
                            for a in np.linspace(0, 2 * math.pi, 24, endpoint=False)]
                    assert np.mean(ring) > 0.35, f"no printed ring at {bubble} on page {page.number}"
                    assert value <= scan.EMPTY - 0.05, f"an empty bubble reads {value} at {bubble}"
                    checked += 1
    assert checked > 500


def test_the_layout_of_a_sheet_names_every_numeric_blank_option_and_matching_row(roster_build):
    manifest = json.loads((roster_build / "manifest.json").read_text())
    paper = manifest["papers"][0]
    layout = json.loads((roster_build / paper["files"]["layout"]).read_text())
    items = load_items(layout["items"])
    assert layout["pages"] == paper["pages"]["paper"] and layout["check"] == manifest["sheets"]["check"]
    for question in paper["questions"]:
        mine = [i for i in items if i.info.get("question") == question["number"]]
        if question["options"]:
            assert sorted(i.info["label"] for i in mine if i.kind == "option") == sorted(o["label"] for o in question["options"])
        elif "matching" in question:
            assert len([i for i in mine if i.kind == "match"]) == len(question["matching"])
        else:
            for n, answer in enumerate(question["answers"]):
                assert [i for i in mine if i.info.get("answer") == n], f"Q{question['number']} {answer['name']} has nothing to read"


# ---------------------------------------------------------------------------
# The corpus: every mark read right


def test_the_corpus_is_large_and_distorted(corpus):
    _, simulated = corpus
    assert len(simulated.pages) >= 200
    assert any(simulated.flipped) and not all(simulated.flipped)


def test_every_clear_bubble_of_the_corpus_is_read_right_and_every_unclear_one_is_doubtful(roster_build, corpus):
    path, simulated = corpus
    loaded, layouts = _layouts(roster_build)
    reads = marking.read_pages(loaded, [path])
    wrong, between, bubbles = [], 0, 0
    for read, truth in zip(reads, simulated.truths):
        assert read.problem is None, read.problem
        code = read.code.split("|")
        assert (code[2], int(code[3])) == (truth.paper, truth.page)
        for index, columns in truth.states.items():
            for c, column in enumerate(columns):
                for b, meant in enumerate(column):
                    bubbles += 1
                    got = scan.state(read.fills[index][c][b])
                    between += meant == "between"
                    if {"ticked": "ticked", "empty": "empty", "between": "doubtful"}.get(meant, got) != got:
                        wrong.append((read.page.name, index, c, b, meant, read.fills[index][c][b]))
    assert bubbles > 20_000 and between > 20
    assert wrong == []


def _meant_reads(reads, simulated):
    """The same pages with each bubble's fill as the student meant it: clear ticks full, clear blanks empty, the rest doubtful."""
    meant = []
    for read, truth in zip(reads, simulated.truths):
        copy = scan.PageRead(read.page, read.code, read.problem, read.turned, read.homography, {})
        for index, columns in truth.states.items():
            copy.fills[index] = [[{"ticked": 1.0, "empty": 0.0, "between": 0.3}.get(state, read.fills[index][c][b]) for b, state in enumerate(column)]
                                 for c, column in enumerate(columns)]
        meant.append(copy)
    return meant


def test_no_blank_of_the_corpus_gets_wrong_points_without_a_doubtful_flag(roster_build, corpus, bank):
    path, simulated = corpus
    loaded, _ = _layouts(roster_build)
    reads = marking.read_pages(loaded, [path])
    marker = marking.Marker(loaded, bank)

    def results(pages):
        sheets, problems = marking.assemble(loaded, pages)
        assert problems == []
        return {s.id: marker.mark(s, marking.sheet_readings(loaded, s), None) for s in sheets}

    actual, meant = results(reads), results(_meant_reads(reads, simulated))
    assert len(actual) == STUDENTS
    blanks = wrong = flagged = 0
    for sheet_id, result in actual.items():
        for got, expected in zip(result.blanks, meant[sheet_id].blanks):
            blanks += 1
            if expected.status == "doubtful":
                assert got.status == "doubtful", f"{sheet_id} Q{got.question} {got.blank}: meant to be doubtful, read {got.read}"
            if got.status == "doubtful":
                flagged += 1
                continue
            if (got.points, got.read, got.mistake) != (expected.points, expected.read, expected.mistake):
                wrong += 1
    assert blanks > 300 and wrong == 0
    assert flagged < blanks / 3


def test_the_corpus_is_marked_end_to_end(marked, roster_build):
    out, summary = marked
    assert summary.sheets == STUDENTS and summary.pages >= 200 and summary.page_problems == 0
    grades = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert [g["student_id"] for g in grades] == [f"s{2026100 + n}" for n in range(STUDENTS)]
    marks = list(csv.DictReader((out / "marks.csv").open(encoding="utf-8")))
    for grade in grades:
        own = [m for m in marks if m["student_id"] == grade["student_id"]]
        assert abs(sum(float(m["points"]) for m in own) - float(grade["total"])) < 1e-3
        assert float(grade["max_points"]) == 90
    assert any(m["mistake"] for m in marks), "named mistakes are found"
    assert any(m["status"] == "ok" and m["right"] == "yes" for m in marks)
    assert all(m["status"] in ("ok", "empty", "doubtful") for m in marks)
    assert sorted(p.name for p in (out / "annotated").iterdir()) == sorted(f"s{2026100 + n}.pdf" for n in range(STUDENTS))
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "no temporary files are left"
    review = (out / "review.html").read_text(encoding="utf-8")
    rows = list(csv.DictReader((out / "review.csv").open(encoding="utf-8")))
    assert len(rows) == summary.review and review.count('class="item"') == len(rows)
    assert all(row["value"] == "" for row in rows)


def test_a_key_scanned_gets_full_marks(tmp_path, roster_build, bank):
    """Every answer from the key, cleanly ticked: every student scores every point (hand-marked boxes ticked 1)."""
    simulated = simulate(roster_build, bank, seed=3, papers=[f"s{2026100}"], style=Style(key=1.0, mistake=0, empty=0, partial=0, faint=0, over=0, crossed=0, stray=0))
    path = tmp_path / "key.pdf"
    write_pdf(simulated, path)
    summary = quizgen.mark_exam(roster_build, [path], tmp_path / "out", bank=bank)
    (result,) = summary.results
    hand = [b for b in result.blanks if b.read.startswith("marker")]
    assert all(b.points == b.max_points for b in result.blanks if b not in hand), [(b.question, b.blank, b.read, b.status) for b in result.blanks if b.points != b.max_points]


# ---------------------------------------------------------------------------
# Pages that cannot be marked, and reruns


def test_unreadable_missing_duplicate_and_foreign_pages_are_reported_by_name(tmp_path, roster_build, corpus, bank):
    path, simulated = corpus
    pages = list(simulated.pages)
    blank = jpeg(np.full((2339, 1654), 250, np.uint8), 80)
    other = tmp_path / "other"
    quizgen.build_exam(REPO / "examples" / "midterm.toml", other, versions=1, seed=99, sheets=True, bank=bank)
    foreign = simulate(other, bank, seed=1, style=Style(distort=False)).pages[1]
    duplicate = pages[0]  # and pages[1] is left out: a page missing from its sheet
    stack = [duplicate] + pages[2:] + [duplicate, blank, foreign]
    scans = tmp_path / "messy.pdf"
    write_pdf(type(simulated)(stack, [], simulated.dpi, []), scans)
    result = subprocess.run([sys.executable, "-m", "quizgen", "exam", "mark", str(roster_build), str(scans), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("Page problem")]
    assert any("no quizgen page code" in p and f"page {len(stack) - 1}" in p for p in problems), problems
    assert any("another exam or build" in p and f"page {len(stack)}" in p for p in problems), problems
    grades = {g["sheet"]: g for g in csv.DictReader((tmp_path / "out" / "grades.csv").open(encoding="utf-8"))}
    first, second = simulated.truths[0], simulated.truths[1]
    review = (tmp_path / "out" / "review.html").read_text(encoding="utf-8")
    assert f"page {second.page} of" in review and "not scanned" in review
    assert "scanned twice" in review
    assert grades[second.paper]["status"] == "review" and grades[first.paper]["status"] == "review"


def test_a_rerun_gives_the_same_files_and_corrections_apply(tmp_path, roster_build, corpus, bank):
    path, simulated = corpus
    subset = tmp_path / "few.pdf"
    write_pdf(type(simulated)(simulated.pages[:30], [], simulated.dpi, []), subset)
    first, second = tmp_path / "a", tmp_path / "b"
    quizgen.mark_exam(roster_build, [subset], first, bank=bank, jobs=2)
    quizgen.mark_exam(roster_build, [subset], second, bank=bank, jobs=1)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    rows = list(csv.DictReader((first / "review.csv").open(encoding="utf-8")))
    assert rows
    for row in rows:
        item = row["item"]
        row["value"] = "1" if item.endswith("marker") else "A" if item.endswith("option") or " row " in item else "7"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    corrections = tmp_path / "corrections.csv"
    corrections.write_text(buffer.getvalue(), encoding="utf-8")
    summary = quizgen.mark_exam(roster_build, [subset], tmp_path / "c", bank=bank, corrections=corrections)
    marks = list(csv.DictReader((tmp_path / "c" / "marks.csv").open(encoding="utf-8")))
    assert any(m["status"] == "corrected" for m in marks)
    assert summary.review == 0 and not list(csv.DictReader((tmp_path / "c" / "review.csv").open(encoding="utf-8")))


@pytest.mark.parametrize("value, message", [("=1+1", "not"), ("abc", "abc"), ("[1, 2]", "one number")])
def test_a_bad_correction_is_a_one_line_error(tmp_path, roster_build, corpus, bank, value, message):
    path, simulated = corpus
    subset = tmp_path / "few.pdf"
    write_pdf(type(simulated)(simulated.pages[:9], [], simulated.dpi, []), subset)
    corrections = tmp_path / "fix.csv"
    loaded, sheet = _one_sheet(roster_build, subset)
    grid_item = next(m for m in marking.sheet_readings(loaded, sheet).values() if m.key.startswith("Q") and "option" not in m.key and "row" not in m.key and "marker" not in m.key)
    corrections.write_text(f"sheet,item,value\n{sheet.id},{grid_item.key},\"{value}\"\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "quizgen", "exam", "mark", str(roster_build), str(subset), "--out", str(tmp_path / "out"), "--corrections", str(corrections)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "fix.csv" in result.stderr and message in result.stderr, result.stderr


def _one_sheet(build, path):
    loaded, _ = _layouts(build)
    sheets, _ = marking.assemble(loaded, marking.read_pages(loaded, [path]))
    return loaded, sheets[0]


def test_a_build_without_sheets_is_refused_in_one_line(tmp_path, bank):
    quizgen.build_exam(REPO / "examples" / "midterm.toml", tmp_path / "plain", versions=1, bank=bank)
    image = tmp_path / "page.png"
    image.write_bytes(b"not an image")
    result = subprocess.run([sys.executable, "-m", "quizgen", "exam", "mark", str(tmp_path / "plain"), str(image), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--sheets" in result.stderr and len(result.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------
# Version papers: one stack per student, identified by the cover's ID grid


def test_version_sheets_are_told_apart_by_stack_and_matched_to_the_roster_by_id(tmp_path, bank):
    out = tmp_path / "versions"
    quizgen.build_exam(REPO / "examples" / "midterm.toml", out, versions=2, sheets=True, bank=bank)
    simulated = simulate(out, bank, seed=5, dpi=150, style=Style(partial=0, faint=0, crossed=0))
    scans = tmp_path / "v.pdf"
    write_pdf(simulated, scans)
    loaded, _ = _layouts(out)
    sheets, problems = marking.assemble(loaded, marking.read_pages(loaded, [scans]))
    assert problems == [] and sorted(s.id for s in sheets) == ["A.1", "B.1"]
    ids = {s.id: marking.sheet_readings(loaded, s)["student ID"] for s in sheets}
    assert all(r.status == "ok" and len(r.text) == 8 for r in ids.values())
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"u{r.text},Student {s}\n" for s, r in ids.items()), encoding="utf-8")
    summary = quizgen.mark_exam(out, [scans], tmp_path / "results", bank=bank, roster=roster)
    assert sorted((r.sheet.id, r.student_id, r.name) for r in summary.results) == sorted((s, f"u{r.text}", f"Student {s}") for s, r in ids.items())
    assert "the name as written" in (tmp_path / "results" / "review.html").read_text(encoding="utf-8")


def test_the_spec_can_ask_for_sheets(tmp_path, bank):
    spec = tmp_path / "exam.toml"
    spec.write_text((REPO / "examples" / "midterm.toml").read_text(encoding="utf-8").replace("id_digits = 8", "id_digits = 8\nsheets = true"), encoding="utf-8")
    manifest = quizgen.build_exam(spec, tmp_path / "out", versions=1, bank=bank)
    assert manifest["sheets"] and (tmp_path / "out" / "sheets" / "A.json").is_file()
    spec.write_text(spec.read_text(encoding="utf-8").replace("sheets = true", 'sheets = "yes"'), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "quizgen", "exam", "build", str(spec), "--out", str(tmp_path / "bad")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "sheets" in result.stderr and len(result.stderr.strip().splitlines()) == 1
