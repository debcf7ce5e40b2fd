"""The quality report: it measures each template and fails on the problems the bank must not have."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.engine.quality import assess, format_report

ROOT = Path(__file__).resolve().parent.parent


def _bank_with(tmp_path: Path, *files: str) -> Path:
    bank = tmp_path / "bank"
    for name in files:
        source = ROOT / "question_bank" / name
        target = bank / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return bank


def test_report_measures_a_numeric_and_a_multiple_choice_template(tmp_path):
    bank = load_bank(_bank_with(tmp_path, "cnn/conv_output_size.yaml", "cnn/conv_params.yaml"))
    sizes = assess(bank.get("cnn.conv_output_size"), samples=60)
    assert sizes.problems == []
    assert sizes.distinct >= 60 and sizes.sampled == 60
    assert 0 <= sizes.rejected_share < 1
    low, high = sizes.answer_ranges["H_out"]
    assert 1 <= low <= high
    assert sizes.smallest_gap is not None and sizes.smallest_gap >= 1  # integer answers: distractors differ by at least 1
    choice = assess(bank.get("cnn.conv_params"), samples=80)
    assert sum(choice.option_positions) == choice.sampled
    assert all(count > 0 for count in choice.option_positions)
    text = format_report([sizes, choice])
    assert "cnn.conv_output_size" in text and "right option at" in text
    assert f"    nearest distractor: {sizes.smallest_gap_mistake}\n" in text  # the whole name, however long


def test_report_fails_on_a_template_below_its_minimum(tmp_path):
    bank = _bank_with(tmp_path, "cnn/conv_output_size.yaml")
    path = bank / "cnn" / "conv_output_size.yaml"
    path.write_text(path.read_text().replace("id: cnn.conv_output_size", "id: cnn.conv_output_size\nmin_variants: 100000"))
    result = CliRunner().invoke(cli, ["validate", str(bank), "--report", "--variants", "20"])
    assert result.exit_code == 2
    assert "its minimum is 100000" in result.output


def test_report_as_json(tmp_path):
    bank = _bank_with(tmp_path, "concepts/lstm_gates.yaml", "cnn/same_padding.yaml")
    result = CliRunner().invoke(cli, ["validate", str(bank), "--report", "--format", "json", "--variants", "20"])
    assert result.exit_code == 0, result.output
    rows = {row["template"]: row for row in json.loads(result.stdout)}
    assert rows["concepts.lstm_gates"]["distinct"] == 8 and rows["concepts.lstm_gates"]["distinct_exact"]
    assert rows["cnn.same_padding"]["problems"] == []
