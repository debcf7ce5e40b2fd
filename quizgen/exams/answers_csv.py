"""The typed-answers CSV of a build: the layout ``quizgen grade`` reads, written empty by ``exam build``.

One row per student, the columns ``paper, student_id, name`` and one cell per answer: ``Q3``
for a question answered in one cell (a number, an option letter, or a matching's '1B 2A 3C'),
``Q3.1``, ``Q3.2``... for one with several blanks. A TA typing hand-marked papers, or a form
export, fills it in (docs/grading.md).
"""

from __future__ import annotations

import csv
import io
from typing import Any

IDENTITY_COLUMNS = ("paper", "student_id", "name")


def cells(question: dict[str, Any]) -> int:
    """A multiple-choice or matching question is one cell (a letter, or '1B 2A 3C'); otherwise one cell per answer."""
    return 1 if question["options"] or "matching" in question else len(question["answers"])


def blank_columns(papers: dict[str, dict[str, Any]]) -> dict[int, int]:
    """{question number: how many answer columns it has}: the most any paper's question of that number needs."""
    counts: dict[int, int] = {}
    for paper in papers.values():
        for q in paper["questions"]:
            counts[q["number"]] = max(counts.get(q["number"], 0), cells(q))
    return dict(sorted(counts.items()))


def column(number: int, index: int, count: int) -> str:
    return f"Q{number}" if count == 1 else f"Q{number}.{index + 1}"


def column_names(papers: dict[str, dict[str, Any]]) -> list[str]:
    """The answer columns: 'Q3' for a question of one cell, 'Q3.1', 'Q3.2'... otherwise."""
    return [column(number, k, count) for number, count in blank_columns(papers).items() for k in range(count)]


def answers_template(papers: dict[str, dict[str, Any]]) -> str:
    """The empty CSV: a row per roster paper (the student filled in), or a row per version to copy for each student."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = column_names(papers)
    writer.writerow([*IDENTITY_COLUMNS, *names])
    for key, paper in papers.items():
        identity = [key, key, paper.get("name") or ""] if paper["kind"] == "student" else [key, "", ""]
        writer.writerow(identity + [""] * len(names))
    return buffer.getvalue()
