"""Benchmark: the self-test HTML page for the whole bank, and marking speed.

Prints numbers; asserts nothing. Targets: a whole-bank page with 5 variants per question
in under 60 s on a 2-core machine and under 3 MB (a phone opens it at once); marking a
typed response (read + within + mistake diagnosis) well under a millisecond.

    python bench/bench_selftest.py [--variants 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizgen.engine.bank import load_bank  # noqa: E402
from quizgen.engine.generate import generate  # noqa: E402
from quizgen.errors import VariantError  # noqa: E402
from quizgen.formats.selftest import render_selftest  # noqa: E402
from quizgen.formats.typed import flat_rounded  # noqa: E402
from quizgen.marking.mark import mark_blank, read_blank  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()

    bank = load_bank()
    start = time.perf_counter()
    pools = []
    for _, template in sorted(bank.templates.items()):
        pool = []
        try:
            pool.extend(generate(template, options.variants, options.seed))
        except VariantError:
            pass
        if pool:
            pools.append(pool)
    generated = time.perf_counter()
    page = render_selftest(pools, seed=options.seed)
    rendered = time.perf_counter()
    variants = sum(len(pool) for pool in pools)
    print(f"page: {len(pools)} questions, {variants} variants, {len(page.encode()) / 1e6:.2f} MB")
    print(f"time: generate {generated - start:.1f} s, render (MathML, obfuscation, check) {rendered - generated:.1f} s")

    typed = []  # the key, and each named mistake (a wrong answer is diagnosed against every mistake)
    for pool in pools:
        for variant in pool:
            if variant.template.kind in ("numerical", "multipart"):
                for answer in variant.answers:
                    typed.append((variant, answer, flat_rounded(answer.rounded)))
                    typed += [(variant, answer, flat_rounded(m.rounded)) for m in variant.mistakes if m.answer == answer.spec.name]
    start = time.perf_counter()
    for variant, answer, text in typed:
        mark_blank(variant, answer, read_blank(answer, text))
    elapsed = time.perf_counter() - start
    print(f"marking: {len(typed)} typed answers (keys and named mistakes), {1000 * elapsed / max(len(typed), 1):.2f} ms each")


if __name__ == "__main__":
    main()
