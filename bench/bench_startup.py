"""Benchmark: start-up time of each command, as a user runs it from a shell.

Prints numbers; asserts nothing. Target (issue 19): under 150 ms for ``quizgen --help``
and ``quizgen list``. Each command is run ``--runs`` times as a fresh process (the
console script beside this Python, else ``python -m quizgen``) after one warm-up run,
and the median wall time is printed beside its target, with the fastest run and the
median CPU time (user + system) of the process: on a busy machine the wall time waits
for a core, the CPU time much less. ``python -c pass`` is the interpreter's own floor.

The runs use a fresh cache folder (QUIZGEN_CACHE_DIR) that the warm-up run fills, as
any earlier command fills the user's: ``list`` then reads the bank's catalog. The line
``list (bank changed)`` removes the catalog before each run: the first ``list`` after
an edit of the bank loads it fully. Bytecode is written and used as in an installed
package (PYTHONDONTWRITEBYTECODE is left out of the commands' environment).

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 150


def quizgen_command() -> list[str]:
    script = Path(sys.executable).with_name("quizgen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "quizgen"]


def run_once(command: list[str], env: dict[str, str], before=None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command``; it must succeed."""
    if before:
        before()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {process.stderr.decode()[-500:]}")
    return wall, (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)


def measure(command: list[str], env: dict[str, str], runs: int, before=None) -> tuple[float, float, float]:
    """(median wall, fastest wall, median CPU) in seconds, after one warm-up run."""
    run_once(command, env, before)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = run_once(command, env, before)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="Timed runs of each command (after one warm-up run).")
    options = parser.parse_args()

    quizgen = quizgen_command()
    work = Path(tempfile.mkdtemp(prefix="quizgen-bench-startup-"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "QUIZGEN_BANK")}
    env["QUIZGEN_CACHE_DIR"] = str(work / "cache")
    catalog = work / "cache" / "catalog"
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"], None, None),
        ("quizgen --help", [*quizgen, "--help"], TARGET_MS, None),
        ("quizgen list", [*quizgen, "list"], TARGET_MS, None),
        ("quizgen list (bank changed)", [*quizgen, "list"], None, lambda: shutil.rmtree(catalog, ignore_errors=True)),
        ("quizgen show cnn.conv_output_size", [*quizgen, "show", "cnn.conv_output_size"], None, None),
        ("quizgen export moodle --topic cnn -n 2", [*quizgen, "export", "moodle", "--topic", "cnn", "-n", "2", "-o", str(work / "x.xml")], None, None),
    ]
    print(f"Start-up of each command: median of {options.runs} runs after a warm-up run")
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    print()
    print(f"{'command':<42} {'median':>8} {'fastest':>8} {'CPU':>8}   target")
    try:
        for name, command, target, before in cases:
            median, fastest, cpu = measure(command, env, options.runs, before)
            verdict = "" if target is None else f"{target} ms  {'ok' if median * 1000 < target else 'OVER'}"
            print(f"{name:<42} {median * 1000:>5.0f} ms {fastest * 1000:>5.0f} ms {cpu * 1000:>5.0f} ms   {verdict}".rstrip())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"load average {os.getloadavg()[0]:.1f} at the end (above the number of cores, runs wait for a core: see the CPU column)")


if __name__ == "__main__":
    main()
