"""Benchmark: the exam build beside Typst's own compile time (the floor), and papers+keys per second.

Prints numbers; asserts nothing. The example midterm and a 40-student roster; each
student's paper and key count as two documents. Targets (issue 19): the build within 1.2x
of the floor, and at least 30 papers+keys per second on 2 cores.

Each run is a fresh process, as one `quizgen exam build` is: loading the bank and the spec
happens before the clock starts; the clock covers making every variant, the Typst PDFs,
the LaTeX sources, the combined PDFs and the manifest. Then, in the same run, the floor:
the Typst inputs of the documents the build wrote, made again (a paper is a pure function
of the spec, the bank, the seed and the student) and compiled alone, on as many worker
processes as the build had, each with the build's compiler (quizgen.exams.papers) started
before the clock; every PDF must come out byte-identical to the file the build wrote, so
the two timings are of the same documents. The floor's CPU time is the workers' own, over
the compiles; its wall time runs from the first compile's start to the last one's end.
The ratio build/floor is printed for CPU time (what the machine's other load moves least)
and for wall time.

The runs share a cache folder of their own (quizgen.cache), empty at the start: the first
run is a machine's first build, which also converts the formula shapes from TeX to Typst;
the later runs are every later build. The machine's other load moves single runs by 10% or
more, so several later runs are made and their median is what the targets are read
against. With pdflatex on PATH it also times `--latex-pdf` (two pdflatex passes per
document) on the first --latex-students students.

    python bench/bench_exam.py [--students 40] [--jobs 2] [--runs 5] [--latex-students 40]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizgen.engine.bank import load_bank
from quizgen.exams.build import build_exam, file_names
from quizgen.exams.spec import load_roster, load_spec, paper_document

TARGET_RATIO = 1.2  # the build's time over the floor's
TARGET_RATE = 30  # papers+keys per second on 2 cores


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the workers, pdflatex)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def own_cpu_seconds() -> float:
    """CPU time of this process alone: the build's own work (variants, Typst data, LaTeX sources, figures' PDFs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def timed_build(spec, bank, papers, jobs: int, folder: Path, latex_pdf: bool = False) -> tuple[float, float, int, float]:
    """Wall seconds and CPU seconds to build ``papers`` into ``folder`` (fresh), the bytes written, and this process's share of the CPU time."""
    start, cpu, own = time.perf_counter(), cpu_seconds(), own_cpu_seconds()
    build_exam(spec, bank, papers, folder, mode="roster", latex_pdf=latex_pdf, workers=jobs)
    seconds, cpu, own = time.perf_counter() - start, cpu_seconds() - cpu, own_cpu_seconds() - own
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return seconds, cpu, size, own


def _floor_worker() -> None:
    """A floor worker: Typst and the build's compiler ready (its fonts load on first use, as in the build)."""
    from quizgen.exams.papers import _compiler

    _compiler()


def _floor_compile(job: tuple[str, str, object]) -> tuple[str, float, float, float]:
    """One document compiled alone: the PDF's digest, its start and end (monotonic clock, shared by the processes), its CPU time."""
    from quizgen.exams.papers import compile_typst

    data, what, day = job
    start, cpu = time.perf_counter(), time.process_time()
    pdf = compile_typst(data, what, day)
    cpu, end = time.process_time() - cpu, time.perf_counter()
    return hashlib.sha256(pdf).hexdigest(), start, end, cpu


def floor(spec, bank, papers, jobs: int, folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds Typst alone takes for the documents the build wrote into ``folder``, on ``jobs`` workers."""
    from quizgen.exams.papers import describe, typst_json

    jobs_in = []
    expected = []
    for paper in papers:
        document = paper_document(spec, bank, paper, spec.seed)
        names = file_names(paper, False)
        for mode in ("paper", "key"):
            jobs_in.append((typst_json(document, mode), describe(document, mode), spec.day))
            expected.append(hashlib.sha256((folder / names[mode]).read_bytes()).hexdigest())
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    with multiprocessing.get_context(method).Pool(jobs, initializer=_floor_worker) as pool:
        results = pool.map(_floor_compile, jobs_in, chunksize=1)
    if [digest for digest, *_ in results] != expected:
        raise SystemExit("floor: a PDF compiled alone differs from the one the build wrote: not the same documents")
    wall = max(end for _, _, end, _ in results) - min(start for _, start, _, _ in results)
    return wall, sum(cpu for *_, cpu in results)


def rate_on_free_cores(documents: int, seconds: float, cpu: float, jobs: int) -> float:
    """The rate the same CPU time gives when the cores it uses are free (others' load excluded)."""
    cores = min(jobs, os.cpu_count() or 1)
    return documents / max(cpu / cores, seconds / 50)


def report(name: str, documents: int, seconds: float, cpu: float, jobs: int, extra: str = "") -> None:
    """Measured rate, and the rate the same CPU time gives when the cores it uses are free."""
    cores = min(jobs, os.cpu_count() or 1)
    print(f"{name:9s} {documents} papers+keys in {seconds:.2f} s = {documents / seconds:.1f} papers+keys/s measured; "
          f"{cpu:.1f} CPU-s, so {rate_on_free_cores(documents, seconds, cpu, jobs):.1f} papers+keys/s on {cores} free cores{extra}")


def report_run(name: str, run: dict, jobs: int, extra: str = "") -> None:
    """A build, the floor of its documents, and their ratios."""
    report(name, run["documents"], run["seconds"], run["cpu"], jobs, extra)
    report("  floor:", run["documents"], run["floor_seconds"], run["floor_cpu"], jobs, " (Typst alone, the same documents)")
    print(f"  build/floor: CPU {run['cpu'] / run['floor_cpu']:.2f}, wall {run['seconds'] / run['floor_seconds']:.2f} (target <= {TARGET_RATIO}); "
          f"the build's CPU: {run['parent_cpu']:.1f} s in the main process (variants, Typst data, LaTeX, figures' PDFs), "
          f"{run['cpu'] - run['parent_cpu']:.1f} s in the workers (Typst, combined PDFs)")


def one_run(arguments: argparse.Namespace) -> None:
    """One timed Typst build in this (fresh) process, then its floor; prints the numbers as JSON for main()."""
    bank = load_bank()
    spec = load_spec(ROOT / "examples" / "midterm.toml", bank)
    roster = load_roster(ROOT / "examples" / "roster.csv")[: arguments.students]
    with tempfile.TemporaryDirectory(prefix="quizgen-bench-") as folder:
        seconds, cpu, size, own = timed_build(spec, bank, roster, arguments.jobs, Path(folder) / "build")
        floor_seconds, floor_cpu = floor(spec, bank, roster, arguments.jobs, Path(folder) / "build")
    print(json.dumps({"documents": 2 * len(roster), "seconds": seconds, "cpu": cpu, "size": size, "floor_seconds": floor_seconds, "floor_cpu": floor_cpu,
                      "parent_cpu": own}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="students of examples/roster.csv to build (at most 40)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--runs", type=int, default=5, help="Typst runs after the first, each in a fresh process (their median is reported)")
    parser.add_argument("--latex-students", type=int, default=40, help="students for the pdflatex run (0: skip it)")
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one_run:
        one_run(arguments)
        return

    start = time.perf_counter()
    bank = load_bank()
    spec = load_spec(ROOT / "examples" / "midterm.toml", bank)
    roster = load_roster(ROOT / "examples" / "roster.csv")[: arguments.students]
    print(f"setup: bank ({len(bank.templates)} templates) and spec loaded in {time.perf_counter() - start:.2f} s")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} before the runs (numbers are lower on a busy machine)")

    command = [sys.executable, __file__, "--one-run", "--students", str(arguments.students), "--jobs", str(arguments.jobs)]
    with tempfile.TemporaryDirectory(prefix="quizgen-bench-cache-") as cache:
        environment = {**os.environ, "QUIZGEN_CACHE_DIR": cache}
        runs = [json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout) for _ in range(1 + arguments.runs)]
    first, runs = runs[0], runs[1:]
    report_run("first:", first, arguments.jobs, " (a machine's first build: empty cache)")
    for run in runs:
        report_run("typst:", run, arguments.jobs)
    if runs:
        middle = {key: sorted(run[key] for run in runs)[len(runs) // 2] for key in runs[0]}  # each figure's median
        report_run("median:", middle, arguments.jobs, f" ({middle['size'] / 1e6:.1f} MB written)")
        ceiling = rate_on_free_cores(middle["documents"], middle["floor_seconds"], middle["floor_cpu"], arguments.jobs)
        built = rate_on_free_cores(middle["documents"], middle["seconds"], middle["cpu"], arguments.jobs)
        verdict = "within reach" if ceiling >= TARGET_RATE else "out of reach: Typst alone, on the same documents, is slower than that"
        print(f"target:   >= {TARGET_RATE} papers+keys/s on 2 cores: the build makes {built:.1f}/s on free cores, "
              f"the floor allows at most {ceiling:.1f}/s ({verdict})")

    if arguments.latex_students <= 0:
        return
    if not shutil.which("pdflatex"):
        print("pdflatex: not on PATH, skipped")
        return
    subset = roster[: arguments.latex_students]
    with tempfile.TemporaryDirectory(prefix="quizgen-bench-") as folder:
        seconds, cpu, _, _ = timed_build(spec, bank, subset, arguments.jobs, Path(folder) / "build", latex_pdf=True)
    report("pdflatex:", 2 * len(subset), seconds, cpu, arguments.jobs, " (Typst PDFs too, plus two pdflatex passes per LaTeX document)")


if __name__ == "__main__":
    main()
