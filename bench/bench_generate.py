"""Benchmark: variants per second per template and for the whole bank, and the peak memory
of streaming 100,000 variants as JSON lines through the CLI.

Prints numbers; asserts nothing. Rates are per CPU second of this process (time.process_time),
which other work on the machine affects much less than wall time. Issue 19's targets, on one
core: at least 10,000 variants/s for a template of whole numbers and fractions ("rational"),
2,000/s for one with irrational values or arrays ("irrational"), generation only; the whole
bank with JSON records and worked steps at 2,000/s; peak memory under 200 MB however many
variants are streamed. The floor beside them is a plain Python evaluation of
cnn.conv_output_size with fractions.Fraction, its six named mistakes included. Each rate is
measured after a warm-up run at another seed (see ``rate``).

    python bench/bench_generate.py [--count 500] [--stream 100000] [--only ID,ID]
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import sympy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizgen.engine.bank import load_bank  # noqa: E402
from quizgen.engine.counting import count_variants  # noqa: E402
from quizgen.engine.generate import generate  # noqa: E402
from quizgen.errors import VariantError  # noqa: E402
from quizgen.formats.records import dumps, variant_record  # noqa: E402


TARGETS = {"rational": 10_000, "irrational": 2_000}
WHOLE_BANK_TARGET = 2_000


def rate(template, count: int, with_output: bool) -> tuple[int, float]:
    """Variants per CPU second over ``count`` distinct variants (fewer if the template cannot make that many),
    at seed 1, after a warm-up run at seed 2: the rate of a long run, without the first use's one-off work
    (compiling the template's closures, making its grids). The warm-up's values are other values, so the
    caches of values (formatted numbers, exp and log) are no warmer than in a long run."""
    while True:
        try:
            for variant in generate(template, count, seed=2):
                if with_output:
                    dumps(variant_record(variant), indent=None)
        except VariantError:
            pass  # seed 2 may make fewer than seed 1: the measured run below decides the count
        start = time.process_time()
        made = 0
        try:
            for variant in generate(template, count, seed=1):
                if with_output:
                    dumps(variant_record(variant), indent=None)
                made += 1
        except VariantError:
            count //= 2
            continue
        return made, made / max(time.process_time() - start, 1e-9)


def value_kind(template) -> str:
    """'table', 'rational' (every value of a sample variant a whole number, a fraction or a word) or 'irrational'."""
    if template.kind in ("concept", "matching"):
        return "table"
    variant = next(iter(generate(template, 1, seed=1)))
    values = [*variant.env.values(), *(m.value for m in variant.mistakes)]
    rational = all(isinstance(v, (sympy.Rational, str, bool)) for v in values)
    return "rational" if rational else "irrational"


def fraction_floor(count: int = 20_000) -> float:
    """cnn.conv_output_size by hand in Python with Fraction (draws, constraints, both answers, six mistakes): the floor."""
    rng = random.Random(1)
    sizes, kernels = [28, 32, 48, 56, 64, 96, 128, 224], [1, 3, 5, 7]
    start = time.process_time()
    made = 0
    while made < count:
        H, W, K_h, K_w = rng.choice(sizes), rng.choice(sizes), rng.choice(kernels), rng.choice(kernels)
        P_h, P_w, S_h, S_w = rng.randint(0, 3), rng.randint(0, 3), rng.choice([1, 2, 3]), rng.choice([1, 2, 3])
        if not (K_h <= H + 2 * P_h and K_w <= W + 2 * P_w) or not (2 * P_h < K_h and 2 * P_w < K_w or P_h + P_w == 0):
            continue
        answers = [math.floor(Fraction(N - K + 2 * P, S)) + 1 for N, K, P, S in ((H, K_h, P_h, S_h), (W, K_w, P_w, S_w))]
        mistakes = []
        for (N, K, P, S), answer in zip(((H, K_h, P_h, S_h), (W, K_w, P_w, S_w)), answers):
            for wrong in (math.floor(Fraction(N - K + 2 * P, S)), math.floor(Fraction(N - K + P, S)) + 1, math.ceil(Fraction(N - K + 2 * P, S)) + 1):
                if wrong != answer and wrong not in mistakes:
                    mistakes.append(wrong)
        made += 1
    return made / (time.process_time() - start)


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
    parser.add_argument("--only", default="", help="comma-separated template ids (default: the whole bank)")
    args = parser.parse_args()
    bank = load_bank()
    chosen = sorted(args.only.split(",")) if args.only else sorted(bank.templates)
    print(f"floor: cnn.conv_output_size in plain Python with Fraction: {fraction_floor():,.0f} variants/s")
    print(f"{'template':<36} {'values':<10} {'variants':>8} {'gen/s':>9} {'target':>8} {'gen+json+steps/s':>17}")
    total_made = total_time = 0.0
    slowest: dict[str, tuple[float, str]] = {}
    for template_id in chosen:
        template = bank.templates[template_id]
        kind = value_kind(template)
        made, generation = rate(template, args.count, with_output=False)
        _, full = rate(template, args.count, with_output=True)
        total_made += made
        total_time += made / full
        target = TARGETS.get(kind)
        mark = "" if target is None else (" ok" if generation >= target else " below")
        print(f"{template_id:<36} {kind:<10} {made:>8} {generation:>9.0f} {target or '':>8}{mark:<6} {full:>11.0f}")
        if kind in TARGETS and generation < slowest.get(kind, (math.inf, ""))[0]:
            slowest[kind] = (generation, template_id)
    for kind, (generation, template_id) in sorted(slowest.items()):
        print(f"slowest {kind} template: {template_id} at {generation:,.0f}/s (target {TARGETS[kind]:,})")
    whole = total_made / total_time
    print(f"{'whole bank (with JSON and steps)':<36} {'':<10} {int(total_made):>8} {'':>9} {WHOLE_BANK_TARGET:>8}{' ok' if whole >= WHOLE_BANK_TARGET else ' below':<6} {whole:>11.0f}")
    if args.stream:
        lines, peak_mb, elapsed = stream_memory(args.stream)
        print(f"streamed {lines} JSON lines in {elapsed:.1f} s ({lines / elapsed:.0f}/s); peak memory {peak_mb:.0f} MB (target 200 MB)")


if __name__ == "__main__":
    main()
