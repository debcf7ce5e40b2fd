"""Cross-check every formula of the sheet against an independent implementation.

Each function in ``quizgen.engine.formulas`` computes exactly (sympy numbers, object
arrays). Here it is evaluated on random inputs like the ones a question would use
(decimals with one or two places, small integer sizes) and compared, after
conversion to float, with PyTorch (float64, CPU) where PyTorch has the operation
and with plain numpy float64 otherwise. Layer sizes and parameter counts are
read off real ``torch.nn`` modules.

Inputs are drawn as integers and divided by 10 or 100, so the float handed to
torch/numpy is the nearest double to the decimal and ``exact`` reads it back as
that decimal's exact rational. Every loop has its own
``numpy.random.default_rng`` seed (derived from the test's name); no global random
state is used for inputs.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
import sympy
import torch
import torch.nn as nn
import torch.nn.functional as F

from quizgen.engine import formulas as fm
from quizgen.engine.formulas import FORMULAS
from quizgen.engine.values import exact, to_float

N_CASES = 200
RTOL = 1e-9
ATOL = 1e-12
F64 = torch.float64

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "step", "identity")

# Names of the formulas some test below cross-checks; filled by @covers.
COVERED: set[str] = set()
EXTRA_FUNCTIONS = {"mean", "biased_variance"}  # not registered in FORMULAS but exported


def covers(*names: str):
    """Record that the decorated test cross-checks these formulas."""

    def mark(test):
        COVERED.update(names)
        return test

    return mark


# ---------------------------------------------------------------- helpers


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def draw(rng: np.random.Generator, shape=(), lo: float = -3.0, hi: float = 3.0) -> np.ndarray:
    """Decimals in [lo, hi] with one or two places (chosen per element), as float64."""
    low, high = round(lo * 100), round(hi * 100)
    ints = rng.integers(low, high + 1, size=shape)
    one_place = rng.random(size=shape) < 0.5
    ints = np.clip(np.where(one_place, (ints // 10) * 10, ints), low, high)
    return np.asarray(ints / 100.0, dtype=np.float64)


def pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def size(rng: np.random.Generator, lo: int, hi: int) -> int:
    """An integer in [lo, hi]."""
    return int(rng.integers(lo, hi + 1))


def ex(a):
    """The exact value of a drawn float / float array (a scalar, vector or matrix)."""
    return exact(np.asarray(a, dtype=np.float64).tolist())


def t64(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=F64)


def probabilities(rng: np.random.Generator, k: int, allow_zero: bool = False) -> np.ndarray:
    """k two-place decimals summing to exactly 1 (all positive unless allow_zero)."""
    if allow_zero:
        cuts = np.sort(rng.integers(0, 101, size=k - 1))
    else:
        cuts = np.sort(rng.choice(np.arange(1, 100), size=k - 1, replace=False))
    return np.diff(np.concatenate([[0], cuts, [100]])) / 100.0


def as_float(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def assert_close(actual, expected, **inputs) -> None:
    """float(exact result) equals the reference to RTOL/ATOL, with the same shape."""
    got = as_float(to_float(actual))
    want = as_float(expected)
    try:
        assert got.shape == want.shape, f"shape {got.shape} != reference shape {want.shape}"
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    except AssertionError as error:
        shown = ", ".join(f"{key}={np.asarray(val).tolist()!r}" for key, val in inputs.items())
        raise AssertionError(f"{error}\ninputs: {shown}") from None


def assert_integer(actual, expected: int, **inputs) -> None:
    """An exact Integer equal to the reference count or size."""
    assert isinstance(actual, sympy.Integer), f"{actual!r} is not an exact Integer ({inputs})"
    assert int(actual) == int(expected), f"{actual} != {expected} for {inputs}"


NP_ACTIVATIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    # Inputs have at most two decimals, so a pre-activation built from them has at most
    # a few; rounding to 9 places removes float noise such as -1e-17 for an exact 0.
    "step": lambda z: np.heaviside(np.round(z, 9), 1.0),
    "identity": lambda z: z,
}

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "identity": lambda z: z,
}


def random_shape(rng: np.random.Generator, max_len: int = 4, matrix: bool = True):
    """(), (n,) or (m, n): scalar, vector or (optionally) matrix input of an element-wise formula."""
    kind = int(rng.integers(3 if matrix else 2))
    if kind == 0:
        return ()
    if kind == 1:
        return (size(rng, 1, max_len),)
    return (size(rng, 1, 3), size(rng, 1, max_len))


# ------------------------------------------------- 1. artificial neuron


@covers("weighted_sum")
def test_weighted_sum_matches_numpy():
    rng = rng_for("weighted_sum")
    for _ in range(N_CASES):
        n = size(rng, 1, 5)
        w, x, b = draw(rng, n), draw(rng, n), draw(rng)
        assert_close(fm.weighted_sum(ex(w), ex(x), ex(b)), np.dot(w, x) + b, w=w, x=x, b=b)


@covers("sigmoid")
def test_sigmoid_matches_torch():
    rng = rng_for("sigmoid")
    for _ in range(N_CASES):
        z = draw(rng, random_shape(rng), -6, 6)
        assert_close(fm.sigmoid(ex(z)), torch.sigmoid(t64(z)), z=z)


@covers("sigmoid_derivative")
def test_sigmoid_derivative_matches_autograd():
    rng = rng_for("sigmoid_derivative")
    for _ in range(N_CASES):
        z = draw(rng, random_shape(rng), -6, 6)
        zt = t64(z).requires_grad_(True)
        torch.sigmoid(zt).sum().backward()
        assert_close(fm.sigmoid_derivative(ex(z)), zt.grad, z=z)


@covers("tanh")
def test_tanh_matches_torch():
    rng = rng_for("tanh")
    for _ in range(N_CASES):
        z = draw(rng, random_shape(rng), -4, 4)
        assert_close(fm.tanh(ex(z)), torch.tanh(t64(z)), z=z)


@covers("relu")
def test_relu_matches_torch():
    rng = rng_for("relu")
    for _ in range(N_CASES):
        z = draw(rng, random_shape(rng), -2, 2)
        assert_close(fm.relu(ex(z)), torch.relu(t64(z)), z=z)


@covers("step")
def test_step_matches_numpy_heaviside():
    rng = rng_for("step")
    zeros = 0
    for _ in range(N_CASES):
        z = draw(rng, random_shape(rng), -1, 1)  # a narrow range, so z = 0 comes up
        zeros += int(np.sum(z == 0))
        result = fm.step(ex(z))
        assert_close(result, np.heaviside(z, 1.0), z=z)
        assert all(isinstance(v, sympy.Integer) for v in np.ravel(result))
    assert zeros > 0, "the boundary z = 0 (step(0) = 1) was never drawn"


@covers("activate")
def test_activate_matches_numpy_and_torch():
    rng = rng_for("activate")
    for case in range(N_CASES):
        name = ACTIVATION_NAMES[case % len(ACTIVATION_NAMES)]
        z = draw(rng, random_shape(rng), -4, 4)
        result = fm.activate(ex(z), name)
        assert_close(result, NP_ACTIVATIONS[name](z), z=z, activation=name)
        if name in TORCH_ACTIVATIONS:
            assert_close(result, TORCH_ACTIVATIONS[name](t64(z)), z=z, activation=name)
    with pytest.raises(ValueError):
        fm.activate(exact(1), "softplus")


# -------------------------------------------- 2. regression, one neuron


@covers("linear_prediction")
def test_linear_prediction_matches_numpy():
    rng = rng_for("linear_prediction")
    for _ in range(N_CASES):
        n = size(rng, 1, 5)
        w, x = draw(rng, n), draw(rng, n)
        assert_close(fm.linear_prediction(ex(w), ex(x)), w @ x, w=w, x=x)


def _regression_case(rng):
    n, d = size(rng, 1, 5), size(rng, 1, 3)
    return draw(rng, (n, d)), draw(rng, n), draw(rng, d)


@covers("mse")
def test_mse_is_half_torch_mse_loss():
    rng = rng_for("mse")
    for _ in range(N_CASES):
        X, y, w = _regression_case(rng)
        result = fm.mse(ex(X), ex(y), ex(w))
        # The sheet's J = (1/N) sum (1/2)(w^T x - y)^2: half of PyTorch's mean squared error.
        assert_close(result, 0.5 * F.mse_loss(t64(X) @ t64(w), t64(y)), X=X, y=y, w=w)
        assert_close(result, np.mean(0.5 * (X @ w - y) ** 2), X=X, y=y, w=w)


@covers("mse_gradient")
def test_mse_gradient_matches_autograd():
    rng = rng_for("mse_gradient")
    for _ in range(N_CASES):
        X, y, w = _regression_case(rng)
        wt = t64(w).requires_grad_(True)
        (0.5 * F.mse_loss(t64(X) @ wt, t64(y))).backward()
        assert_close(fm.mse_gradient(ex(X), ex(y), ex(w)), wt.grad, X=X, y=y, w=w)


@covers("gd_step")
def test_gd_step_matches_torch_sgd():
    rng = rng_for("gd_step")
    for _ in range(N_CASES):
        shape = pick(rng, [(), (1,), (2,), (3,), (4,), (2, 2)])
        theta, grad = draw(rng, shape), draw(rng, shape)
        eta = float(draw(rng, (), 0.01, 1.0))
        p = nn.Parameter(t64(theta))
        optimizer = torch.optim.SGD([p], lr=eta)
        p.grad = t64(grad)
        optimizer.step()
        assert_close(fm.gd_step(ex(theta), ex(grad), ex(eta)), p, theta=theta, grad=grad, eta=eta)


# ------------------------------------------ 3. binary classification


@covers("predict_binary")
def test_predict_binary_matches_numpy():
    rng = rng_for("predict_binary")
    halves = 0
    for _ in range(N_CASES):
        p = draw(rng, random_shape(rng, matrix=False), 0, 1)
        halves += int(np.sum(p == 0.5))
        result = fm.predict_binary(ex(p))
        assert_close(result, np.where(p >= 0.5, 1.0, 0.0), p=p)
        assert all(isinstance(v, sympy.Integer) for v in np.ravel(result))
    assert halves > 0, "the boundary p = 0.5 was never drawn"


@covers("bce")
def test_bce_matches_torch_binary_cross_entropy():
    rng = rng_for("bce")
    for case in range(N_CASES):
        shape = pick(rng, [(), (1,), (2,), (3,), (4,)])
        y_hat = draw(rng, shape, 0.01, 0.99)
        if case % 2:  # hard labels 0/1
            y = rng.integers(0, 2, size=shape).astype(np.float64)
        else:  # soft labels, which PyTorch accepts as well
            y = draw(rng, shape, 0, 1)
        expected = F.binary_cross_entropy(t64(y_hat), t64(y), reduction="none")
        assert_close(fm.bce(ex(y_hat), ex(y)), expected, y_hat=y_hat, y=y)


@covers("bce", "sigmoid")
def test_bce_of_sigmoid_matches_torch_bce_with_logits():
    rng = rng_for("bce_with_logits")
    for _ in range(N_CASES):
        shape = pick(rng, [(), (2,), (3,)])
        z = draw(rng, shape, -5, 5)
        y = rng.integers(0, 2, size=shape).astype(np.float64)
        expected = F.binary_cross_entropy_with_logits(t64(z), t64(y), reduction="none")
        assert_close(fm.bce(fm.sigmoid(ex(z)), ex(y)), expected, z=z, y=y)


# ---------------------------------------- 4. multi-class classification


@covers("softmax")
def test_softmax_matches_torch_vectors_and_rows():
    rng = rng_for("softmax")
    for case in range(N_CASES):
        shape = (size(rng, 2, 5),) if case % 2 else (size(rng, 1, 3), size(rng, 2, 4))
        z = draw(rng, shape, -3, 3)
        assert_close(fm.softmax(ex(z)), F.softmax(t64(z), dim=-1), z=z)


@covers("one_hot")
def test_one_hot_matches_torch_one_hot():
    rng = rng_for("one_hot")
    for _ in range(N_CASES):
        K = size(rng, 1, 10)
        k = size(rng, 1, K)  # the sheet counts classes from 1, torch from 0
        result = fm.one_hot(exact(k), exact(K))
        assert_close(result, F.one_hot(torch.tensor(k - 1), K), k=k, K=K)
        assert all(isinstance(v, sympy.Integer) for v in result)


@covers("categorical_ce", "softmax", "one_hot")
def test_categorical_ce_of_softmax_matches_torch_cross_entropy_on_logits():
    rng = rng_for("categorical_ce_logits")
    for _ in range(N_CASES):
        K = size(rng, 2, 5)
        z = draw(rng, K, -3, 3)
        k = size(rng, 1, K)
        result = fm.categorical_ce(fm.softmax(ex(z)), fm.one_hot(exact(k), exact(K)))
        expected = F.cross_entropy(t64(z)[None], torch.tensor([k - 1]))
        assert_close(result, expected, z=z, k=k)


@covers("categorical_ce")
def test_categorical_ce_of_given_probabilities_matches_numpy_and_torch():
    rng = rng_for("categorical_ce_probabilities")
    for case in range(N_CASES):
        K = size(rng, 2, 5)
        y_hat = probabilities(rng, K)
        if case % 2:
            y = np.eye(K)[size(rng, 0, K - 1)]
        else:  # a soft target, often with some zero entries (their terms vanish)
            y = probabilities(rng, K, allow_zero=True)
        result = fm.categorical_ce(ex(y_hat), ex(y))
        assert_close(result, -np.sum(y * np.log(y_hat)), y_hat=y_hat, y=y)
        # log_softmax(log p) = log p when p sums to 1, so this is -sum(y log p) in PyTorch.
        expected = F.cross_entropy(torch.log(t64(y_hat))[None], t64(y)[None])
        assert_close(result, expected, y_hat=y_hat, y=y)


@covers("softmax_ce_gradient", "softmax", "one_hot")
def test_softmax_ce_gradient_matches_autograd_of_cross_entropy():
    rng = rng_for("softmax_ce_gradient")
    for case in range(N_CASES):
        K = size(rng, 2, 5)
        z = draw(rng, K, -3, 3)
        zt = t64(z).requires_grad_(True)
        if case % 2:
            k = size(rng, 1, K)
            y = fm.one_hot(exact(k), exact(K))
            F.cross_entropy(zt[None], torch.tensor([k - 1])).backward()
            inputs = dict(z=z, k=k)
        else:
            target = probabilities(rng, K, allow_zero=True)
            y = ex(target)
            F.cross_entropy(zt[None], t64(target)[None]).backward()
            inputs = dict(z=z, y=target)
        assert_close(fm.softmax_ce_gradient(fm.softmax(ex(z)), y), zt.grad, **inputs)


@covers("softmax_ce_gradient", "sigmoid")
def test_softmax_ce_gradient_is_also_the_sigmoid_bce_gradient():
    rng = rng_for("sigmoid_bce_gradient")
    for _ in range(N_CASES):
        shape = pick(rng, [(), (2,), (3,)])
        z = draw(rng, shape, -4, 4)
        y = rng.integers(0, 2, size=shape).astype(np.float64)
        zt = t64(z).requires_grad_(True)
        F.binary_cross_entropy_with_logits(zt, t64(y), reduction="sum").backward()
        assert_close(fm.softmax_ce_gradient(fm.sigmoid(ex(z)), ex(y)), zt.grad, z=z, y=y)


# ------------------------------------------------------- 5. DFNN / MLP


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@covers("dense_params")
def test_dense_params_matches_nn_linear():
    rng = rng_for("dense_params")
    for _ in range(N_CASES):
        n_in, n_out = size(rng, 1, 64), size(rng, 1, 64)
        result = fm.dense_params(exact(n_in), exact(n_out))
        assert_integer(result, n_params(nn.Linear(n_in, n_out)), n_in=n_in, n_out=n_out)


@covers("mlp_params")
def test_mlp_params_matches_a_stack_of_nn_linear():
    rng = rng_for("mlp_params")
    for _ in range(N_CASES):
        widths = [size(rng, 1, 20) for _ in range(size(rng, 2, 5))]
        layers = []
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        result = fm.mlp_params(exact(widths))
        assert_integer(result, n_params(nn.Sequential(*layers)), widths=widths)


@covers("dense_forward")
def test_dense_forward_matches_torch_linear_and_numpy():
    rng = rng_for("dense_forward")
    for case in range(N_CASES):
        n_in, n_out = size(rng, 1, 4), size(rng, 1, 3)
        h = draw(rng, (n_in,) if case % 2 else (size(rng, 1, 3), n_in), -2, 2)
        W, b = draw(rng, (n_in, n_out), -2, 2), draw(rng, n_out, -2, 2)
        name = pick(rng, (None,) + ACTIVATION_NAMES)
        if name is None:  # the default is the identity
            result, name = fm.dense_forward(ex(h), ex(W), ex(b)), "identity"
        else:
            result = fm.dense_forward(ex(h), ex(W), ex(b), name)
        z = h @ W + b
        assert_close(result, NP_ACTIVATIONS[name](z), h=h, W=W, b=b, activation=name)
        if name in TORCH_ACTIVATIONS:  # nn.Linear stores W as (n_out, n_in)
            expected = TORCH_ACTIVATIONS[name](F.linear(t64(h), t64(W).T, t64(b)))
            assert_close(result, expected, h=h, W=W, b=b, activation=name)


# ------------------------------------------------------ 6-9. CNN sizes


def conv_output_shape(module: nn.Module, n_h: int, n_w: int, c_in: int = 1) -> tuple[int, int]:
    with torch.no_grad():
        return tuple(module(torch.zeros(1, c_in, n_h, n_w)).shape[-2:])


@covers("conv_output_size")
def test_conv_output_size_matches_nn_conv2d():
    rng = rng_for("conv_output_size")
    done = 0
    while done < N_CASES:
        N = (size(rng, 1, 12), size(rng, 1, 12))
        K = (size(rng, 1, 5), size(rng, 1, 5))
        P = (size(rng, 0, 3), size(rng, 0, 3))
        S = (size(rng, 1, 3), size(rng, 1, 3))
        if any(n + 2 * p < k for n, k, p in zip(N, K, P)):
            continue  # the kernel does not fit: no output at all
        conv = nn.Conv2d(1, 1, K, stride=S, padding=P)
        shape = conv_output_shape(conv, *N)
        for axis in range(2):
            result = fm.conv_output_size(exact(N[axis]), exact(K[axis]), exact(P[axis]), exact(S[axis]))
            assert_integer(result, shape[axis], N=N, K=K, P=P, S=S, axis=axis)
        done += 1


@covers("dilated_kernel", "conv_output_size")
def test_dilated_kernel_with_conv_output_size_matches_dilated_nn_conv2d():
    rng = rng_for("dilated_kernel")
    done = 0
    while done < N_CASES:
        N, K, D = size(rng, 1, 16), size(rng, 1, 4), size(rng, 1, 4)
        P, S = size(rng, 0, 3), size(rng, 1, 3)
        k_eff = fm.dilated_kernel(exact(K), exact(D))
        assert_integer(k_eff, D * (K - 1) + 1, K=K, D=D)
        if N + 2 * P < int(k_eff):
            continue
        conv = nn.Conv2d(1, 1, K, stride=S, padding=P, dilation=D)
        shape = conv_output_shape(conv, N, N)
        result = fm.conv_output_size(exact(N), k_eff, exact(P), exact(S))
        assert_integer(result, shape[0], N=N, K=K, D=D, P=P, S=S)
        done += 1


@covers("same_padding", "conv_output_size")
def test_same_padding_keeps_the_size_in_nn_conv2d():
    rng = rng_for("same_padding")
    for _ in range(N_CASES):
        K, N = pick(rng, [1, 3, 5, 7, 9]), size(rng, 1, 10)
        P = fm.same_padding(exact(K))
        assert_integer(P, (K - 1) // 2, K=K)
        assert_integer(fm.conv_output_size(exact(N), exact(K), P, exact(1)), N, N=N, K=K)
        conv = nn.Conv2d(1, 2, K, stride=1, padding=int(P), dtype=F64)
        same = nn.Conv2d(1, 2, K, stride=1, padding="same", dtype=F64)
        same.load_state_dict(conv.state_dict())
        x = t64(draw(rng, (1, 1, N, N)))
        with torch.no_grad():
            out = conv(x)
            assert tuple(out.shape[-2:]) == (N, N)
            # and it is exactly PyTorch's padding="same" for an odd kernel
            torch.testing.assert_close(out, same(x), rtol=0, atol=0)


@covers("conv_params")
def test_conv_params_matches_nn_conv2d():
    rng = rng_for("conv_params")
    for _ in range(N_CASES):
        K_h, K_w, C_in, C_out = size(rng, 1, 7), size(rng, 1, 7), size(rng, 1, 16), size(rng, 1, 16)
        conv = nn.Conv2d(C_in, C_out, (K_h, K_w))
        result = fm.conv_params(exact(K_h), exact(K_w), exact(C_in), exact(C_out))
        assert_integer(result, n_params(conv), K_h=K_h, K_w=K_w, C_in=C_in, C_out=C_out)


@covers("pool_output_size")
def test_pool_output_size_matches_nn_maxpool2d():
    rng = rng_for("pool_output_size")
    done = 0
    while done < N_CASES:
        N = (size(rng, 1, 14), size(rng, 1, 14))
        K = (size(rng, 1, 5), size(rng, 1, 5))
        P = tuple(size(rng, 0, k // 2) for k in K)  # PyTorch allows at most half the kernel
        S = (size(rng, 1, 3), size(rng, 1, 3))
        if any(n + 2 * p < k for n, k, p in zip(N, K, P)):
            continue
        pool = nn.MaxPool2d(K, stride=S, padding=P)
        assert n_params(pool) == 0
        shape = conv_output_shape(pool, *N)
        for axis in range(2):
            result = fm.pool_output_size(exact(N[axis]), exact(K[axis]), exact(P[axis]), exact(S[axis]))
            assert_integer(result, shape[axis], N=N, K=K, P=P, S=S, axis=axis)
        done += 1


# --------------------------------------------------- 10-11. RNN / LSTM / GRU


@covers("rnn_params", "lstm_params", "gru_params")
@pytest.mark.parametrize(
    "name, module, gates",
    [("rnn_params", nn.RNN, 1), ("lstm_params", nn.LSTM, 4), ("gru_params", nn.GRU, 3)],
)
def test_recurrent_params_match_torch(name, module, gates):
    function = FORMULAS[name].function
    rng = rng_for(name)
    for _ in range(N_CASES):
        n_in, n_h = size(rng, 1, 32), size(rng, 1, 32)
        total = n_params(module(n_in, n_h))
        # PyTorch keeps two bias vectors per gate block (bias_ih and bias_hh): biases=2.
        assert_integer(function(exact(n_in), exact(n_h), exact(2)), total, n_in=n_in, n_h=n_h)
        # The sheet's convention (the default) has one bias vector per gate block.
        single = total - gates * n_h
        assert_integer(function(exact(n_in), exact(n_h), exact(1)), single, n_in=n_in, n_h=n_h)
        assert_integer(function(exact(n_in), exact(n_h)), single, n_in=n_in, n_h=n_h)


@covers("rnn_step")
def test_rnn_step_matches_rnn_cell_and_numpy():
    rng = rng_for("rnn_step")
    for _ in range(N_CASES):
        n_in, n_h = size(rng, 1, 4), size(rng, 1, 4)
        W_hh, W_xh = draw(rng, (n_h, n_h), -1, 1), draw(rng, (n_h, n_in), -1, 1)
        h_prev, x, b_h = draw(rng, n_h, -1, 1), draw(rng, n_in, -1, 1), draw(rng, n_h, -1, 1)
        name = pick(rng, (None,) + ACTIVATION_NAMES)
        args = (ex(W_hh), ex(h_prev), ex(W_xh), ex(x), ex(b_h))
        if name is None:  # tanh unless named
            result, name = fm.rnn_step(*args), "tanh"
        else:
            result = fm.rnn_step(*args, name)
        inputs = dict(W_hh=W_hh, h_prev=h_prev, W_xh=W_xh, x=x, b_h=b_h, activation=name)
        z = W_hh @ h_prev + W_xh @ x + b_h
        assert_close(result, NP_ACTIVATIONS[name](z), **inputs)
        if name in ("tanh", "relu"):
            cell = nn.RNNCell(n_in, n_h, nonlinearity=name, dtype=F64)
            with torch.no_grad():
                cell.weight_hh.copy_(t64(W_hh))
                cell.weight_ih.copy_(t64(W_xh))
                cell.bias_ih.copy_(t64(b_h))
                cell.bias_hh.zero_()  # the sheet has a single bias b_h
                expected = cell(t64(x)[None], t64(h_prev)[None])[0]
            assert_close(result, expected, **inputs)


@covers("rnn_output")
def test_rnn_output_matches_torch_linear_and_numpy():
    rng = rng_for("rnn_output")
    for _ in range(N_CASES):
        n_h, n_out = size(rng, 1, 4), size(rng, 1, 4)
        W_ho, h, b_o = draw(rng, (n_out, n_h), -2, 2), draw(rng, n_h, -1, 1), draw(rng, n_out, -2, 2)
        result = fm.rnn_output(ex(W_ho), ex(h), ex(b_o))
        assert_close(result, W_ho @ h + b_o, W_ho=W_ho, h=h, b_o=b_o)
        assert_close(result, F.linear(t64(h), t64(W_ho), t64(b_o)), W_ho=W_ho, h=h, b_o=b_o)


# ----------------------------------------------------------- 12. attention


@covers("attention_weights")
def test_attention_weights_match_torch_softmax():
    rng = rng_for("attention_weights")
    for _ in range(N_CASES):
        scores = draw(rng, size(rng, 1, 5), -3, 3)
        assert_close(fm.attention_weights(ex(scores)), F.softmax(t64(scores), dim=-1), scores=scores)


@covers("dot_scores")
def test_dot_scores_match_torch_and_numpy():
    rng = rng_for("dot_scores")
    for _ in range(N_CASES):
        n, d = size(rng, 1, 5), size(rng, 1, 4)
        q, K = draw(rng, d, -2, 2), draw(rng, (n, d), -2, 2)
        result = fm.dot_scores(ex(q), ex(K))
        assert_close(result, K @ q, q=q, K=K)
        assert_close(result, torch.mv(t64(K), t64(q)), q=q, K=K)


@covers("attention")
def test_attention_matches_numpy_weighted_sum_of_values():
    rng = rng_for("attention")
    for _ in range(N_CASES):
        n, d_v = size(rng, 1, 5), size(rng, 1, 4)
        alpha, V = probabilities(rng, n), draw(rng, (n, d_v), -2, 2)
        result = fm.attention(ex(alpha), ex(V))
        assert_close(result, alpha @ V, alpha=alpha, V=V)
        assert_close(result, sum(a * v for a, v in zip(alpha, V)), alpha=alpha, V=V)


@covers("attention", "attention_weights", "dot_scores")
def test_single_query_attention_chain_matches_torch_sdpa():
    rng = rng_for("attention_chain")
    for _ in range(N_CASES):
        n, d, d_v = size(rng, 1, 4), size(rng, 1, 3), size(rng, 1, 3)
        q, K, V = draw(rng, d, -2, 2), draw(rng, (n, d), -2, 2), draw(rng, (n, d_v), -2, 2)
        alpha = fm.attention_weights(fm.dot_scores(ex(q), ex(K)) / sympy.sqrt(d))
        result = fm.attention(alpha, ex(V))
        expected = F.scaled_dot_product_attention(t64(q)[None, None], t64(K)[None], t64(V)[None])[0, 0]
        assert_close(result, expected, q=q, K=K, V=V)


@covers("scaled_dot_product_attention")
def test_scaled_dot_product_attention_matches_torch_sdpa_and_numpy():
    rng = rng_for("scaled_dot_product_attention")
    for _ in range(N_CASES):
        n_q, n_k, d_k, d_v = size(rng, 1, 3), size(rng, 1, 3), size(rng, 1, 3), size(rng, 1, 3)
        Q, K, V = draw(rng, (n_q, d_k), -2, 2), draw(rng, (n_k, d_k), -2, 2), draw(rng, (n_k, d_v), -2, 2)
        result = fm.scaled_dot_product_attention(ex(Q), ex(K), ex(V))
        expected = F.scaled_dot_product_attention(t64(Q)[None], t64(K)[None], t64(V)[None])[0]
        assert_close(result, expected, Q=Q, K=K, V=V)
        scores = Q @ K.T / np.sqrt(d_k)
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)
        assert_close(result, weights @ V, Q=Q, K=K, V=V)


# --------------------------------------------------------- 13. transformer


def sinusoidal_table(positions: int, d_model: int) -> np.ndarray:
    """The usual vectorised table: even columns sin(pos * w_i), odd columns cos(pos * w_i)."""
    pe = np.zeros((positions, d_model))
    position = np.arange(positions, dtype=np.float64)[:, None]
    rate = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    pe[:, 0::2] = np.sin(position * rate)
    pe[:, 1::2] = np.cos(position * rate[: d_model // 2])
    return pe


@covers("positional_encoding")
def test_positional_encoding_matches_numpy_table():
    rng = rng_for("positional_encoding")
    tables = {d: sinusoidal_table(101, d) for d in range(1, 17)}
    for _ in range(N_CASES):
        d_model, pos = size(rng, 1, 16), size(rng, 0, 100)
        j = size(rng, 0, d_model - 1)
        result = fm.positional_encoding(exact(pos), exact(j), exact(d_model))
        angle = pos / 10000.0 ** (2 * (j // 2) / d_model)
        direct = math.sin(angle) if j % 2 == 0 else math.cos(angle)
        assert_close(result, direct, pos=pos, j=j, d_model=d_model)
        assert_close(result, tables[d_model][pos, j], pos=pos, j=j, d_model=d_model)


@covers("ffn")
def test_ffn_matches_torch_and_numpy():
    rng = rng_for("ffn")
    for case in range(N_CASES):
        d, d_ff = size(rng, 1, 3), size(rng, 1, 4)
        x = draw(rng, (d,) if case % 2 else (size(rng, 1, 3), d), -2, 2)
        W_1, b_1 = draw(rng, (d, d_ff), -1, 1), draw(rng, d_ff, -1, 1)
        W_2, b_2 = draw(rng, (d_ff, d), -1, 1), draw(rng, d, -1, 1)
        result = fm.ffn(ex(x), ex(W_1), ex(b_1), ex(W_2), ex(b_2))
        inputs = dict(x=x, W_1=W_1, b_1=b_1, W_2=W_2, b_2=b_2)
        assert_close(result, np.maximum(0.0, x @ W_1 + b_1) @ W_2 + b_2, **inputs)
        hidden = F.relu(F.linear(t64(x), t64(W_1).T, t64(b_1)))
        assert_close(result, F.linear(hidden, t64(W_2).T, t64(b_2)), **inputs)


EPS_CHOICES = (None, 0.0, 1e-5, 0.001, 0.01, 0.1, 0.5)


def _rows_vary(x: np.ndarray) -> bool:
    rows = x.reshape(-1, x.shape[-1])
    return bool(np.all(rows.max(axis=1) > rows.min(axis=1)))


@covers("layer_norm")
def test_layer_norm_matches_torch_layer_norm():
    rng = rng_for("layer_norm")
    done = 0
    while done < N_CASES:
        d = size(rng, 2, 5)
        x = draw(rng, (d,) if done % 2 else (size(rng, 1, 3), d), -3, 3)
        eps = pick(rng, EPS_CHOICES)
        if not eps and not _rows_vary(x):
            continue  # 0/0 without eps
        affine = pick(rng, ("none", "scalar", "vector"))
        kwargs, weight, bias = {}, None, None
        if eps is not None:
            kwargs["eps"] = ex(eps)
        if affine != "none":
            shape = () if affine == "scalar" else (d,)
            gamma, beta = draw(rng, shape, -2, 2), draw(rng, shape, -2, 2)
            kwargs.update(gamma=ex(gamma), beta=ex(beta))
            weight, bias = t64(np.broadcast_to(gamma, (d,))), t64(np.broadcast_to(beta, (d,)))
        result = fm.layer_norm(ex(x), **kwargs)
        expected = F.layer_norm(t64(x), (d,), weight, bias, eps=eps or 0.0)
        assert_close(result, expected, x=x, eps=eps, **{k: v for k, v in kwargs.items() if k != "eps"})
        done += 1


@covers("add_and_norm")
def test_add_and_norm_matches_torch_layer_norm_of_the_sum():
    rng = rng_for("add_and_norm")
    done = 0
    while done < N_CASES:
        d = size(rng, 2, 5)
        shape = (d,) if done % 2 else (size(rng, 1, 3), d)
        x, sub = draw(rng, shape, -3, 3), draw(rng, shape, -3, 3)
        eps = pick(rng, EPS_CHOICES)
        if not eps and not _rows_vary(x + sub):
            continue
        if eps is None:
            result = fm.add_and_norm(ex(x), ex(sub))
        else:
            result = fm.add_and_norm(ex(x), ex(sub), ex(eps))
        expected = F.layer_norm(t64(x) + t64(sub), (d,), eps=eps or 0.0)
        assert_close(result, expected, x=x, sublayer=sub, eps=eps)
        done += 1


# ---------------------------------------------------------- 14. optimisers


@covers("minibatch_gradient")
def test_minibatch_gradient_matches_torch_mean_and_autograd():
    rng = rng_for("minibatch_gradient")
    for case in range(N_CASES):
        B = size(rng, 1, 6)
        if case % 4 == 0:  # a batch of scalar gradients
            G = draw(rng, B)
            assert_close(fm.minibatch_gradient(ex(G)), torch.mean(t64(G)), G=G)
            continue
        G = draw(rng, (B, size(rng, 1, 4)))
        result = fm.minibatch_gradient(ex(G))
        assert_close(result, torch.mean(t64(G), dim=0), G=G)
        # the gradient of the mean of per-example losses l_i = g_i . theta
        theta = torch.zeros(G.shape[1], dtype=F64, requires_grad=True)
        (t64(G) @ theta).mean().backward()
        assert_close(result, theta.grad, G=G)


@covers("momentum_velocity", "momentum_update")
def test_momentum_matches_torch_sgd_with_momentum():
    # The sheet's v_t = beta v_{t-1} + g_t, theta -= eta v_t (v_0 = 0) is exactly
    # PyTorch's SGD with momentum=beta and dampening=0 (its first buffer is g_1).
    rng = rng_for("momentum")
    for case in range(N_CASES):
        n = size(rng, 1, 3)
        theta0 = draw(rng, n)
        beta, eta = float(draw(rng, (), 0.5, 0.99)), float(draw(rng, (), 0.01, 0.5))
        steps = 2 + case % 2  # two or three consecutive steps
        p = nn.Parameter(t64(theta0))
        optimizer = torch.optim.SGD([p], lr=eta, momentum=beta, dampening=0)
        theta, v = ex(theta0), exact([0] * n)
        grads = []
        for _ in range(steps):
            g = draw(rng, n)
            grads.append(g)
            p.grad = t64(g)
            optimizer.step()
            v = fm.momentum_velocity(v, ex(g), ex(beta))
            theta = fm.momentum_update(theta, v, ex(eta))
            inputs = dict(theta0=theta0, grads=grads, beta=beta, eta=eta)
            assert_close(v, optimizer.state[p]["momentum_buffer"], **inputs)
            assert_close(theta, p, **inputs)


def _adam_hyper(rng):
    eta = pick(rng, (0.001, float(draw(rng, (), 0.01, 0.5))))
    beta_1 = float(draw(rng, (), 0.5, 0.99))
    beta_2 = pick(rng, (0.999, float(draw(rng, (), 0.9, 0.99))))
    eps = pick(rng, (1e-8, 1e-6, 1e-4, 0.01, 0.1))
    return eta, beta_1, beta_2, eps


@covers("bias_correction")
def test_bias_correction_matches_numpy():
    rng = rng_for("bias_correction")
    for _ in range(N_CASES):
        m = draw(rng, random_shape(rng, matrix=False))
        beta, t = float(draw(rng, (), 0.5, 0.99)), size(rng, 1, 10)
        result = fm.bias_correction(ex(m), ex(beta), exact(t))
        assert_close(result, m / (1.0 - beta**t), m=m, beta=beta, t=t)


@covers("adam_update")
def test_adam_update_matches_numpy():
    rng = rng_for("adam_update")
    for _ in range(N_CASES):
        shape = random_shape(rng, matrix=False)
        theta, m_hat, v_hat = draw(rng, shape), draw(rng, shape, -1, 1), draw(rng, shape, 0, 2)
        eta, _, _, eps = _adam_hyper(rng)
        result = fm.adam_update(ex(theta), ex(m_hat), ex(v_hat), ex(eta), ex(eps))
        expected = theta - eta * m_hat / (np.sqrt(v_hat) + eps)
        assert_close(result, expected, theta=theta, m_hat=m_hat, v_hat=v_hat, eta=eta, eps=eps)


@covers("adam_first_moment", "adam_second_moment", "bias_correction", "adam_update")
def test_adam_pieces_chained_match_torch_adam():
    # PyTorch's Adam: m, v as on the sheet; theta - lr * m_hat / (sqrt(v_hat) + eps),
    # computed as lr/(1-beta_1^t) * m / (sqrt(v)/sqrt(1-beta_2^t) + eps): the same number.
    rng = rng_for("adam_chain")
    for case in range(N_CASES):
        n = size(rng, 1, 3)
        theta0 = draw(rng, n)
        eta, beta_1, beta_2, eps = _adam_hyper(rng)
        p = nn.Parameter(t64(theta0))
        optimizer = torch.optim.Adam([p], lr=eta, betas=(beta_1, beta_2), eps=eps)
        theta, m, v = ex(theta0), exact([0] * n), exact([0] * n)
        grads = []
        for t in range(1, 2 + case % 2):  # one or two steps
            g = draw(rng, n)
            grads.append(g)
            p.grad = t64(g)
            optimizer.step()
            state = optimizer.state[p]
            inputs = dict(theta0=theta0, grads=grads, eta=eta, beta_1=beta_1, beta_2=beta_2, eps=eps)
            m = fm.adam_first_moment(m, ex(g), ex(beta_1))
            v = fm.adam_second_moment(v, ex(g), ex(beta_2))
            assert_close(m, state["exp_avg"], **inputs)
            assert_close(v, state["exp_avg_sq"], **inputs)
            m_hat = fm.bias_correction(m, ex(beta_1), exact(t))
            v_hat = fm.bias_correction(v, ex(beta_2), exact(t))
            assert_close(m_hat, state["exp_avg"] / (1 - beta_1**t), **inputs)
            assert_close(v_hat, state["exp_avg_sq"] / (1 - beta_2**t), **inputs)
            theta = fm.adam_update(theta, m_hat, v_hat, ex(eta), ex(eps))
            assert_close(theta, p, **inputs)


@covers("adam_step", "adam_first_moment", "adam_second_moment")
def test_adam_step_matches_torch_adam_for_one_and_two_steps():
    rng = rng_for("adam_step")
    for _ in range(N_CASES):
        n = size(rng, 1, 3)
        theta0 = draw(rng, n)
        eta, beta_1, beta_2, eps = _adam_hyper(rng)
        hyper = (ex(eta), ex(beta_1), ex(beta_2), ex(eps))
        p = nn.Parameter(t64(theta0))
        optimizer = torch.optim.Adam([p], lr=eta, betas=(beta_1, beta_2), eps=eps)
        theta, m, v = ex(theta0), exact([0] * n), exact([0] * n)
        grads = []
        for t in (1, 2):
            g = draw(rng, n)
            grads.append(g)
            p.grad = t64(g)
            optimizer.step()
            theta = fm.adam_step(theta, m, v, ex(g), exact(t), *hyper)
            assert_close(theta, p, theta0=theta0, grads=grads, eta=eta, beta_1=beta_1, beta_2=beta_2, eps=eps)
            m = fm.adam_first_moment(m, ex(g), ex(beta_1))
            v = fm.adam_second_moment(v, ex(g), ex(beta_2))


@covers("adam_first_moment", "adam_second_moment")
def test_adam_moments_match_numpy():
    rng = rng_for("adam_moments")
    for _ in range(N_CASES):
        shape = random_shape(rng, matrix=False)
        m_prev, v_prev, g = draw(rng, shape, -1, 1), draw(rng, shape, 0, 1), draw(rng, shape)
        beta_1, beta_2 = float(draw(rng, (), 0.5, 0.99)), float(draw(rng, (), 0.9, 0.99))
        inputs = dict(m_prev=m_prev, v_prev=v_prev, g=g, beta_1=beta_1, beta_2=beta_2)
        first = fm.adam_first_moment(ex(m_prev), ex(g), ex(beta_1))
        assert_close(first, beta_1 * m_prev + (1 - beta_1) * g, **inputs)
        second = fm.adam_second_moment(ex(v_prev), ex(g), ex(beta_2))
        assert_close(second, beta_2 * v_prev + (1 - beta_2) * g**2, **inputs)


# ------------------------------------------------------ 15. regularisation


@covers("l2_penalty")
def test_l2_penalty_matches_torch():
    rng = rng_for("l2_penalty")
    for _ in range(N_CASES):
        theta, lam = draw(rng, random_shape(rng)), float(draw(rng, (), 0.01, 1))
        result = fm.l2_penalty(ex(theta), ex(lam))
        assert_close(result, lam * torch.sum(t64(theta) ** 2), theta=theta, lam=lam)
        assert_close(result, lam * np.sum(np.square(theta)), theta=theta, lam=lam)


@covers("l1_penalty")
def test_l1_penalty_matches_torch():
    rng = rng_for("l1_penalty")
    for _ in range(N_CASES):
        theta, lam = draw(rng, random_shape(rng)), float(draw(rng, (), 0.01, 1))
        result = fm.l1_penalty(ex(theta), ex(lam))
        assert_close(result, lam * torch.linalg.vector_norm(t64(theta), ord=1), theta=theta, lam=lam)
        assert_close(result, lam * np.sum(np.abs(theta)), theta=theta, lam=lam)


@covers("weight_decay_step")
def test_weight_decay_step_matches_autograd_and_torch_sgd():
    rng = rng_for("weight_decay_step")
    for _ in range(N_CASES):
        n = size(rng, 1, 4)
        theta, grad = draw(rng, n), draw(rng, n)
        eta, lam = float(draw(rng, (), 0.01, 0.5)), float(draw(rng, (), 0.01, 1))
        result = fm.weight_decay_step(ex(theta), ex(grad), ex(eta), ex(lam))
        inputs = dict(theta=theta, grad=grad, eta=eta, lam=lam)
        # J(theta) = grad . theta has gradient grad; add lam ||theta||^2 and take an SGD step.
        p = nn.Parameter(t64(theta))
        optimizer = torch.optim.SGD([p], lr=eta)
        (torch.dot(t64(grad), p) + lam * torch.sum(p**2)).backward()
        optimizer.step()
        assert_close(result, p, **inputs)
        # PyTorch's weight_decay adds wd * theta to the gradient, so wd = 2 lam here.
        q = nn.Parameter(t64(theta))
        optimizer = torch.optim.SGD([q], lr=eta, weight_decay=2 * lam)
        q.grad = t64(grad)
        optimizer.step()
        assert_close(result, q, **inputs)


def _batch_norm_reference(x: np.ndarray, gamma, beta, eps: float) -> np.ndarray:
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)  # biased
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


@covers("batch_norm")
def test_batch_norm_matches_nn_batchnorm1d_in_training_mode():
    # In training mode nn.BatchNorm1d normalises with the batch mean and the *biased*
    # batch variance (the unbiased one only feeds running_var), as the sheet does.
    # PyTorch refuses eps = 0 in training, so eps = 0 is checked against numpy alone.
    rng = rng_for("batch_norm")
    done = 0
    while done < N_CASES:
        B = size(rng, 2, 5)
        vector = done % 2 == 1
        x = draw(rng, (B,) if vector else (B, size(rng, 1, 4)), -3, 3)
        columns = x.reshape(B, -1)
        C = columns.shape[1]
        eps = pick(rng, EPS_CHOICES)
        if not eps and not np.all(columns.max(axis=0) > columns.min(axis=0)):
            continue
        kwargs, gamma, beta = {}, 1.0, 0.0
        if rng.random() < 0.7:
            gamma, beta = float(draw(rng, (), -2, 2)), float(draw(rng, (), -2, 2))
            kwargs.update(gamma=ex(gamma), beta=ex(beta))
        if eps is not None:
            kwargs["eps"] = ex(eps)
        result = fm.batch_norm(ex(x), **kwargs)
        inputs = dict(x=x, gamma=gamma, beta=beta, eps=eps)
        assert_close(result, _batch_norm_reference(x, gamma, beta, eps or 0.0), **inputs)
        if eps:
            bn = nn.BatchNorm1d(C, eps=eps, dtype=F64).train()
            with torch.no_grad():
                bn.weight.fill_(gamma)
                bn.bias.fill_(beta)
                expected = bn(t64(columns))
            assert_close(result, expected.reshape(x.shape), **inputs)
        done += 1


def test_batch_norm_per_feature_gamma_beta_matches_nn_batchnorm1d():
    rng = rng_for("batch_norm_affine")
    for case in range(N_CASES):
        C = size(rng, 2, 4)
        B = C if case % 2 == 0 else size(rng, 2, 5)  # B == C: no error, silently wrong
        x = draw(rng, (B, C), -3, 3)
        gamma, beta = draw(rng, C, -2, 2), draw(rng, C, -2, 2)
        eps = pick(rng, (1e-5, 0.01, 0.1))
        bn = nn.BatchNorm1d(C, eps=eps, dtype=F64).train()
        with torch.no_grad():
            bn.weight.copy_(t64(gamma))
            bn.bias.copy_(t64(beta))
            expected = bn(t64(x))
        result = fm.batch_norm(ex(x), ex(gamma), ex(beta), ex(eps))
        assert_close(result, expected, x=x, gamma=gamma, beta=beta, eps=eps)


@covers("xavier_bound")
def test_xavier_bound_matches_numpy_and_torch_xavier_uniform():
    rng = rng_for("xavier_bound")
    for case in range(N_CASES):
        n_in, n_out = size(rng, 1, 64), size(rng, 1, 64)
        result = fm.xavier_bound(exact(n_in), exact(n_out))
        assert_close(result, np.sqrt(6.0 / (n_in + n_out)), n_in=n_in, n_out=n_out)
        bound = float(result)
        # xavier_uniform_ fills U(-a, a); with the same generator state a plain
        # uniform_(-bound, bound) must give the same tensor if a == bound.
        weight = torch.empty(n_out, n_in, dtype=F64)  # nn.Linear layout: fan_in = n_in
        torch.nn.init.xavier_uniform_(weight, generator=torch.Generator().manual_seed(case))
        same = torch.empty(n_out, n_in, dtype=F64)
        same.uniform_(-bound, bound, generator=torch.Generator().manual_seed(case))
        assert float(weight.abs().max()) <= bound
        torch.testing.assert_close(weight, same, rtol=1e-12, atol=1e-15)


@covers("he_std", "he_variance")
def test_he_std_and_variance_match_torch_kaiming_normal():
    rng = rng_for("he_init")
    gain = torch.nn.init.calculate_gain("relu")  # sqrt(2)
    for case in range(N_CASES):
        n_in, n_out = size(rng, 1, 1024), size(rng, 1, 8)
        std = gain / math.sqrt(n_in)  # kaiming_normal_(mode="fan_in", nonlinearity="relu")
        assert_close(fm.he_std(exact(n_in)), std, n_in=n_in)
        assert_close(fm.he_std(exact(n_in)), np.sqrt(2.0 / n_in), n_in=n_in)
        assert_close(fm.he_variance(exact(n_in)), std**2, n_in=n_in)
        assert_close(fm.he_variance(exact(n_in)), 2.0 / n_in, n_in=n_in)
        # irrational values are carried to 60 digits, so std**2 equals the variance to ~1e-58
        assert abs(fm.he_variance(exact(n_in)) - fm.he_std(exact(n_in)) ** 2) < 1e-50
        if case % 10 == 0:  # the std torch.nn.init.kaiming_normal_ really draws with
            weight = torch.empty(n_out, n_in, dtype=F64)
            torch.nn.init.kaiming_normal_(
                weight, mode="fan_in", nonlinearity="relu", generator=torch.Generator().manual_seed(case)
            )
            same = torch.empty(n_out, n_in, dtype=F64)
            same.normal_(0, float(fm.he_std(exact(n_in))), generator=torch.Generator().manual_seed(case))
            torch.testing.assert_close(weight, same, rtol=1e-12, atol=1e-15)


@covers("mean", "biased_variance")
def test_mean_and_biased_variance_match_torch():
    rng = rng_for("mean_variance")
    for _ in range(N_CASES):
        x = draw(rng, size(rng, 1, 6))
        assert_close(fm.mean(ex(x)), torch.mean(t64(x)), x=x)
        assert_close(fm.biased_variance(ex(x)), torch.var(t64(x), correction=0), x=x)
        assert_close(fm.biased_variance(ex(x)), np.var(x), x=x)


# ------------------------------------------------------------- bookkeeping


def test_every_formula_is_cross_checked():
    missing = set(FORMULAS) - COVERED
    assert not missing, f"formulas without a cross-check in this file: {sorted(missing)}"
    stale = COVERED - set(FORMULAS) - EXTRA_FUNCTIONS
    assert not stale, f"cross-checks for names that are not formulas: {sorted(stale)}"


def test_expansions_are_strings():
    for name, entry in FORMULAS.items():
        assert entry.name == name
        if entry.expand is not None:
            assert isinstance(entry.expand, str) and entry.expand.strip(), name


@covers("network_table", "network_params", "network_tex")
def test_network_formulas_match_pytorch_modules():
    """Whole networks: the table rows against real modules (more cases in tests/test_networks.py)."""
    from quizgen.engine.networks import network_params, network_table, network_tex

    layers = [{"type": "input", "shape": [32, 32, 3]}, {"type": "conv", "filters": 6, "kernel": 5}, {"type": "pool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}]
    conv, pool, linear = nn.Conv2d(3, 6, 5), nn.MaxPool2d(2), nn.Linear(6 * 14 * 14, 10)
    with torch.no_grad():
        after_conv = conv(torch.zeros(1, 3, 32, 32))
        after_pool = pool(after_conv)
    rows = [[int(v) for v in row] for row in network_table(layers)]
    assert rows == [
        [after_conv.shape[2], after_conv.shape[3], 6, sum(p.numel() for p in conv.parameters())],
        [after_pool.shape[2], after_pool.shape[3], 6, 0],
        [1, 1, after_pool.numel(), 0],
        [1, 1, 10, sum(p.numel() for p in linear.parameters())],
    ]
    assert int(network_params(layers)) == sum(row[3] for row in rows)
    assert int(network_params(layers, 0)) == sum(row[3] for row in rows) - 6 - 10
    assert r"\begin{array}" in network_tex(layers)
