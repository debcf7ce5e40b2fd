"""Benchmark: the authoring loop's checks, ``quizgen validate`` and ``quizgen validate --report``
on the shipped bank, and counting every template's distinct variants.

Prints numbers; asserts nothing. Targets (issue 19): ``validate`` under 3 s and
``validate --report`` under 10 s. Each command runs ``--runs`` times as a fresh process
(the console script beside this Python, else ``python -m quizgen``) after one warm-up
run; the median wall time is printed beside its target, with the median CPU time (user +
system, the command's worker processes included): on a busy machine the wall time waits
for a core, the CPU time much less. The counting (``quizgen.engine.counting.count_variants``,
what the report's 'distinct' column shows) is timed in this process, template by template,
with how many were counted exactly, estimated or bounded below; ``--old-count`` also times
the enumeration it replaced (``generate.count_distinct``, 3,000 variants at most, as the
report used it), which takes minutes. ``validate`` is also timed on a fresh cache folder each
run (the first run after an edit of every formula: nothing converted or typeset before is
kept). ``--against DIR`` times ``quizgen validate`` of another checkout (``python -m quizgen``
in DIR, e.g. a ``git worktree`` of an older commit) in turn with this one's, so that both
meet the same load.

    python bench/bench_validate.py [--runs 3] [--old-count] [--against DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"validate": 3.0, "validate --report": 10.0}


def quizgen_command() -> list[str]:
    script = Path(sys.executable).with_name("quizgen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "quizgen"]


def run_once(command: list[str], env: dict[str, str], cwd: Path = ROOT, fresh_cache: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (its exit code is the checks' verdict, not the benchmark's)."""
    if fresh_cache:
        env = {**env, "QUIZGEN_CACHE_DIR": tempfile.mkdtemp(prefix="quizgen-bench-validate-fresh-")}
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)


def measure(command: list[str], env: dict[str, str], runs: int, fresh_cache: bool = False) -> tuple[float, float, float]:
    """(median wall, fastest wall, median CPU) in seconds, after one warm-up run."""
    run_once(command, env)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = run_once(command, env, fresh_cache=fresh_cache)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def compare(other: Path, env: dict[str, str], runs: int) -> None:
    """``quizgen validate`` of ``other`` and of this checkout, run in turn (each with its own warm cache folder)."""
    command = [sys.executable, "-m", "quizgen", "validate"]
    checkouts = {"this checkout": ROOT, str(other): other}
    envs = {name: {**env, "QUIZGEN_CACHE_DIR": tempfile.mkdtemp(prefix="quizgen-bench-validate-")} for name in checkouts}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
    for name, where in checkouts.items():
        run_once(command, envs[name], cwd=where)
    for _ in range(runs):
        for name, where in checkouts.items():
            times[name].append(run_once(command, envs[name], cwd=where))
    for name, measured in times.items():
        walls, cpus = [w for w, _ in measured], [c for _, c in measured]
        shown = ", ".join(f"{w:.2f}/{c:.2f}" for w, c in measured)
        print(f"{'validate, ' + name:<42} {statistics.median(walls):>7.2f} s {statistics.median(cpus):>7.2f} s   (wall/CPU of each run: {shown})")


def cpu_now() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def time_counting(old: bool) -> None:
    from quizgen.engine.bank import load_bank
    from quizgen.engine.counting import count_variants

    bank = load_bank()
    templates = [t for _, t in sorted(bank.templates.items())]
    methods: dict[str, int] = {}
    slowest = []
    started, cpu = time.perf_counter(), cpu_now()
    for template in templates:
        one = cpu_now()
        counted = count_variants(template)
        methods[counted.method] = methods.get(counted.method, 0) + 1
        slowest.append((cpu_now() - one, template.id, counted.describe()))
    wall, cpu = time.perf_counter() - started, cpu_now() - cpu
    kinds = ", ".join(f"{count} {method}" for method, count in sorted(methods.items()))
    print(f"{'count_variants over the bank':<42} {wall:>7.2f} s {cpu:>7.2f} s   ({len(templates)} templates: {kinds})")
    slowest.sort(reverse=True)
    print("    slowest: " + ", ".join(f"{tid} {seconds:.2f} s ({shown})" for seconds, tid, shown in slowest[:4]))
    if old:
        from quizgen.engine.generate import count_distinct

        started, cpu = time.perf_counter(), cpu_now()
        complete = sum(count_distinct(template, limit=3000)[1] for template in templates)
        wall, cpu = time.perf_counter() - started, cpu_now() - cpu
        print(f"{'old count_distinct (limit 3000)':<42} {wall:>7.2f} s {cpu:>7.2f} s   ({complete} of {len(templates)} counted to the end)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Timed runs of each command (after one warm-up run).")
    parser.add_argument("--old-count", action="store_true", help="Also time the enumeration count_variants replaced (minutes).")
    parser.add_argument("--against", type=Path, help="Another checkout whose 'quizgen validate' is timed in turn with this one's.")
    options = parser.parse_args()

    quizgen = quizgen_command()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "QUIZGEN_BANK")}
    env["QUIZGEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="quizgen-bench-validate-")
    print(f"The authoring loop's checks on the shipped bank: median of {options.runs} runs after a warm-up run")
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    print()
    print(f"{'what':<42} {'wall':>9} {'CPU':>9}   target")
    for name, target in TARGETS.items():
        median, fastest, cpu = measure([*quizgen, *name.split()], env, options.runs)
        verdict = f"{target:.0f} s  {'ok' if median < target else 'OVER'} (fastest run {fastest:.2f} s)"
        print(f"{'quizgen ' + name:<42} {median:>7.2f} s {cpu:>7.2f} s   {verdict}")
        if name == "validate":
            median, fastest, cpu = measure([*quizgen, "validate"], env, options.runs, fresh_cache=True)
            print(f"{'quizgen validate, a fresh cache each run':<42} {median:>7.2f} s {cpu:>7.2f} s   (fastest run {fastest:.2f} s)")
    if options.against:
        compare(options.against.resolve(), env, options.runs)
    time_counting(options.old_count)
    print()
    print(f"load average {os.getloadavg()[0]:.1f} at the end (above the number of cores, runs wait for a core: see the CPU column)")


if __name__ == "__main__":
    main()
