"""What ``quizgen grade`` writes: grades.csv, items.csv, mistakes.csv, problems.csv and report.html.

The statistics are item_stats.py's formulas; docs/grading.md documents every column.
Same inputs, same bytes: rows in the manifest's order, numbers at fixed precision, no dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import QuizgenError
from ..outputs import atomic_writer
from . import item_stats as st
from .grade import Grading, Student
from .scan_results import (  # the CSVs of exam mark: the same writer and the same formula guard
    _csv as _write_csv,
)
from .scan_results import _safe_cell as _safe

WEAK_FACILITY = (0.2, 0.9)  # an item most students fail, or nearly all get right, says little
WEAK_DISCRIMINATION = 0.2  # below this, the item hardly tells the stronger students from the weaker


@dataclass
class Item:
    """A question (one template at one question number) or one of its blanks, with its statistics."""

    question: int
    template: str
    blank: str  # '' for the whole question
    title: str
    topic: str
    students: int
    max_points: float
    mean: float | None
    facility: float | None
    sd: float | None
    discrimination: float | None
    rest_correlation: float | None
    empty: int
    blanks: int  # blank answers counted (students × blanks of the item)
    wrong: int
    unknown_wrong: int  # wrong, matching no named mistake
    mistakes: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)

    @property
    def weak(self) -> list[str]:
        why = []
        if self.facility is not None and not WEAK_FACILITY[0] <= self.facility <= WEAK_FACILITY[1]:
            why.append("too hard" if self.facility < WEAK_FACILITY[0] else "too easy")
        if self.discrimination is not None and self.discrimination < WEAK_DISCRIMINATION:
            why.append("discriminates little" if self.discrimination >= 0 else "discriminates negatively")
        return why


@dataclass
class Analysis:
    grading: Grading
    questions: list[int]
    maxima: list[float]
    totals: list[float]
    test: st.TestStats
    items: list[Item]  # questions, each followed by its blanks


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None:
        return ""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _is_empty(blank: Any) -> bool:
    return blank.status == "empty" or (blank.status == "corrected" and not blank.read)


def _is_wrong(blank: Any) -> bool:
    return blank.status not in ("doubtful", "missing") and not _is_empty(blank) and blank.points < blank.max_points - 1e-9


def analyse(grading: Grading, bank: Any = None) -> Analysis:
    questions = grading.questions
    maxima = [max(grading.question_max(p, n) for p in grading.build.papers) for n in questions]
    students = grading.students
    totals = [s.total(questions) for s in students]
    matrix = [[s.question_points(n) for n in questions] for s in students]
    test = st.test_stats(matrix, maxima)
    items: list[Item] = []
    keys: list[tuple[int, str]] = []
    for paper in grading.build.papers.values():
        for q in paper["questions"]:
            if (q["number"], q["template"]) not in keys:
                keys.append((q["number"], q["template"]))
    keys = [k for _, k in sorted(enumerate(keys), key=lambda pair: (pair[1][0], pair[0]))]  # by question, first seen first
    for number, template in keys:
        takers = [(i, s) for i, s in enumerate(students) if _template(s, number) == template]
        if not takers:
            continue
        title, topic = _describe(bank, template)
        top = max(grading.question_max(s.paper, number) for _, s in takers)
        blank_names: list[str] = []
        for _, s in takers:
            for b in s.blanks:
                if b.question == number and b.blank not in blank_names:
                    blank_names.append(b.blank)
        whole = _item(grading, number, template, "", title, topic, takers, totals, top, lambda s, number=number: s.question_points(number),
                      lambda s, number=number: [b for b in s.blanks if b.question == number])
        items.append(whole)
        for name in blank_names:
            rows = [(i, s) for i, s in takers if any(b.question == number and b.blank == name for b in s.blanks)]
            blank_top = max(next(b.max_points for b in s.blanks if b.question == number and b.blank == name) for _, s in rows)
            items.append(_item(grading, number, template, name, title, topic, rows, totals, blank_top,
                               lambda s, name=name, number=number: sum(b.points for b in s.blanks if b.question == number and b.blank == name),
                               lambda s, name=name, number=number: [b for b in s.blanks if b.question == number and b.blank == name]))
    return Analysis(grading, questions, maxima, totals, test, items)


def _template(student: Student, number: int) -> str | None:
    return next((b.template for b in student.blanks if b.question == number), None)


def _describe(bank: Any, template_id: str) -> tuple[str, str]:
    try:
        template = bank.get(template_id)
        return template.title, template.topic
    except Exception:  # noqa: BLE001 - a bank without the template: the id says enough
        return template_id, template_id.split(".", 1)[0]


def _item(grading: Grading, number: int, template: str, blank: str, title: str, topic: str, takers: list[tuple[int, Student]],
          totals: list[float], top: float, score: Any, blanks_of: Any) -> Item:
    scores = [score(s) for _, s in takers]
    their_totals = [totals[i] for i, _ in takers]
    all_blanks = [b for _, s in takers for b in blanks_of(s)]
    mistakes: dict[str, int] = {}
    labels: dict[str, str] = {}
    feedback: dict[str, str] = {}
    for b in all_blanks:
        if b.mistake and _is_wrong(b):
            mistakes[b.mistake] = mistakes.get(b.mistake, 0) + 1
            labels.setdefault(b.mistake, b.mistake_label)
            if b.mistake not in feedback:
                feedback[b.mistake] = _feedback(grading, b)
    wrong = sum(1 for b in all_blanks if _is_wrong(b))
    return Item(number, template, blank, title, topic, len(takers), top, st.mean(scores), st.facility(scores, top), st.sd(scores),
                st.discrimination_index(scores, top, their_totals), st.rest_correlation(scores, their_totals),
                sum(1 for b in all_blanks if _is_empty(b)), len(all_blanks), wrong, sum(1 for b in all_blanks if _is_wrong(b) and not b.mistake),
                dict(sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))), labels, feedback)


def _feedback(grading: Grading, blank: Any) -> str:
    marker = getattr(grading, "marker", None)
    if marker is None:
        return ""
    try:
        variant = marker.variant(blank.template, blank.code)
        mistake = next((m for m in variant.mistakes if m.name == blank.mistake), None)
        return mistake.feedback if mistake else ""
    except Exception:  # noqa: BLE001 - feedback is an extra; its absence changes no number
        return ""


# ---------------------------------------------------------------------------
# CSVs


def write_grades(path: Path, analysis: Analysis) -> None:
    g = analysis.grading
    rows = []
    for s, total in zip(g.students, analysis.totals):
        top = sum(float(q["points"]) for q in g.build.papers[s.paper]["questions"])
        record = "; ".join(f"Q{n}: {_fmt(a)} -> {_fmt(b)}" for n, (a, b) in sorted(s.overrides.items()))
        rows.append([_safe(s.student_id), _safe(s.name), _safe(s.sheet), _fmt(total), _fmt(top)]
                    + [_fmt(s.question_points(n)) for n in analysis.questions] + ["review" if s.review else "complete", _safe(record)])
    _write_csv(path, ["student_id", "name", "sheet", "total", "max_points"] + [f"Q{n}" for n in analysis.questions] + ["status", "overrides"], rows)


def write_items(path: Path, analysis: Analysis) -> None:
    rows = []
    for it in analysis.items:
        rows.append([it.question, it.template, it.blank, _safe(it.topic), it.students, _fmt(it.max_points), _fmt(it.mean), _fmt(it.facility),
                     _fmt(it.sd), _fmt(it.discrimination), _fmt(it.rest_correlation), _fmt(it.empty / it.blanks if it.blanks else None),
                     it.wrong, it.unknown_wrong, "; ".join(f"{name}: {count}" for name, count in it.mistakes.items()), "; ".join(it.weak)])
    _write_csv(path, ["question", "template", "blank", "topic", "students", "max_points", "mean", "facility", "sd", "discrimination",
                      "rest_correlation", "empty_share", "wrong", "wrong_no_known_mistake", "mistakes", "flags"], rows)


def write_mistakes(path: Path, analysis: Analysis) -> None:
    rows = []
    for it in analysis.items:
        if not it.blank and len([i for i in analysis.items if i.question == it.question and i.template == it.template and i.blank]) > 0:
            continue  # the counts are per blank; the question's row would count them twice
        for name, count in it.mistakes.items():
            rows.append([it.question, it.template, it.blank, name, _safe(it.labels.get(name, "")), count, _fmt(count / it.students if it.students else None)])
    _write_csv(path, ["question", "template", "blank", "mistake", "label", "count", "share_of_students"], rows)


def write_problems(path: Path, grading: Grading) -> None:
    rows = [[_safe(p.student), p.question, _safe(p.blank), _safe(p.text), _safe(p.reason)] for p in grading.problems]
    _write_csv(path, ["student", "question", "blank", "text", "problem"], rows)


def write_report(out: Path, grading: Grading, bank: Any = None) -> Analysis:
    """Every file of REPORT/; returns the analysis (for the API and the tests)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise QuizgenError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise QuizgenError(f"--out {out}: cannot write there ({error.strerror or error})") from None
    analysis = analyse(grading, bank)
    write_grades(out / "grades.csv", analysis)
    write_items(out / "items.csv", analysis)
    write_mistakes(out / "mistakes.csv", analysis)
    write_problems(out / "problems.csv", grading)
    from .grade_html import render_report

    with atomic_writer(out / "report.html") as stream:
        stream.write(render_report(analysis))
    if grading.marker is not None:
        from .grade_html import render_feedback

        folder = out / "feedback"
        folder.mkdir(exist_ok=True)
        for name, page in render_feedback(analysis).items():
            with atomic_writer(folder / name) as stream:
                stream.write(page)
    return analysis


__all__ = ["Analysis", "Item", "analyse", "write_grades", "write_items", "write_mistakes", "write_problems", "write_report"]
