"""The sequence-model, attention, Transformer, optimiser and regularisation templates checked
against PyTorch.

For every numeric template below, at least 300 variants are drawn (every distinct variant,
under several seeds, when a template has fewer) and every answer is recomputed
independently from the variant's drawn values with PyTorch's CPU build in float64: real
``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` / ``nn.TransformerEncoderLayer`` modules (parameter
counts from modules on the ``meta`` device), ``nn.Linear``, ``F.softmax``,
``F.scaled_dot_product_attention``, ``F.layer_norm``, ``nn.BatchNorm1d`` in training mode,
``nn.init.xavier_uniform_`` / ``kaiming_normal_``, autograd, and real ``torch.optim.SGD``
(plain, with momentum, with weight decay) and ``torch.optim.Adam`` steps. The exact answer
must agree to 1e-9 (relative), and the rounded key must be the reference rounded the same
way (half away from zero), except at an exact .5 tie, where the tolerance decides.

Where the sheet's convention differs from PyTorch's, the reference says so and converts;
the sheet's convention is the one we teach:
* RNN / LSTM / GRU: the sheet has one bias vector b_h per weight block, PyTorch keeps two
  (bias_ih and bias_hh). Forward passes zero bias_hh; parameter counts drop it.
* L2 weight decay: the sheet's penalty lambda*||theta||^2 has gradient 2*lambda*theta, while
  SGD's weight_decay=wd adds wd*theta, so wd = 2*lambda.
* Batch norm: the sheet (and the normalisation itself) uses the biased batch variance, but
  BatchNorm1d stores the unbiased one in running_var; torch 2.13 also refuses eps = 0 in
  training mode, so eps = 0 is replaced by 1e-300 (which leaves every float64 unchanged).
* Momentum: PyTorch's SGD (dampening 0) uses the sheet's form v = beta v + g, theta -= eta v.
"""

from __future__ import annotations

import math
from functools import lru_cache

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bank_support import REL, check_answer
from quizgen.engine.bank import load_bank
from quizgen.engine.generate import count_distinct, generate
from quizgen.engine.values import to_float

BANK = load_bank(collect_errors=True)  # another topic's template being edited must not stop these tests
N_VARIANTS = 300
F64 = torch.float64


# ---------------------------------------------------------------------------
# Helpers


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def t(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().to(F64)
    return torch.tensor(value, dtype=F64)


def params(variant) -> dict:
    """The drawn values as floats (nested lists for vectors and matrices); words stay words."""
    return {name: value if isinstance(value, str) else to_float(value) for name, value in variant.parameters.items()}


def linear(weight, bias=None) -> nn.Linear:
    """A real nn.Linear whose weight (out x in) and bias are set to the given values."""
    weight = t(weight)
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, dtype=F64)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(t(bias))
    return layer


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# Templates with fewer than N_VARIANTS distinct variants (a few drawn integers, so counting them is cheap).
SMALL = {
    "rnn.recurrent_params",
    "transformer.encoder_block_params",
    "regularisation.xavier_bound",
    "regularisation.he_std",
}


def variants_of(template_id: str) -> list:
    """At least N_VARIANTS variants; all of them (under several seeds) when a template has fewer."""
    template = BANK.get(template_id)
    if template_id in SMALL:
        capacity, complete = count_distinct(template)
        assert complete and capacity < N_VARIANTS
        seeds = range(1, 1 + max(2, math.ceil(N_VARIANTS / capacity)))
        return [v for seed in seeds for v in generate(template, capacity, seed=seed)]
    return list(generate(template, N_VARIANTS, seed=2026))


# ---------------------------------------------------------------------------
# 10-11. RNN, LSTM, GRU


def ref_hidden_update(p):
    # A real nn.RNN (tanh). The sheet's single bias b_h goes into bias_ih; PyTorch's second
    # bias vector bias_hh is set to zero.
    rnn = nn.RNN(2, 2, nonlinearity="tanh", batch_first=True, dtype=F64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(t(p["W_xh"]))
        rnn.weight_hh_l0.copy_(t(p["W_hh"]))
        rnn.bias_ih_l0.copy_(t(p["b_h"]))
        rnn.bias_hh_l0.zero_()
        out, _ = rnn(t([p["x_1"], p["x_2"]])[None], t(p["h_0"])[None, None])
    return {"h_1": out[0, 0], "h_2": out[0, 1]}


def ref_rnn_output(p):
    return {"o_t": linear(p["W_ho"], p["b_o"])(t(p["h_t"]))}


_CELLS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


@lru_cache(maxsize=None)
def sheet_count(cell: str, n_in: int, n_h: int) -> int:
    """Parameters of a real PyTorch layer, counted the sheet's way: one bias vector per block.

    PyTorch keeps bias_ih and bias_hh (each n_h per block); the sheet has one, so bias_hh is dropped.
    """
    module = _CELLS[cell](n_in, n_h, device="meta")
    return n_params(module) - module.bias_hh_l0.numel()


def ref_recurrent_params(p):
    n_in, n_h = p["n_in"], p["n_h"]
    return {name: sheet_count(cell, n_in, n_h) for name, cell in (("P_rnn", "RNN"), ("P_lstm", "LSTM"), ("P_gru", "GRU"))}


def ref_hidden_size_from_params(p):
    # Solve for n_h by bisection over real modules (the count grows with n_h).
    cell, n_in, target = p["cell"], p["n_in"], p["P"]
    low, high = 1, 4096
    while low < high:
        middle = (low + high) // 2
        if sheet_count(cell, n_in, middle) < target:
            low = middle + 1
        else:
            high = middle
    assert sheet_count(cell, n_in, low) == target, f"no {cell} with n_in={n_in} has {target} parameters"
    return {"n_h": low}


# ---------------------------------------------------------------------------
# 12. Attention


def ref_attention_weights(p):
    q, K, V = t(p["q"]), t(p["K"]), t(p["V"])
    s = K @ q
    # unscaled dot-product attention: F.scaled_dot_product_attention with scale 1
    out = F.scaled_dot_product_attention(q[None], K, V, scale=1.0)[0]
    return {"s": s, "alpha": F.softmax(s, dim=0), "out": out}


def ref_weighted_sum(p):
    # sum_i alpha_i v_i: attention whose weights are given. softmax(log alpha) = alpha, so
    # F.scaled_dot_product_attention with the query [1] against the keys log(alpha) gives it.
    alpha, V = t(p["alpha"]), t(p["V"])
    out = F.scaled_dot_product_attention(t([[1.0]]), torch.log(alpha)[:, None], V, scale=1.0)[0]
    assert torch.allclose(out, alpha @ V, rtol=REL, atol=1e-12)
    return {"out": out}


def ref_scaled_dot_product(p):
    Q, K, V = t(p["Q"]), t(p["K"]), t(p["V"])
    n = K.shape[0]
    # the weights: attention with the identity as values returns softmax(QK^T / sqrt(d_k)) itself
    A = F.scaled_dot_product_attention(Q, K, torch.eye(n, dtype=F64))
    assert torch.allclose(A, F.softmax(Q @ K.T / math.sqrt(K.shape[1]), dim=-1), rtol=REL, atol=1e-12)
    return {"A": A, "Z": F.scaled_dot_product_attention(Q, K, V)}


# ---------------------------------------------------------------------------
# 13. Transformer


@lru_cache(maxsize=None)
def _pe_table(d_model: int, positions: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The usual PyTorch implementation of the sinusoidal encoding (as in the PyTorch tutorials)."""
    position = torch.arange(positions, dtype=F64)[:, None]
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=F64) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(positions, d_model, dtype=F64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe, div_term


def ref_positional_encoding(p):
    pe, _ = _pe_table(p["d_model"], 101)
    return {"PE": pe[p["pos"], p["j"]]}


def ref_pe_angle(p):
    d_model, j, pos = p["d_model"], p["j"], p["pos"]
    pe, div_term = _pe_table(d_model, 200)
    # the partner: the one other dimension with sin^2 + cos^2 = 1 at every position
    unit = ((pe**2 + pe[:, j : j + 1] ** 2 - 1).abs() < 1e-12).all(dim=0)
    unit[j] = False
    partners = torch.nonzero(unit).flatten().tolist()
    assert len(partners) == 1
    frequency = div_term[j // 2]
    angle = pos * frequency
    assert math.isclose(float(torch.sin(angle) if j % 2 == 0 else torch.cos(angle)), float(pe[pos, j]), abs_tol=1e-12)
    return {"partner": partners[0], "angle": angle, "wavelength": 2 * math.pi / frequency}


def ref_ffn_forward(p):
    # x W_1 with x a row vector is nn.Linear with weight W_1^T
    first = linear(t(p["W_1"]).T, p["b_1"])
    second = linear(t(p["W_2"]).T, p["b_2"])
    x = t(p["x"])
    h = F.relu(first(x))
    y = nn.Sequential(first, nn.ReLU(), second)(x)
    return {"h": h, "y": y}


def ref_layer_norm(p):
    u = t(p["x"]) + t(p["s"])
    return {
        "mu": u.mean(),
        "sigma2": u.var(unbiased=False),
        "out": F.layer_norm(u, (u.shape[0],), eps=0.0),
    }


def ref_encoder_block_params(p):
    layer = nn.TransformerEncoderLayer(p["d"], p["h"], p["d_ff"], device="meta")
    return {
        "P_att": n_params(layer.self_attn),
        "P_ffn": n_params(layer.linear1) + n_params(layer.linear2),
        "P_total": n_params(layer),
    }


# ---------------------------------------------------------------------------
# 14. Optimisers


def ref_gd_step(p):
    theta = nn.Parameter(t(p["theta"]).clone())
    optimiser = torch.optim.SGD([theta], lr=p["eta"])
    theta.grad = t(p["g"])
    optimiser.step()
    return {"theta_new": theta.detach()}


def ref_minibatch_gradient(p):
    # per-example losses l_i(theta) = G_i . theta have gradients G_i; autograd averages them
    theta = nn.Parameter(t(p["theta"]).clone())
    G = t(p["G"])
    losses = G @ theta
    losses.mean().backward()
    g = theta.grad.clone()
    torch.optim.SGD([theta], lr=p["eta"]).step()
    return {"g": g, "theta_new": theta.detach()}


def ref_momentum_two_steps(p):
    # PyTorch's SGD with momentum (dampening 0) is the sheet's form: v = beta v + g, theta -= eta v
    theta = nn.Parameter(t([p["theta_1"]]))
    optimiser = torch.optim.SGD([theta], lr=p["eta"], momentum=p["beta"], dampening=0.0)
    theta.grad = t([p["g_1"]])
    optimiser.step()
    theta_2 = theta.detach().clone()
    theta.grad = t([p["g_2"]])
    optimiser.step()
    v_2 = optimiser.state[theta]["momentum_buffer"]
    return {"theta_2": theta_2[0], "v_2": v_2[0], "theta_3": theta.detach()[0]}


ADAM = {"betas": (0.9, 0.999), "eps": 1e-8, "foreach": False}


def ref_adam_step(p):
    theta = nn.Parameter(t(p["theta_2"]).clone())
    optimiser = torch.optim.Adam([theta], lr=p["eta"], **ADAM)
    theta.grad = t(p["g_1"])
    optimiser.step()  # t = 1 from m_0 = v_0 = 0; where it moved theta does not matter
    with torch.no_grad():
        theta.copy_(t(p["theta_2"]))
    theta.grad = t(p["g_2"])
    optimiser.step()  # t = 2
    state = optimiser.state[theta]
    assert float(state["step"]) == 2
    return {"m_2": state["exp_avg"], "v_2": state["exp_avg_sq"], "theta_3": theta.detach()}


def ref_adam_bias_correction(p):
    # Put Adam's state just before step t so that a zero gradient leaves exactly the given
    # moments m_t, v_t (m_t = beta_1 m_{t-1}, v_t = beta_2 v_{t-1}); then one real step.
    beta_1, beta_2 = ADAM["betas"]
    step_t = p["t"]
    theta = nn.Parameter(t([p["theta"]]))
    optimiser = torch.optim.Adam([theta], lr=p["eta"], **ADAM)
    optimiser.state[theta] = {
        "step": torch.tensor(float(step_t - 1), dtype=F64),
        "exp_avg": t([p["m_t"] / beta_1]),
        "exp_avg_sq": t([p["v_t"] / beta_2]),
    }
    theta.grad = torch.zeros(1, dtype=F64)
    optimiser.step()
    state = optimiser.state[theta]
    assert float(state["step"]) == step_t
    m_hat = state["exp_avg"][0] / (1 - beta_1 ** float(state["step"]))
    v_hat = state["exp_avg_sq"][0] / (1 - beta_2 ** float(state["step"]))
    return {"m_hat": m_hat, "v_hat": v_hat, "theta_new": theta.detach()[0]}


# ---------------------------------------------------------------------------
# 15. Regularisation


def ref_l2_regularised_loss(p):
    theta = t(p["theta"])
    penalty = p["lam"] * torch.linalg.vector_norm(theta, ord=2) ** 2
    return {"penalty": penalty, "J_reg": p["J"] + penalty}


def ref_l1_regularised_loss(p):
    theta = t(p["theta"])
    penalty = p["lam"] * torch.linalg.vector_norm(theta, ord=1)
    return {"penalty": penalty, "J_reg": p["J"] + penalty}


def ref_weight_decay_update(p):
    # The sheet's penalty lambda ||theta||^2 has gradient 2 lambda theta; SGD's weight_decay adds
    # wd * theta to the gradient, so wd = 2 lambda.
    theta = nn.Parameter(t(p["theta"]).clone())
    optimiser = torch.optim.SGD([theta], lr=p["eta"], weight_decay=2 * p["lam"])
    theta.grad = t(p["grad"])
    optimiser.step()
    # the same step by autograd on J_regularised, with J's gradient injected through a linear term
    check = nn.Parameter(t(p["theta"]).clone())
    (t(p["grad"]) @ check + p["lam"] * (check**2).sum()).backward()
    assert torch.allclose(t(p["theta"]) - p["eta"] * check.grad, theta.detach(), rtol=REL, atol=1e-12)
    return {"theta_new": theta.detach()}


def ref_batch_norm(p):
    # torch 2.13 refuses eps = 0 in training mode: 1e-300 changes no float64 variance.
    eps = p["eps"] if p["eps"] > 0 else 1e-300
    layer = nn.BatchNorm1d(1, eps=eps, momentum=1.0, dtype=F64)  # momentum 1: the running stats are this batch's
    layer.train()
    with torch.no_grad():
        layer.weight.fill_(p["gamma"])
        layer.bias.fill_(p["beta"])
        y = layer(t(p["x"])[:, None])[:, 0]
    B = p["B"]
    # BatchNorm1d normalises with the biased variance but stores the unbiased one in running_var
    return {"mu": layer.running_mean[0], "sigma2": layer.running_var[0] * (B - 1) / B, "y": y}


@lru_cache(maxsize=None)
def _xavier_bound(n_in: int, n_out: int) -> float:
    # The bound a of U(-a, a), read off a real xavier_uniform_ draw against a U(-1, 1) draw from
    # the same random numbers (uniform_ computes from + (to - from) u, so the ratio is a).
    weight = torch.empty(n_out, n_in, dtype=F64)  # nn.Linear's weight: out x in
    nn.init.xavier_uniform_(weight, generator=torch.Generator().manual_seed(0))
    unit = torch.empty_like(weight).uniform_(-1, 1, generator=torch.Generator().manual_seed(0))
    k = int(unit.abs().argmax())
    return float(weight.flatten()[k] / unit.flatten()[k])


def ref_xavier_bound(p):
    return {"a": _xavier_bound(p["n_in"], p["n_out"])}


@lru_cache(maxsize=None)
def _he_std(C_in: int, K: int) -> float:
    # The standard deviation of a real kaiming_normal_ draw (fan-in mode, ReLU gain), read off
    # against an N(0, 1) draw from the same random numbers. Fan-in mode ignores the number of
    # filters, so one filter (1 x C_in x K x K) is enough.
    weight = torch.empty(1, C_in, K, K, dtype=F64)
    nn.init.kaiming_normal_(weight, mode="fan_in", nonlinearity="relu", generator=torch.Generator().manual_seed(0))
    unit = torch.empty_like(weight).normal_(0, 1, generator=torch.Generator().manual_seed(0))
    k = int(unit.abs().argmax())
    return float(weight.flatten()[k] / unit.flatten()[k])


def ref_he_std(p):
    conv = nn.Conv2d(p["C_in"], p["C_out"], p["K"], device="meta")  # weight C_out x C_in x K x K
    std = _he_std(p["C_in"], p["K"])
    return {"n_in": conv.weight[0].numel(), "var_w": std**2, "std_w": std}


REFERENCES = {
    "rnn.hidden_update": ref_hidden_update,
    "rnn.rnn_output": ref_rnn_output,
    "rnn.recurrent_params": ref_recurrent_params,
    "rnn.hidden_size_from_params": ref_hidden_size_from_params,
    "attention.attention_weights": ref_attention_weights,
    "attention.weighted_sum": ref_weighted_sum,
    "attention.scaled_dot_product": ref_scaled_dot_product,
    "transformer.positional_encoding": ref_positional_encoding,
    "transformer.pe_angle": ref_pe_angle,
    "transformer.ffn_forward": ref_ffn_forward,
    "transformer.layer_norm": ref_layer_norm,
    "transformer.encoder_block_params": ref_encoder_block_params,
    "optimisers.gd_step": ref_gd_step,
    "optimisers.minibatch_gradient": ref_minibatch_gradient,
    "optimisers.momentum_two_steps": ref_momentum_two_steps,
    "optimisers.adam_step": ref_adam_step,
    "optimisers.adam_bias_correction": ref_adam_bias_correction,
    "regularisation.l2_regularised_loss": ref_l2_regularised_loss,
    "regularisation.l1_regularised_loss": ref_l1_regularised_loss,
    "regularisation.weight_decay_update": ref_weight_decay_update,
    "regularisation.batch_norm": ref_batch_norm,
    "regularisation.xavier_bound": ref_xavier_bound,
    "regularisation.he_std": ref_he_std,
}

# Written by others; checked here when present.
OPTIONAL = {"attention.attention_weights", "transformer.positional_encoding", "optimisers.momentum_two_steps", "optimisers.adam_step"}


@pytest.mark.parametrize("template_id", sorted(REFERENCES))
def test_answers_agree_with_torch(template_id):
    if template_id not in BANK.templates:
        if template_id in OPTIONAL:
            pytest.skip(f"{template_id} is not in the bank")
        raise AssertionError(f"{template_id} is missing from the bank")
    variants = variants_of(template_id)
    assert len(variants) >= N_VARIANTS
    reference = REFERENCES[template_id]
    for variant in variants:
        expected = reference(params(variant))
        assert set(expected) == {a.spec.name for a in variant.answers}, f"{template_id}: the reference covers other answers"
        for answer in variant.answers:
            check_answer(variant, answer, expected[answer.spec.name])

