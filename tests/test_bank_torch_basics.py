"""The basic templates (neuron, regression, binary and multi-class classification) checked
against PyTorch, and the concept tables checked against the formula sheet.

For every numeric template below, at least 300 variants are drawn (every distinct variant,
under several seeds, when a template has fewer) and every answer is recomputed
independently from the variant's drawn values with PyTorch's CPU build in float64: real
``nn.Linear`` layers, ``torch.sigmoid``/``tanh``/``relu``, ``F.softmax``,
``F.binary_cross_entropy``, ``F.cross_entropy``, ``F.mse_loss``, autograd for gradients and a
real ``torch.optim.SGD`` step. The exact answer must agree to 1e-9 (relative), and the
rounded key must be the reference rounded the same way (half away from zero), except at
an exact .5 tie, where the tolerance decides.

Where the sheet's convention differs from PyTorch's, the test says so and converts; the
sheet's convention is the one we teach.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bank_support import REL, check_answer
from quizgen.engine.bank import load_bank
from quizgen.engine.generate import count_distinct, generate
from quizgen.engine.values import to_float

torch.set_default_dtype(torch.float64)

BANK = load_bank(collect_errors=True)  # another topic's template being edited must not stop these tests
SHEET = Path(__file__).resolve().parent.parent / "docs" / "formula-sheet.txt"  # the course's formula sheet: the syllabus
N_VARIANTS = 300


# ---------------------------------------------------------------------------
# Helpers


def t(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64)
    return torch.tensor(value, dtype=torch.float64)


def params(variant) -> dict:
    """The drawn values as floats (nested lists for vectors and matrices); words stay words."""
    return {name: value if isinstance(value, str) else to_float(value) for name, value in variant.parameters.items()}


def linear(weight, bias=None) -> nn.Linear:
    """A real nn.Linear whose weight (out x in) and bias are set to the given values."""
    weight = t(weight)
    if weight.dim() == 1:
        weight = weight[None, :]
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(t(bias).reshape(weight.shape[0]))
    return layer


# Templates with fewer than N_VARIANTS distinct variants (one drawn value each, so counting them is cheap).
SMALL = {"binary.sigmoid", "binary.sigmoid_derivative", "binary.logit_from_probability"}


def variants_of(template_id: str) -> list:
    """At least N_VARIANTS variants; all of them (under several seeds) when a template has fewer."""
    template = BANK.get(template_id)
    if template_id in SMALL:
        capacity, complete = count_distinct(template)
        assert complete and capacity < N_VARIANTS
        seeds = range(1, 2 + math.ceil(N_VARIANTS / capacity))
        return [v for seed in seeds for v in generate(template, capacity, seed=seed)]
    return list(generate(template, N_VARIANTS, seed=2026))


# ---------------------------------------------------------------------------
# References: one function per template, from the drawn values only


def ref_weighted_sum(p):
    return {"z": linear(p["w"], p["b"])(t(p["x"]))}


def _activation(name: str, z: torch.Tensor) -> torch.Tensor:
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "ReLU":
        return F.relu(z)
    if name == "step":  # the sheet's step: 1 if z >= 0, else 0
        return torch.heaviside(z, t(1.0))
    raise AssertionError(name)


def ref_activation_output(p):
    z = linear(p["w"], p["b"])(t(p["x"]))
    return {"y_hat": _activation(p["act"], z)}


def ref_bias_from_output(p):
    without_bias = linear(p["w"])(t(p["x"]))
    b = t(p["z"]) - without_bias
    # the bias found really gives the required z
    assert torch.allclose(linear(p["w"], b)(t(p["x"])), t([p["z"]]), rtol=REL, atol=1e-12)
    return {"b": b}


def ref_missing_weight(p):
    x = t([p["x_1"], *p["x_rest"]])
    known = linear(p["w_rest"], p["b"])(x[1:])
    w_1 = (t(p["z"]) - known) / x[0]
    # the weight found really gives the neuron's weighted sum
    assert torch.allclose(linear(torch.cat([w_1, t(p["w_rest"])]), p["b"])(x), t([p["z"]]), rtol=REL, atol=1e-12)
    return {"w_1": w_1}


def ref_linear_prediction(p):
    return {"y_hat": linear(p["w"])(t(p["X"])).squeeze(1)}


def ref_mse(p):
    # The sheet's J(w) = (1/N) sum (1/2) r^2 carries a 1/2 that PyTorch's mean squared error
    # does not: J = F.mse_loss(...) / 2.
    prediction = linear(p["w"])(t(p["X"])).squeeze(1)
    return {"J": F.mse_loss(prediction, t(p["y"]), reduction="mean") / 2}


def ref_gd_update(p):
    w = nn.Parameter(t(p["w"]).clone())
    optimiser = torch.optim.SGD([w], lr=p["eta"])
    w.grad = t(p["g"])
    optimiser.step()
    # second direction: the learning rate of the run that reached w'; every component agrees
    rates = (t(p["w"]) - t(p["w_alt"])) / t(p["g"])
    assert torch.allclose(rates, rates[0].expand_as(rates), rtol=1e-9, atol=1e-12)
    replay = nn.Parameter(t(p["w"]).clone())
    sgd = torch.optim.SGD([replay], lr=float(rates[0]))
    replay.grad = t(p["g"])
    sgd.step()
    assert torch.allclose(replay.detach(), t(p["w_alt"]), rtol=1e-9, atol=1e-12)
    return {"w_new": w.detach(), "eta_alt": rates[0]}


def ref_sigmoid(p):
    return {"s": torch.sigmoid(t(p["z"]))}


def ref_sigmoid_derivative(p):
    z = t(p["z"]).requires_grad_()
    torch.sigmoid(z).backward()
    return {"ds": z.grad}


def ref_prediction_rule(p):
    z = linear(p["w"], p["b"])(t(p["X"])).squeeze(1)
    return {"y_hat": (torch.sigmoid(z) >= 0.5).double()}


def ref_bce_gradient(p):
    z = t(p["z"]).requires_grad_()
    y_hat = torch.sigmoid(z)
    # reduction='sum': each example's own loss l_i depends only on its own z_i
    F.binary_cross_entropy(y_hat, t(p["y"]), reduction="sum").backward()
    return {"y_hat": y_hat.detach(), "grad": z.grad}


def ref_logit_from_probability(p):
    z = torch.logit(t(p["p"]))
    assert math.isclose(float(torch.sigmoid(z)), p["p"], rel_tol=1e-12)
    return {"z": z}


def ref_predicted_class(p):
    # the sheet's z = xW + b (row vector times a d x K matrix) is nn.Linear with weight W^T
    z = linear(t(p["W"]).T, p["b"])(t(p["x"]))
    return {"z": z, "k": int(torch.argmax(F.softmax(z, dim=0))) + 1}


def ref_categorical_ce(p):
    z = t(p["z"])
    return {"loss": F.cross_entropy(z[None, :], torch.tensor([p["c"] - 1]))}


def ref_softmax_gradient(p):
    z = t(p["z"]).requires_grad_()
    F.cross_entropy(z[None, :], torch.tensor([p["c"] - 1])).backward()
    return {"grad": z.grad}


def ref_softmax_missing_logit(p):
    rest = t(p["z_rest"])
    prob = t(p["p"])
    # independently: z_1 = logit(p) + logsumexp(z_2..z_K)
    z_1 = torch.logit(prob) + torch.logsumexp(rest, dim=0)
    assert math.isclose(float(F.softmax(torch.cat([z_1[None], rest]), dim=0)[0]), p["p"], rel_tol=1e-12)
    return {"z_1": z_1}


def ref_softmax_ratio(p):
    y_hat = F.softmax(t(p["z"]), dim=0)
    return {"ratio": y_hat[p["i"] - 1] / y_hat[p["j"] - 1]}


def ref_softmax(p):
    y_hat = F.softmax(t(p["z"]), dim=0)
    return {"y_hat": y_hat, "k": int(torch.argmax(y_hat)) + 1}


def ref_sigmoid_bce(p):
    y_hat = torch.sigmoid(linear(p["w"], p["b"])(t(p["x"])))
    return {"y_hat": y_hat, "loss": F.binary_cross_entropy(y_hat, t([float(p["y"])]))}


def ref_mse_gradient_step(p):
    # The sheet's J(w) has the 1/2 (PyTorch's mse_loss does not): the gradient of
    # mse_loss/2 is the sheet's (1/N) X^T (Xw - y). The step is a real SGD step.
    layer = linear(p["w"])
    loss = F.mse_loss(layer(t(p["X"])).squeeze(1), t(p["y"]), reduction="mean") / 2
    optimiser = torch.optim.SGD(layer.parameters(), lr=p["eta"])
    optimiser.zero_grad()
    loss.backward()
    grad = layer.weight.grad[0].clone()
    optimiser.step()
    return {"grad": grad, "w_new": layer.weight.detach()[0]}


REFERENCES = {
    "neuron.weighted_sum": ref_weighted_sum,
    "neuron.activation_output": ref_activation_output,
    "neuron.bias_from_output": ref_bias_from_output,
    "neuron.missing_weight": ref_missing_weight,
    "regression.linear_prediction": ref_linear_prediction,
    "regression.mse": ref_mse,
    "regression.gd_update": ref_gd_update,
    "regression.mse_gradient_step": ref_mse_gradient_step,
    "binary.sigmoid": ref_sigmoid,
    "binary.sigmoid_derivative": ref_sigmoid_derivative,
    "binary.prediction_rule": ref_prediction_rule,
    "binary.bce_gradient": ref_bce_gradient,
    "binary.logit_from_probability": ref_logit_from_probability,
    "binary.sigmoid_bce": ref_sigmoid_bce,
    "multiclass.predicted_class": ref_predicted_class,
    "multiclass.categorical_ce": ref_categorical_ce,
    "multiclass.softmax_gradient": ref_softmax_gradient,
    "multiclass.softmax_missing_logit": ref_softmax_missing_logit,
    "multiclass.softmax_ratio": ref_softmax_ratio,
    "multiclass.softmax": ref_softmax,
}


@pytest.mark.parametrize("template_id", sorted(REFERENCES))
def test_answers_agree_with_torch(template_id):
    variants = variants_of(template_id)
    assert len(variants) >= N_VARIANTS
    reference = REFERENCES[template_id]
    for variant in variants:
        expected = reference(params(variant))
        assert {a.spec.name for a in variant.answers} <= set(expected), f"{template_id}: an answer has no reference"
        for answer in variant.answers:
            check_answer(variant, answer, expected[answer.spec.name])
        if variant.template.kind == "multichoice":
            correct = [o for o in variant.options if o.correct]
            assert len(correct) == 1 and correct[0].rounded == variant.answers[0].rounded


def test_every_template_of_these_topics_is_checked():
    topics = {"neuron", "regression", "binary", "multiclass"}
    numeric = {tid for tid, tpl in BANK.templates.items() if tpl.topic in topics}
    assert numeric <= set(REFERENCES), f"not checked against torch: {sorted(numeric - set(REFERENCES))}"


# ---------------------------------------------------------------------------
# Concept and matching templates: their tables are the sheet's, as written


def _sheet() -> str:
    return SHEET.read_text(encoding="utf-8")


def _sheet_rows(text: str, after: str, before: str) -> list[tuple[str, str]]:
    """The rows '| left | right |' of the sheet's table between two headings (header and rule skipped)."""
    section = text[text.index(after): text.index(before, text.index(after))]
    rows = re.findall(r"^\|([^|\n]+)\|([^|\n]+)\|\s*$", section, flags=re.M)
    return [(a.strip(), b.strip()) for a, b in rows if not set(a.strip()) <= set("-") and a.strip() not in ("Gate", "Topic")]


SHEET_TABLES = {
    "concepts.gru_gates": ("For GRU, remember:", "12. Attention"),
    "concepts.gru_gates_matching": ("For GRU, remember:", "12. Attention"),
    "concepts.comparison_table": ("17. Quick Comparison Table", "18. Final Memory Lines"),
    "concepts.comparison_matching": ("17. Quick Comparison Table", "18. Final Memory Lines"),
}


@pytest.mark.parametrize("template_id", sorted(SHEET_TABLES))
def test_table_is_the_sheets_table_word_for_word(template_id):
    text = _sheet()
    rows = _sheet_rows(text, *SHEET_TABLES[template_id])
    template = BANK.get(template_id)
    for left, right in template.pairs:
        assert f"| {left} | {right} |" in text, f"{template_id}: [{left}, {right}] is not a row of the sheet"
    assert sorted(template.pairs) == sorted(rows), f"{template_id}: the template leaves out or adds rows"


def test_activation_and_loss_table_follows_the_comparison_table():
    text = _sheet()
    rows = dict(_sheet_rows(text, "17. Quick Comparison Table", "18. Final Memory Lines"))
    template = BANK.get("concepts.activation_loss_for_task")
    assert [left for left, _ in template.pairs] == ["Regression", "Binary classification", "Multi-class classification"]
    for task, entry in template.pairs:
        for part in rows[task].split(", "):  # e.g. 'identity activation', 'squared loss'
            assert part in entry, f"{task}: the sheet's '{part}' is missing from '{entry}'"


def test_memory_lines_are_the_sheets_with_arrows_written_out():
    text = _sheet()
    section = text[text.index("18. Final Memory Lines"):]
    lines = dict(re.findall(r"^([A-Za-z]+): (.+)$", section, flags=re.M))
    template = BANK.get("concepts.memory_lines")
    assert len(template.pairs) == len(lines) == 8
    for topic, chain in template.pairs:
        assert lines[topic].replace(" → ", ", then ") == chain, f"{topic}: '{chain}' differs from the sheet's '{lines[topic]}'"


CONCEPT_IDS = ["concepts.gru_gates", "concepts.comparison_table", "concepts.activation_loss_for_task", "concepts.memory_lines"]
MATCHING_IDS = ["concepts.gru_gates_matching", "concepts.comparison_matching"]


@pytest.mark.parametrize("template_id", CONCEPT_IDS)
def test_concept_options_come_from_the_table(template_id):
    template = BANK.get(template_id)
    capacity, complete = count_distinct(template)
    assert complete
    variants = list(generate(template, min(capacity, 300), seed=7))
    both_directions = set()
    for variant in variants:
        asked = variant.answers[0].value
        right_of = dict(template.pairs)
        left_of = {r: l for l, r in template.pairs}
        # the correct option is the prompt's partner in the table, in one direction or the other
        prompt = variant.context["prompt"]
        assert right_of.get(prompt) == asked or left_of.get(prompt) == asked
        both_directions.add(prompt in right_of)
        texts = [o.value for o in variant.options]
        assert len(set(texts)) == len(texts) == template.option_count
        column = [p[1] for p in template.pairs] if prompt in right_of else [p[0] for p in template.pairs]
        assert set(texts) <= set(column)
    assert both_directions == {True, False}, "ask: both asks in both directions"


@pytest.mark.parametrize("template_id", MATCHING_IDS)
def test_matching_pairs_come_from_the_table(template_id):
    template = BANK.get(template_id)
    capacity, _ = count_distinct(template)
    for variant in generate(template, min(capacity, 100), seed=7):
        matched = variant.answers[0].value
        assert len(matched) == template.pair_count
        assert all(tuple(pair) in template.pairs for pair in matched)
