"""Make "scans" of a build's answer sheets, as if a class had filled them in and a scanner had read them.

    python examples/simulate_scans.py BUILD_DIR --out scans.pdf [--dpi 200] [--seed 1]

Every paper of the build (built with `quizgen exam build --sheets`) is filled in by a
simulated student: answers from the key, named mistakes or at random, ticked with full,
partial, faint and over-the-line marks, a few crossed out, stray marks besides. The pages
are then rotated, shifted, scaled, blurred, lit unevenly, noised and JPEG-compressed, shuffled
(a version paper's pages stay together, cover first) and some turned upside down, and
written as one PDF, as a sheet-feeding scanner would. Try the whole loop with it:

    quizgen exam build examples/midterm.toml --out midterm-sheets --roster examples/roster.csv --sheets
    python examples/simulate_scans.py midterm-sheets --out scans.pdf
    quizgen exam mark midterm-sheets scans.pdf --out results
"""

import argparse
from pathlib import Path

import quizgen
from quizgen.exams.scan_simulator import Style, simulate, write_pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", type=Path, help="the folder quizgen exam build --sheets wrote")
    parser.add_argument("--out", type=Path, required=True, help="the PDF of scans to write")
    parser.add_argument("--dpi", type=int, default=200, help="the scanner's resolution (150-300)")
    parser.add_argument("--seed", type=int, default=1, help="the class's answers and the scanner's faults")
    parser.add_argument("--clean", action="store_true", help="no distortion: a perfect scanner")
    arguments = parser.parse_args()
    scan = simulate(arguments.build, quizgen.load_bank(), seed=arguments.seed, dpi=arguments.dpi, style=Style(distort=not arguments.clean))
    write_pdf(scan, arguments.out)
    print(f"Wrote {arguments.out}: {len(scan.pages)} pages at {arguments.dpi} dpi")


if __name__ == "__main__":
    main()
