"""Templates that ask a starred formula backwards, checked against PyTorch (float64, CPU).

* rnn.hidden_preactivation: from h_t, undo the tanh (torch.atanh) to get a_t, then solve
  for the bias with real nn.Linear layers; the reference bias is then put into a real
  nn.RNN (tanh) and one step from h_{t-1} with input x_t must give back h_t.
  The sheet has ONE bias b_h, PyTorch's nn.RNN keeps two (bias_ih and bias_hh): we put
  b_h into bias_ih and zero bias_hh.
* attention.scaled_scores: QK^T / sqrt(d_k) from torch.matmul, and the weights of the
  query asked for from F.scaled_dot_product_attention with V = the identity (so the output
  IS the weight matrix; its default scale is 1/sqrt(d_k), the sheet's).

At least 300 variants of each are drawn (plus some nice ones); the exact answer must agree
with the reference to 1e-9 (relative) and the rounded key must be the reference rounded
half away from zero, except at an exact .5 tie, where the tolerance decides.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bank_support import check_answer
from quizgen.engine.bank import load_bank
from quizgen.engine.generate import generate
from quizgen.engine.values import to_float

BANK = load_bank(collect_errors=True)  # another topic's template being edited must not stop these tests
N_VARIANTS = 300
F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def t(value) -> torch.Tensor:
    return torch.tensor(value, dtype=F64)


def params(variant) -> dict:
    return {name: value if isinstance(value, str) else to_float(value) for name, value in variant.parameters.items()}


def variants_of(template_id: str) -> list:
    template = BANK.get(template_id)
    variants = list(generate(template, N_VARIANTS, seed=11))
    variants += list(generate(template, 40, seed=12, nice=True)) if template.nice else []
    assert len({v.note for v in variants[:N_VARIANTS]}) >= N_VARIANTS
    return variants


def linear(weight) -> nn.Linear:
    weight = t(weight)
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=False, dtype=F64)
    with torch.no_grad():
        layer.weight.copy_(weight)
    return layer


def test_rnn_hidden_preactivation():
    for variant in variants_of("rnn.hidden_preactivation"):
        p = params(variant)
        h_prev, x_t, h_t = t(p["h_prev"]), t(p["x_t"]), t(p["h_t"])
        a_ref = torch.atanh(h_t)
        with torch.no_grad():
            b_ref = a_ref - linear(p["W_hh"])(h_prev) - linear(p["W_xh"])(x_t)
        check_answer(variant, "a_t", a_ref)
        check_answer(variant, "b_h", b_ref)
        # Round trip through a real nn.RNN: the recovered bias reproduces h_t (bias_hh = 0: one sheet bias).
        rnn = nn.RNN(2, 2, nonlinearity="tanh", batch_first=True, dtype=F64)
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(t(p["W_xh"]))
            rnn.weight_hh_l0.copy_(t(p["W_hh"]))
            rnn.bias_ih_l0.copy_(b_ref)
            rnn.bias_hh_l0.zero_()
            out, _ = rnn(x_t.view(1, 1, 2), h_prev.view(1, 1, 2))
        assert torch.allclose(out.view(2), h_t, rtol=0, atol=1e-12), variant.code


def test_attention_scaled_scores():
    for variant in variants_of("attention.scaled_scores"):
        p = params(variant)
        Q, K, d_k, r = t(p["Q"]), t(p["K"]), int(p["d_k"]), int(p["r"])
        n = Q.shape[0]
        assert Q.shape == K.shape == (n, d_k)
        scores = torch.matmul(Q, K.transpose(0, 1)) / math.sqrt(d_k)
        check_answer(variant, "S_scaled", scores)
        weights = F.scaled_dot_product_attention(Q.unsqueeze(0), K.unsqueeze(0), torch.eye(n, dtype=F64).unsqueeze(0))[0]
        assert torch.allclose(weights, F.softmax(scores, dim=-1), rtol=0, atol=1e-12)
        check_answer(variant, "alpha", weights[r - 1])
