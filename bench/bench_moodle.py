"""Benchmark: export the whole bank to Moodle XML with 100 variants per template.

Prints numbers; asserts nothing. Target (issue 19): under 5 s on 2 cores. Prints the end-to-end time of
``export_moodle`` as a user runs it (wall clock, on every core; the CPU seconds of all
processes show how busy the machine was), then the same work phase by phase in one
process, so a slow run says where the time goes:
generating the variants and their JSON records with worked steps is the generation
core (quizgen.engine.generate, quizgen.formats.records); building the questions and rendering the XML
is the export (quizgen/formats/moodle.py, the figures' SVG from quizgen/formats/figures.py). ``--profile`` adds the functions with the most own time.

    python bench/bench_moodle.py [--variants 100] [--seed 1] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizgen.engine.bank import load_bank  # noqa: E402
from quizgen.engine.generate import generate  # noqa: E402
from quizgen.errors import VariantError  # noqa: E402
from quizgen.formats.moodle import ExportItem, MoodleCategory, build_question, export_moodle, render_moodle_xml  # noqa: E402
from quizgen.formats.records import variant_record  # noqa: E402


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the export's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Collector:
    """CPU seconds this process's garbage collector has taken so far (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds, self._start = 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.seconds += time.process_time() - self._start


COLLECTOR = Collector()


class Clock:
    """Wall-clock and CPU seconds (all processes) of a block, and this process's collector's share (gc)."""

    def __enter__(self):
        self.wall, self.cpu, self.gc = time.perf_counter(), cpu_seconds(), COLLECTOR.seconds
        return self

    def __exit__(self, *exc_info):
        self.wall, self.cpu, self.gc = time.perf_counter() - self.wall, cpu_seconds() - self.cpu, COLLECTOR.seconds - self.gc


def all_it_can(template, count: int, seed: int) -> list:
    """Up to ``count`` distinct variants, as ``export moodle --allow-fewer`` takes them."""
    made = []
    try:
        made.extend(generate(template, count, seed))
    except VariantError:
        pass
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="Profile the end-to-end export and print the 25 functions with the most own time.")
    args = parser.parse_args()
    bank = load_bank()
    templates = [t for _, t in sorted(bank.templates.items())]

    profiler = cProfile.Profile() if args.profile else None
    with Clock() as total:
        if profiler:
            profiler.enable()
        result = export_moodle([ExportItem(t) for t in templates], args.variants, args.seed, allow_fewer=True, workers=1 if profiler else None)
        if profiler:
            profiler.disable()
    questions = sum(c.made for c in result.categories)
    verdict = "OK" if total.wall < 5 else "SLOW"
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the run")
    print(f"templates: {len(templates)}, questions: {questions} ({args.variants} asked per template), XML: {len(result.text) / 1e6:.1f} MB")
    print(f"export_moodle, end to end: {total.wall:.2f} s wall  (target < 5 s: {verdict}); {total.cpu:.2f} CPU-s in all processes")

    per_template: list[tuple[float, str]] = []
    with Clock() as generating:
        variants = []
        for template in templates:
            start = time.process_time()
            variants.extend(all_it_can(template, args.variants, args.seed))
            per_template.append((time.process_time() - start, template.id))
    with Clock() as recording:
        records = [variant_record(v) for v in variants]
    with Clock() as building:
        built = [build_question(v, record=r) for v, r in zip(variants, records)]
    with Clock() as rendering:
        render_moodle_xml([MoodleCategory("$course$/top/bench", "bench", "", "bench", built)], args.seed)  # renders and parses
    print("phase by phase, in one process (CPU seconds; in brackets the garbage collector's part, larger here than in")
    print("the export's workers, which hold one template's variants at a time and collect less often):")
    print(f"  core: generating the variants            {generating.cpu:7.2f}  ({generating.gc:.2f})")
    print(f"  core: JSON records with worked steps     {recording.cpu:7.2f}  ({recording.gc:.2f})")
    print(f"  export: building the Moodle questions    {building.cpu:7.2f}  ({building.gc:.2f})")
    print(f"  export: rendering and parsing the XML    {rendering.cpu:7.2f}  ({rendering.gc:.2f})")
    core, own = generating.cpu + recording.cpu, building.cpu + rendering.cpu
    print(f"  core {100 * core / (core + own):.0f}%, export {100 * own / (core + own):.0f}%")
    print("slowest templates to generate (CPU seconds):")
    for seconds, template_id in sorted(per_template, reverse=True)[:5]:
        print(f"  {template_id:40s} {seconds:.2f}")
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(25)
        print(stream.getvalue())


if __name__ == "__main__":
    main()
