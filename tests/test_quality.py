"""The quality report: it measures each template and fails on the problems the bank must not have."""

import json
import shutil
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from sympy import Rational

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.engine.closeness import too_close
from quizgen.engine.generate import MistakeValue, generate
from quizgen.engine.quality import (
    assess,
    assess_all,
    close_values,
    format_report,
    missing_twins,
    twin_answers,
)
from quizgen.engine.template import TABLE_KINDS
from quizgen.engine.values import array

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
    bank = _bank_with(tmp_path, "cnn/conv_params.yaml")  # 238 variants, counted exactly: none is drawn beyond them
    path = bank / "cnn" / "conv_params.yaml"
    path.write_text(path.read_text().replace("id: cnn.conv_params", "id: cnn.conv_params\nmin_variants: 100000"))
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


def test_a_mistake_named_on_one_blank_is_named_on_its_twin(tmp_path):
    """Height and width are worked by the same formula: a mistake on one must be recognised on the other."""
    bank = load_bank(ROOT / "question_bank")
    for template_id in sorted(bank.templates):
        template = bank.get(template_id)
        if template.kind in TABLE_KINDS:
            continue
        variants = list(generate(template, 10, 0))
        assert missing_twins(template, variants) == [], template_id
    twins = {(a, b) for a, b, _ in twin_answers(bank.get("cnn.conv_output_size"))}
    assert twins == {("H_out", "W_out"), ("W_out", "H_out")}
    assert twin_answers(bank.get("mlp.layer_shapes")) == []  # rows and columns of W: a shift along the layers, not twins
    assert twin_answers(bank.get("rnn.hidden_update")) == []  # h_2 is computed from h_1: a chain, not twins

    folder = _bank_with(tmp_path, "cnn/conv_output_size.yaml")
    path = folder / "cnn" / "conv_output_size.yaml"
    text = path.read_text()
    start = text.index("  - name: no_plus_one_width")
    path.write_text(text[:start] + text[text.index("  - name: single_padding_width"):])
    result = CliRunner().invoke(cli, ["validate", str(folder), "--report", "--variants", "20"])
    assert result.exit_code == 2
    assert "mistakes.no_plus_one: named on H_out but not on its twin W_out" in result.output
    assert 'value: "floor((W - K_w + 2 * P_w) / S_w)"' in result.output


def test_values_too_close_to_tell_apart():
    """More than two tolerances apart, and shown more than one unit apart, in every entry shown differently."""
    template = load_bank(ROOT / "question_bank").get("regularisation.weight_decay_update")
    spec = template.answers[0]
    tolerance = [Rational(1, 20000)] * 3
    answer = (array([Rational("0.20884"), 1, 1]), ["0.2088", "1.0000", "1.0000"])
    assert too_close(spec, tolerance, answer, (array([Rational("0.20891"), 1, 1]), ["0.2089", "1.0000", "1.0000"])) == 0  # one unit shown
    assert too_close(spec, tolerance, answer, (array([Rational("0.20896"), 1, 2]), ["0.2090", "1.0000", "2.0000"])) is None
    assert too_close(spec, tolerance, answer, (array([Rational("0.20884"), 1, Rational("1.0002")]), ["0.2088", "1.0000", "1.0002"])) is None
    assert too_close(spec, [Rational(1, 500)] * 3, answer, (array([Rational("0.2120"), 1, 1]), ["0.2120", "1.0000", "1.0000"])) == 0  # within 2 tolerances

    variants = list(generate(load_bank(ROOT / "question_bank").get("rnn.hidden_update"), 100, 0))
    dropped = [(v.code, name, why) for v in variants for name, why in v.dropped if "too close" in why]
    assert dropped and all("to be told apart" in why for _, _, why in dropped)
    assert all(close_values(v) == [] for v in variants)
    variant = variants[0]
    h_1 = variant.answers[0]  # 3 decimals: a slip of one unit in the first entry
    slip = [str(Decimal(h_1.rounded[0]) + Decimal("0.001")), h_1.rounded[1]]
    variant.mistakes.append(MistakeValue("slip", "a rounding slip", "h_1", array([Rational(x) for x in slip]), slip, None, {}))
    assert "the answer and mistake 'slip' are too close to tell apart (entry 1)" in " ".join(close_values(variant))


def test_report_counts_the_mistakes_dropped_as_too_close(tmp_path):
    bank = load_bank(_bank_with(tmp_path, "rnn/hidden_update.yaml"))
    quality = assess(bank.get("rnn.hidden_update"), samples=60)
    assert quality.problems == []
    assert quality.too_close_drops and all(count > 0 for count in quality.too_close_drops.values())
    assert quality.as_dict()["too_close_drops"] == quality.too_close_drops
    assert "    dropped as too close to tell apart (variants of 60): " in format_report([quality])


def test_the_report_on_both_cores_is_the_report_one_by_one(bank):
    templates = [bank.get(t) for t in ("cnn.conv_params", "binary.sigmoid", "concepts.lstm_gates", "regularisation.l2_regularised_loss")]
    serial = [q.as_dict() for q in assess_all(templates, samples=10, workers=1)]
    assert [q.as_dict() for q in assess_all(templates, samples=10, workers=2)] == serial
    assert serial[3]["distinct_method"] == "estimate" and serial[3]["distinct_confidence"] == 0.95
    low, high = serial[3]["distinct_interval"]
    assert low <= serial[3]["distinct"] <= high
