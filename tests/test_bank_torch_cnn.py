"""PyTorch cross-check of the CNN and MLP templates (sheet sections 5-9).

For each template this draws at least 300 distinct variants (or, when the template
can make fewer, every variant it can make, with several seeds) and recomputes every
answer from the variant's drawn parameters with PyTorch's CPU build, independently
of quizgen's formula functions:

* output sizes and channels from forward passes of real ``nn.Conv2d`` / ``nn.MaxPool2d``
  modules on zero tensors under ``torch.no_grad()``. The spatial size does not depend on
  the channel counts, so the spatial pass uses one channel and the channel pass a tiny
  input (keeps the file fast);
* parameter counts from ``module.parameters()`` of real modules, built with
  ``torch.nn.utils.skip_init`` (no random initialisation: only shapes and counts matter);
* effective kernel sizes of dilated convolutions as the receptive field measured with
  autograd (the span of input pixels that one output pixel depends on);
* the MLP forward pass with ``nn.Linear`` in float64.

Conventions: the sheet writes a dense layer as z = hW + b with h a row vector, so its
W^(l) is n_in x n_out; PyTorch's ``nn.Linear`` stores ``weight`` as n_out x n_in and
computes x @ weight.T + bias. So the sheet's W is ``weight.T`` (converted below).
The sheet's parameter counts (one bias per unit or filter) match PyTorch's defaults.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from bank_support import check_answer  # noqa: E402
from quizgen.engine.generate import count_distinct, generate  # noqa: E402
from quizgen.engine.template import load_template  # noqa: E402
from quizgen.engine.values import to_float  # noqa: E402

BANK = Path(__file__).resolve().parents[1] / "question_bank"
WANTED = 300
SEEDS_WHEN_SMALL = (2026, 7, 99)



@pytest.fixture(autouse=True)
def _no_autograd():
    """Shapes and counts need no gradients; scoped to this file so other files' autograd still works."""
    with torch.no_grad():
        yield


def _load(template_id: str):
    topic, slug = template_id.split(".")
    return load_template(BANK / topic / f"{slug}.yaml", BANK)


def variants_of(template_id: str):
    """At least 300 distinct variants, or every variant the template can make (with several seeds)."""
    template = _load(template_id)
    capacity, complete = count_distinct(template, limit=1500)
    if complete and capacity < WANTED:
        drawn = []
        for seed in SEEDS_WHEN_SMALL:
            drawn.extend(generate(template, capacity, seed=seed))
        assert len({v.note for v in drawn}) == capacity
        return drawn
    drawn = list(generate(template, WANTED, seed=2026))
    assert len({v.note for v in drawn}) == WANTED
    return drawn


def params_of(variant) -> dict:
    return {name: to_float(value) for name, value in variant.parameters.items()}


# ---------------------------------------------------------------------------
# PyTorch references


def conv_hw(H, W, K_h, K_w, P_h=0, P_w=0, S_h=1, S_w=1, D=1):
    """(H_out, W_out) of a real nn.Conv2d on a zero tensor (one channel: the size does not depend on channels)."""
    layer = nn.Conv2d(1, 1, (int(K_h), int(K_w)), stride=(int(S_h), int(S_w)), padding=(int(P_h), int(P_w)), dilation=int(D))
    out = layer(torch.zeros(1, 1, int(H), int(W)))
    return out.shape[2], out.shape[3]


@functools.lru_cache(maxsize=None)
def conv_len(N, K, P, S, D=1):
    """Output length along one axis, with the functional conv (cheap enough for brute-force scans)."""
    if int(N) + 2 * int(P) < (int(K) - 1) * int(D) + 1:
        return 0  # the kernel does not fit: no output
    weight = torch.zeros(1, 1, int(K), 1)
    return F.conv2d(torch.zeros(1, 1, int(N), 1), weight, stride=(int(S), 1), padding=(int(P), 0), dilation=(int(D), 1)).shape[2]


def conv_channels(C_in, C_out, K):
    """Output channels of a real nn.Conv2d, on the smallest input the kernel fits."""
    layer = build(nn.Conv2d, int(C_in), int(C_out), int(K))
    return layer(torch.zeros(1, int(C_in), int(K), int(K))).shape[1]


def smallest_input(O, K, P, S) -> int:
    """The smallest input length whose convolution output has length O (binary search: the output grows with the input)."""
    low, high = 1, 4096
    assert conv_len(high, K, P, S) >= O
    while low < high:
        middle = (low + high) // 2
        if conv_len(middle, K, P, S) >= O:
            high = middle
        else:
            low = middle + 1
    assert conv_len(low, K, P, S) == O, "no input gives exactly this output"
    return low


def pool_hw(H, W, K, P, S):
    out = nn.MaxPool2d(int(K), stride=int(S), padding=int(P))(torch.zeros(1, 1, int(H), int(W)))
    return out.shape[2], out.shape[3]


def pool_channels(C, K, P, S):
    return nn.MaxPool2d(int(K), stride=int(S), padding=int(P))(torch.zeros(1, int(C), int(K), int(K))).shape[1]


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def build(cls, *args, **kwargs) -> nn.Module:
    """A real module without its random initialisation (fast for wide layers; the weights are never used)."""
    return torch.nn.utils.skip_init(cls, *args, **kwargs)


def conv(C_in, C_out, K_h, K_w=None, **kwargs) -> nn.Conv2d:
    return build(nn.Conv2d, int(C_in), int(C_out), (int(K_h), int(K_h if K_w is None else K_w)), **kwargs)


@functools.lru_cache(maxsize=None)
def effective_kernel(K, D) -> int:
    """Receptive field of one output pixel of a dilated K x K convolution, measured with autograd."""
    K, D = int(K), int(D)
    size = (K - 1) * D + 1 + 8
    layer = nn.Conv2d(1, 1, K, dilation=D, bias=False)
    with torch.enable_grad():
        layer.weight.data.fill_(1.0)
        x = torch.zeros(1, 1, size, size, requires_grad=True)
        layer(x)[0, 0, 0, 0].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()
    cols = torch.nonzero(x.grad[0, 0].abs().sum(dim=0)).flatten()
    span_rows = int(rows.max() - rows.min()) + 1
    assert span_rows == int(cols.max() - cols.min()) + 1
    return span_rows


def test_references_on_known_networks():
    """The references themselves, on layers whose sizes are well known."""
    assert conv_hw(224, 224, 7, 7, 3, 3, 2, 2) == (112, 112)  # ResNet stem
    assert conv_hw(227, 227, 11, 11, 0, 0, 4, 4) == (55, 55)  # AlexNet conv1
    assert pool_hw(112, 112, 3, 1, 2) == (56, 56)  # ResNet max-pool
    assert count_parameters(conv(3, 64, 3)) == 1792  # VGG conv1_1
    assert effective_kernel(3, 2) == 5 and effective_kernel(3, 1) == 3
    assert count_parameters(nn.MaxPool2d(2)) == 0


# ---------------------------------------------------------------------------
# MLP (section 5)


def test_mlp_dense_params():
    for v in variants_of("mlp.dense_params"):
        p = params_of(v)
        check_answer(v, "params", count_parameters(build(nn.Linear, p["n_in"], p["n_out"])))


def test_mlp_dense_units_from_params():
    for v in variants_of("mlp.dense_units_from_params"):
        p = params_of(v)
        per_unit = count_parameters(build(nn.Linear, p["n_in"], 1))  # n_in weights and one bias
        assert p["params"] % per_unit == 0
        units = p["params"] // per_unit
        assert count_parameters(build(nn.Linear, p["n_in"], units)) == p["params"]
        check_answer(v, "n_out", units)


def test_mlp_param_count():
    for v in variants_of("mlp.param_count"):
        p = params_of(v)
        net = nn.Sequential(
            build(nn.Linear, p["n_in"], p["h_1"]), nn.ReLU(),
            build(nn.Linear, p["h_1"], p["h_2"]), nn.ReLU(),
            build(nn.Linear, p["h_2"], p["n_out"]),
        )
        check_answer(v, "total", count_parameters(net))


def test_mlp_layer_shapes():
    for v in variants_of("mlp.layer_shapes"):
        p = params_of(v)
        widths = [p["n_0"], p["n_1"], p["n_2"], p["n_3"]]
        layers = [build(nn.Linear, a, b) for a, b in zip(widths, widths[1:])]
        l = p["l"]
        h = torch.zeros(p["B"], p["n_0"])  # one example per row, as on the sheet
        for layer in layers[:l]:
            h = torch.relu(layer(h))
        linear = layers[l - 1]
        W = linear.weight.T  # the sheet's W^(l) (z = hW + b) is PyTorch's weight transposed
        check_answer(v, "W_rows", W.shape[0])
        check_answer(v, "W_cols", W.shape[1])
        check_answer(v, "b_len", linear.bias.shape[0])
        check_answer(v, "h_rows", h.shape[0])
        check_answer(v, "h_cols", h.shape[1])


def test_mlp_forward_pass():
    for v in variants_of("mlp.forward_pass"):
        p = params_of(v)
        W_1 = torch.tensor(p["W_1"], dtype=torch.float64)
        W_2 = torch.tensor(p["W_2"], dtype=torch.float64)
        hidden = nn.Linear(W_1.shape[0], W_1.shape[1], dtype=torch.float64)
        output = nn.Linear(W_2.shape[0], W_2.shape[1], dtype=torch.float64)
        hidden.weight.copy_(W_1.T)  # sheet: z = xW + b with W of shape n_in x n_out
        hidden.bias.copy_(torch.tensor(p["b_1"], dtype=torch.float64))
        output.weight.copy_(W_2.T)
        output.bias.copy_(torch.tensor(p["b_2"], dtype=torch.float64))
        x = torch.tensor([p["x"]], dtype=torch.float64)
        h = F.relu(hidden(x))
        y_hat = output(h)  # the output layer is linear: no activation
        check_answer(v, "h", h[0].tolist())
        check_answer(v, "y_hat", y_hat[0].tolist())


# ---------------------------------------------------------------------------
# CNN output sizes (section 6)


def test_cnn_conv_output_size():
    for v in variants_of("cnn.conv_output_size"):
        p = params_of(v)
        H_out, W_out = conv_hw(p["H"], p["W"], p["K_h"], p["K_w"], p["P_h"], p["P_w"], p["S_h"], p["S_w"])
        check_answer(v, "H_out", H_out)
        check_answer(v, "W_out", W_out)


def test_cnn_output_channels():
    for v in variants_of("cnn.output_channels"):
        p = params_of(v)
        H_out, W_out = conv_hw(p["H"], p["W"], p["K"], p["K"], p["P"], p["P"], p["S"], p["S"])
        check_answer(v, "H_out", H_out)
        check_answer(v, "W_out", W_out)
        check_answer(v, "C_out", conv_channels(p["C_in"], p["F"], p["K"]))


def test_cnn_same_padding():
    for v in variants_of("cnn.same_padding"):
        p = params_of(v)
        answer = int(to_float(v.answers[0].value))
        # The padding keeps the size, and it is the only one that does (the size grows with P).
        assert conv_hw(p["H"], p["W"], p["K"], p["K"], answer, answer) == (p["H"], p["W"])
        same = [P for P in range(0, p["K"] + 1) if conv_len(p["H"], p["K"], P, 1) == p["H"]]
        assert same == [answer]
        # PyTorch's own padding='same' (stride 1) gives the same size.
        layer = nn.Conv2d(1, 1, p["K"], padding="same")
        assert tuple(layer(torch.zeros(1, 1, p["H"], p["W"])).shape[2:]) == (p["H"], p["W"])
        check_answer(v, "P", same[0])


def test_cnn_stride_from_output():
    for v in variants_of("cnn.stride_from_output"):
        p = params_of(v)
        N, K, P, O = p["N"], p["K"], p["P"], p["O"]
        # Every stride that turns N into O, found by brute force over all strides.
        strides = [S for S in range(1, N + 2 * P + 1) if conv_len(N, K, P, S) == O]
        assert len(strides) == 1, f"{v.code}: strides {strides} all give {O}"
        S = strides[0]
        assert conv_hw(N, N, K, K, P, P, S, S) == (O, O)
        assert conv_len(N - 1, K, P, S) == O - 1, "the last kernel position ends exactly at the edge"
        check_answer(v, "S", S)


def test_cnn_input_size_from_output():
    for v in variants_of("cnn.input_size_from_output"):
        p = params_of(v)
        K, P, S = p["K"], p["P"], p["S"]
        # The smallest input with this output, so that the last kernel position ends exactly
        # at the edge of the padded input and no pixel is left over (as the text says).
        H = smallest_input(p["H_out"], K, P, S)
        W = smallest_input(p["W_out"], K, P, S)
        assert conv_hw(H, W, K, K, P, P, S, S) == (p["H_out"], p["W_out"])
        assert (H - K + 2 * P) % S == 0 and (W - K + 2 * P) % S == 0
        check_answer(v, "H", H)
        check_answer(v, "W", W)


def test_cnn_padding_for_output():
    for v in variants_of("cnn.padding_for_output"):
        p = params_of(v)
        N, K, S, O = p["N"], p["K"], p["S"], p["O"]
        paddings = [P for P in range(0, K + 1) if conv_len(N, K, P, S) == O]
        assert len(paddings) == 1, f"{v.code}: paddings {paddings} all give {O}"
        P = paddings[0]
        assert conv_hw(N, N, K, K, P, P, S, S) == (O, O)
        if O == math.ceil(N / S) and S == 1:
            layer = nn.Conv2d(1, 1, K, padding="same")  # PyTorch's 'same' exists for stride 1
            assert layer(torch.zeros(1, 1, N, N)).shape[2] == O
        check_answer(v, "P", P)


# ---------------------------------------------------------------------------
# CNN parameters (section 7)


def test_cnn_conv_params():
    for v in variants_of("cnn.conv_params"):
        p = params_of(v)
        check_answer(v, "params", count_parameters(conv(p["C_in"], p["C_out"], p["K_h"], p["K_w"])))


def test_cnn_conv1x1_params():
    for v in variants_of("cnn.conv1x1_params"):
        p = params_of(v)
        layer = conv(p["C_in"], p["C_out"], 1)
        out = layer(torch.zeros(1, p["C_in"], 2, 3))
        assert tuple(out.shape) == (1, p["C_out"], 2, 3), "a 1x1 convolution keeps the spatial size"
        check_answer(v, "params", count_parameters(layer))


def test_cnn_small_cnn_params():
    for v in variants_of("cnn.small_cnn_params"):
        p = params_of(v)
        net = nn.Sequential(
            conv(p["C_0"], p["F_1"], p["K_1"], padding="same"), nn.ReLU(),
            conv(p["F_1"], p["F_2"], p["K_2"], padding="same"), nn.ReLU(),
            conv(p["F_2"], p["F_3"], p["K_3"], padding="same"),
        )
        out = net(torch.zeros(1, p["C_0"], 1, 1))  # runs only if the channels chain C_out -> next C_in
        assert tuple(out.shape) == (1, p["F_3"], 1, 1)
        check_answer(v, "total", count_parameters(net))


# ---------------------------------------------------------------------------
# Pooling (section 8)


def test_cnn_pool_output():
    for v in variants_of("cnn.pool_output"):
        p = params_of(v)
        H_out, W_out = pool_hw(p["H"], p["W"], p["K"], p["P"], p["S"])
        if p["S"] == p["K"]:  # the text says "the default stride": PyTorch's default is the window size
            default = nn.MaxPool2d(p["K"], padding=p["P"])(torch.zeros(1, 1, p["H"], p["W"]))
            assert tuple(default.shape[2:]) == (H_out, W_out)
        check_answer(v, "H_out", H_out)
        check_answer(v, "W_out", W_out)
        check_answer(v, "C_out", pool_channels(p["C"], p["K"], p["P"], p["S"]))


def test_cnn_pool_params():
    for v in variants_of("cnn.pool_params"):
        p = params_of(v)
        pool = nn.MaxPool2d(p["K_p"], stride=p["K_p"])
        assert count_parameters(pool) == 0
        net = nn.Sequential(
            conv(p["C_0"], p["F_1"], p["K_1"], padding="same"), nn.ReLU(),
            pool,
            conv(p["F_1"], p["F_2"], p["K_2"], padding="same"),  # padding changes no parameter count
        )
        out = net(torch.zeros(1, p["C_0"], p["K_p"], p["K_p"]))  # runs only if pooling keeps the F_1 channels
        assert tuple(out.shape) == (1, p["F_2"], 1, 1)
        check_answer(v, "total", count_parameters(net))


# ---------------------------------------------------------------------------
# Dilated convolution (section 9)


def test_cnn_dilated_conv_output():
    for v in variants_of("cnn.dilated_conv_output"):
        p = params_of(v)
        check_answer(v, "K_eff", effective_kernel(p["K"], p["D"]))
        H_out, W_out = conv_hw(p["N"], p["N"], p["K"], p["K"], p["P"], p["P"], p["S"], p["S"], D=p["D"])
        assert H_out == W_out
        check_answer(v, "O", H_out)


def test_cnn_dilation_from_kernel():
    for v in variants_of("cnn.dilation_from_kernel"):
        p = params_of(v)
        # (a) every dilation whose receptive field is K_eff (brute force; K_eff >= D for K >= 2)
        dilations = [D for D in range(1, p["K_eff_a"] + 1) if effective_kernel(p["K_a"], D) == p["K_eff_a"]]
        assert len(dilations) == 1
        check_answer(v, "D_a", dilations[0])
        # (b) every kernel size whose receptive field at dilation D is K_eff
        kernels = [K for K in range(1, p["K_eff_b"] + 1) if effective_kernel(K, p["D_b"]) == p["K_eff_b"]]
        assert len(kernels) == 1
        check_answer(v, "K_b", kernels[0])
