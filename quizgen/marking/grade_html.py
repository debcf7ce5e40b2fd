"""report.html of ``quizgen grade``: one offline page, plots as plain inline SVG (no script, nothing fetched).

The geometry of each plot is worked out here, in numbers; the template draws it, and Jinja's
autoescape (on, explicitly) escapes every text: student names, typed answers and the bank's
labels are all input.
"""

from __future__ import annotations

from typing import Any

import jinja2

from ..resources import templates_dir
from .grade_report import WEAK_DISCRIMINATION, WEAK_FACILITY, Analysis, Item, _fmt

BINS = 10  # the score histogram: ten bins of 10 % of the maximum
MAX_BARS = 12  # named mistakes drawn per question (the CSV has all)

_ENV: jinja2.Environment | None = None


def _environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "html")), autoescape=True,
                                  undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        _ENV.filters["num"] = _fmt
        _ENV.filters["pct"] = lambda v: "" if v is None else f"{100 * v:.0f} %"
        _ENV.filters["plain"] = _plain
    return _ENV


def _plain(text: str) -> str:
    """A bank text's TeX as plain Unicode text, as the terminal shows it ('$\\sum_i w_i$' to '∑_i w_i')."""
    from ..formats.plain import tex_to_plain

    try:
        return tex_to_plain(text)
    except Exception:  # noqa: BLE001 - shown as written rather than not at all
        return text


def histogram(totals: list[float], top: float) -> dict[str, Any]:
    """Ten bins of the total (the last includes the maximum), scaled to a 400×160 plot."""
    counts = [0] * BINS
    for t in totals:
        index = BINS - 1 if top <= 0 else min(BINS - 1, max(0, int(t / top * BINS)))
        counts[index] += 1
    tallest = max(counts) or 1
    width, height = 400, 160
    bars = []
    for k, c in enumerate(counts):
        h = height * c / tallest
        bars.append({"x": k * width / BINS + 1, "y": height - h, "w": width / BINS - 2, "h": h, "count": c,
                     "label": f"{_fmt(top * k / BINS, 1)}–{_fmt(top * (k + 1) / BINS, 1)}"})
    return {"bars": bars, "width": width, "height": height, "tallest": tallest, "top": _fmt(top, 2)}


def scatter(items: list[Item]) -> list[dict[str, Any]]:
    """One point per question: facility across (0 to 1), discrimination up (−1 to 1), on a 400×300 plot."""
    points = []
    for it in items:
        if it.blank or it.facility is None:
            continue
        d = it.discrimination if it.discrimination is not None else 0.0
        points.append({"x": 400 * it.facility, "y": 150 - 150 * d, "label": f"Q{it.question}", "weak": bool(it.weak), "item": it,
                       "why": ", ".join(it.weak)})
    return points


def mistake_bars(analysis: Analysis) -> list[dict[str, Any]]:
    """Per question (template): its named mistakes (summed over its blanks), longest first, as shares of its takers."""
    charts = []
    for it in analysis.items:
        if it.blank:
            continue
        parts = [i for i in analysis.items if i.question == it.question and i.template == it.template and i.blank]
        source = parts or [it]
        counts: dict[str, int] = {}
        labels: dict[str, str] = {}
        feedback: dict[str, str] = {}
        for part in source:
            for name, count in part.mistakes.items():
                counts[name] = counts.get(name, 0) + count
                labels.setdefault(name, part.labels.get(name, ""))
                feedback.setdefault(name, part.feedback.get(name, ""))
        unknown = sum(p.unknown_wrong for p in source)
        empty = sum(p.empty for p in source)
        rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_BARS]
        entries = [{"name": n, "label": labels[n] or n, "feedback": feedback[n], "count": c} for n, c in rows]
        entries.append({"name": "", "label": "wrong, no known mistake", "feedback": "", "count": unknown})
        entries.append({"name": "", "label": "left empty", "feedback": "", "count": empty})
        tallest = max((e["count"] for e in entries), default=0) or 1
        for e in entries:
            e["w"] = 230 * e["count"] / tallest
            e["share"] = e["count"] / it.students if it.students else 0.0
        charts.append({"item": it, "entries": entries, "height": 22 * len(entries) + 4})
    return charts


def topics(analysis: Analysis) -> list[dict[str, Any]]:
    """Per topic: the share of its questions' points the class got, over every student who had one."""
    sums: dict[str, list[float]] = {}
    for it in analysis.items:
        if it.blank or it.mean is None:
            continue
        got, top, n = sums.setdefault(it.topic, [0.0, 0.0, 0.0])
        sums[it.topic] = [got + it.mean * it.students, top + it.max_points * it.students, n + it.students]
    rows = []
    for topic, (got, top, n) in sorted(sums.items()):
        share = got / top if top else None
        rows.append({"topic": topic, "facility": share, "answers": int(n), "w": 260 * (share or 0.0)})
    return rows


def render_report(analysis: Analysis) -> str:
    g = analysis.grading
    manifest = g.build.manifest
    test = analysis.test
    return _environment().get_template("grade_report.html.j2").render(
        title=str(manifest.get("title") or "Exam"), course=str(manifest.get("course") or ""), test=test,
        source={"marks": "scanned marks (marks.csv)", "typed": "typed answers", "attempts": "self-test attempts"}[g.source],
        histogram=histogram(analysis.totals, test.max_points), scatter=scatter(analysis.items), weak_facility=WEAK_FACILITY,
        weak_discrimination=WEAK_DISCRIMINATION, charts=mistake_bars(analysis), topics=topics(analysis),
        items=[i for i in analysis.items if not i.blank], problems=g.problems[:500], more_problems=max(0, len(g.problems) - 500),
        overrides=[(s, n, a, b) for s in g.students for n, (a, b) in sorted(s.overrides.items())],
    )


__all__ = ["histogram", "mistake_bars", "render_report", "scatter", "topics"]


def _file_name(student_id: str, taken: set[str]) -> str:
    """A student's feedback file name: the id's safe characters (ids are input), made unique."""
    import re

    base = re.sub(r"[^A-Za-z0-9._-]", "_", student_id)[:64].lstrip(".") or "student"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name.lower())
    return f"{name}.html"


def render_feedback(analysis: Analysis) -> dict[str, str]:
    """{file name: page}: per student, each question's answers, points, the mistake named, and the worked solution of their variant."""
    from ..formats.records import variant_record
    from ..formats.render import render_text

    g = analysis.grading
    solutions: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    pages: dict[str, str] = {}
    template = _environment().get_template("grade_feedback.html.j2")
    for student in g.students:
        questions = []
        for q in g.build.papers[student.paper]["questions"]:
            key = (q["template"], q["code"])
            if key not in solutions:
                try:
                    solutions[key] = render_text(variant_record(g.marker.variant(*key)))
                except Exception:  # noqa: BLE001 - a variant the bank cannot rebuild: the page says so instead of failing the grades
                    solutions[key] = "(the worked solution of this variant cannot be rebuilt from this bank)"
            blanks = []
            for b in student.blanks:
                if b.question != q["number"]:
                    continue
                feedback = _feedback_of(g, b) if b.mistake else ""
                blanks.append({"blank": b, "feedback": feedback})
            override = student.overrides.get(q["number"])
            questions.append({"q": q, "blanks": blanks, "points": student.question_points(q["number"]), "override": override,
                              "solution": solutions[key]})
        pages[_file_name(student.student_id, taken)] = template.render(
            title=str(g.build.manifest.get("title") or "Exam"), course=str(g.build.manifest.get("course") or ""), student=student,
            total=student.total(analysis.questions), top=sum(float(q["points"]) for q in g.build.papers[student.paper]["questions"]),
            questions=questions)
    return pages


def _feedback_of(grading: Any, blank: Any) -> str:
    from .grade_report import _feedback

    return _feedback(grading, blank)
