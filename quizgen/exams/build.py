"""Build an exam: each paper's PDFs and LaTeX, the combined PDFs and the manifest, on every core.

Each paper is a pure function of (spec, bank, seed, paper key). This process makes each
paper's questions, the Typst data and the LaTeX sources (and writes the sources); worker
processes only typeset (Typst, and pdflatex with --latex-pdf), which is most of the time.
So what warms up slowly (the formula shapes converted for Typst, the compiled Jinja
templates, the generators' caches) is paid for once, not once per worker, and a worker
needs nothing but a compiler. Only a few papers are in flight at a time: the parent holds
the small manifest entries, in roster order, never the PDFs. Every file is written by
whoever makes it, into the build's own staging folder. The combined print-ready PDFs are
assembled from the written files at the end (pikepdf), each paper padded to an even page
count so that double-sided printing starts every paper on a new sheet; that reads every
PDF whole, so a PDF that does not parse stops the build.

Everything is built in a hidden folder beside ``--out`` and moved into it only once the
whole build has succeeded, the manifest last: a failed or interrupted build (an error,
Ctrl-C, SIGTERM) leaves ``--out`` as it was, and no temporary files.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import io
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .. import __version__
from ..engine.bank import Bank
from ..errors import QuizgenError, RenderError
from ..outputs import atomic_writer
from ..parallel import quiet_worker
from .answers_csv import answers_template
from .spec import MANIFEST_SCHEMA, ExamSpec, PaperKey, load_roster, manifest_entry, paper_document, shard, version_labels
from .texmath import save_conversions

SMALL_BATCH = 16  # papers: below this, a process that has already run Typst builds them itself
AHEAD = 2  # papers per worker made ahead of the typesetting, so that no worker waits
CODE_FORMAT = "QZ1|check|paper|page"  # what a sheet's page code holds (quizgen/exams/sheets.py: PageCode)
TYPESET_TIMEOUT = 120  # seconds for one PDF in a worker (a paper takes ~0.1 s): then the workers are killed


@dataclass(frozen=True)
class _Typeset:
    """One PDF for a worker to make: with Typst from the template's JSON data, or with pdflatex from LaTeX source."""

    engine: str  # "typst" or "pdflatex"
    source: str
    target: Path
    what: str  # names the document in errors
    day: datetime.date | None
    sheet: dict[str, str] | None = None  # an answer sheet's page-code parts: each page gets its QR code
    layout: Path | None = None  # an answer sheet's layout file (quizgen/exams/layout.py)


class _Finished:
    """A result made in this process, read like a pool's AsyncResult."""

    def __init__(self, value: Any):
        self.value = value

    def get(self, timeout: float | None = None) -> Any:
        return self.value


class _InProcess:
    """The pool's apply_async, run at once in this process (one worker, or a small batch)."""

    def apply_async(self, function: Callable, arguments: tuple) -> _Finished:
        return _Finished(function(*arguments))


def papers_for(spec: ExamSpec, versions: int | None, roster: Path | None) -> tuple[str, list[PaperKey]]:
    """("versions", A, B, ...) or ("roster", one per student): the command line wins over the spec."""
    if versions is not None and roster is not None:
        raise QuizgenError("give --versions or --roster, not both")
    if roster is not None:
        return "roster", load_roster(roster)
    if versions is not None:
        return "versions", [PaperKey("version", label) for label in version_labels(versions)]
    if spec.roster is not None:
        return "roster", load_roster(spec.roster)
    return "versions", [PaperKey("version", label) for label in version_labels(spec.versions or 1)]


def file_names(paper: PaperKey, latex_pdf: bool, sheets: bool = False) -> dict[str, str]:
    """The files of one paper, relative to the output folder."""
    names = {
        "paper": f"paper-{paper.key}.pdf",
        "key": f"key-{paper.key}.pdf",
        "paper_tex": f"latex/paper-{paper.key}.tex",
        "key_tex": f"latex/key-{paper.key}.tex",
    }
    if sheets:
        names["layout"] = f"sheets/{paper.key}.json"  # where the scan reader finds each bubble
    if latex_pdf:
        names["paper_latex_pdf"] = f"latex/paper-{paper.key}.pdf"
        names["key_latex_pdf"] = f"latex/key-{paper.key}.pdf"
    return names


def _suffix(part: tuple[int, int] | None) -> str:
    return f"-{part[0]}-of-{part[1]}" if part else ""


def build_exam(
    spec: ExamSpec,
    bank: Bank,
    papers: list[PaperKey],
    out: Path,
    seed: int | None = None,
    mode: str = "versions",
    part: tuple[int, int] | None = None,
    latex_pdf: bool = False,
    workers: int | None = None,
    progress: Callable[[int], Any] | None = None,
    sheets: bool = False,
    force: bool = False,
    beside: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Write every paper of ``papers`` (or of the ``part`` = (K, N) slice) and return the manifest written.

    A folder that holds another build (its manifest says another spec, seed, bank, mode or
    roster size) is refused, unless ``force``: then that build's files are removed first.
    ``beside``: files the caller writes into ``out`` after the build ({"moodle": "moodle.xml"}),
    named in the manifest's files so that a later ``force`` removes them with the build's own.
    """
    from .latex import pdflatex

    seed = spec.seed if seed is None else seed
    if latex_pdf:
        pdflatex()  # a clear error before any work
    selected = shard(papers, *part) if part else list(papers)
    if not selected:
        raise QuizgenError(f"--shard {part[0]}/{part[1]}: this slice of {len(papers)} papers is empty (use at most {len(papers)} shards)" if part else "no papers to build")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise QuizgenError(f"--out {out}: exists and is not a folder")
    identity = {"spec": Path(spec.source).name, "seed": seed, "bank_fingerprint": bank.fingerprint, "mode": mode, "papers_total": len(papers),
                "sheets": bool(sheets)}
    _check_previous(out, identity, force)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent if str(out.parent) else "."))
    except OSError as error:
        raise QuizgenError(f"--out {out}: cannot write there ({error.strerror or error})") from None
    try:
        with _frozen_heap():
            manifest = _build_into(staging, spec, bank, papers, selected, seed, mode, part, latex_pdf, workers, progress, sheets, beside or {})
        _move_into(staging, out, last=f"manifest{_suffix(part)}.json")
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)  # the folder this build made holds nothing finished
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    save_conversions()  # the next build starts with this one's formula shapes
    return manifest


@contextlib.contextmanager
def _frozen_heap():
    """The objects made before the build (the bank, its compiled templates, sympy) out of the garbage collector's sight.

    The build makes many short-lived objects, and each full collection would walk the
    whole heap again (a tenth of a second per build); forked workers then leave the
    inherited pages unwritten too. The objects go back under collection at the end, unless
    the caller had frozen some itself.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _check_previous(out: Path, identity: dict[str, Any], force: bool) -> None:
    """Refuse (or, with ``force``, clear) a folder whose manifest is of another build: its papers would stay beside these."""
    if not out.is_dir():
        return
    for path in sorted(out.glob("manifest*.json")):
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if isinstance(old, dict):
            found = {**{k: old.get(k) for k in identity}, "sheets": bool(old.get("sheets"))}
            if found == identity:
                continue  # the same build again, or another shard of it
        if not force:
            what = f"{old.get('papers_total')} papers ({old.get('mode')}) of {old.get('spec')}, seed {old.get('seed')}" if isinstance(old, dict) else "an unreadable manifest"
            raise QuizgenError(f"--out {out}: holds another build ({path.name}: {what}); give another folder, or --force to replace it")
        _remove_build(out, path, old if isinstance(old, dict) else {})


def _remove_build(out: Path, manifest: Path, old: dict[str, Any]) -> None:
    """The files an earlier build's manifest names (never anything outside ``out``), then the manifest."""
    names = list((old.get("files") or {}).values())
    for paper in old.get("papers") or []:
        names += list((paper.get("files") or {}).values()) if isinstance(paper, dict) else []
    root = out.resolve()
    for name in names:
        target = (out / str(name)).resolve()
        if target.is_file() and root in target.parents:
            target.unlink()
    manifest.unlink()


def _move_into(staging: Path, out: Path, last: str) -> None:
    """Every file built in ``staging`` into ``out`` (replacing older ones), the manifest last: --out never looks finished early."""
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != last)
    for path in files + [staging / last]:
        target = out / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)


def _build_into(
    out: Path, spec: ExamSpec, bank: Bank, papers: list[PaperKey], selected: list[PaperKey], seed: int, mode: str,
    part: tuple[int, int] | None, latex_pdf: bool, workers: int | None, progress: Callable[[int], Any] | None, sheets: bool = False,
    beside: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The whole build, written into ``out`` (a staging folder): PDFs, LaTeX, combined PDFs, then the manifest."""
    from .papers import typst_started

    (out / "latex").mkdir()
    if sheets:
        (out / "sheets").mkdir()

    count = min(workers or os.cpu_count() or 1, 2 * len(selected))  # a paper and its key typeset side by side
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    # Typst runs in workers, which the build can kill when a document takes too long. Only
    # where a worker would cost more than the papers themselves does this process typeset:
    # a small batch once Typst runs here (its threads would not survive a fork, and a spawned
    # worker takes a second to start), or one worker where workers must be spawned.
    in_process = (typst_started() and len(selected) < SMALL_BATCH) or (count == 1 and method == "spawn")
    if typst_started() and not in_process:
        method = "spawn"
    suffix = _suffix(part)
    combined = {"all_papers": f"all-papers{suffix}.pdf", "all_keys": f"all-keys{suffix}.pdf"}
    files = {**combined, "answers_template": f"answers-template{suffix}.csv", **(beside or {})}
    if not in_process and method == "fork":
        import pikepdf  # noqa: F401  (the workers combine the PDFs: imported once here, not in each of them)
    pool = None if in_process else multiprocessing.get_context(method).Pool(count, initializer=_warm_up)
    try:
        batch = _Batch(spec, bank, seed, out, latex_pdf, pool or _InProcess(), progress, _sheets(spec, bank, seed) if sheets else None)
        for paper in selected:
            batch.start(paper)
            while len(batch.in_flight) > AHEAD * count:
                batch.finish_oldest()
        entries = batch.finish_all()
        merges = [batch.workers.apply_async(_combine, _combine_arguments(spec, out, entries, kind, combined[name])) for kind, name in (("paper", "all_papers"), ("key", "all_keys"))]
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "quizgen": __version__,
            "title": spec.title,
            "course": spec.course,
            "date": spec.date,
            "spec": Path(spec.source).name,
            "seed": seed,
            "bank_fingerprint": bank.fingerprint,
            "mode": mode,
            "papers_total": len(papers),
            "sheets": {"check": batch.sheets[1], "code": CODE_FORMAT} if batch.sheets else None,
            "shard": {"index": part[0], "count": part[1]} if part else None,
            "files": files,
            "papers": [{k: v for k, v in e.items() if k != "heading"} for e in entries],
        }
        with atomic_writer(out / files["answers_template"]) as stream:  # for typed answers: quizgen grade reads it back
            stream.write(answers_template({paper["key"]: paper for paper in manifest["papers"]}))
        text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n"  # while the workers combine the PDFs
        for merge in merges:
            merge.get()
        if pool:
            pool.close()  # the workers exit while the manifest is written
    except BaseException:
        if pool:
            pool.terminate()  # stop the other workers at once
            pool.join()
        raise
    try:
        with atomic_writer(out / f"manifest{suffix}.json") as stream:
            stream.write(text)
    finally:
        if pool:
            pool.join()
    return manifest


class _Batch:
    """Papers in flight: this process makes a paper's questions and hands its PDFs to the workers;
    when the paper is the oldest in flight it writes its LaTeX (so the workers are fed first)
    and waits for its PDFs. Papers finish in the order they were started."""

    def __init__(self, spec: ExamSpec, bank: Bank, seed: int, out: Path, latex_pdf: bool, workers, progress: Callable[[int], Any] | None,
                 sheets: tuple[Any, str] | None = None):
        self.spec, self.bank, self.seed, self.out, self.latex_pdf, self.workers, self.progress = spec, bank, seed, out, latex_pdf, workers, progress
        self.in_flight: deque[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = deque()  # (document, file names, pending PDFs)
        self.latex_pdfs: deque[Any] = deque()  # pending pdflatex runs
        self.sheets = sheets  # (grid sizer, build check) when the papers are answer sheets
        self.entries: list[dict[str, Any]] = []

    def start(self, paper: PaperKey) -> None:
        from .papers import describe, typst_json

        document = paper_document(self.spec, self.bank, paper, self.seed)
        if self.sheets:
            from .sheets import attach_sheets

            attach_sheets(document, *self.sheets)
        names = file_names(paper, self.latex_pdf, bool(self.sheets))
        pending = {}
        for mode in ("paper", "key"):
            sheet = document.get("sheet") if mode == "paper" else None
            layout = self.out / names["layout"] if sheet else None
            job = _Typeset("typst", typst_json(document, mode), self.out / names[mode], describe(document, mode), self.spec.day, sheet, layout)
            pending[mode] = self.workers.apply_async(_typeset, (job,))
        self.in_flight.append((document, names, pending))

    def finish_oldest(self) -> None:
        from .figure_pdf import figure_pdf, latex_figures
        from .latex import render_latex
        from .papers import describe

        document, names, pending = self.in_flight.popleft()
        for name, svg in latex_figures(document):  # the figures' PDFs beside the .tex files (a millisecond each)
            (self.out / "latex" / name).parent.mkdir(exist_ok=True)
            _write_bytes(self.out / "latex" / name, figure_pdf(svg))
        for mode in ("paper", "key"):
            source = render_latex(document, mode)
            _write_text(self.out / names[f"{mode}_tex"], source)
            if self.latex_pdf:
                job = _Typeset("pdflatex", source, self.out / names[f"{mode}_latex_pdf"], describe(document, mode), self.spec.day)
                self.latex_pdfs.append(self.workers.apply_async(_typeset, (job,)))
        while len(self.latex_pdfs) > 2 * AHEAD:
            self.latex_pdfs.popleft().get()
        entry = manifest_entry(document, names)
        try:
            entry["pages"] = {mode: _wait(pending[mode], describe(document, mode)) for mode in ("paper", "key")}
        except QuizgenError as error:
            raise QuizgenError(f"{error}{_culprit(self.bank, document)}") from None
        entry["heading"] = document["paper"]["heading"]
        self.entries.append(entry)
        if self.progress:
            self.progress(1)

    def finish_all(self) -> list[dict[str, Any]]:
        """Wait for every paper; the manifest entries, in the order the papers were started."""
        while self.in_flight:
            self.finish_oldest()
        while self.latex_pdfs:
            self.latex_pdfs.popleft().get()
        return self.entries


def _sheets(spec: ExamSpec, bank: Bank, seed: int) -> tuple[Any, str]:
    """(grid sizer, build check) of a build whose papers are answer sheets."""
    from ..inputs import read_text
    from .sheets import GridSizer, build_check

    return GridSizer(bank, seed), build_check(bank.fingerprint, seed, read_text(Path(spec.source), "exam spec"))


def _culprit(bank: Bank, document: dict[str, Any]) -> str:
    """Which template and field of a paper Typst could not typeset (' — in <file>: <field>: ...'), if one can be found."""
    from ..engine.generate import make_variant, parse_code
    from ..formats.records import variant_record
    from .check import refused_snippet

    for question in document["questions"]:
        template = bank.get(question["template"])
        refused = refused_snippet(variant_record(make_variant(template, *parse_code(template.id, question["code"]))))
        if refused:
            return f" — in {template.source}: {refused[0]}: the math '{refused[1]}'"
    return ""


def _wait(result: Any, what: str) -> Any:
    """A worker's result; a document that takes longer than TYPESET_TIMEOUT stops the build (the workers are killed)."""
    try:
        return result.get(timeout=TYPESET_TIMEOUT)
    except multiprocessing.TimeoutError:
        raise RenderError(f"{what}: typesetting took longer than {TYPESET_TIMEOUT} s, so the build was stopped") from None


def _warm_up() -> None:
    """A worker imports what it uses while this process makes the first questions.

    Ctrl-C reaches every process of the terminal's group: the workers leave it to this
    process, which stops them (terminate: SIGTERM, which ends a worker at once, quietly).
    """
    quiet_worker()
    import pikepdf  # noqa: F401
    import typst  # noqa: F401


def _typeset(job: _Typeset) -> int | None:
    """Make, check and write one PDF; its page count (Typst). Errors cross the process boundary as plain QuizgenErrors."""
    from .latex import compile_pdf
    from .papers import compile_typst

    try:
        if job.engine == "pdflatex":
            compile_pdf(job.source, job.target, job.day)
            return None
        if job.sheet:
            pdf, pages, marks = _sheet_pdf(job)
            _write_layout(job, pages, marks)
        else:
            pdf = compile_typst(job.source, job.what, job.day)
            pages = _page_count(pdf, job.target.name)
        _write_bytes(job.target, pdf)
        return pages
    except QuizgenError as error:
        raise QuizgenError(str(error)) from None


SHEET_PAGES = 6  # page codes made before the first compile of a sheet; a longer paper is compiled again with its own count


def _sheet_pdf(job: _Typeset) -> tuple[bytes, int, list[dict[str, Any]]]:
    """An answer sheet's PDF, its page count and its layout: every page with its QR code.

    The codes are made here, in the worker, for the pages there are.
    """
    from .papers import compile_typst, sheet_marks
    from .sheets import page_codes

    count = SHEET_PAGES
    while True:
        pdf = compile_typst(job.source, job.what, job.day, codes=page_codes(job.sheet, count))
        pages = _page_count(pdf, job.target.name)
        if pages <= count:
            return pdf, pages, sheet_marks(job.what)  # unused codes are never drawn: the bytes do not depend on the count
        count = pages


def _write_layout(job: _Typeset, pages: int, marks: list[dict[str, Any]]) -> None:
    """The sheet's layout file: the page code's parts, the page count and every readable item's position (mm)."""
    from .layout import items_from_query

    layout = {"paper": job.sheet["paper"], "check": job.sheet["check"], "pages": pages, "items": items_from_query(marks, job.what)}
    job.layout.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(job.layout) as stream:
        stream.write(json.dumps(layout, ensure_ascii=False, separators=(",", ":")) + "\n")


def _write_bytes(path: Path, data: bytes) -> None:
    """A file of the staging folder: written in place (the folder is this build's own, and moved into --out only once all is done)."""
    with open(path, "wb") as stream:
        stream.write(data)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)


# The page tree Typst writes first: object 1, its page count and its pages.
_TYPST_PAGES = re.compile(rb"%PDF-1\.\d\n%[^\n]*\n\n1 0 obj\n<</Type/Pages/Count (\d+)/Kids\[((?:\d+ 0 R ?)*)\]>>\nendobj\n")


def _page_count(pdf: bytes, name: str) -> int:
    """A PDF's page count, read from the page tree Typst writes at its start (a page tree of any other form: read by pikepdf).

    Each PDF is read whole when the combined PDFs are made from it, before the build is
    moved into --out: a PDF that does not parse is never left behind.
    """
    tree = _TYPST_PAGES.match(pdf)
    if tree and pdf.endswith(b"%%EOF") and int(tree.group(1)) == tree.group(2).count(b" R") >= 1:
        return int(tree.group(1))
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            pages = len(document.pages)
    except (pikepdf.PdfError, ValueError) as error:
        raise RenderError(f"{name}: the PDF does not parse ({error})") from None
    if pages < 1:
        raise RenderError(f"{name}: the PDF has no pages")
    return pages


def _combine_arguments(spec: ExamSpec, out: Path, entries: list[dict[str, Any]], kind: str, name: str) -> tuple:
    what = "all papers" if kind == "paper" else "all answer keys"
    return out / name, [out / e["files"][kind] for e in entries], [e["heading"] for e in entries], f"{spec.title}: {what}"


def _padding_page(pdf: Any, size: tuple[float, float], heading: str) -> None:
    """The blank page that starts the next paper on a new sheet, saying whose paper it ends (a loose sheet is then placed)."""
    import pikepdf

    page = pdf.add_blank_page(page_size=size)
    text = "".join(c for c in f"{heading}: this page is left blank" if c.isprintable()).encode("cp1252", "replace")
    text = text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")  # a PDF string holds the text as data
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding)
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(b"BT /F1 9 Tf 0.35 g 62 31 Td (" + text + b") Tj ET")


def _combine(target: Path, parts: list[Path], headings: list[str], title: str) -> None:
    """One print-ready PDF: every part in order, each padded to an even page count, with a bookmark per part.

    pikepdf (qpdf) copies the pages without parsing their content: some 20 times faster than pypdf here.
    """
    import pikepdf

    combined = pikepdf.new()
    opened = []
    with combined.open_outline() as outline:
        for part, heading in zip(parts, headings):
            try:
                source = pikepdf.open(part)
            except (pikepdf.PdfError, ValueError) as error:
                raise RenderError(f"{part.name}: the PDF does not parse ({error})") from None
            opened.append(source)
            if len(source.pages) < 1:
                raise RenderError(f"{part.name}: the PDF has no pages")
            outline.root.append(pikepdf.OutlineItem(heading, len(combined.pages)))
            combined.pages.extend(source.pages)
            if len(source.pages) % 2:
                box = source.pages[-1].mediabox
                _padding_page(combined, (float(box[2]) - float(box[0]), float(box[3]) - float(box[1])), heading)
    combined.docinfo["/Title"] = title
    combined.docinfo["/Producer"] = f"quizgen {__version__}"
    buffer = io.BytesIO()
    combined.save(buffer, deterministic_id=True)
    for source in opened:
        source.close()
    _write_bytes(target, buffer.getvalue())
