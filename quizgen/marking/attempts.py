"""Self-test attempts as answers for ``quizgen grade``: a practice round collected and analysed.

The self-test page (``quizgen export html``) saves a student's attempt as a small JSON file:
each variant's first check, as in the page's own score. ``quizgen grade PAGE.html FOLDER``
reads a folder of those files against the page they were made on. The page names its
questions' templates and variant codes (never an answer); the bank rebuilds each variant, so
nothing in an attempt is trusted but the text the student typed, which is read again with
responses.py, as typed answers are.

Each student gets a paper of their own: one question per question of the page, worth one
point, on the first variant they checked. A question never checked, or whose solution was shown
first, is left empty (the page counts it as not right, too).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..engine.generate import make_variant, parse_code
from ..errors import QuizgenError
from ..exams.spec import manifest_entry, paper_question
from ..formats.records import variant_record
from ..formats.selftest import ATTEMPT_SCHEMA, PAGE_SCHEMA
from ..inputs import read_text
from .scans import Build

MAX_ATTEMPTS = 10_000  # attempt files in one folder
MAX_PAGE_QUESTIONS = 2_000
MAX_NAME = 100
_INFO = re.compile(r'<body [^>]*data-quizgen-page="([^"]*)"')
_PAGE_BYTES = 200_000_000  # a page of 200 questions with 50 variants each is ~60 MB


def is_page(path: Path) -> bool:
    """Whether the build argument of ``quizgen grade`` is a self-test page (else an exam's build folder)."""
    return Path(path).is_file() and Path(path).suffix.lower() in (".html", ".htm")


def read_page(path: Path) -> dict[str, Any]:
    """The page information a self-test page carries for grading; a clear error for any other file."""
    path = Path(path)
    if path.stat().st_size > _PAGE_BYTES:
        raise QuizgenError(f"{path}: larger than {_PAGE_BYTES // 1_000_000} MB: not a quizgen self-test page")
    text = path.read_text(encoding="utf-8", errors="replace")
    match = _INFO.search(text)
    if not match:
        raise QuizgenError(f"{path}: not a quizgen self-test page that can collect attempts (made with 'quizgen export html')")
    try:
        info = json.loads(html.unescape(match.group(1)))
    except ValueError as error:
        raise QuizgenError(f"{path}: its page information is damaged ({error})") from None
    if not isinstance(info, dict) or info.get("schema") != PAGE_SCHEMA:
        raise QuizgenError(f"{path}: page information of an unknown kind (expected {PAGE_SCHEMA})")
    questions = info.get("questions")
    if not isinstance(questions, list) or not 0 < len(questions) <= MAX_PAGE_QUESTIONS or not all(
        isinstance(q, dict) and isinstance(q.get("template"), str) and isinstance(q.get("codes"), list) and q["codes"]
        and all(isinstance(c, str) for c in q["codes"]) for q in questions
    ):
        raise QuizgenError(f"{path}: questions: damaged page information")
    if not isinstance(info.get("key"), int):
        raise QuizgenError(f"{path}: key: damaged page information")
    info["source"] = str(path)
    return info


def _text(value: Any, path: Path, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise QuizgenError(f"{path}: {field}: not text")
    return value.strip()[:limit]


def read_attempt(path: Path, info: dict[str, Any]) -> dict[str, Any]:
    """One attempt file, checked for shape (each answer's text is read later, as a student's answer)."""
    try:
        data = json.loads(read_text(path, "attempt"))
    except ValueError as error:
        raise QuizgenError(f"{path}: not an attempt file ({error})") from None
    if not isinstance(data, dict) or data.get("schema") != ATTEMPT_SCHEMA:
        raise QuizgenError(f"{path}: schema: not a quizgen self-test attempt (expected {ATTEMPT_SCHEMA})")
    if data.get("page") != info["key"]:
        raise QuizgenError(f"{path}: page: saved on another self-test page than {Path(info['source']).name}")
    answers = data.get("answers")
    if not isinstance(answers, list) or len(answers) > 50 * len(info["questions"]) + 50:
        raise QuizgenError(f"{path}: answers: not a list of answers")
    for k, answer in enumerate(answers):
        if not isinstance(answer, dict) or not isinstance(answer.get("question"), int) or not isinstance(answer.get("code"), str):
            raise QuizgenError(f"{path}: answers[{k}]: needs a question number and a variant code")
        responses = answer.get("responses")
        if responses is not None and not isinstance(responses, dict):
            raise QuizgenError(f"{path}: answers[{k}].responses: not an object")
    student_id = _text(data.get("student_id"), path, "student_id", 40)
    name = _text(data.get("name"), path, "name", MAX_NAME)
    if not student_id and not name:
        raise QuizgenError(f"{path}: student_id: empty, and no name either")
    return {"student_id": student_id or name, "name": name, "answers": answers, "file": path.name}


def read_attempts(folder: Path, info: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every attempt of the folder, one per student: when a student saved twice, the file with more checked
    variants is kept (the later name on a tie), and the other is reported."""
    folder = Path(folder)
    files = sorted(folder.glob("*.json"))
    if not files:
        raise QuizgenError(f"{folder}: no attempt files (*.json) in it")
    if len(files) > MAX_ATTEMPTS:
        raise QuizgenError(f"{folder}: more than {MAX_ATTEMPTS:,} attempt files")
    chosen: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for path in files:
        attempt = read_attempt(path, info)
        previous = chosen.get(attempt["student_id"])
        if previous is not None:
            keep, drop = (attempt, previous) if len(attempt["answers"]) >= len(previous["answers"]) else (previous, attempt)
            notes.append(f"{attempt['student_id']}: saved twice; {keep['file']} is graded, {drop['file']} is not")
            attempt = keep
        chosen[attempt["student_id"]] = attempt
    return [chosen[key] for key in sorted(chosen)], notes


def _first_checks(attempt: dict[str, Any], info: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """{question number: the first variant checked}, among the page's own codes of that question."""
    first: dict[int, dict[str, Any]] = {}
    for answer in attempt["answers"]:
        number = answer["question"]
        if not 1 <= number <= len(info["questions"]) or number in first:
            continue
        if answer["code"] in info["questions"][number - 1]["codes"]:
            first[number] = answer
    return first


def build_from_attempts(info: dict[str, Any], attempts: list[dict[str, Any]], bank: Any) -> tuple[Build, dict[str, dict[int, dict[str, Any]]]]:
    """A build with one paper per student (their first-checked variants), and each paper's answers by question."""
    records: dict[tuple[str, str], dict[str, Any]] = {}
    papers: dict[str, dict[str, Any]] = {}
    answered: dict[str, dict[int, dict[str, Any]]] = {}
    for attempt in attempts:
        first = _first_checks(attempt, info)
        questions = []
        for number, question in enumerate(info["questions"], start=1):
            template = bank.get(question["template"])
            code = first[number]["code"] if number in first else question["codes"][0]
            if (template.id, code) not in records:
                records[(template.id, code)] = variant_record(make_variant(template, *parse_code(template.id, code)))
            section = SimpleNamespace(points=1, number=template.section, title=template.topic, working_space=0.0)
            questions.append(paper_question(number, section, records[(template.id, code)], None))
        key = attempt["student_id"]
        document = {"paper": {"kind": "student", "key": key, "name": attempt["name"], "seed": info["seed"]}, "questions": questions}
        papers[key] = manifest_entry(document, {})
        answered[key] = first
    manifest = {
        "schema": "quizgen.selftest-round/1", "title": str(info.get("title") or "Self-test"), "course": "", "mode": "practice",
        "seed": info["seed"], "bank_fingerprint": info.get("bank_fingerprint", ""),
    }
    return Build(Path(info["source"]), manifest, "", papers, {}), answered


def typed_cells(question: dict[str, Any], answer: dict[str, Any] | None, count: int) -> list[str]:
    """The attempt's responses to a question as the cells of a typed-answers row (read by grade.py as typed text)."""
    cells = [""] * count
    responses = (answer or {}).get("responses") or {}
    if answer is None or answer.get("revealed"):
        return cells
    if question["options"]:
        cells[0] = str(responses.get("option") or "")[:10]
    elif "matching" in question:
        cells[0] = _matching_text(question, responses.get("pairs"))
    else:
        blanks = responses.get("blanks") if isinstance(responses.get("blanks"), dict) else {}
        for index, spec in enumerate(question["answers"]):
            value = blanks.get(spec["name"], "")
            cells[index] = value[:2000] if isinstance(value, str) else "?"
    return cells


def _matching_text(question: dict[str, Any], pairs: Any) -> str:
    """'1B 2A ...' for the page's chosen partners, in the letters grade.py reads (the partners sorted)."""
    if not isinstance(pairs, list):
        return ""
    chosen = {p[0]: p[1] for p in pairs if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)}
    rights = sorted([pair["right"] for pair in question["matching"]] + list(question.get("matching_extra", [])))  # the paper's letters (not shuffled)
    letters = "ABCDEFGH"
    parts = []
    for number, pair in enumerate(question["matching"], start=1):
        given = chosen.get(pair["left"], "")
        if not given:
            return "" if not any(chosen.values()) else "?"
        parts.append(f"{number}{letters[rights.index(given)] if given in rights else '?'}")
    return " ".join(parts)


__all__ = ["build_from_attempts", "is_page", "read_attempt", "read_attempts", "read_page", "typed_cells"]
