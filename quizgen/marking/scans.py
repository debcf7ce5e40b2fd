"""Mark scanned answer sheets: pages to students, bubbles to answers, answers to points and named mistakes.

``quizgen exam mark DIR SCANS... --out RESULTS``. The pages are read on every core
(``quizgen.exams.scan``), then put together into sheets, one per student:

* a roster paper's pages say whose they are, so they may come in any order and mixed;
* a version paper's pages say only the version, so each student's paper must be scanned as
  one stack, cover first: a cover (page 1) starts a new sheet, and the version's next pages
  join it. Its cover's student-ID grid says who it is (matched to ``--roster`` if given).

Every blank is then marked with the rule of every other output (``within`` the answer's
tolerance), and a wrong number is matched to the variant's named mistakes, as practice mode
does. What the bubbles do not say clearly (a doubtful bubble, two ticks in a column, a gap
in a number, a marker's box not ticked) is *doubtful*: it scores nothing until the
instructor's correction says what it is, and the student's grade says "review". Nothing is
guessed, and no page is dropped silently: a page that cannot be read, of another exam, a
missing page or the same page twice is a listed problem.

Corrections are a CSV (sheet, item, value): ``review.csv`` lists every doubtful item with
an empty value column to fill in; a rerun with ``--corrections`` applies it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from ..errors import QuizgenError
from ..exams.layout import HAND_POINTS, Item, load_items
from ..exams.scan import DPI, PageRead, ScannedPage, read_page, scanned_pages, state
from ..exams.sheets import DigitGrid, PageCode
from ..inputs import read_text
from ..outputs import atomic_write_bytes
from ..parallel import quiet_worker, worker_pool

MAX_PAGES = 100_000  # scanned pages in one run
EMPTY_TEXT = "empty"  # what a correction writes for a blank the student left empty


# ---------------------------------------------------------------------------
# The build


@dataclass
class Build:
    """What the build folder says: the manifest's papers and each paper's sheet layout."""

    folder: Path
    manifest: dict[str, Any]
    check: str
    papers: dict[str, dict[str, Any]]  # paper key: manifest entry
    layouts: dict[str, list[Item]]

    @property
    def mode(self) -> str:
        return self.manifest["mode"]


def load_build(folder: Path, sheets: bool = True) -> Build:
    """The manifest (or a sharded build's manifests) and the layouts; a clear error for a build without sheets.

    ``sheets=False`` (typed answers, no scans): a build without sheets is fine, and no layout is read.
    """
    folder = Path(folder)
    whole = folder / "manifest.json"
    parts = sorted(folder.glob("manifest-*-of-*.json"))
    if not whole.is_file() and not parts:
        raise QuizgenError(f"{folder}: no manifest.json: give the folder that 'quizgen exam build' wrote")
    manifests = []
    for path in [whole] if whole.is_file() else parts:
        try:
            manifests.append(json.loads(read_text(path, "manifest")))
        except ValueError as error:
            raise QuizgenError(f"{path}: not a quizgen manifest ({error})") from None
    first = manifests[0]
    if not isinstance(first, dict) or not str(first.get("schema", "")).startswith("quizgen.exam-manifest/"):
        raise QuizgenError(f"{folder}: the manifest is not a quizgen exam manifest")
    if not first.get("sheets") and sheets:
        raise QuizgenError(f"{folder}: these papers have no answer sheets to scan: build them with 'quizgen exam build --sheets'")
    check = (first.get("sheets") or {}).get("check", "")
    papers: dict[str, dict[str, Any]] = {}
    layouts: dict[str, list[Item]] = {}
    for manifest in manifests:
        if (manifest.get("sheets") or {}).get("check", "") != check:
            raise QuizgenError(f"{folder}: its manifests come from different builds")
        for paper in manifest["papers"]:
            papers[paper["key"]] = paper
            if not sheets:
                continue
            path = folder / paper["files"]["layout"]
            try:
                layout = json.loads(read_text(path, "sheet layout"))
                layouts[paper["key"]] = load_items(layout["items"])
            except (ValueError, KeyError, TypeError) as error:
                raise QuizgenError(f"{path}: not a sheet layout ({error})") from None
    return Build(folder, {**first, "papers": list(papers.values())}, check, papers, layouts)


# ---------------------------------------------------------------------------
# Reading every page, on every core

_WORKER: dict[str, Any] = {}


PAGE_PX_PER_MM = 6.0  # the kept copy of each page (annotated copies, review crops): 152 dpi


def _start_worker(layouts: dict[str, tuple[str, list[Item]]], dpi: int, keep: Path | None) -> None:
    quiet_worker()
    _WORKER["layouts"], _WORKER["dpi"], _WORKER["keep"] = layouts, dpi, keep


def _read(job: tuple[int, ScannedPage]) -> PageRead:
    """Read one page; keep its printed-geometry copy (JPEG) for the annotated copy and the review's crops."""
    number, page = job
    read, printed = read_page(page, _WORKER["layouts"], _WORKER["dpi"], keep=_WORKER["keep"] is not None)
    if printed is not None:
        import cv2

        from ..exams.scan import PX_PER_MM

        small = cv2.resize(printed, None, fx=PAGE_PX_PER_MM / PX_PER_MM, fy=PAGE_PX_PER_MM / PX_PER_MM, interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if ok:
            atomic_write_bytes(_WORKER["keep"] / f"{number}.jpg", data.tobytes())
            read.kept = f"{number}.jpg"
    return read


def read_pages(build: Build, scans: list[Path], dpi: int = DPI, workers: int | None = None,
               on_start: Callable[[int], Any] | None = None, progress: Callable[[int], Any] | None = None, keep: Path | None = None) -> list[PageRead]:
    """Every page of every scan file, read, in the order given (files in order, pages in order).

    ``keep``: a folder for each page's copy on its printed geometry (``PageRead.kept`` names it).
    """
    pages: list[ScannedPage] = []
    for path in scans:
        pages += scanned_pages(Path(path))
        if len(pages) > MAX_PAGES:
            raise QuizgenError(f"more than {MAX_PAGES} scanned pages: mark the class in parts")
    if not pages:
        raise QuizgenError("the scans hold no pages")
    if on_start:
        on_start(len(pages))
    layouts = {key: (build.check, items) for key, items in build.layouts.items()}
    count = min(workers or os.cpu_count() or 1, max(1, len(pages) // 4))
    reads: list[PageRead] = []
    jobs = list(enumerate(pages))
    if count <= 1:
        _start_worker(layouts, dpi, keep)
        for job in jobs:
            reads.append(_read(job))
            if progress:
                progress(1)
        return reads
    with worker_pool(count, _start_worker, (layouts, dpi, keep)) as pool:
        for read in pool.imap(_read, jobs, chunksize=2):
            reads.append(read)
            if progress:
                progress(1)
    return reads


# ---------------------------------------------------------------------------
# Pages into sheets


@dataclass
class Sheet:
    """One student's scanned paper: its pages as read, and what went wrong with them."""

    id: str  # the roster key, or the version and copy ('A.3')
    paper: str  # the manifest's paper key
    pages: dict[int, PageRead] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unsure: set[int] = field(default_factory=set)  # layout items two copies of a page read differently


def assemble(build: Build, reads: list[PageRead]) -> tuple[list[Sheet], list[str]]:
    """Sheets from the pages, and the problems of pages that belong to none."""
    problems: list[str] = []
    sheets: dict[str, Sheet] = {}
    open_copy: dict[str, Sheet] = {}
    copies: dict[str, int] = {}
    for read in reads:
        if read.problem:
            problems.append(read.problem)
            continue
        code = PageCode.parse(read.code or "")
        pages = int(build.papers[code.paper]["pages"]["paper"])
        if code.page > pages:
            problems.append(f"{read.page.name}: page {code.page} of paper {code.paper}, which has {pages} pages")
            continue
        if build.mode == "roster":
            sheet = sheets.setdefault(code.paper, Sheet(code.paper, code.paper))
        else:
            if code.page == 1:
                copies[code.paper] = copies.get(code.paper, 0) + 1
                sheet = Sheet(f"{code.paper}.{copies[code.paper]}", code.paper)
                sheets[sheet.id] = sheet
                open_copy[code.paper] = sheet
            else:
                sheet = open_copy.get(code.paper)
                if sheet is None:
                    problems.append(f"{read.page.name}: page {code.page} of version {code.paper} comes before any cover of that version "
                                    "(scan each student's paper as one stack, cover first)")
                    continue
        if code.page in sheet.pages:
            first = sheet.pages[code.page]
            sheet.problems.append(f"page {code.page} was scanned twice ({first.page.name} and {read.page.name}); the first is used")
            for index, fills in read.fills.items():
                if [[state(f) for f in column] for column in fills] != [[state(f) for f in column] for column in first.fills.get(index, [])]:
                    sheet.unsure.add(index)
            continue
        sheet.pages[code.page] = read
    for sheet in sheets.values():
        total = int(build.papers[sheet.paper]["pages"]["paper"])
        missing = [n for n in range(1, total + 1) if n not in sheet.pages]
        if missing:
            sheet.problems.append(f"page{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of {total} not scanned")
    order = {key: n for n, key in enumerate(build.papers)}
    return sorted(sheets.values(), key=lambda s: (order[s.paper], s.id)), problems


# ---------------------------------------------------------------------------
# Bubbles into readings


@dataclass
class Reading:
    """What one item of a sheet says: its text, and whether that is sure."""

    key: str  # how review and corrections name it: 'Q3 gradient[2]', 'Q5 option', 'student ID'
    status: str  # ok, empty, doubtful, missing (its page was not scanned), corrected
    text: str  # the value read ('-0.325', 'B', '½'); '' when empty or unknown
    reason: str = ""
    items: list[int] = field(default_factory=list)  # layout items it was read from (for crops)
    page: int = 0


def _column(fills: list[float]) -> tuple[int | None, bool, str]:
    """(the one ticked bubble, doubtful?, why) of a group of which one may be ticked."""
    states = [state(f) for f in fills]
    ticked = [i for i, s in enumerate(states) if s == "ticked"]
    if any(s == "doubtful" for s in states):
        return None, True, "a bubble is neither clearly filled nor clearly empty"
    if len(ticked) > 1:
        return None, True, f"{len(ticked)} bubbles filled where one is allowed"
    return (ticked[0] if ticked else None), False, ""


def _item_fills(sheet: Sheet, index: int, item: Item) -> list[list[float]] | None:
    read = sheet.pages.get(item.page)
    return None if read is None else read.fills.get(index)


def read_grid(item: Item, fills: list[list[float]]) -> tuple[str, str, str]:
    """(status, text, reason) of a digit grid."""
    grid = DigitGrid(bool(item.info.get("signed")), int(item.info["integers"]), int(item.info.get("decimals", 0)))
    negative = False
    columns = fills
    if grid.signed:
        sign, doubtful, why = _column(columns[0])
        if doubtful:
            return "doubtful", "", f"the sign: {why}"
        negative = sign is not None
        columns = columns[1:]
    digits: list[int | None] = []
    shown = ""
    for position, column in enumerate(columns):
        digit, doubtful, why = _column(column)
        if doubtful:
            partial = "".join("_" if d is None else str(d) for d in digits)
            return "doubtful", "", f"digit column {position + 1} (after '{partial}'): {why}"
        digits.append(digit)
        shown += "_" if digit is None else str(digit)
    if all(d is None for d in digits):
        return ("doubtful", "", "a sign with no digits") if negative else ("empty", "", "")
    try:
        return "ok", grid.read(negative, digits), ""
    except ValueError as error:
        return "doubtful", "", f"the digits read {shown}: {error}"


def read_id(fills: list[list[float]]) -> tuple[str, str, str]:
    """(status, text, reason) of a student-ID grid: digits from the left, the columns after the last one empty."""
    digits = []
    for position, column in enumerate(fills):
        digit, doubtful, why = _column(column)
        if doubtful:
            return "doubtful", "", f"ID column {position + 1}: {why}"
        digits.append(digit)
    while digits and digits[-1] is None:
        digits.pop()
    if not digits:
        return "doubtful", "", "no student ID is filled in"
    if None in digits:
        return "doubtful", "", f"ID column {digits.index(None) + 1} is empty between digits"
    return "ok", "".join(map(str, digits)), ""


def sheet_readings(build: Build, sheet: Sheet) -> dict[str, Reading]:
    """Every item of a sheet, read: grids, options, matching rows, markers' boxes and the student ID."""
    paper = build.papers[sheet.paper]
    items = build.layouts[sheet.paper]
    questions = {q["number"]: q for q in paper["questions"]}
    readings: dict[str, Reading] = {}
    options: dict[int, list[int]] = {}
    for index, item in enumerate(items):
        if item.kind == "option":
            options.setdefault(int(item.info["question"]), []).append(index)
            continue
        if item.kind == "name":
            continue
        key = _item_key(item, questions)
        fills = _item_fills(sheet, index, item)
        if fills is None:
            readings[key] = Reading(key, "missing", "", f"page {item.page} was not scanned", [index], item.page)
            continue
        if item.kind == "grid":
            status, text, reason = read_grid(item, fills)
        elif item.kind == "id":
            status, text, reason = read_id(fills)
        else:
            choice, doubtful, reason = _column(fills[0])
            labels = [str(label) for label in item.info["labels"]]
            status, text = ("doubtful", "") if doubtful else ("empty", "") if choice is None else ("ok", labels[choice])
            if item.kind == "hand" and status == "empty":
                status, reason = "doubtful", "the marker has not ticked 0, ½ or 1"
        if index in sheet.unsure and status != "doubtful":
            status, reason = "doubtful", "two scans of this page read differently"
        readings[key] = Reading(key, status, text, reason, [index], item.page)
    for number, indices in options.items():
        key = f"Q{number} option"
        page = items[indices[0]].page
        fills = [_item_fills(sheet, i, items[i]) for i in indices]
        if any(f is None for f in fills):
            readings[key] = Reading(key, "missing", "", f"page {page} was not scanned", indices, page)
            continue
        choice, doubtful, reason = _column([f[0][0] for f in fills])  # type: ignore[index]
        if any(i in sheet.unsure for i in indices) and not doubtful:
            doubtful, reason = True, "two scans of this page read differently"
        status, text = ("doubtful", "") if doubtful else ("empty", "") if choice is None else ("ok", str(items[indices[choice]].info["label"]))
        readings[key] = Reading(key, status, text, reason, indices, page)
    return readings


def _item_key(item: Item, questions: dict[int, dict[str, Any]]) -> str:
    if item.kind == "id":
        return "student ID"
    number = int(item.info["question"])
    if item.kind == "match":
        return f"Q{number} row {int(item.info['row']) + 1}"
    answer = questions[number]["answers"][int(item.info["answer"])]
    if item.kind == "hand":
        return f"Q{number} {answer['name']} marker"
    elements = len(_flat(answer["rounded"]))
    return f"Q{number} {answer['name']}" + (f"[{int(item.info['element']) + 1}]" if elements > 1 else "")


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for item in value for x in _flat(item)]
    return [value]


# ---------------------------------------------------------------------------
# Corrections


def load_corrections(path: Path) -> dict[tuple[str, str], str]:
    """{(sheet, item): value} from a corrections CSV (review.csv with its value column filled in)."""
    text = read_text(Path(path), "corrections")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"sheet", "item", "value"} <= {(f or "").strip() for f in reader.fieldnames}:
        raise QuizgenError(f"{path}: a corrections CSV has the columns sheet, item and value (review.csv is one)")
    corrections: dict[tuple[str, str], str] = {}
    for line, row in enumerate(reader, start=2):
        value = (row.get("value") or "").strip()
        if not value:
            continue  # not corrected yet
        corrections[((row.get("sheet") or "").strip(), (row.get("item") or "").strip())] = value
        if len(corrections) > 1_000_000:
            raise QuizgenError(f"{path}: line {line}: too many corrections")
    return corrections


def apply_corrections(sheet: Sheet, readings: dict[str, Reading], corrections: dict[tuple[str, str], str], source: str) -> None:
    """Replace what was read by what the instructor says; a value that cannot be what the item holds is an error."""
    for (sheet_id, key), value in corrections.items():
        if sheet_id != sheet.id:
            continue
        reading = readings.get(key)
        if reading is None:
            raise QuizgenError(f"{source}: sheet {sheet_id}: no item '{key}' on this sheet (the items are named as in review.csv)")
        if value.lower() == EMPTY_TEXT:
            readings[key] = Reading(key, "corrected", "", "left empty", reading.items, reading.page)
            continue
        readings[key] = Reading(key, "corrected", _checked_value(key, value, source, sheet_id), "", reading.items, reading.page)


def _checked_value(key: str, value: str, source: str, sheet_id: str) -> str:
    where = f"{source}: sheet {sheet_id}, {key}"
    if key == "student ID":
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", value):
            raise QuizgenError(f"{where}: {value!r} is not a student ID")
        return value
    if key.endswith(" marker"):
        if value not in ("0", "½", "0.5", "1/2", "1"):
            raise QuizgenError(f"{where}: a marker's value is 0, 0.5 or 1, not {value!r}")
        return {"0.5": "½", "1/2": "½"}.get(value, value)
    if key.endswith(" option") or " row " in key:
        if not re.fullmatch(r"[A-Za-z]", value):
            raise QuizgenError(f"{where}: one letter, not {value!r}")
        return value.upper()
    from .responses import ResponseError, parse_response

    try:
        number = parse_response(value)
    except ResponseError as error:
        raise QuizgenError(f"{where}: {value!r}: {error}") from None
    if not isinstance(number, Fraction):
        raise QuizgenError(f"{where}: one number, not {value!r}")
    return value


# ---------------------------------------------------------------------------
# Readings into marks


@dataclass
class BlankResult:
    """One blank of one sheet, marked: a row of marks.csv."""

    question: int
    template: str
    code: str
    blank: str
    read: str
    status: str  # ok, empty, doubtful, missing, corrected (the worst of its items)
    right: str  # 'yes', 'no', '2/3' (elements), or '' when unknown
    points: float
    max_points: float
    mistake: str = ""
    mistake_label: str = ""
    reason: str = ""
    items: list[int] = field(default_factory=list)
    page: int = 0


@dataclass
class SheetResult:
    """A sheet, marked."""

    sheet: Sheet
    student_id: str
    name: str
    blanks: list[BlankResult]
    readings: dict[str, Reading]
    problems: list[str]

    @property
    def total(self) -> float:
        return sum(b.points for b in self.blanks)

    @property
    def needs_review(self) -> bool:
        return bool(self.problems) or any(b.status in ("doubtful", "missing") for b in self.blanks) or any(
            r.status in ("doubtful", "missing") for r in self.readings.values() if r.key == "student ID")


_ORDER = {"missing": 4, "doubtful": 3, "corrected": 2, "ok": 1, "empty": 0}


def _worst(statuses: list[str]) -> str:
    return max(statuses, key=lambda s: _ORDER[s]) if statuses else "empty"


class Marker:
    """Marks sheets against the bank: one variant per question code, made once."""

    def __init__(self, build: Build, bank: Any):
        self.build, self.bank = build, bank
        self._variants: dict[tuple[str, str], Any] = {}

    def variant(self, template_id: str, code: str) -> Any:
        from ..engine.generate import make_variant, parse_code

        key = (template_id, code)
        if key not in self._variants:
            template = self.bank.get(template_id)
            self._variants[key] = make_variant(template, *parse_code(template.id, code))
        return self._variants[key]

    def mark(self, sheet: Sheet, readings: dict[str, Reading], roster: dict[str, tuple[str, str]] | None) -> SheetResult:
        paper = self.build.papers[sheet.paper]
        blanks: list[BlankResult] = []
        for question in paper["questions"]:
            blanks += self._question(question, readings)
        student_id, name, problems = self._identity(sheet, paper, readings, roster)
        return SheetResult(sheet, student_id, name, blanks, readings, list(sheet.problems) + problems)

    def _identity(self, sheet: Sheet, paper: dict[str, Any], readings: dict[str, Reading], roster: dict[str, tuple[str, str]] | None) -> tuple[str, str, list[str]]:
        if paper["kind"] == "student":
            return paper["key"], paper.get("name") or "", []
        reading = readings.get("student ID")
        if reading is None or reading.status not in ("ok", "corrected"):
            return "", "", [f"the student ID cannot be read ({reading.reason if reading else 'the cover has no ID grid'})"]
        text = reading.text
        if roster is None:
            return text, "", []
        digits = re.sub(r"\D", "", text).lstrip("0")
        if text in roster:
            return text, roster[text][1], []
        matches = sorted(sid for sid, (key, _) in roster.items() if key == digits)
        if len(matches) == 1:
            return matches[0], roster[matches[0]][1], []
        if reading.status == "ok":
            reading.status, reading.reason = "doubtful", "no student of the roster has this ID" if not matches else "several students of the roster have this ID"
        return text, "", [f"the student ID {text} is {'not on the roster' if not matches else 'ambiguous on the roster'}"]

    def _question(self, question: dict[str, Any], readings: dict[str, Reading]) -> list[BlankResult]:
        number, points = question["number"], float(question["points"])
        variant = self.variant(question["template"], question["code"])
        base = {"question": number, "template": question["template"], "code": question["code"]}
        if question["options"]:
            reading = readings.get(f"Q{number} option")
            return [self._option(question, variant, reading, points, base)] if reading else []
        if "matching" in question:
            return self._matching(question, readings, points, base)
        answers = question["answers"]
        sizes = [len(_flat(a["rounded"])) for a in answers]
        results = []
        for answer, size in zip(answers, sizes):
            share = points * size / sum(sizes)
            hand = readings.get(f"Q{number} {answer['name']} marker")
            if hand is not None:
                results.append(self._hand(answer, hand, share, base))
            else:
                results.append(self._blank(variant, answer, size, readings, share, base))
        return results

    def _blank(self, variant: Any, answer: dict[str, Any], size: int, readings: dict[str, Reading], share: float, base: dict[str, Any]) -> BlankResult:
        from ..engine.generate import within
        from .mark import mark_blank, to_value

        keys = [f"Q{base['question']} {answer['name']}" + (f"[{k + 1}]" if size > 1 else "") for k in range(size)]
        found = [readings[k] for k in keys if k in readings]
        if len(found) != size:  # no grid for this blank on the sheet: nothing to read
            return BlankResult(**base, blank=answer["name"], read="", status="doubtful", right="", points=0.0, max_points=share,
                               reason="this blank has no grid or marker's box on the sheet")
        status = _worst([r.status for r in found])
        texts = [r.text for r in found]
        shown = texts[0] if size == 1 else "[" + ", ".join(t or "_" for t in texts) + "]"
        result = BlankResult(**base, blank=answer["name"], read=shown, status=status, right="", points=0.0, max_points=share,
                             reason="; ".join(f"{r.key}: {r.reason}" for r in found if r.status in ("doubtful", "missing")),
                             items=[i for r in found for i in r.items], page=found[0].page)
        if status in ("doubtful", "missing"):
            return result  # no points until the instructor says what it is
        target = next(a for a in variant.answers if a.spec.name == answer["name"])
        values = [Fraction(t) if t else None for t in texts]  # a decimal read from a grid, or a typed answer's exact fraction ('1/3')
        flat_exact = _flat_values(target.value)
        flat_tolerance = _flat_values(target.tolerance) if size > 1 else [target.tolerance]
        right = [v is not None and within(v, t, tol) for v, t, tol in zip(values, flat_exact, flat_tolerance)]
        result.points = share * sum(right) / size
        result.right = ("yes" if all(right) else "no") if size == 1 else f"{sum(right)}/{size}"
        if all(v is not None for v in values) and not all(right):
            response = to_value(_shaped(values, _shape_of(answer["rounded"])))
            marked = mark_blank(variant, target, response)
            if marked.mistake is not None:
                result.mistake, result.mistake_label = marked.mistake.name, marked.mistake.label
        if all(v is None for v in values):
            result.right = "no" if size == 1 else f"0/{size}"
        return result

    def _hand(self, answer: dict[str, Any], reading: Reading, share: float, base: dict[str, Any]) -> BlankResult:
        result = BlankResult(**base, blank=answer["name"], read=f"marker: {reading.text}" if reading.text else "", status=reading.status, right="",
                             points=0.0, max_points=share, reason=reading.reason, items=reading.items, page=reading.page)
        if reading.status in ("ok", "corrected") and reading.text:
            fraction = HAND_POINTS[["0", "½", "1"].index(reading.text)]
            result.points = share * fraction
            result.right = {0.0: "no", 0.5: "half", 1.0: "yes"}[fraction]
        return result

    def _option(self, question: dict[str, Any], variant: Any, reading: Reading, points: float, base: dict[str, Any]) -> BlankResult:
        result = BlankResult(**base, blank="option", read=reading.text, status=reading.status, right="", points=0.0, max_points=points,
                             reason=reading.reason, items=reading.items, page=reading.page)
        if reading.status in ("doubtful", "missing"):
            return result
        option = next((o for o in question["options"] if o["label"] == reading.text), None)
        if option is None:
            result.right = "no"
            return result
        result.right = "yes" if option["correct"] else "no"
        result.points = points if option["correct"] else 0.0
        if option["mistake"]:
            mistake = next((m for m in variant.mistakes if m.name == option["mistake"]), None)
            result.mistake, result.mistake_label = option["mistake"], mistake.label if mistake else ""
        return result

    def _matching(self, question: dict[str, Any], readings: dict[str, Reading], points: float, base: dict[str, Any]) -> list[BlankResult]:
        key = question["matching"]
        results = []
        for row, pair in enumerate(key):
            reading = readings.get(f"Q{base['question']} row {row + 1}")
            share = points / len(key)
            result = BlankResult(**base, blank=f"row {row + 1}", read=reading.text if reading else "", status=reading.status if reading else "doubtful",
                                 right="", points=0.0, max_points=share, reason=reading.reason if reading else "no row on the sheet",
                                 items=reading.items if reading else [], page=reading.page if reading else 0)
            if result.status not in ("doubtful", "missing"):
                result.right = "yes" if result.read == pair["label"] else "no"
                result.points = share if result.right == "yes" else 0.0
            results.append(result)
        return results


def _flat_values(value: Any) -> list[Any]:
    from ..engine.values import is_array

    if is_array(value):
        return list(value.flat)
    if isinstance(value, list):
        return [x for item in value for x in _flat_values(item)]
    return [value]


def _shape_of(rounded: Any) -> tuple[int, ...]:
    if isinstance(rounded, list):
        if rounded and isinstance(rounded[0], list):
            return (len(rounded), len(rounded[0]))
        return (len(rounded),)
    return ()


def _shaped(values: list[Fraction], shape: tuple[int, ...]) -> Any:
    if not shape:
        return values[0]
    if len(shape) == 1:
        return list(values)
    return [list(values[r * shape[1]: (r + 1) * shape[1]]) for r in range(shape[0])]


def load_roster_ids(path: Path) -> dict[str, tuple[str, str]]:
    """{student id: (its digits, name)} from a roster CSV: a version sheet's ID grid is matched to it."""
    from ..exams.spec import load_roster

    return {p.key: (re.sub(r"\D", "", p.key).lstrip("0"), p.name or "") for p in load_roster(path)}


__all__ = [
    "BlankResult", "Build", "Marker", "Reading", "Sheet", "SheetResult", "apply_corrections", "assemble", "load_build", "load_corrections",
    "load_roster_ids", "read_grid", "read_pages", "sheet_readings",
]
