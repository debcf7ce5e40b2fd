"""Benchmark: papers+keys per second for the example midterm and a 40-student roster.

Prints numbers; asserts nothing. Target: at least 20 papers+keys per second with Typst on
a 2-core machine (each student's paper and key count as two). Each Typst run is a fresh
process, as one `quizgen exam build` is: loading the bank and the spec happens before the
clock starts; the clock covers making every variant, the Typst PDFs, the LaTeX sources,
the combined PDFs and the manifest. The runs share a cache folder of their own
(quizgen.cache), empty at the start: the first run is a machine's first build, which also
converts the formula shapes from TeX to Typst; the later runs are every later build. The
machine's other load moves single runs by 10% or more, so several later runs are made and
their median is what the target is read against. With pdflatex on PATH it also times
`--latex-pdf` (two pdflatex passes per document) on the first --latex-students students.

    python bench/bench_exam.py [--students 40] [--jobs 2] [--runs 5] [--latex-students 40]
"""

from __future__ import annotations

import argparse
import json
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

from quizgen.engine.bank import load_bank  # noqa: E402
from quizgen.exams.build import build_exam  # noqa: E402
from quizgen.exams.spec import load_roster, load_spec  # noqa: E402


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the workers, pdflatex)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_build(spec, bank, papers, jobs: int, latex_pdf: bool = False) -> tuple[float, float, int]:
    """Wall seconds and CPU seconds to build ``papers`` into a fresh folder, and the bytes written."""
    with tempfile.TemporaryDirectory(prefix="quizgen-bench-") as folder:
        start, cpu = time.perf_counter(), cpu_seconds()
        build_exam(spec, bank, papers, Path(folder), mode="roster", latex_pdf=latex_pdf, workers=jobs)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        size = sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
    return seconds, cpu, size


def report(name: str, documents: int, seconds: float, cpu: float, jobs: int, extra: str = "") -> None:
    """Measured rate, and the rate the same CPU time gives when the cores it uses are free (others' load excluded)."""
    cores = min(jobs, os.cpu_count() or 1)
    idle = documents / max(cpu / cores, seconds / 50)
    print(f"{name:9s} {documents} papers+keys in {seconds:.2f} s = {documents / seconds:.1f} papers+keys/s measured; "
          f"{cpu:.1f} CPU-s, so {idle:.1f} papers+keys/s on {cores} free cores{extra}")


def one_run(arguments: argparse.Namespace) -> None:
    """One timed Typst build in this (fresh) process; prints its numbers as JSON for main()."""
    bank = load_bank()
    spec = load_spec(ROOT / "examples" / "midterm.toml", bank)
    roster = load_roster(ROOT / "examples" / "roster.csv")[: arguments.students]
    seconds, cpu, size = timed_build(spec, bank, roster, arguments.jobs)
    print(json.dumps({"documents": 2 * len(roster), "seconds": seconds, "cpu": cpu, "size": size}))


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
    report("first:", first["documents"], first["seconds"], first["cpu"], arguments.jobs, " (a machine's first build: empty cache)")
    for run in runs:
        report("typst:", run["documents"], run["seconds"], run["cpu"], arguments.jobs)
    middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    report("median:", middle["documents"], middle["seconds"], middle["cpu"], arguments.jobs, f" ({middle['size'] / 1e6:.1f} MB written; target >= 20/s on 2 cores)")

    if arguments.latex_students <= 0:
        return
    if not shutil.which("pdflatex"):
        print("pdflatex: not on PATH, skipped")
        return
    subset = roster[: arguments.latex_students]
    seconds, cpu, _ = timed_build(spec, bank, subset, arguments.jobs, latex_pdf=True)
    report("pdflatex:", 2 * len(subset), seconds, cpu, arguments.jobs, " (Typst PDFs too, plus two pdflatex passes per LaTeX document)")


if __name__ == "__main__":
    main()
