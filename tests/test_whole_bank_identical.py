"""Every output of the whole bank, fixed seed, is byte-identical to the recorded one.

Speed work (issue 19) must change no byte; a deliberate change updates the record with
``python tests/whole_bank_digests.py --update`` and says so in its commit.
"""

import json

import whole_bank_digests as digests


def _moved(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    keys = sorted(set(recorded) | set(now))
    return [key for key in keys if recorded.get(key) != now.get(key)]


def test_whole_bank_outputs_are_unchanged(bank):
    recorded = json.loads(digests.DIGESTS.read_text(encoding="utf-8"))
    now = {**digests.template_digests(bank), **digests.export_digests(bank), **digests.build_digests(bank)}
    moved = _moved(recorded, now)
    assert not moved, (
        f"{len(moved)} of {len(recorded)} outputs differ from tests/data/whole_bank_digests.json: "
        + ", ".join(moved[:40])
        + ". If the change is deliberate: python tests/whole_bank_digests.py --update, and say why in the commit."
    )


def test_the_record_covers_every_template_and_export(bank):
    recorded = json.loads(digests.DIGESTS.read_text(encoding="utf-8"))
    for _, template in sorted(bank.templates.items()):
        for output in ("json", "text", "moodle", "gift", "html", "qti21", "qti30", "canvas"):
            assert f"{output}/{template.id}" in recorded
    for key in ("moodle-midterm", "build/manifest.json", "build/paper-A.pdf", "build/key-B.pdf", "build/latex/paper-A.tex"):
        assert key in recorded
