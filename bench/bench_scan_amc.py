"""Benchmark: auto-multiple-choice's own reading of a comparable exam, beside quizgen's (bench_scan.py).

Prints numbers; asserts nothing; needs Debian's auto-multiple-choice (apt-get install
auto-multiple-choice), and skips with a message without it. The exam: one copy per student
with the same blanks as the example midterm's first paper (a digit grid, AMC's
\\AMCnumericChoices, per numerical element, with the same digits, decimals and sign; the
multiple-choice questions as AMC choices) and an 8-digit student-ID grid. AMC lays out
the copies (prepare, meptex); the pages are rendered at --dpi and scanned by quizgen's
simulator (rotation, scale, perspective, blur, light, noise, JPEG; AMC wants them upright,
so none is turned over). The clock covers `auto-multiple-choice analyse --n-procs JOBS`:
finding the marks and measuring every box, which is what bench_scan.py's reading does.

    python bench/bench_scan_amc.py [--students 40] [--dpi 200] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import quizgen  # noqa: E402
from quizgen.exams.layout import load_items  # noqa: E402
from quizgen.exams.scan_simulator import distort, jpeg  # noqa: E402


def amc_source(build: Path, students: int) -> str:
    """AMC's LaTeX for the midterm's first paper: one question per numerical element, one per choice question."""
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    paper = manifest["papers"][0]
    items = load_items(json.loads((build / paper["files"]["layout"]).read_text(encoding="utf-8"))["items"])
    questions = []
    for n, item in enumerate(i for i in items if i.kind == "grid"):
        digits, decimals = int(item.info["integers"]) + int(item.info["decimals"]), int(item.info["decimals"])
        sign = "true" if item.info["signed"] else "false"
        questions.append(rf"\begin{{question}}{{n{n}}}Blank {n}.\AMCnumericChoices{{0}}{{digits={digits},decimals={decimals},sign={sign}}}\end{{question}}")
    for question in paper["questions"]:
        if question["options"]:
            choices = "".join(rf"\correctchoice{{{o['label']}}}" if o["correct"] else rf"\wrongchoice{{{o['label']}}}" for o in question["options"])
            questions.append(rf"\begin{{question}}{{m{question['number']}}}Choose.\begin{{choices}}{choices}\end{{choices}}\end{{question}}")
    body = "\n".join(questions)
    return ("\\documentclass[a4paper]{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage[T1]{fontenc}\n"
            "\\usepackage[box,completemulti]{automultiplechoice}\n\\begin{document}\n"
            f"\\onecopy{{{students}}}{{\n\\AMCcode{{etu}}{{8}}\n{body}\n\\clearpage\n}}\n\\end{{document}}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    arguments = parser.parse_args()
    if not shutil.which("auto-multiple-choice"):
        print("auto-multiple-choice is not installed (apt-get install auto-multiple-choice): nothing to compare")
        return
    import pypdfium2

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        build = work / "build"
        quizgen.build_exam(ROOT / "examples" / "midterm.toml", build, versions=1, sheets=True)
        project = work / "amc"
        for sub in ("data", "cr", "scans"):
            (project / sub).mkdir(parents=True)
        (project / "source.tex").write_text(amc_source(build, arguments.students), encoding="utf-8")
        run = lambda *command: subprocess.run(command, cwd=project, capture_output=True, text=True, check=True)  # noqa: E731
        # prepare exits 1 over its scoring check of numeric grids (their "good answers" are per digit); the layout is made all the same
        subprocess.run(["auto-multiple-choice", "prepare", "--mode", "s", "--prefix", f"{project}/", "--data", str(project / "data"), str(project / "source.tex")],
                       cwd=project, capture_output=True, text=True)
        if not (project / "amc-compiled.pdf").is_file():
            print("auto-multiple-choice prepare made no PDF: nothing to compare")
            return
        run("auto-multiple-choice", "meptex", "--src", str(project / "amc-compiled.xy"), "--data", str(project / "data"))
        document = pypdfium2.PdfDocument(str(project / "amc-compiled.pdf"))
        rng = np.random.default_rng(1)
        scans = []
        for index in range(len(document)):
            image = document[index].render(scale=arguments.dpi / 72, grayscale=True).to_numpy()
            image = np.ascontiguousarray(image[:, :, 0] if image.ndim == 3 else image)
            path = project / "scans" / f"page-{index + 1:04d}.jpg"
            path.write_bytes(jpeg(distort(image, arguments.dpi / 25.4, rng), 80))
            scans.append(str(path))
        document.close()
        listing = project / "scans.txt"
        listing.write_text("\n".join(scans) + "\n", encoding="utf-8")
        started = time.perf_counter()
        run("auto-multiple-choice", "analyse", "--projet", str(project), "--data", str(project / "data"), "--cr", str(project / "cr"),
            "--n-procs", str(arguments.jobs), "--liste-fichiers", str(listing))
        seconds = time.perf_counter() - started
        with sqlite3.connect(project / "data" / "capture.sqlite") as database:
            read = database.execute("SELECT COUNT(*) FROM capture_page").fetchone()[0]
            failed = database.execute("SELECT COUNT(*) FROM capture_failed").fetchone()[0]
        pages = len(scans)
        print(f"AMC: {arguments.students} copies, {pages} pages at {arguments.dpi} dpi; analyse with {arguments.jobs} processes: "
              f"{seconds:.1f} s = {pages / seconds:.1f} pages/s, {arguments.students / seconds:.2f} copies/s; {read} pages read, {failed} failed")


if __name__ == "__main__":
    main()
