"""``quizgen exam mark``: read the scans, mark them, and write what the instructor needs.

RESULTS/ gets:

* ``marks.csv``: one row per student and blank: the value read, its status, the points, and
  the named mistake a wrong answer matches;
* ``grades.csv``: one row per student: the total and each question's points, and whether the
  sheet still needs review (a gradebook imports it by student ID);
* ``review.html`` and ``review.csv``: every doubtful mark with its cropped image and what was
  read, every page problem, and each version sheet's name box beside the ID read. Fill in
  review.csv's value column and rerun with ``--corrections review.csv``;
* ``annotated/<sheet>.pdf``: each student's scan with every blank's points drawn on it, to hand back.

Every file is written atomically; the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import QuizgenError
from ..exams.scan import DPI, PageRead, ScannedPage, page_image
from ..outputs import atomic_write_bytes, atomic_writer
from ..parallel import worker_pool
from .scans import (
    PAGE_PX_PER_MM, Build, Marker, SheetResult, apply_corrections, assemble, load_build, load_corrections, load_roster_ids, read_pages, sheet_readings,
)

CROP_MARGIN = 3.0  # mm around a crop in review.html


@dataclass
class MarkSummary:
    """What a marking run found, for the command's last line and for tests."""

    sheets: int
    pages: int
    page_problems: int
    review: int  # items waiting for the instructor
    results: list[SheetResult]
    problems: list[str]


def mark_exam(folder: Path, scans: list[Path], out: Path, bank: Any, corrections: Path | None = None, roster: Path | None = None,
              dpi: int = DPI, workers: int | None = None, on_start: Callable[[int], Any] | None = None,
              progress: Callable[[int], Any] | None = None) -> MarkSummary:
    """Read, mark and report: the whole of ``quizgen exam mark``."""
    build = load_build(folder)
    if build.manifest.get("bank_fingerprint") and build.manifest["bank_fingerprint"] != bank.fingerprint:
        raise QuizgenError(f"{folder}: these papers were built from another question bank (or another version of it): "
                           "mark them with the bank they were built with (--bank)")
    fixes = load_corrections(corrections) if corrections else {}
    students = load_roster_ids(roster) if roster else None
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise QuizgenError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        kept = Path(tempfile.mkdtemp(prefix=".pages-", dir=out))
    except OSError as error:
        raise QuizgenError(f"--out {out}: cannot write there ({error.strerror or error})") from None
    try:
        return _mark(build, bank, scans, out, kept, fixes, students, corrections, dpi, workers, on_start, progress)
    finally:
        shutil.rmtree(kept, ignore_errors=True)


def _mark(build: Build, bank: Any, scans: list[Path], out: Path, kept: Path, fixes: dict, students: dict | None, corrections: Path | None,
          dpi: int, workers: int | None, on_start: Callable[[int], Any] | None, progress: Callable[[int], Any] | None) -> MarkSummary:
    reads = read_pages(build, scans, dpi, workers, on_start, progress, keep=kept)
    sheets, problems = assemble(build, reads)
    marker = Marker(build, bank)
    results = []
    known = {sheet.id for sheet in sheets}
    for sheet_id, key in sorted(fixes):
        if sheet_id not in known:
            raise QuizgenError(f"{corrections}: sheet {sheet_id!r} ({key}) is not among the scanned sheets")
    for sheet in sheets:
        readings = sheet_readings(build, sheet)
        apply_corrections(sheet, readings, fixes, str(corrections))
        results.append(marker.mark(sheet, readings, students))
    images = _images(build, results, reads, out, kept, dpi, workers)
    _write_marks(out / "marks.csv", results)
    _write_grades(out / "grades.csv", build, results)
    review = _write_review(out, build, results, problems, images)
    return MarkSummary(len(results), len(reads), len(problems), review, results, problems)


# ---------------------------------------------------------------------------
# CSVs


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with atomic_writer(path) as stream:
        stream.write(buffer.getvalue())


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _is_number(text)) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _write_marks(path: Path, results: list[SheetResult]) -> None:
    rows = []
    for result in results:
        for b in result.blanks:
            rows.append([result.sheet.id, _safe_cell(result.student_id), _safe_cell(result.name), b.question, b.template, b.code, b.blank,
                         _safe_cell(b.read), b.status, b.right, _number(b.points), _number(b.max_points), b.mistake, _safe_cell(b.mistake_label),
                         _safe_cell(b.reason)])
    _csv(path, ["sheet", "student_id", "name", "question", "template", "code", "blank", "read", "status", "right", "points", "max_points",
                "mistake", "mistake_label", "review_reason"], rows)


def _write_grades(path: Path, build: Build, results: list[SheetResult]) -> None:
    count = max((len(build.papers[r.sheet.paper]["questions"]) for r in results), default=0)
    rows = []
    for result in results:
        paper = build.papers[result.sheet.paper]
        per_question = {q["number"]: 0.0 for q in paper["questions"]}
        for b in result.blanks:
            per_question[b.question] += b.points
        total_max = sum(float(q["points"]) for q in paper["questions"])
        status = "review" if result.needs_review else "complete"
        rows.append([_safe_cell(result.student_id), _safe_cell(result.name), result.sheet.id, _number(result.total), _number(total_max)]
                    + [_number(per_question.get(n, 0.0)) for n in range(1, count + 1)] + [status])
    _csv(path, ["student_id", "name", "sheet", "total", "max_points"] + [f"Q{n}" for n in range(1, count + 1)] + ["status"], rows)


# ---------------------------------------------------------------------------
# Images: annotated copies, review crops, name boxes


@dataclass(frozen=True)
class _SheetImages:
    """One worker's job: a sheet's pages, what to draw on them, what to crop from them."""

    sheet: str
    pages: list[tuple[int, str]]  # (page number, the kept copy of the page on its printed geometry)
    drawings: list[tuple[int, tuple[float, float, float, float], str, str]]  # (page, box mm, colour, text)
    crops: list[tuple[str, int, tuple[float, float, float, float]]]  # (name, page, box mm)
    target: str
    dpi: int


_COLOURS = {"right": (40, 140, 40), "wrong": (30, 30, 200), "part": (0, 140, 220), "review": (200, 80, 200)}


def _images(build: Build, results: list[SheetResult], reads: list[PageRead], out: Path, kept: Path, dpi: int, workers: int | None) -> dict[str, Any]:
    """Annotated PDFs written; review crops, name boxes and problem-page thumbnails returned (PNG/JPEG bytes)."""
    jobs = []
    for result in results:
        items = build.layouts[result.sheet.paper]
        pages = [(number, str(kept / read.kept)) for number, read in sorted(result.sheet.pages.items()) if read.kept]
        drawings = []
        crops = []
        for b in result.blanks:
            boxes = [items[i].box() for i in b.items if items[i].page in result.sheet.pages]
            if not boxes:
                continue
            box = _union(boxes)
            if b.status in ("doubtful", "missing"):
                colour, text = "review", "review"
            else:
                colour = "right" if b.points >= b.max_points - 1e-9 else "wrong" if b.points <= 1e-9 else "part"
                text = f"{_number(b.points)}/{_number(b.max_points)}" + (f" {b.mistake}" if b.mistake else "")
            drawings.append((items[b.items[0]].page, box, colour, text))
        for key, reading in result.readings.items():
            if reading.status in ("doubtful", "missing") and reading.items and reading.page in result.sheet.pages:
                crops.append((f"{result.sheet.id}|{key}", reading.page, _union([items[i].box() for i in reading.items])))
        for index, item in enumerate(items):
            if item.kind in ("name", "id") and item.page in result.sheet.pages:
                crops.append((f"{result.sheet.id}|{item.kind}", item.page, item.box()))
        if pages:
            drawings.append((pages[0][0], (20.0, 27.0, 0.0, 0.0), "right" if not result.needs_review else "review",
                             f"{result.sheet.id}: {_number(result.total)} points" + (" (to review)" if result.needs_review else "")))
        jobs.append(_SheetImages(result.sheet.id, pages, drawings, crops, str(out / "annotated" / f"{result.sheet.id}.pdf"), dpi))
    problem_pages = [(str(r.page.path), r.page.number) for r in reads if r.problem]
    (out / "annotated").mkdir(parents=True, exist_ok=True)
    count = min(workers or os.cpu_count() or 1, max(1, len(jobs) // 2))
    images: dict[str, Any] = {"crops": {}, "thumbnails": {}}
    if count <= 1:
        found = [_sheet_images(job) for job in jobs]
        thumbs = [_thumbnail(p, dpi) for p in problem_pages]
    else:
        with worker_pool(count) as pool:
            found = pool.map(_sheet_images, jobs, chunksize=1)
            thumbs = pool.starmap(_thumbnail, [(p, dpi) for p in problem_pages])
    for crops in found:
        images["crops"].update(crops)
    for (path, number), thumb in zip(problem_pages, thumbs):
        images["thumbnails"][f"{Path(path).name} page {number}"] = thumb
    return images


def _union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    bottom = max(b[1] + b[3] for b in boxes)
    return (left, top, right - left, bottom - top)


def _sheet_images(job: _SheetImages) -> dict[str, bytes]:
    """Write one sheet's annotated PDF; its review crops as PNG."""
    import cv2
    import img2pdf

    px = PAGE_PX_PER_MM
    crops: dict[str, bytes] = {}
    pages = []
    for number, path in job.pages:
        printed = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        for name, page, box in job.crops:
            if page == number:
                crops[name] = _png(_crop(printed, box, px))
        colour_page = cv2.cvtColor(printed, cv2.COLOR_GRAY2BGR)
        for page, box, colour, text in job.drawings:
            if page != number:
                continue
            x, y, w, h = (round(v * px) for v in box)
            bgr = _COLOURS[colour]
            if w and h:
                cv2.rectangle(colour_page, (x - 4, y - 4), (x + w + 4, y + h + 4), bgr, 2, cv2.LINE_AA)
                cv2.putText(colour_page, _ascii(text), (x, max(12, y - 8)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, bgr, 1, cv2.LINE_AA)
            else:
                cv2.putText(colour_page, _ascii(text), (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, bgr, 2, cv2.LINE_AA)
        ok, data = cv2.imencode(".jpg", colour_page, [cv2.IMWRITE_JPEG_QUALITY, 70])
        pages.append(data.tobytes())
    if pages:
        dpi = round(px * 25.4)
        atomic_write_bytes(Path(job.target), img2pdf.convert(pages, layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi)), nodate=True, engine=img2pdf.Engine.internal))
    return crops


def _ascii(text: str) -> str:
    """OpenCV draws ASCII only; the mistake names are identifiers, the rest is ours."""
    return text.encode("ascii", "replace").decode("ascii")


def _crop(image: Any, box: tuple[float, float, float, float], px: float) -> Any:
    x, y, w, h = box
    left, top = max(0, round((x - CROP_MARGIN) * px)), max(0, round((y - CROP_MARGIN) * px))
    right, bottom = round((x + w + CROP_MARGIN) * px), round((y + h + CROP_MARGIN) * px)
    return image[top:bottom, left:right]


def _png(image: Any) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", image)
    return data.tobytes() if ok else b""


def _thumbnail(page: tuple[str, int], dpi: int) -> bytes:
    """A page that could not be read, small, for review.html (b'' if it cannot even be decoded)."""
    import cv2

    try:
        image = page_image(ScannedPage(Path(page[0]), page[1]), min(dpi, 100))
    except QuizgenError:
        return b""
    scale = 500 / max(image.shape)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 70])
    return data.tobytes() if ok else b""


# ---------------------------------------------------------------------------
# Review


def _data_uri(data: bytes, kind: str) -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii") if data else ""


def _write_review(out: Path, build: Build, results: list[SheetResult], problems: list[str], images: dict[str, Any]) -> int:
    """review.html and review.csv; the number of items waiting for the instructor."""
    from ..resources import templates_dir
    import jinja2

    items = []
    rows = []
    for result in results:
        for key, reading in sorted(result.readings.items()):
            if reading.status not in ("doubtful", "missing"):
                continue
            crop = images["crops"].get(f"{result.sheet.id}|{key}", b"")
            items.append({"sheet": result.sheet.id, "student": result.student_id, "name": result.name, "item": key, "status": reading.status,
                          "reason": reading.reason, "page": reading.page, "image": _data_uri(crop, "png")})
            rows.append([result.sheet.id, key, reading.status, reading.reason, ""])
        for blank in result.blanks:  # a blank with no readable item of its own (should not happen on a sheet): listed too
            if blank.status == "doubtful" and not blank.items:
                rows.append([result.sheet.id, f"Q{blank.question} {blank.blank}", blank.status, blank.reason, ""])
    sheets = []
    for result in results:
        paper = build.papers[result.sheet.paper]
        sheets.append({
            "id": result.sheet.id, "student": result.student_id, "name": result.name, "total": _number(result.total),
            "max": _number(sum(float(q["points"]) for q in paper["questions"])), "review": result.needs_review, "problems": result.problems,
            "name_image": _data_uri(images["crops"].get(f"{result.sheet.id}|name", b""), "png"), "version": paper["kind"] == "version",
        })
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "html")), autoescape=True, undefined=jinja2.StrictUndefined)
    page = environment.get_template("review.html.j2").render(
        title=build.manifest.get("title", ""), course=build.manifest.get("course", ""), sheets=sheets, items=items,
        problems=[{"text": p, "image": _data_uri(images["thumbnails"].get(p.split(":")[0], b""), "jpeg")} for p in problems],
    )
    with atomic_writer(out / "review.html") as stream:
        stream.write(page)
    _csv(out / "review.csv", ["sheet", "item", "status", "reason", "value"], [[_safe_cell(str(c)) for c in row] for row in rows])
    return len(rows)


__all__ = ["MarkSummary", "mark_exam"]
