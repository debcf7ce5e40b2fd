"""Benchmark: variants per second per template and for the whole bank, and the peak memory
of streaming 100,000 variants as JSON lines through the CLI.

Prints numbers; asserts nothing. Targets: at least 2,000 variants/s on one core for a
scalar template (generation only: parse once, evaluate many), and peak memory under
200 MB however many variants are streamed.

    python bench/bench_generate.py [--count 500] [--stream 100000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizgen.engine.bank import load_bank  # noqa: E402
from quizgen.engine.counting import count_variants  # noqa: E402
from quizgen.engine.generate import generate  # noqa: E402
from quizgen.errors import VariantError  # noqa: E402
from quizgen.formats.records import dumps, variant_record  # noqa: E402


def rate(template, count: int, with_output: bool) -> tuple[int, float]:
    """Variants per second over ``count`` distinct variants (fewer if the template cannot make that many)."""
    while True:
        start = time.perf_counter()
        made = 0
        try:
            for variant in generate(template, count, seed=1):
                if with_output:
                    dumps(variant_record(variant), indent=None)
                made += 1
        except VariantError:
            count //= 2
            continue
        return made, made / (time.perf_counter() - start)


def stream_memory(total: int) -> tuple[int, float, float]:
    """Peak RSS (MB) of one `quizgen generate ... --format jsonl` process writing `total` lines.

    The lines come from every template whose variants are too many to count quickly, each
    asked for an equal share (so no template is pushed near its last distinct variant, where
    drawing slows down as duplicates pile up).
    """
    bank = load_bank()
    counts = {t.id: count_variants(t) for t in bank.templates.values()}

    def more_than(template, count: int) -> bool:
        counted = counts[template.id]
        return counted.method == "lower bound" or counted.value > count

    large = [t for t in bank.templates.values() if more_than(t, 2_000)]
    share = -(-total // len(large))
    chosen = sorted(t.id for t in large if more_than(t, 4 * share))  # room to spare
    share = -(-total // len(chosen))
    command = [sys.executable, "-m", "quizgen", "generate", *chosen, "-n", str(share), "--format", "jsonl", "--seed", "3"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
    lines = sum(1 for _ in process.stdout)
    process.wait()
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        print(f"  streaming failed (exit {process.returncode}); templates: {', '.join(chosen)}")
    print(f"  streamed {share} variants from each of {len(chosen)} templates")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return lines, peak_mb, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="variants per template")
    parser.add_argument("--stream", type=int, default=100_000, help="JSON lines to stream for the memory test (0: skip)")
    args = parser.parse_args()
    bank = load_bank()
    print(f"{'template':<36} {'kind':<11} {'variants':>8} {'gen/s':>9} {'gen+json+steps/s':>17}")
    total_made = total_time = 0.0
    for template_id, template in sorted(bank.templates.items()):
        count = args.count
        made, generation = rate(template, count, with_output=False)
        _, full = rate(template, count, with_output=True)
        total_made += made
        total_time += made / full
        print(f"{template_id:<36} {template.kind:<11} {made:>8} {generation:>9.0f} {full:>17.0f}")
    print(f"{'whole bank (with JSON and steps)':<36} {'':<11} {int(total_made):>8} {'':>9} {total_made / total_time:>17.0f}")
    if args.stream:
        lines, peak_mb, elapsed = stream_memory(args.stream)
        print(f"streamed {lines} JSON lines in {elapsed:.1f} s ({lines / elapsed:.0f}/s); peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
