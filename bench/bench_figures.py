"""Benchmark: what figures cost the exam build (the example midterm and a 40-student roster).

Prints numbers; asserts nothing. Target: figures cost under 10 % of the build rate. Each run
is a fresh process, as one `quizgen exam build` is, timed as bench_exam.py times it (every
variant, the Typst PDFs, the LaTeX sources and the figures' PDFs beside them, the combined
PDFs, the manifest). Runs with figures and without (every template's figures removed after
the bank is loaded) alternate, so the machine's other load falls on both alike; the medians
are compared. The runs share a cache folder of their own, warmed by a first run.

    python bench/bench_figures.py [--students 40] [--jobs 2] [--runs 5]

Measured on the 2-core development machine, busy with other work (load average about 4),
40 students, 7 runs of each: with figures a median of 8.2 papers+keys/s and 9.9 CPU-s,
without 8.4 papers+keys/s and 9.6 CPU-s: figures cost 2.2 % of the rate, 3.4 % of the CPU
time (149 figures, each drawn as SVG, embedded in the Typst paper or key, and written as a
PDF beside the LaTeX sources). Before the LaTeX figures' PDFs were written directly (they
were converted by Typst, 5 ms each, in worker jobs), the cost was 12 % of the CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from quizgen.engine.bank import load_bank  # noqa: E402
from quizgen.exams.spec import load_roster, load_spec  # noqa: E402


def one_run(arguments: argparse.Namespace) -> None:
    bank = load_bank()
    if arguments.no_figures:
        for template in bank.templates.values():
            template.figures = []
    spec = load_spec(ROOT / "examples" / "midterm.toml", bank)
    roster = load_roster(ROOT / "examples" / "roster.csv")[: arguments.students]
    with tempfile.TemporaryDirectory(prefix="quizgen-bench-") as folder:
        from quizgen.exams.build import build_exam

        start, cpu = time.perf_counter(), cpu_seconds()
        build_exam(spec, bank, roster, Path(folder), mode="roster", workers=arguments.jobs)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        figures = len(list((Path(folder) / "latex" / "figures").glob("*.pdf"))) if (Path(folder) / "latex" / "figures").is_dir() else 0
    print(json.dumps({"documents": 2 * len(roster), "seconds": seconds, "cpu": cpu, "figure_pdfs": figures}))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the workers): less moved by the machine's other load than wall time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="students of examples/roster.csv to build (at most 40)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--runs", type=int, default=5, help="runs of each kind after the warm-up")
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-figures", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one_run:
        one_run(arguments)
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the runs")
    command = [sys.executable, __file__, "--one-run", "--students", str(arguments.students), "--jobs", str(arguments.jobs)]
    results: dict[bool, list[dict]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="quizgen-bench-cache-") as cache:
        environment = {**os.environ, "QUIZGEN_CACHE_DIR": cache}

        def run(figures: bool) -> dict:
            extra = [] if figures else ["--no-figures"]
            return json.loads(subprocess.run(command + extra, check=True, capture_output=True, text=True, env=environment).stdout)

        run(True)  # warm-up: fills the cache (formula shapes, texts)
        for _ in range(arguments.runs):
            for figures in (True, False):
                results[figures].append(run(figures))
    medians, cpus = {}, {}
    for figures in (True, False):
        ordered = sorted(results[figures], key=lambda r: r["seconds"])
        middle = ordered[len(ordered) // 2]
        medians[figures] = middle["documents"] / middle["seconds"]
        cpus[figures] = sorted(r["cpu"] for r in results[figures])[len(ordered) // 2]
        rates = ", ".join(f"{r['documents'] / r['seconds']:.1f}" for r in results[figures])
        label = "with figures:" if figures else "without:"
        print(f"{label:14s} median {medians[figures]:.1f} papers+keys/s (runs: {rates}), median {cpus[figures]:.1f} CPU-s; figure PDFs written: {middle['figure_pdfs']}")
    cost = (medians[False] - medians[True]) / medians[False] * 100
    print(f"cost of figures: {cost:.1f} % of the build rate, {(cpus[True] - cpus[False]) / cpus[False] * 100:.1f} % more CPU time (target < 10 %)")


if __name__ == "__main__":
    main()
