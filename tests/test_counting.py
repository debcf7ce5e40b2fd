"""Counting a template's distinct variants: exact where the draws can be listed, checked by brute force;
an estimate, where they are too many, whose stated interval holds as often as it says."""

from __future__ import annotations

import itertools

import pytest

from quizgen.engine import counting
from quizgen.engine.counting import count_variants
from quizgen.engine.draws import Distribution
from quizgen.engine.generate import (
    _context,
    _evaluate_variables,
    _make_answers,
    _make_mistakes,
    _note,
    _Rejected,
)
from quizgen.engine.template import build_template
from quizgen.errors import VariantError


def _template(variables, constraints=(), note=None, template_id="test.count", **extra):
    data = {
        "id": template_id, "title": "count", "topic": "test", "section": 1, "difficulty": 1, "kind": "numerical",
        "variables": variables, "text": "x", "answers": [{"name": variables[-1]["name"], "kind": "number", "decimals": 2}],
        "constraints": [{"expr": c} for c in constraints], **extra,
    }
    if note is not None:
        data["note"] = note
    return build_template(data, f"{template_id}.yaml", None, None)


def brute_force(template) -> int:
    """The distinct notes over every combination of every draw's values, each draw checked as generate checks it."""
    notes = set()

    def walk(i: int, env: dict):
        if i == len(template.variables):
            given = {name: env[name] for name in template.draw_names}
            try:
                full = _evaluate_variables(template, None, given, template.constraints, strict=True)
            except (_Rejected, VariantError):
                return
            if template.kind == "multichoice":
                answers = _make_answers(template, full)
                mistakes, _ = _make_mistakes(template, full, answers, {})
                if len([m for m in mistakes if m.answer == answers[0].spec.name]) < template.option_count - 1:
                    return
            notes.add(_note(template, _context(template, full)))
            return
        variable = template.variables[i]
        try:
            if variable.is_draw:
                distribution = variable.fixed or variable.expression.evaluate(env)
                assert isinstance(distribution, Distribution)
                choices = list(distribution.support())
            else:
                choices = [variable.expression.evaluate(env)]
        except (ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError):
            return
        for choice in choices:
            walk(i + 1, {**env, variable.name: choice})

    walk(0, {})
    return len(notes)


SMALL = {
    "coupled, with excluded and repeated values": _template(
        [
            {"name": "a", "draw": "int(1, 6, exclude=[3])"},
            {"name": "b", "draw": "choice([1, 2, 2, 4])"},
            {"name": "c", "draw": "decimal(0, 1, 0.25, exclude=[0.5])"},
            {"name": "d", "draw": "choice([5, 7])"},
            {"name": "s", "value": "a + b"},
            {"name": "t", "value": "s * c + d"},
        ],
        ["s % 2 == 0 and c != 0.75", "a != b", "t < 10 or d == 5"],
    ),
    "a draw of another's length, left out of the note": _template(
        [
            {"name": "n", "draw": "choice([2, 3])"},
            {"name": "v", "draw": "vector(n, int(-1, 1))"},
            {"name": "k", "draw": "int(1, n)"},
            {"name": "total", "value": "sum(v) + k"},
        ],
        ["not (v == 0)", "total != 2"],
        note="v={@v@} k={@k@}",
    ),
    "a note that leaves a draw out": _template(
        [
            {"name": "a", "draw": "int(1, 5)"},
            {"name": "b", "draw": "int(1, 5)"},
            {"name": "r", "value": "a - b"},
        ],
        ["a + b != 6"],
        note="a is {@a@}",
    ),
    "a computed value that cannot always be computed": _template(
        [
            {"name": "x", "draw": "int(-3, 3)"},
            {"name": "y", "draw": "choice([1, 2])"},
            {"name": "q", "value": "y / x"},
        ],
    ),
    "a note that runs its values together": _template(
        [
            {"name": "a", "draw": "choice([1, 12])"},
            {"name": "b", "draw": "choice([3, 23])"},
            {"name": "c", "value": "a + b"},
        ],
        note="{@a@}{@b@}",
    ),
    "a draw whose values depend on a computed one, with repeats": _template(
        [
            {"name": "N", "draw": "choice([14, 15, 28])"},
            {"name": "S", "draw": "choice([1, 2, 3])"},
            {"name": "O_same", "value": "ceil(N / S)"},
            {"name": "O", "draw": "choice([O_same, O_same, O_same - 1])"},
            {"name": "P", "value": "(O - 1) * S - N + 3"},
        ],
        ["P >= 0"],
    ),
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_exact_count_is_the_brute_force_count(name):
    template = SMALL[name]
    counted = count_variants(template)
    assert counted.exact, counted
    assert counted.value == brute_force(template)


def test_the_notes_tell_apart_only_what_they_show():
    assert count_variants(SMALL["a note that leaves a draw out"]).value == 5  # a from 1 to 5, each with some b
    assert count_variants(SMALL["a note that runs its values together"]).value == 3  # '1'+'23' and '12'+'3' are one note
    assert count_variants(SMALL["a computed value that cannot always be computed"]).value == 12  # x = 0 is left out


@pytest.mark.parametrize("template_id", [
    "cnn.conv_params", "cnn.pool_params", "cnn.dilation_from_kernel", "cnn.padding_for_output", "mlp.dense_units_from_params",
    "rnn.recurrent_params", "transformer.encoder_block_params", "regularisation.he_std",
])
def test_bank_templates_counted_as_brute_force_counts_them(bank, template_id):
    template = bank.get(template_id)
    counted = count_variants(template)
    assert counted.exact and counted.value == brute_force(template)


def test_nice_constraints_count_too(bank):
    template = bank.get("cnn.conv_params")
    assert count_variants(template, nice=True).value < count_variants(template).value


def test_counts_of_large_draw_spaces_are_exact_or_estimated(bank):
    assert count_variants(bank.get("cnn.conv_output_size")).value == 57600  # 147,456 combinations, not listed one by one
    estimate = count_variants(bank.get("regularisation.l2_regularised_loss"))
    assert estimate.method == "estimate" and estimate.confidence == 0.95 and estimate.samples == counting.SAMPLES
    assert estimate.low <= estimate.value <= estimate.high
    assert estimate.high <= 49 * 810_000 * 5  # never above the draws there are
    assert count_variants(bank.get("regularisation.l2_regularised_loss")) == estimate  # the same every time


def test_the_estimate_interval_holds_as_often_as_it_says(monkeypatch):
    """Forced to sample a template whose count is known, the 95 % interval holds the count in most of 40 seeds."""
    template = SMALL["coupled, with excluded and repeated values"]
    known = count_variants(template).value
    monkeypatch.setattr(counting, "CHECKS_LIMIT", 0)
    held = 0
    for seed in range(40):
        estimate = count_variants(template, samples=100, seed=seed)
        assert estimate.method == "estimate" and estimate.low <= estimate.value <= estimate.high
        held += estimate.low <= known <= estimate.high
    assert held >= 34  # at 95 %, 34 or more of 40 hold with probability 0.999


def test_an_estimate_over_draws_of_unequal_weight_holds_too(monkeypatch):
    template = SMALL["a draw of another's length, left out of the note"]
    known = count_variants(template).value
    monkeypatch.setattr(counting, "CHECKS_LIMIT", 0)
    estimates = [count_variants(template, samples=200, seed=seed) for seed in range(40)]
    assert sum(e.low <= known <= e.high for e in estimates) >= 34


def test_table_templates_are_counted_by_formula(bank):
    assert count_variants(bank.get("concepts.lstm_gates")).value == 8
    assert count_variants(bank.get("concepts.gru_gates_matching")).value == 3


def test_the_brute_force_agrees_with_itself_on_a_product():
    template = _template([{"name": "a", "draw": "int(1, 3)"}, {"name": "b", "draw": "choice([1, 2])"}, {"name": "c", "value": "a * b"}])
    assert brute_force(template) == 6 == count_variants(template).value
    assert len(list(itertools.product(range(3), range(2)))) == 6
