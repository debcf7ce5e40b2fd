"""Build an exam: each paper's PDFs and LaTeX, the combined PDFs and the manifest, on every core.

Each paper is a pure function of (spec, bank, seed, paper key), so papers are built in
worker processes in any order and written by the workers themselves, one file at a
time (atomically): the parent holds only the small manifest entries, in roster order.
The combined print-ready PDFs are assembled from the written files at the end (pikepdf),
each paper padded to an even page count so that double-sided printing starts every
paper on a new sheet.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .bank import Bank, load_bank
from .errors import QuizgenError, RenderError
from .exam import MANIFEST_SCHEMA, ExamSpec, PaperKey, load_roster, manifest_entry, paper_document, shard, version_labels
from .outputs import atomic_write_bytes, atomic_writer

SMALL_BATCH = 16  # papers: below this, a process that has already run Typst builds them itself


@dataclass
class _Job:
    """What every worker needs; ``bank`` is None when the worker is spawned and loads it from ``bank_root``."""

    spec: ExamSpec
    seed: int
    out: Path
    latex_pdf: bool
    bank: Bank | None
    bank_root: Path


_JOB: _Job | None = None


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


def file_names(paper: PaperKey, latex_pdf: bool) -> dict[str, str]:
    """The files of one paper, relative to the output folder."""
    names = {
        "paper": f"paper-{paper.key}.pdf",
        "key": f"key-{paper.key}.pdf",
        "paper_tex": f"latex/paper-{paper.key}.tex",
        "key_tex": f"latex/key-{paper.key}.tex",
    }
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
) -> dict[str, Any]:
    """Write every paper of ``papers`` (or of the ``part`` = (K, N) slice) and return the manifest written."""
    from .latex import pdflatex
    from .papers import typst_started

    seed = spec.seed if seed is None else seed
    if latex_pdf:
        pdflatex()  # a clear error before any work
    selected = shard(papers, *part) if part else list(papers)
    if not selected:
        raise QuizgenError(f"--shard {part[0]}/{part[1]}: this slice of {len(papers)} papers is empty (use at most {len(papers)} shards)" if part else "no papers to build")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise QuizgenError(f"--out {out}: exists and is not a folder")
    (out / "latex").mkdir(parents=True, exist_ok=True)

    count = min(workers or os.cpu_count() or 1, len(selected))
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    if count > 1 and typst_started():  # Typst's threads would not survive a fork of this process
        count, method = (1, method) if len(selected) < SMALL_BATCH else (count, "spawn")
    # A forked worker shares the loaded bank; a spawned one loads it again.
    job = _Job(spec, seed, out, latex_pdf, bank if count == 1 or method == "fork" else None, Path(bank.root))
    suffix = _suffix(part)
    combined = {"all_papers": f"all-papers{suffix}.pdf", "all_keys": f"all-keys{suffix}.pdf"}
    entries = []
    if count == 1:
        _start(job)
        for paper in selected:
            entries.append(_build_paper(paper))
            if progress:
                progress(1)
        for kind, name in (("paper", "all_papers"), ("key", "all_keys")):
            _combine(*_combine_arguments(spec, out, entries, kind, combined[name]))
    else:
        context = multiprocessing.get_context(method)
        with context.Pool(count, initializer=_start, initargs=(job,)) as pool:
            for entry in pool.imap(_build_paper, selected, chunksize=1):
                entries.append(entry)
                if progress:
                    progress(1)
            merges = [pool.apply_async(_combine, _combine_arguments(spec, out, entries, kind, combined[name])) for kind, name in (("paper", "all_papers"), ("key", "all_keys"))]
            for merge in merges:
                merge.get()
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
        "shard": {"index": part[0], "count": part[1]} if part else None,
        "files": combined,
        "papers": [{k: v for k, v in e.items() if k != "heading"} for e in entries],
    }
    with atomic_writer(out / f"manifest{suffix}.json") as stream:
        stream.write(json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    return manifest


def _start(job: _Job) -> None:
    global _JOB
    if job.bank is None:
        job.bank = load_bank(job.bank_root, collect_errors=True)  # as the command loaded it: a broken file is left out
    _JOB = job


def _build_paper(paper: PaperKey) -> dict[str, Any]:
    """Make, check and write one paper's files; errors cross the process boundary as plain QuizgenErrors."""
    try:
        return _write_paper(_JOB, paper)  # type: ignore[arg-type]
    except QuizgenError as error:
        raise QuizgenError(str(error)) from None


def _write_paper(job: _Job, paper: PaperKey) -> dict[str, Any]:
    from .latex import compile_pdf, render_latex
    from .papers import render_pdf

    document = paper_document(job.spec, job.bank, paper, job.seed)  # type: ignore[arg-type]
    names = file_names(paper, job.latex_pdf)
    pages = {}
    for mode in ("paper", "key"):
        pdf = render_pdf(document, mode, job.spec.day)
        pages[mode] = _page_count(pdf, f"{names[mode]}")
        atomic_write_bytes(job.out / names[mode], pdf)
        source = render_latex(document, mode)
        with atomic_writer(job.out / names[f"{mode}_tex"]) as stream:
            stream.write(source)
        if job.latex_pdf:
            compile_pdf(source, job.out / names[f"{mode}_latex_pdf"], job.spec.day)
    entry = manifest_entry(document, names)
    entry["pages"] = pages
    entry["heading"] = paper.heading
    return entry


def _page_count(pdf: bytes, name: str) -> int:
    """Every PDF is read back before it is written: a PDF that does not parse is never left behind."""
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


def _combine(target: Path, parts: list[Path], headings: list[str], title: str) -> None:
    """One print-ready PDF: every part in order, each padded to an even page count, with a bookmark per part.

    pikepdf (qpdf) copies the pages without parsing their content: some 20 times faster than pypdf here.
    """
    import pikepdf

    combined = pikepdf.new()
    opened = []
    with combined.open_outline() as outline:
        for part, heading in zip(parts, headings):
            source = pikepdf.open(part)
            opened.append(source)
            outline.root.append(pikepdf.OutlineItem(heading, len(combined.pages)))
            combined.pages.extend(source.pages)
            if len(source.pages) % 2:
                box = source.pages[-1].mediabox
                combined.add_blank_page(page_size=(float(box[2]) - float(box[0]), float(box[3]) - float(box[1])))
    combined.docinfo["/Title"] = title
    combined.docinfo["/Producer"] = f"quizgen {__version__}"
    buffer = io.BytesIO()
    combined.save(buffer, deterministic_id=True)
    for source in opened:
        source.close()
    atomic_write_bytes(target, buffer.getvalue())
