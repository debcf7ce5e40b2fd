"""A synthetic class for ``quizgen grade``: typed answers planted from a build's manifest, and what was planted.

Each student has an ability (a share, drawn at random); each blank gets, in turn: the key's
answer (with that probability), the value of one of the variant's named mistakes, garbage
that no reader can take for a number, or nothing. A mistake is planted only where marking
would name it (its typed value is wrong and matches that mistake first), so the counts of
``quizgen grade`` can be checked against the plant. examples/simulate_class.py writes it out;
tests/test_grade.py checks the grades against it.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

from ..engine.generate import within
from ..errors import QuizgenError
from .grade import answers_template
from .mark import matched_mistake, read_blank
from .scans import Build, Marker

GARBAGE = '=HYPERLINK("x") <b>'  # neither a number nor safe in a spreadsheet or a page: it must come out as listed text
MISTAKE_SHARE = 0.15  # of the blanks a student does not get right: a named mistake
GARBAGE_SHARE = 0.05  # then garbage; the rest are left empty


def _text(rounded: Any) -> str:
    if isinstance(rounded, list):
        return "[" + ", ".join(_text(x) for x in rounded) + "]"
    return str(rounded)


def simulate_answers(build: Build, bank: Any, seed: int = 5, template: str | None = None) -> tuple[str, dict[tuple[str, int, str], Any]]:
    """(the typed-answers CSV, {(student, question, blank): 'right' | ('mistake', name) | 'garbage' | 'empty' | 'unknown'}).

    ``template``: the empty CSV to fill in (the build's answers-template.csv); by default the build's own, made again.
    """
    if build.mode != "roster":
        raise QuizgenError(f"{build.folder}: a synthetic class needs a roster build (quizgen exam build --roster): version papers have no students")
    marker = Marker(build, bank)
    rows = list(csv.reader(io.StringIO(template if template is not None else answers_template(build))))
    if rows[:1] != list(csv.reader(io.StringIO(answers_template(build))))[:1]:
        raise QuizgenError(f"{build.folder}: the answers template has other columns than this build's papers")
    header, body = rows[0], rows[1:]
    rng = random.Random(seed)
    planted: dict[tuple[str, int, str], Any] = {}
    for row in body:
        ability = rng.random()
        paper = build.papers[row[0]]
        for q in paper["questions"]:
            n = q["number"]
            columns = [h for h in header if h == f"Q{n}" or h.startswith(f"Q{n}.")]
            variant = marker.variant(q["template"], q["code"])
            if q["options"]:
                right = next(o for o in q["options"] if o["correct"])
                wrong = [o for o in q["options"] if not o["correct"] and o["mistake"]]
                pick = right if rng.random() < ability or not wrong else rng.choice(wrong)
                row[header.index(columns[0])] = pick["label"].lower() + ")"  # 'b)' reads as B
                planted[(row[1], n, "option")] = "right" if pick is right else ("mistake", pick["mistake"])
                continue
            if "matching" in q:
                letters = [p["label"] for p in q["matching"]]
                ok = rng.random() < ability
                typed = letters if ok else letters[1:] + letters[:1]
                row[header.index(columns[0])] = " ".join(f"{i + 1}{x}" for i, x in enumerate(typed))
                for r in range(len(letters)):
                    planted[(row[1], n, f"row {r + 1}")] = "right" if ok or len(set(letters)) == 1 else "unknown"
                continue
            for column, answer in zip(columns, q["answers"]):
                target = next(a for a in variant.answers if a.spec.name == answer["name"])
                mistakes = [m for m in variant.mistakes if m.answer == answer["name"] and _names(variant, target, _text(m.rounded)) is m]
                roll = rng.random()
                if roll < ability:
                    text, what = _text(answer["rounded"]), "right"
                elif roll < ability + MISTAKE_SHARE and mistakes:
                    mistake = rng.choice(mistakes)
                    text, what = _text(mistake.rounded), ("mistake", mistake.name)
                elif roll < ability + MISTAKE_SHARE + GARBAGE_SHARE:
                    text, what = GARBAGE, "garbage"
                else:
                    text, what = "", "empty"
                row[header.index(column)] = text
                planted[(row[1], n, answer["name"])] = what
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *body])
    return buffer.getvalue(), planted


def _names(variant: Any, target: Any, text: str) -> Any:
    """The mistake marking would name for this typed text (None if it is right or names none)."""
    value = read_blank(target, text)
    if within(value, target.value, target.tolerance):
        return None
    return matched_mistake(variant, target, value)


def planted_counts(planted: dict[tuple[str, int, str], Any], build: Build) -> dict[tuple[int, str, str, str], int]:
    """{(question, template, blank, mistake): how many students were given it}: what mistakes.csv must say."""
    templates = {(key, q["number"]): q["template"] for key, paper in build.papers.items() for q in paper["questions"]}
    counts: dict[tuple[int, str, str, str], int] = {}
    for (student, number, blank), what in planted.items():
        if isinstance(what, tuple):
            key = (number, templates[(student, number)], blank, what[1])
            counts[key] = counts.get(key, 0) + 1
    return counts


__all__ = ["GARBAGE", "planted_counts", "simulate_answers"]
