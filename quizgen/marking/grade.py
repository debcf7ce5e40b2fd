"""``quizgen grade DIR ANSWERS --out REPORT``: grades and item analysis from scanned marks or typed answers.

ANSWERS is either the ``marks.csv`` that ``quizgen exam mark`` wrote, or a CSV of typed
answers (one row per student, one column per blank; docs/grading.md gives the layout, and
``answers_template`` writes an empty one). Typed text is read by ``responses.py``, the reader of
practice mode and the self-test page, and marked by ``scans.Marker``, the rule of scanned
sheets: a typed paper and a scanned one get the same points. An answer that cannot be read is
a listed problem (student, question, text, why) and scores nothing until an override says
otherwise; the student's grade says "review".

REPORT/ gets grades.csv, items.csv, mistakes.csv, problems.csv, report.html and feedback/ (a page per student).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import QuizgenError
from ..exams import answers_csv
from ..inputs import read_text
from . import item_stats
from .mark import read_blank, read_matching, read_option
from .responses import ResponseError
from .scans import BlankResult, Build, Marker, Reading, Sheet, _flat, load_build

MAX_ROWS = 200_000  # rows of an answers, marks or overrides CSV
MAX_COLUMNS = 2_000  # columns of a typed-answers CSV
MAX_CELL = 4_000  # characters in one cell (responses.py reads at most 2000 of an answer)
NUMERIC_KINDS = ("integer", "number", "vector", "matrix")
MARKS_COLUMNS = ("sheet", "student_id", "name", "question", "template", "code", "blank", "read", "status", "right", "points", "max_points", "mistake", "mistake_label")


@dataclass
class Problem:
    """An answer that could not be read, or a mark still waiting for review: listed, never guessed."""

    student: str
    question: int
    blank: str
    text: str
    reason: str


@dataclass
class Student:
    """One student's marked paper."""

    student_id: str
    name: str
    sheet: str  # the sheet (marks.csv) or the paper key (typed answers)
    paper: str  # the manifest's paper key
    blanks: list[BlankResult]
    overrides: dict[int, tuple[float, float]] = field(default_factory=dict)  # question: (marked points, the override's points)
    review: bool = False

    def question_points(self, number: int) -> float:
        if number in self.overrides:
            return self.overrides[number][1]
        return sum(b.points for b in self.blanks if b.question == number)

    def total(self, numbers: list[int]) -> float:
        return sum(self.question_points(n) for n in numbers)


@dataclass
class Grading:
    """Everything ``quizgen grade`` works out: the students, the problems, and the build they came from."""

    build: Build
    students: list[Student]
    problems: list[Problem]
    source: str  # 'marks', 'typed' or 'attempts'
    marker: Any = None  # rebuilds variants (the named mistakes' feedback)
    notes: list[str] = field(default_factory=list)  # worth saying, not a problem (a student's attempt saved twice)

    @property
    def questions(self) -> list[int]:
        return sorted({q["number"] for p in self.build.papers.values() for q in p["questions"]})

    def question_max(self, paper: str, number: int) -> float:
        return next((float(q["points"]) for q in self.build.papers[paper]["questions"] if q["number"] == number), 0.0)


# ---------------------------------------------------------------------------
# CSV input


def _rows(path: Path, what: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(header, [(line, row)]) of a CSV, bounded; a clear error for a file that is not one."""
    text = read_text(Path(path), what)
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader, [])]
        if len(header) > MAX_COLUMNS:
            raise QuizgenError(f"{path}: {len(header)} columns; at most {MAX_COLUMNS}")
        rows = []
        for cells in reader:
            if reader.line_num > MAX_ROWS + 1:
                raise QuizgenError(f"{path}: more than {MAX_ROWS:,} rows")
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise QuizgenError(f"{path}: line {reader.line_num}: {len(cells)} cells but the header has {len(header)} columns")
            for cell in cells:
                if len(cell) > MAX_CELL:
                    raise QuizgenError(f"{path}: line {reader.line_num}: a cell of {len(cell):,} characters; at most {MAX_CELL:,}")
            rows.append((reader.line_num, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}))
    except csv.Error as error:
        raise QuizgenError(f"{path}: not a CSV file ({error})") from None
    if not header or not any(header):
        raise QuizgenError(f"{path}: empty: a {what} starts with a header row")
    if len(set(header)) != len(header):
        twice = sorted({h for h in header if header.count(h) > 1})
        raise QuizgenError(f"{path}: the column {twice[0]!r} appears twice")
    return header, rows


def _number(text: str, path: Path, line: int, column: str) -> float:
    try:
        value = float(Fraction(text.strip()))
    except (ValueError, ZeroDivisionError):
        raise QuizgenError(f"{path}: line {line}, {column}: {text[:40]!r} is not a number") from None
    return value


def _unquote(text: str) -> str:
    """A cell written for a spreadsheet ('=...' kept as text with a leading apostrophe) back to its text."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "@", "-", "\t", "\r") else text


# ---------------------------------------------------------------------------
# marks.csv


def _paper_of_sheet(build: Build, sheet: str) -> str | None:
    if sheet in build.papers:
        return sheet
    key = sheet.rsplit(".", 1)[0]  # a version sheet: 'A.3'
    return key if key in build.papers else None


def read_marks(build: Build, path: Path) -> tuple[list[Student], list[Problem]]:
    """Students from ``exam mark``'s marks.csv, checked against the manifest."""
    path = Path(path)
    header, rows = _rows(path, "marks CSV")
    missing = [c for c in MARKS_COLUMNS if c not in header]
    if missing:
        raise QuizgenError(f"{path}: not a marks.csv of 'quizgen exam mark': no column {missing[0]!r}")
    students: dict[str, Student] = {}
    problems: list[Problem] = []
    for line, row in rows:
        sheet = row["sheet"].strip()
        paper = _paper_of_sheet(build, sheet)
        if paper is None:
            raise QuizgenError(f"{path}: line {line}, sheet: {sheet[:40]!r} is no paper of {build.folder}")
        try:
            number = int(row["question"])
        except ValueError:
            raise QuizgenError(f"{path}: line {line}, question: {row['question'][:40]!r} is not a question number") from None
        question = next((q for q in build.papers[paper]["questions"] if q["number"] == number), None)
        if question is None:
            raise QuizgenError(f"{path}: line {line}, question: paper {paper} has no question {number}")
        if (row["template"], row["code"]) != (question["template"], question["code"]):
            raise QuizgenError(f"{path}: line {line}, template: question {number} of paper {paper} is {question['template']} {question['code']} "
                               f"in the manifest, not {row['template'][:60]} {row['code'][:20]}: the marks come from another build")
        status = row["status"].strip()
        if status not in ("ok", "empty", "doubtful", "missing", "corrected"):
            raise QuizgenError(f"{path}: line {line}, status: {status[:20]!r} is not ok, empty, doubtful, missing or corrected")
        points = _number(row["points"], path, line, "points")
        max_points = _number(row["max_points"], path, line, "max_points")
        if not 0 <= points <= max_points + 1e-9:
            raise QuizgenError(f"{path}: line {line}, points: {points:g} is not between 0 and max_points {max_points:g}")
        student = students.get(sheet)
        if student is None:
            student = students[sheet] = Student(_unquote(row["student_id"]) or sheet, _unquote(row["name"]), sheet, paper, [])
        blank = BlankResult(number, question["template"], question["code"], row["blank"], _unquote(row["read"]), status, row["right"].strip(),
                            points, max_points, row["mistake"].strip(), _unquote(row["mistake_label"]), _unquote(row.get("review_reason", "")))
        student.blanks.append(blank)
        if status in ("doubtful", "missing"):
            student.review = True
            problems.append(Problem(student.student_id, number, blank.blank, blank.read, blank.reason or f"the scan is {status}: not reviewed yet"))
    for student in students.values():
        _exact_shares(build, student)
    return list(students.values()), problems


def _exact_shares(build: Build, student: Student) -> None:
    """marks.csv rounds each blank's points to 4 decimals (14 points in three blanks: 4.6667 each); give back the exact shares.

    A blank's maximum is its share of the question's points (by the manifest), and its points
    a share of that (right elements out of all), both small fractions: so the sums are the
    question's points again, as exam mark's grades.csv has them, not 14.0001.
    """
    for question in build.papers[student.paper]["questions"]:
        rows = [b for b in student.blanks if b.question == question["number"]]
        whole = sum(b.max_points for b in rows)
        if not rows or whole <= 0:
            continue
        points = Fraction(str(question["points"]))
        for b in rows:
            top = points * Fraction(b.max_points / whole).limit_denominator(1000)
            share = Fraction(b.points / b.max_points).limit_denominator(1000) if b.max_points > 0 else Fraction(0)
            b.max_points, b.points = float(top), float(top * share)


# ---------------------------------------------------------------------------
# Typed answers


def _blank_columns(build: Build) -> dict[int, int]:
    return answers_csv.blank_columns(build.papers)


def column_names(build: Build) -> list[str]:
    """The answer columns of a typed-answers CSV (exams/answers_csv.py)."""
    return answers_csv.column_names(build.papers)


def answers_template(build: Build) -> str:
    """The empty typed-answers CSV of a build (exam build writes it as answers-template.csv)."""
    return answers_csv.answers_template(build.papers)


_cells = answers_csv.cells
_column = answers_csv.column


def read_typed(build: Build, marker: Marker, path: Path, progress: Callable[[int], Any] | None = None) -> tuple[list[Student], list[Problem]]:
    """Students from a typed-answers CSV: every cell read with responses.py, marked by the scans' Marker."""
    path = Path(path)
    header, rows = _rows(path, "answers CSV")
    if "paper" not in header:
        raise QuizgenError(f"{path}: a typed-answers CSV has a 'paper' column (the paper key: the student's id, or the version letter); "
                           "see docs/grading.md or 'quizgen grade DIR --empty-template'")
    known = set(column_names(build)) | {"paper", "student_id", "name"}
    unknown = [h for h in header if h not in known]
    if unknown:
        raise QuizgenError(f"{path}: column {unknown[0][:40]!r} is not one of this exam's: paper, student_id, name, {', '.join(column_names(build)[:4])}...")
    counts = _blank_columns(build)
    students: list[Student] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for line, row in rows:
        paper_key = row["paper"].strip()
        if paper_key not in build.papers:
            raise QuizgenError(f"{path}: line {line}, paper: {paper_key[:40]!r} is no paper of {build.folder}")
        paper = build.papers[paper_key]
        if paper["kind"] != "student" and not row.get("student_id", "").strip() and not any(row.get(c, "").strip() for c in column_names(build)):
            continue  # a version's row of the template, left unused
        student_id = row.get("student_id", "").strip() or (paper_key if paper["kind"] == "student" else "")
        if not student_id:
            raise QuizgenError(f"{path}: line {line}, student_id: empty; a version paper ({paper_key}) needs the student's id")
        if student_id in seen:
            raise QuizgenError(f"{path}: line {line}, student_id: {student_id[:40]!r} appears twice")
        seen.add(student_id)
        name = row.get("name", "").strip() or (paper.get("name") or "")
        cells = {q["number"]: [row.get(_column(q["number"], k, counts[q["number"]]), "") for k in range(counts[q["number"]])] for q in paper["questions"]}
        student, own = typed_student(build, marker, paper_key, student_id, name, cells)
        students.append(student)
        problems += own
        if progress:
            progress(1)
    return students, problems


def typed_student(build: Build, marker: Marker, paper_key: str, student_id: str, name: str, cells: dict[int, list[str]]) -> tuple[Student, list[Problem]]:
    """One student's typed cells (by question number), read and marked; what cannot be read is a problem."""
    paper = build.papers[paper_key]
    readings: dict[str, Reading] = {"student ID": Reading("student ID", "ok", student_id)}
    typed: dict[tuple[int, str], str] = {}
    own: list[Problem] = []
    for question in paper["questions"]:
        number = question["number"]
        row = cells[number]
        for k in range(_cells(question), len(row)):
            if row[k].strip():
                own.append(Problem(student_id, number, _column(number, k, len(row)), row[k], "this paper's question has no such blank"))
        _read_question(marker, question, row, readings, typed, own, student_id)
    result = marker.mark(Sheet(paper_key, paper_key), readings, None)
    for blank in result.blanks:
        if (blank.question, blank.blank) in typed:
            blank.read = typed[(blank.question, blank.blank)]
    return Student(student_id, name, paper_key, paper_key, result.blanks, review=bool(own)), own


def read_attempt_folder(page: Path, folder: Path, bank: Any, progress: Callable[[int], Any] | None = None) -> tuple[Build, Marker, list[Student], list[Problem], list[str]]:
    """Students from a folder of self-test attempts saved on ``page`` (marking/attempts.py)."""
    from . import attempts as attempt_files

    info = attempt_files.read_page(page)
    if info.get("bank_fingerprint") and info["bank_fingerprint"] != bank.fingerprint:
        raise QuizgenError(f"{page}: this page was made from another question bank (or another version of it): "
                           "grade its attempts with the bank it was made with (--bank)")
    chosen, notes = attempt_files.read_attempts(folder, info)
    build, answered = attempt_files.build_from_attempts(info, chosen, bank)
    marker = Marker(build, bank)
    students: list[Student] = []
    problems: list[Problem] = []
    for attempt in chosen:
        key = attempt["student_id"]
        questions = build.papers[key]["questions"]
        cells = {q["number"]: attempt_files.typed_cells(q, answered[key].get(q["number"]), _cells(q)) for q in questions}
        student, own = typed_student(build, marker, key, key, attempt["name"], cells)
        students.append(student)
        problems += own
        if progress:
            progress(1)
    return build, marker, students, problems, notes


def _read_question(marker: Marker, question: dict[str, Any], cells: list[str], readings: dict[str, Reading], typed: dict[tuple[int, str], str],
                   problems: list[Problem], student: str) -> None:
    """Readings (as the scans would give) from a question's typed cells; what cannot be read is doubtful and a problem."""
    number = question["number"]
    variant = marker.variant(question["template"], question["code"])
    if question["options"]:
        key, text = f"Q{number} option", cells[0]
        typed[(number, "option")] = text
        if not text.strip():
            readings[key] = Reading(key, "empty", "")
            return
        try:
            letter = read_option(variant, text).label
        except ResponseError as error:
            readings[key] = Reading(key, "doubtful", "", f"cannot read {text[:40]!r}: {error}")
            problems.append(Problem(student, number, "option", text, str(error)))
            return
        readings[key] = Reading(key, "ok", letter)
        return
    if "matching" in question:
        text = cells[0]
        rows = len(question["matching"])
        for r in range(rows):
            typed[(number, f"row {r + 1}")] = text
        if not text.strip():
            for r in range(rows):
                readings[f"Q{number} row {r + 1}"] = Reading(f"Q{number} row {r + 1}", "empty", "")
            return
        try:
            pairs = read_matching(_printed_matching(question), text)
        except ResponseError as error:
            for r in range(rows):
                readings[f"Q{number} row {r + 1}"] = Reading(f"Q{number} row {r + 1}", "doubtful", "", f"cannot read {text[:40]!r}: {error}")
            problems.append(Problem(student, number, "matching", text, str(error)))
            return
        rights = sorted([pair["right"] for pair in question["matching"]] + list(question.get("matching_extra", [])))  # read_matching letters them in this order
        for r, (_, right) in enumerate(pairs):
            readings[f"Q{number} row {r + 1}"] = Reading(f"Q{number} row {r + 1}", "ok", "ABCDEFGH"[rights.index(right)])
        return
    for index, answer in enumerate(question["answers"]):
        text = cells[index]
        name = answer["name"]
        typed[(number, name)] = text
        size = len(_flat(answer["rounded"]))
        keys = [f"Q{number} {name}" + (f"[{k + 1}]" if size > 1 else "") for k in range(size)]
        if answer["kind"] not in NUMERIC_KINDS:
            _read_hand(number, answer, text, readings, problems, student)
            continue
        if not text.strip():
            for key in keys:
                readings[key] = Reading(key, "empty", "")
            continue
        target = next(a for a in variant.answers if a.spec.name == name)
        try:
            values = _flat_exact(read_blank(target, text))
        except ResponseError as error:
            for key in keys:
                readings[key] = Reading(key, "doubtful", "", f"cannot read {text[:40]!r}: {error}")
            problems.append(Problem(student, number, name, text, str(error)))
            continue
        for key, value in zip(keys, values):
            readings[key] = Reading(key, "ok", str(Fraction(value)))


def _printed_matching(question: dict[str, Any]) -> Any:
    """The matching as this paper prints it (its rows in their order), for read_matching: the typed letters it returns are the paper's."""
    from types import SimpleNamespace

    return SimpleNamespace(answers=[SimpleNamespace(value=[(pair["left"], pair["right"]) for pair in question["matching"]])],
                           distractors=list(question.get("matching_extra", [])))


def _read_hand(number: int, answer: dict[str, Any], text: str, readings: dict[str, Reading], problems: list[Problem], student: str) -> None:
    """A blank a marker judges (not a number): the typed cell is the marker's 0, 0.5 or 1."""
    key = f"Q{number} {answer['name']} marker"
    value = {"0": "0", "0.5": "½", "1/2": "½", "½": "½", "1": "1"}.get(text.strip())
    if value is None:
        reason = "this blank is marked by hand: type 0, 0.5 or 1"
        readings[key] = Reading(key, "doubtful", "", reason)
        problems.append(Problem(student, number, answer["name"], text, reason))
        return
    readings[key] = Reading(key, "ok", value)


def _flat_exact(value: Any) -> list[Any]:
    from .scans import _flat_values

    return _flat_values(value)


# ---------------------------------------------------------------------------
# Overrides


def apply_overrides(grading: Grading, path: Path) -> None:
    """(student, question, points) rows: each replaces that question's marked points; both are kept and reported."""
    path = Path(path)
    header, rows = _rows(path, "overrides CSV")
    if not {"student", "question", "points"} <= set(header):
        raise QuizgenError(f"{path}: an overrides CSV has the columns student, question and points")
    by_id: dict[str, Student] = {}
    for s in grading.students:
        by_id.setdefault(s.student_id, s)
        by_id.setdefault(s.sheet, s)
    for line, row in rows:
        who = row["student"].strip()
        student = by_id.get(who)
        if student is None:
            raise QuizgenError(f"{path}: line {line}, student: {who[:40]!r} is not among the graded students")
        text = row["question"].strip()
        match = re.fullmatch(r"[Qq]?(\d{1,4})", text)
        number = int(match.group(1)) if match else -1
        top = grading.question_max(student.paper, number)
        if not match or not any(q["number"] == number for q in grading.build.papers[student.paper]["questions"]):
            raise QuizgenError(f"{path}: line {line}, question: {text[:40]!r} is not a question of {who}'s paper")
        points = _number(row["points"], path, line, "points")
        if not 0 <= points <= top:
            raise QuizgenError(f"{path}: line {line}, points: {points:g} is not between 0 and the question's {top:g} points")
        marked = sum(b.points for b in student.blanks if b.question == number)
        student.overrides[number] = (marked, points)
    for student in grading.students:  # an overridden question is settled: its problems no longer hold the grade
        settled = set(student.overrides)
        if student.review:
            open_problems = [p for p in grading.problems if p.student == student.student_id and p.question not in settled]
            student.review = bool(open_problems)


# ---------------------------------------------------------------------------
# The whole


def is_marks_csv(path: Path) -> bool:
    """Whether ANSWERS is exam mark's marks.csv (else a typed-answers CSV): by its header."""
    header, _ = _header(path)
    return {"sheet", "blank", "status", "points"} <= set(header)


def _header(path: Path) -> tuple[list[str], None]:
    text = read_text(Path(path), "answers CSV")
    first = text.split("\n", 1)[0]
    try:
        return [h.strip() for h in next(csv.reader([first]), [])], None
    except csv.Error as error:
        raise QuizgenError(f"{path}: not a CSV file ({error})") from None


def grade_answers(folder: Path, answers: Path, bank: Any, overrides: Path | None = None,
                  on_start: Callable[[int], Any] | None = None, progress: Callable[[int], Any] | None = None) -> Grading:
    """Read and mark ANSWERS against the build in ``folder`` (no files written).

    ``folder`` may also be a self-test page, and ANSWERS a folder of the attempts saved on it.
    """
    from .attempts import is_page

    if is_page(folder) or Path(answers).is_dir():
        if not (is_page(folder) and Path(answers).is_dir()):
            raise QuizgenError(f"{answers if is_page(folder) else folder}: a practice round is graded as 'quizgen grade PAGE.html ATTEMPTS-FOLDER': "
                               "the self-test page and the folder of attempts saved on it")
        build, marker, students, problems, notes = read_attempt_folder(Path(folder), Path(answers), bank, progress)
        grading = Grading(build, students, problems, "attempts", marker, notes)
        if overrides:
            apply_overrides(grading, overrides)
        return grading
    build = load_build(Path(folder), sheets=False)
    if build.manifest.get("bank_fingerprint") and build.manifest["bank_fingerprint"] != bank.fingerprint:
        raise QuizgenError(f"{folder}: these papers were built from another question bank (or another version of it): "
                           "grade them with the bank they were built with (--bank)")
    marker = Marker(build, bank)
    if is_marks_csv(answers):
        students, problems = read_marks(build, answers)
        source = "marks"
    else:
        if on_start:
            on_start(read_text(Path(answers), "answers CSV").count("\n"))
        students, problems = read_typed(build, marker, answers, progress)
        source = "typed"
    if not students:
        raise QuizgenError(f"{answers}: no student's answers in it")
    grading = Grading(build, students, problems, source, marker)
    if overrides:
        apply_overrides(grading, overrides)
    return grading


__all__ = [
    "Grading",
    "Problem",
    "Student",
    "answers_template",
    "apply_overrides",
    "column_names",
    "grade_answers",
    "is_marks_csv",
    "item_stats",
    "read_marks",
    "read_typed",
]
