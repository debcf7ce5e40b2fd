"""Benchmark: scanned pages read per second, and the time to mark a 40-student class.

Prints numbers; asserts nothing. Target: at least 10 pages per second on a 2-core machine,
so a class of 300 is marked in a few minutes. The class is the example midterm built for a
roster of --students with answer sheets, filled in and scanned by the project's simulator
(quizgen/exams/scan_simulator.py) at --dpi; building and simulating happen before the
clock starts. The clock covers one `quizgen exam mark` run as the command makes it:
reading every page on every core, marking, and writing marks, grades, review and the
annotated copies. Reading alone (one core) is timed too.

    python bench/bench_scan.py [--students 40] [--dpi 200] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import quizgen  # noqa: E402
from quizgen.exams.scan_simulator import simulate, write_pdf  # noqa: E402
from quizgen.marking import scans as marking  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    arguments = parser.parse_args()
    bank = quizgen.load_bank()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        roster = work / "roster.csv"
        with roster.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(["id", "name"])
            writer.writerows([f"s{2026000 + n}", f"Student {n}"] for n in range(arguments.students))
        build = work / "build"
        quizgen.build_exam(ROOT / "examples" / "midterm.toml", build, roster=roster, sheets=True, bank=bank)
        started = time.perf_counter()
        scan = simulate(build, bank, seed=1, dpi=arguments.dpi)
        simulated = time.perf_counter() - started
        scans = work / "scans.pdf"
        write_pdf(scan, scans)
        pages = len(scan.pages)
        print(f"class: {arguments.students} students, {pages} pages at {arguments.dpi} dpi ({scans.stat().st_size / 1e6:.0f} MB); simulated in {simulated:.1f} s")

        loaded = marking.load_build(build)
        started = time.perf_counter()
        marking.read_pages(loaded, [scans], arguments.dpi, workers=1)
        one_core = time.perf_counter() - started
        print(f"reading alone, 1 core: {pages / one_core:.1f} pages/s ({one_core / pages * 1000:.0f} ms a page)")

        started = time.perf_counter()
        summary = quizgen.mark_exam(build, [scans], work / "results", bank=bank, dpi=arguments.dpi, jobs=arguments.jobs)
        whole = time.perf_counter() - started
        print(f"exam mark, {arguments.jobs} workers: {whole:.1f} s for the class = {pages / whole:.1f} pages/s "
              f"(target >= 10); {summary.review} marks to review, {summary.page_problems} page problems")
        print(f"a class of 300 at this speed: {300 * pages / arguments.students / (pages / whole) / 60:.1f} min")


if __name__ == "__main__":
    main()
