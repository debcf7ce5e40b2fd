"""Digests of a fixed-seed export of the whole shipped bank, in every output, to keep speed work honest.

Speeding the engine or an exporter up must not change a byte of what quizgen writes
(issue 19). ``test_whole_bank_identical`` recomputes these digests and compares them
with ``tests/data/whole_bank_digests.json``. When a change to an output is deliberate,
run ``python tests/whole_bank_digests.py --update`` and say in the commit what changed
and why; the test's failure lists exactly which digests moved.

Per template: the JSON records with worked steps (3 variants), the terminal text
(1 variant with answers), and its Moodle XML, GIFT, QTI 2.1, QTI 3.0, Canvas and
self-test page exports (2 variants each). Then the midterm's Moodle XML (--exam) and
every file of a two-version midterm build with answer sheets.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = ROOT / "tests" / "data" / "whole_bank_digests.json"
MIDTERM = ROOT / "examples" / "midterm.toml"
SEED = 20261203


def _digest(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def template_digests(bank) -> dict[str, str]:
    """The JSON records and the terminal text of each template, one digest each."""
    from quizgen import api

    digests = {}
    for _, template in sorted(bank.templates.items()):
        variants = api.generate(template, 3, seed=SEED)
        records = json.dumps([api.variant_record(v) for v in variants], sort_keys=True, ensure_ascii=False)
        digests[f"json/{template.id}"] = _digest(records)
        digests[f"text/{template.id}"] = _digest(api.render_text(variants[0]))
    return digests


def export_digests(bank) -> dict[str, str]:
    """Each template's export in every format (one digest per template and format, so a change
    names the template it touched), and the midterm's Moodle XML."""
    from quizgen import api

    exports = {
        "moodle": lambda ids: api.export_moodle(ids, variants=2, seed=SEED, allow_fewer=True, bank=bank).text,
        "gift": lambda ids: api.export_gift(ids, variants=2, seed=SEED, allow_fewer=True, bank=bank).text,
        "html": lambda ids: api.export_html(ids, variants=2, seed=SEED, bank=bank).text,
    }
    for flavour in ("qti21", "qti30", "canvas"):
        exports[flavour] = lambda ids, flavour=flavour: api.export_qti(
            ids, variants=2, seed=SEED, flavour=flavour, allow_fewer=True, bank=bank).data
    digests = {"moodle-midterm": _digest(api.export_moodle(exam=MIDTERM, variants=2, allow_fewer=True, bank=bank).text)}
    for template_id in sorted(bank.templates):
        for name, export in exports.items():
            digests[f"{name}/{template_id}"] = _digest(export([template_id]))
    return digests


def build_digests(bank) -> dict[str, str]:
    """Every file of a two-version midterm build with answer sheets, by its path in the build."""
    from quizgen import api

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "build"
        api.build_exam(MIDTERM, out, versions=2, sheets=True, jobs=1, bank=bank)
        return {f"build/{path.relative_to(out).as_posix()}": _digest(path.read_bytes())
                for path in sorted(out.rglob("*")) if path.is_file()}


def compute() -> dict[str, str]:
    from quizgen.engine.bank import load_bank

    bank = load_bank()
    return {**template_digests(bank), **export_digests(bank), **build_digests(bank)}


def main(argv: list[str]) -> int:
    if argv != ["--update"]:
        print("usage: python tests/whole_bank_digests.py --update", file=sys.stderr)
        return 2
    before = json.loads(DIGESTS.read_text(encoding="utf-8")) if DIGESTS.exists() else {}
    digests = compute()
    for key in sorted(set(before) | set(digests)):
        if before.get(key) != digests.get(key):
            print(f"{'new' if key not in before else 'gone' if key not in digests else 'moved'}: {key}")
    DIGESTS.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(digests)} digests written to {DIGESTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
