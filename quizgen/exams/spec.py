"""An exam: the TOML spec, the papers it asks for (versions or one per student), and what each paper holds.

A paper is a pure function of (spec, bank, seed, paper key): its own seed comes from
(exam seed, "version:A" or "student:<id>") through numpy's SeedSequence, so adding a
student to the roster changes no one else's paper, and any paper can be rebuilt alone
(which is what ``--shard`` relies on). From that seed come, in a fixed order, the
templates a topic section draws, the question order, the option order, and each
question's variant (``quizgen.engine.generate.generate`` with the paper seed, so every printed
variant code gives the key back through ``quizgen show ID --code CODE``).

``paper_document`` is everything one paper and its key show, as JSON-ready data: the
Typst and LaTeX renderers and the manifest all read it, so they cannot disagree.
"""

from __future__ import annotations

import csv
import datetime
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.bank import Bank
from ..engine.generate import check_seed, generate
from ..errors import QuizgenError, did_you_mean
from ..formats.figures import drawn_figures
from ..formats.records import _tolerance_fields
from ..inputs import read_text

MANIFEST_SCHEMA = "quizgen.exam-manifest/1"
PAPER_SEED_BITS = 40  # 8 characters of base 32 in a variant code; 2^40 makes two students' seeds practically never equal
MAX_VERSIONS = 702  # A..Z, AA..ZZ
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_TOP_FIELDS = {
    "title", "course", "date", "duration", "instructions", "seed", "versions", "roster",
    "shuffle_questions", "shuffle_options", "id_digits", "sheets", "sections",
}
_REQUIRED_TOP = ("title", "course", "date", "duration", "sections")
_SECTION_FIELDS = {"title", "template", "templates", "topic", "difficulty", "kind", "count", "points", "nice", "working_space"}
_KINDS = ("numerical", "multipart", "multichoice", "concept", "matching")


class SpecError(QuizgenError):
    """A bad exam spec or roster: names the file and the field (e.g. ``sections[2].points``)."""

    def __init__(self, source: str, field: str, message: str):
        super().__init__(f"{source}: {field}: {message}" if field else f"{source}: {message}")


@dataclass(frozen=True)
class Section:
    number: int  # 1-based, as the error messages name it
    title: str | None
    pool: tuple[str, ...]  # template ids to draw from (all of them when given by id)
    count: int
    points: int | float
    nice: bool
    working_space: float | None  # cm of blank space for the working; None: 4 for computations, 0 for choice and matching


@dataclass(frozen=True)
class ExamSpec:
    source: str
    title: str
    course: str
    date: str
    day: datetime.date | None  # the date, when the spec gives one: the PDFs' fixed timestamp
    duration: str
    instructions: tuple[str, ...]
    seed: int
    versions: int | None
    roster: Path | None
    shuffle_questions: bool
    shuffle_options: bool
    id_digits: int
    sections: tuple[Section, ...]
    sheets: bool = False  # answer sheets a scanner can read (exam build --sheets)

    @property
    def question_count(self) -> int:
        return sum(section.count for section in self.sections)

    @property
    def total_points(self) -> int | float:
        return _tidy(sum(section.points * section.count for section in self.sections))


@dataclass(frozen=True)
class PaperKey:
    """Which paper: a version ("A") or a student (id, name)."""

    kind: str  # "version" or "student"
    key: str  # version label or student id: names the files
    name: str | None = None  # the student's name

    @property
    def heading(self) -> str:
        if self.kind == "version":
            return f"Version {self.key}"
        return f"{self.name} ({self.key})" if self.name else self.key


# ---------------------------------------------------------------------------
# The spec


def load_spec(path: Path, bank: Bank) -> ExamSpec:
    """Read and check an exam spec; the first problem raises a SpecError naming the field."""
    path = Path(path)
    source = str(path)
    text = read_text(path, "exam spec")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(source, "", f"not valid TOML ({error})") from None
    except RecursionError:
        raise SpecError(source, "", "not valid TOML (nested too deeply)") from None
    check = _Checker(source)
    check.fields(data, "", _TOP_FIELDS, _REQUIRED_TOP)
    title = check.text(data["title"], "title")
    course = check.text(data["course"], "course")
    date, day = check.date(data["date"], "date")
    duration = check.duration(data["duration"], "duration")
    instructions = check.instructions(data.get("instructions", []), "instructions")
    seed = check.integer(data.get("seed", 0), "seed", 0, 2**63 - 1)
    versions = check.integer(data["versions"], "versions", 1, MAX_VERSIONS) if "versions" in data else None
    roster = None
    if "roster" in data:
        roster = path.parent / check.text(data["roster"], "roster")
    if versions is not None and roster is not None:
        check.fail("roster", "give 'versions' or 'roster', not both")
    sections_data = data["sections"]
    if not isinstance(sections_data, list) or not sections_data:
        check.fail("sections", "must be a non-empty array of tables ([[sections]])")
    sections = tuple(_section(check, bank, item, i + 1) for i, item in enumerate(sections_data))
    return ExamSpec(
        source=source,
        title=title,
        course=course,
        date=date,
        day=day,
        duration=duration,
        instructions=instructions,
        seed=seed,
        versions=versions,
        roster=roster,
        shuffle_questions=check.boolean(data.get("shuffle_questions", False), "shuffle_questions"),
        shuffle_options=check.boolean(data.get("shuffle_options", True), "shuffle_options"),
        id_digits=check.integer(data.get("id_digits", 8), "id_digits", 1, 16),
        sections=sections,
        sheets=check.boolean(data.get("sheets", False), "sheets"),
    )


def _section(check: _Checker, bank: Bank, data: Any, number: int) -> Section:
    where = f"sections[{number}]"
    check.fields(data, where, _SECTION_FIELDS, ("points",))
    points = check.points(data["points"], f"{where}.points")
    given = [name for name in ("template", "templates", "topic") if name in data]
    if len(given) != 1:
        check.fail(where, "give exactly one of 'template', 'templates' or 'topic'" + (f" (has {', '.join(given)})" if given else ""))
    if "topic" in data:
        pool = _topic_pool(check, bank, data, where)
        count = check.integer(data.get("count", 1), f"{where}.count", 1, 100)
        if count > len(pool):
            check.fail(f"{where}.count", f"asks for {count} questions but only {len(pool)} templates match ({', '.join(pool)}): lower the count or widen 'difficulty'/'kind'")
    else:
        for name in ("difficulty", "kind"):
            if name in data:
                check.fail(f"{where}.{name}", "only a section chosen by 'topic' filters by difficulty or kind")
        ids = [data["template"]] if "template" in data else data["templates"]
        field = f"{where}.template" if "template" in data else f"{where}.templates"
        if not isinstance(ids, list) or not ids:
            check.fail(field, "must be a non-empty list of template ids")
        for i, template_id in enumerate(ids):
            item = field if "template" in data else f"{field}[{i + 1}]"
            check.text(template_id, item)
            if template_id not in bank.templates:
                try:
                    bank.get(template_id)
                except QuizgenError as error:
                    check.fail(item, str(error))
        if len(set(ids)) != len(ids):
            check.fail(field, "names a template twice")
        pool = tuple(ids)
        count = check.integer(data.get("count", len(pool)), f"{where}.count", 1, 100)
        if count > len(pool):
            check.fail(f"{where}.count", f"asks for {count} questions but lists only {len(pool)} templates")
    title = check.text(data["title"], f"{where}.title") if "title" in data else None
    nice = check.boolean(data.get("nice", False), f"{where}.nice")
    working_space = float(check.number(data["working_space"], f"{where}.working_space", 0, 25)) if "working_space" in data else None
    return Section(number, title, pool, count, points, nice, working_space)


def _topic_pool(check: _Checker, bank: Bank, data: dict, where: str) -> tuple[str, ...]:
    topic = check.text(data["topic"], f"{where}.topic")
    if topic not in bank.topics():
        check.fail(f"{where}.topic", f"unknown topic '{topic}'{did_you_mean(topic, bank.topics())} (topics: {', '.join(bank.topics())})")
    difficulties = None
    if "difficulty" in data:
        value = data["difficulty"]
        values = value if isinstance(value, list) else [value]
        if not values:
            check.fail(f"{where}.difficulty", "must be a number from 1 to 3 or a list of them")
        difficulties = {check.integer(v, f"{where}.difficulty", 1, 3) for v in values}
    kinds = None
    if "kind" in data:
        value = data["kind"]
        values = value if isinstance(value, list) else [value]
        for v in values:
            if v not in _KINDS:
                check.fail(f"{where}.kind", f"unknown kind {v!r} (kinds: {', '.join(_KINDS)})")
        kinds = set(values)
    pool = tuple(
        t.id for t in bank.by_topic(topic)
        if (difficulties is None or t.difficulty in difficulties) and (kinds is None or t.kind in kinds)
    )
    if not pool:
        wanted = " and ".join(filter(None, [f"difficulty {sorted(difficulties)}" if difficulties else "", f"kind {sorted(kinds)}" if kinds else ""]))
        check.fail(f"{where}.count", f"no template of topic '{topic}' has {wanted}")
    return pool


def _tidy(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


class _Checker:
    """Field checks that raise SpecError naming the file and the field, as template loading does."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, field: str, message: str):
        raise SpecError(self.source, field, message)

    def fields(self, data: Any, where: str, allowed: set[str], required: tuple[str, ...]) -> None:
        if not isinstance(data, dict):
            self.fail(where or "spec", f"must be a table, got {type(data).__name__}")
        for name in sorted(data):
            if name not in allowed:
                self.fail(f"{where}.{name}" if where else name, f"unknown field{did_you_mean(name, allowed)} (allowed: {', '.join(sorted(allowed))})")
        for name in required:
            if name not in data:
                self.fail(f"{where}.{name}" if where else name, "missing required field")

    def text(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(field, f"must be a non-empty string, got {value!r}")
        return value.strip()

    def integer(self, value: Any, field: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, f"must be a whole number, got {value!r}")
        if not low <= value <= high:
            self.fail(field, f"must be from {low} to {high}, got {value}")
        return value

    def number(self, value: Any, field: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            self.fail(field, f"must be a number, got {value!r}")
        if not low <= value <= high:
            self.fail(field, f"must be from {low} to {high}, got {value}")
        return value

    def points(self, value: Any, field: str) -> int | float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            self.fail(field, f"must be a number, got {value!r}")
        if value <= 0:
            self.fail(field, f"must be positive, got {value}")
        if value > 1000:
            self.fail(field, f"must be at most 1000, got {value}")
        return _tidy(value)

    def boolean(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            self.fail(field, f"must be true or false, got {value!r}")
        return value

    def date(self, value: Any, field: str) -> tuple[str, datetime.date | None]:
        if isinstance(value, datetime.datetime):
            return value.date().isoformat(), value.date()
        if isinstance(value, datetime.date):
            return value.isoformat(), value
        text = self.text(value, field)
        try:
            return text, datetime.date.fromisoformat(text)
        except ValueError:
            return text, None

    def duration(self, value: Any, field: str) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            if value <= 0:
                self.fail(field, f"must be positive, got {value}")
            return f"{value} minutes"
        return self.text(value, field)

    def instructions(self, value: Any, field: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(p.strip() for p in re.split(r"\n\s*\n", value) if p.strip())
        if not isinstance(value, list):
            self.fail(field, f"must be a string or a list of strings, got {type(value).__name__}")
        return tuple(self.text(item, f"{field}[{i + 1}]") for i, item in enumerate(value))


# ---------------------------------------------------------------------------
# Which papers


def version_labels(count: int) -> list[str]:
    """A, B, ..., Z, AA, AB, ...: the labels of ``count`` versions."""
    if not 1 <= count <= MAX_VERSIONS:
        raise QuizgenError(f"versions={count} must be from 1 to {MAX_VERSIONS}")
    letters = [chr(ord("A") + i) for i in range(26)]
    labels = letters + [a + b for a in letters for b in letters]
    return labels[:count]


def load_roster(path: Path) -> list[PaperKey]:
    """Students from a CSV with a header: an 'id' column (names the files) and optionally 'name'."""
    path = Path(path)
    source = str(path)
    text = read_text(path, "roster")
    reader = csv.DictReader(text.splitlines())
    try:
        columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    except csv.Error as error:
        raise SpecError(source, "header", f"is not CSV ({error})") from None
    if "id" not in columns:
        raise SpecError(source, "header", f"needs an 'id' column (has: {', '.join(columns) or 'nothing'})")
    students: list[PaperKey] = []
    seen: dict[str, int] = {}
    folded: dict[str, tuple[str, int]] = {}  # ids as a case-insensitive file system sees them
    for row_number, row in _rows(reader, source):
        student_id = (row.get(columns["id"]) or "").strip()
        name = (row.get(columns["name"]) or "").strip() if "name" in columns else ""
        if not student_id and not name:
            continue  # a blank line
        if not _SAFE_ID.match(student_id):
            raise SpecError(source, f"row {row_number}.id", f"{student_id!r} must be 1-64 letters, digits, '.', '_' or '-' (it names the student's files)")
        if student_id in seen:
            raise SpecError(source, f"row {row_number}.id", f"'{student_id}' is also on row {seen[student_id]}")
        twin = folded.get(student_id.casefold())
        if twin:
            raise SpecError(source, f"row {row_number}.id", f"'{student_id}' and '{twin[0]}' (row {twin[1]}) differ only in case: their files would be one file on macOS and Windows")
        if len(name) > MAX_NAME:
            raise SpecError(source, f"row {row_number}.name", f"has {len(name)} characters; a name may have at most {MAX_NAME}")
        seen[student_id] = row_number
        folded[student_id.casefold()] = (student_id, row_number)
        students.append(PaperKey("student", student_id, name or None))
        if len(students) > MAX_STUDENTS:
            raise SpecError(source, f"row {row_number}", f"more than {MAX_STUDENTS} students: split the course with --shard and several rosters")
    if not students:
        raise SpecError(source, "", "has no students")
    return students


MAX_NAME = 200  # characters of a student's name on a paper
MAX_STUDENTS = 20_000


def _rows(reader: csv.DictReader, source: str):
    """(row number, row) of a roster; a line the csv module cannot read (a field over its 128 kB limit) names its row."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SpecError(source, f"row {reader.line_num + 1}", f"cannot be read as CSV ({error})") from None
        yield reader.line_num, row


def paper_seed(seed: int, paper: PaperKey) -> int:
    """The paper's own seed: a stable function of (exam seed, paper kind and key), never Python's hash()."""
    key = int.from_bytes(f"{paper.kind}:{paper.key}".encode(), "big")
    state = np.random.SeedSequence([check_seed(seed), key]).generate_state(2, np.uint32)
    return ((int(state[0]) << 32) | int(state[1])) >> (64 - PAPER_SEED_BITS)


def shard(papers: list[PaperKey], index: int, count: int) -> list[PaperKey]:
    """The ``index``-th (1-based) of ``count`` contiguous slices, so each shard's combined PDF is in roster order."""
    if count < 1 or not 1 <= index <= count:
        raise QuizgenError(f"--shard {index}/{count}: K must be from 1 to N")
    start, end = (index - 1) * len(papers) // count, index * len(papers) // count
    return papers[start:end]


# ---------------------------------------------------------------------------
# One paper


def paper_document(spec: ExamSpec, bank: Bank, paper: PaperKey, seed: int | None = None) -> dict[str, Any]:
    """Everything the paper and key of ``paper`` show, as JSON-ready data."""
    seed = spec.seed if seed is None else seed
    own_seed = paper_seed(seed, paper)
    rng = np.random.default_rng(np.random.SeedSequence([own_seed, 0x6578616D]))  # "exam": layout choices
    slots = _choose_templates(spec, bank, rng)
    order = rng.permutation(len(slots)).tolist() if spec.shuffle_questions else list(range(len(slots)))
    records = _variants(bank, slots, own_seed)
    questions = []
    for number, slot_index in enumerate(order, start=1):
        questions.append(paper_question(number, slots[slot_index][0], records[slot_index], rng if spec.shuffle_options else None))
    return {
        "exam": {
            "title": spec.title,
            "course": spec.course,
            "date": spec.date,
            "duration": spec.duration,
            "instructions": list(spec.instructions),
            "total_points": spec.total_points,
            "id_digits": max(spec.id_digits, len(paper.key)) if paper.kind == "student" else spec.id_digits,
        },
        "paper": {"kind": paper.kind, "key": paper.key, "name": paper.name, "heading": paper.heading, "seed": own_seed},
        "questions": questions,
    }


def _choose_templates(spec: ExamSpec, bank: Bank, rng: np.random.Generator) -> list[tuple[Section, str]]:
    """(section, template id) per question, in spec order; a topic section prefers templates not yet on the paper."""
    used: set[str] = set()
    slots = []
    for section in spec.sections:
        if len(section.pool) == section.count:
            chosen = list(section.pool)
        else:
            fresh = [t for t in section.pool if t not in used]
            picked = sorted(rng.choice(len(fresh), size=min(section.count, len(fresh)), replace=False).tolist())
            chosen = [fresh[i] for i in picked]
            if len(chosen) < section.count:  # the pool is shared with earlier sections: reuse, with another variant
                reused = [t for t in section.pool if t not in chosen]
                extra = sorted(rng.choice(len(reused), size=section.count - len(chosen), replace=False).tolist())
                chosen += [reused[i] for i in extra]
        used.update(chosen)
        slots += [(section, template_id) for template_id in chosen]
    return slots


def _variants(bank: Bank, slots: list[tuple[Section, str]], own_seed: int) -> list[dict[str, Any]]:
    """One record per slot: a template used k times on the paper gets k distinct variants."""
    wanted: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for i, (section, template_id) in enumerate(slots):
        wanted[(template_id, section.nice)].append(i)
    records: list[dict[str, Any] | None] = [None] * len(slots)
    for (template_id, nice), positions in wanted.items():
        variants = generate(bank.get(template_id), len(positions), own_seed, nice)
        for position, variant in zip(positions, variants):
            records[position] = _paper_record(variant)
            if variant.template.figures:
                records[position]["drawn_figures"] = drawn_figures(variant)
    return records  # type: ignore[return-value]


def _paper_record(variant) -> dict[str, Any]:
    """What a paper and its key take of a variant: the fields of its JSON record (quizgen.formats.records) that ``_question`` reads.

    The record's other fields (the parameters, each value's exact form, feedback) are never
    printed, and cost a third of the record to make.
    """
    from ..engine.generate import matching_columns

    template = variant.template
    record: dict[str, Any] = {
        "template": template.id,
        "title": template.title,
        "kind": template.kind,
        "code": variant.code,
        "text": variant.text,
        "answers": [_answer_fields(a) for a in variant.answers],
        "mistakes": [{"name": m.name, "label": m.label, "answer": m.answer, "rounded": m.rounded} for m in variant.mistakes],
        "options": [{"label": o.label, "rounded": o.rounded, "tex": o.tex, "correct": o.correct, "mistake": o.mistake} for o in variant.options],
    }
    if template.kind == "matching":
        lefts, rights = matching_columns(variant)
        record["matching"] = {"left": lefts, "right": rights, "columns": list(template.columns)}
    record["steps"] = [{"label": step.label, "tex": step.tex} for step in variant.steps()]
    if variant.solution:
        record["solution"] = variant.solution
    return record


def _answer_fields(answer) -> dict[str, Any]:
    """An answer as the record has it (quizgen.formats.records.answer_record), without its exact form."""
    spec = answer.spec
    if spec.kind in ("choice", "matching"):
        return {"name": spec.name, "label": spec.label, "kind": spec.kind, "value": answer.value, "rounded": answer.rounded, "rounding": {},
                "tolerance": {"type": "exact", "value": 0, "absolute": 0}, "unit": None}
    rounding = {"decimals": spec.decimals} if spec.sigfigs is None else {"sigfigs": spec.sigfigs}
    return {"name": spec.name, "label": spec.label, "kind": spec.kind, "rounded": answer.rounded, "rounding": rounding,
            "tolerance": _tolerance_fields(answer), "unit": spec.unit}


def paper_question(number: int, section: Section, record: dict[str, Any], rng: np.random.Generator | None) -> dict[str, Any]:
    """A question as the manifest and the papers hold it: the variant's record with its number, points and
    option letters (options shuffled with ``rng``; None keeps the record's order, as marking an LMS attempt needs)."""
    options = [dict(option) for option in record["options"]]
    mistakes = {m["name"]: m for m in record["mistakes"]}
    if rng is not None and options:
        options = [options[i] for i in rng.permutation(len(options)).tolist()]
    for position, option in enumerate(options):
        option["label"] = chr(ord("A") + position)
        source = mistakes.get(option["mistake"]) if option["mistake"] else None
        option["mistake_label"] = source["label"] if source else None
    labels = {a["name"]: a["label"] for a in record["answers"]}
    matching = None
    if "matching" in record:
        right = list(record["matching"]["right"])
        if rng is not None:
            right = [right[i] for i in rng.permutation(len(right)).tolist()]
        letter = {text: chr(ord("A") + i) for i, text in enumerate(right)}
        matching = {
            "columns": record["matching"]["columns"],
            "left": record["matching"]["left"],
            "right": [{"label": letter[text], "text": text} for text in right],
            "key": [{"left": left, "label": letter[text], "right": text} for left, text in record["answers"][0]["value"]],
        }
    return {
        "number": number,
        "points": section.points,
        "section": section.number,
        "section_title": section.title,
        "working_space": section.working_space if section.working_space is not None else _default_space(record["kind"]),
        "template": record["template"],
        "title": record["title"],
        "kind": record["kind"],
        "code": record["code"],
        "text": record["text"],
        "options": options,
        "matching": matching,
        "answers": [_answer(answer, options) for answer in record["answers"]],
        "steps": record.get("steps", []),
        "solution": record.get("solution"),
        "figures": record.get("drawn_figures", []),
        "mistakes": [{"label": m["label"], "answer": m["answer"], "answer_label": labels[m["answer"]], "rounded": m["rounded"]} for m in record["mistakes"]],
    }


def _default_space(kind: str) -> float:
    """Choice and matching questions are answered on the options; computations get room for the working."""
    return 0.0 if kind in ("multichoice", "concept", "matching") else 4.0


def _answer(answer: dict[str, Any], options: list[dict[str, Any]]) -> dict[str, Any]:
    """An answer as the key prints it: rounded value, rounding, tolerance, and the option letter."""
    kind = answer["kind"]
    shown = {
        "name": answer["name"],
        "label": answer["label"],
        "kind": kind,
        "rounded": answer["rounded"],
        "unit": answer["unit"],
        "rounding": _rounding_text(answer),
        "tolerance": _tolerance_text(answer),
        "tolerance_absolute": answer["tolerance"]["absolute"],
        "option": None,
    }
    correct = [o["label"] for o in options if o["correct"]]
    if correct and kind in ("number", "integer", "choice"):
        shown["option"] = correct[0]
    return shown


def _rounding_text(answer: dict[str, Any]) -> str:
    rounding = answer["rounding"]
    if answer["kind"] == "integer":
        return "exact whole number"
    if "decimals" in rounding:
        n = rounding["decimals"]
        return f"{n} decimal place{'s' if n != 1 else ''}"
    if "sigfigs" in rounding:
        n = rounding["sigfigs"]
        return f"{n} significant figure{'s' if n != 1 else ''}"
    return ""


def _tolerance_text(answer: dict[str, Any]) -> str:
    """'± 0.001' (one value for every element when they agree), 'exact', or per element."""
    tolerance = answer["tolerance"]
    if tolerance["type"] == "exact":
        return "exact"
    flat = list(_flatten(tolerance["absolute"]))
    if not flat:
        return "exact"
    if all(value == flat[0] for value in flat):
        return "± " + _plain_number(flat[0])
    return "± [" + ", ".join(_plain_number(value) for value in flat) + "] element by element"


def _flatten(value: Any):
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _plain_number(value: float) -> str:
    """A tolerance without exponent notation (0.000001, not 1e-06), in as few digits as it takes."""
    return np.format_float_positional(float(value), trim="-", precision=12, fractional=False) if value else "0"


def _distractors(matching: dict[str, Any]) -> list[str]:
    """The right-column entries that are no row's partner, in the paper's order."""
    partners = {pair["right"] for pair in matching["key"]}
    return [entry["text"] for entry in matching["right"] if entry["text"] not in partners]


def manifest_entry(document: dict[str, Any], files: dict[str, str]) -> dict[str, Any]:
    """What the manifest keeps of one paper: enough to rebuild it (template ids, codes) and to mark it (answers)."""
    paper = document["paper"]
    return {
        "kind": paper["kind"],
        "key": paper["key"],
        "name": paper["name"],
        "seed": paper["seed"],
        "files": files,
        "questions": [
            {
                "number": q["number"],
                "section": q["section"],
                "points": q["points"],
                "template": q["template"],
                "code": q["code"],
                "answers": [
                    {k: a[k] for k in ("name", "label", "kind", "rounded", "unit", "rounding", "tolerance", "tolerance_absolute", "option")}
                    for a in q["answers"]
                ],
                "options": [{"label": o["label"], "correct": o["correct"], "mistake": o["mistake"]} for o in q["options"]],
                **({"matching": q["matching"]["key"]} if q["matching"] else {}),
                **({"matching_extra": extra} if q["matching"] and (extra := _distractors(q["matching"])) else {}),
            }
            for q in document["questions"]
        ],
    }
