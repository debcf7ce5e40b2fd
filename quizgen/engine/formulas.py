"""The formula sheet, one exact function per formula.

Every function takes and returns exact values (see ``values``): sympy scalars, or
numpy object arrays of them for vectors and matrices. Nothing is rounded here.
Each docstring quotes the sheet's formula; ``expand`` (when given) is the same
formula written in the expression language, so a worked step can print the
sheet's form with the variant's numbers substituted. A test evaluates every
expansion against its function, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import mpmath
import numpy as np
import sympy

from . import values as numeric
from .values import Value, array, elementwise, exact, is_array


@dataclass(frozen=True)
class Formula:
    name: str
    function: Callable
    tex: str  # TeX for the function name when printed as a call
    expand: str | None  # the sheet's formula in the expression language, over the parameter names
    params: tuple[str, ...]
    section: int | None
    steps: Callable[..., list[tuple[str, str]]] | None = None  # its own worked steps (label, TeX) from its arguments' values


FORMULAS: dict[str, Formula] = {}


def formula(tex: str | None = None, expand: str | None = None, section: int | None = None, steps: Callable | None = None):
    """Register a function of the sheet under its own name for use in expressions.

    ``steps``: a formula whose working is more than one line (a whole network, a layer
    per step) gives its worked steps itself.
    """

    def register(function: Callable) -> Callable:
        import inspect

        params = tuple(inspect.signature(function).parameters)
        name = function.__name__
        shown = tex if tex is not None else r"\operatorname{" + name.replace("_", r"\_") + "}"
        FORMULAS[name] = Formula(name, function, shown, expand, params, section, steps)
        return function

    return register


def _scalar_sigmoid(z):
    """1/(1+e^(-z)); far from 0 it carries the digits that 1 - σ(z) needs (z = 135: 1 - σ is e^-135).

    At DIGITS digits, σ(135) would be 1 exactly and the loss -log(1 - σ) lost. So past |z| = 23
    (where 1 - σ < 1e-10) σ keeps DIGITS digits beyond the ones that are 9s: 1 - σ, and
    log(1 - σ), stay right to DIGITS digits, as PyTorch's loss from the logit does in float64.
    """
    magnitude = abs(float(z)) if getattr(z, "is_number", False) else 0.0
    if magnitude <= 23:
        return 1 / (1 + numeric.exp(-z))
    digits = numeric.DIGITS + int(magnitude / 2.302585) + 5
    if digits > 5000:
        raise ValueError(f"sigmoid({z}): |z| is too large to compute 1 - σ(z) exactly")
    with mpmath.workdps(digits):
        value = 1 / (1 + mpmath.exp(-mpmath.mpf(sympy.Float(z, digits)._mpf_)))
        return sympy.Float(value, digits)


def _scalar_relu(z):
    return z if z > 0 else sympy.Integer(0)


def _scalar_step(z):
    return sympy.Integer(1) if z >= 0 else sympy.Integer(0)


_sigmoid = elementwise(_scalar_sigmoid)
_tanh = elementwise(numeric.tanh)
_relu = elementwise(_scalar_relu)
_step = elementwise(_scalar_step)
_exp = elementwise(numeric.exp)
_log = elementwise(numeric.log)
_sqrt = elementwise(numeric.sqrt)

ACTIVATIONS = {"sigmoid": _sigmoid, "tanh": _tanh, "relu": _relu, "step": _step, "identity": lambda z: z}


def _activation(name) -> Callable:
    key = str(name)
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {key!r} (known: {', '.join(ACTIVATIONS)})")
    return ACTIVATIONS[key]


def _dot(a: Value, b: Value) -> Value:
    return sum((x * y for x, y in zip(a, b)), sympy.Integer(0))


# 1. Artificial neuron


@formula(expand="dot(w, x) + b", section=1)
def weighted_sum(w: Value, x: Value, b: Value) -> Value:
    r"""z = \sum_{i=1}^{n} w_i x_i + b  (vector form z = w^T x + b)."""
    return _dot(w, x) + b


@formula(tex=r"\sigma", expand="1 / (1 + exp(-z))", section=3)
def sigmoid(z: Value) -> Value:
    r"""\sigma(z) = \frac{1}{1+e^{-z}}, element-wise."""
    return _sigmoid(z)


@formula(tex=r"\sigma'", expand="sigmoid(z) * (1 - sigmoid(z))", section=3)
def sigmoid_derivative(z: Value) -> Value:
    r"""\sigma'(z) = \sigma(z)(1-\sigma(z)), element-wise."""
    s = _sigmoid(z)
    return s * (1 - s)


@formula(tex=r"\tanh", section=1)
def tanh(z: Value) -> Value:
    r"""\tanh(z), element-wise."""
    return _tanh(z)


@formula(tex=r"\operatorname{ReLU}", expand="max(0, z)", section=1)
def relu(z: Value) -> Value:
    r"""\operatorname{ReLU}(z) = \max(0, z), element-wise."""
    return _relu(z)


@formula(tex=r"\operatorname{step}", section=1)
def step(z: Value) -> Value:
    r"""Step activation: 1 if z \ge 0, else 0; element-wise."""
    return _step(z)


@formula(section=1)
def activate(z: Value, activation: str) -> Value:
    r"""\hat{y} = f(z) for a named activation: sigmoid, tanh, relu, step or identity."""
    return _activation(activation)(z)


# 2. Regression with a single neuron


@formula(expand="dot(w, x)", section=2)
def linear_prediction(w: Value, x: Value) -> Value:
    r"""\hat{y} = w^T x."""
    return _dot(w, x)


@formula(tex="J", section=2)
def mse(X: Value, y: Value, w: Value) -> Value:
    r"""J(w) = \frac{1}{N}\sum_{i=1}^{N}\frac{1}{2}(w^T x^{(i)} - y^{(i)})^2 (the sheet's 1/2 included)."""
    residual = X @ w - y
    n = X.shape[0]
    return sum((r * r for r in residual), sympy.Integer(0)) / (2 * n)


@formula(tex=r"\nabla J", expand="(1/rows(X)) * transpose(X) @ (X @ w - y)", section=2)
def mse_gradient(X: Value, y: Value, w: Value) -> Value:
    r"""\nabla J(w) = \frac{1}{N} X^T (Xw - y)."""
    n = X.shape[0]
    return (X.T @ (X @ w - y)) / n


@formula(expand="theta - eta * grad", section=2)
def gd_step(theta: Value, grad: Value, eta: Value) -> Value:
    r"""w^{(t+1)} = w^{(t)} - \eta \nabla J(w^{(t)}); likewise \theta_{t+1} = \theta_t - \eta\nabla_\theta\mathcal{L}."""
    return theta - eta * grad


# 3. Binary classification


@formula(expand="1 if p >= 1/2 else 0", section=3)
def predict_binary(p: Value) -> Value:
    r"""\hat{y} = 1 if \sigma(z) \ge 0.5, else 0."""
    return elementwise(lambda v: sympy.Integer(1) if v >= sympy.Rational(1, 2) else sympy.Integer(0))(p)


@formula(tex=r"\ell", expand="-y * log(y_hat) - (1 - y) * log(1 - y_hat)", section=3)
def bce(y_hat: Value, y: Value) -> Value:
    r"""\ell(\hat{y}, y) = -y\log(\hat{y}) - (1-y)\log(1-\hat{y}) (natural log)."""

    def one(p, t):
        total = sympy.Integer(0)
        if t != 0:
            total -= t * numeric.log(p)
        if t != 1:
            total -= (1 - t) * numeric.log(1 - p)
        return total

    if is_array(y_hat):
        return array([one(p, t) for p, t in zip(y_hat, y)])
    return one(y_hat, y)


# 4. Multi-class classification


@formula(section=4)
def softmax(z: Value) -> Value:
    r"""\hat{y}_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}; for a matrix, over each row (the last axis)."""
    if z.ndim == 2:
        return array([softmax(row) for row in z])
    exps = _exp(z)
    total = sum(exps, sympy.Integer(0))
    # An object array's loop reports the CPU's floating-point flags afterwards: sympy's own float
    # estimates of e^1000 set 'overflow' there, though every value divided here is an exact Float.
    with np.errstate(over="ignore", under="ignore"):
        return exps / total


@formula(tex=r"\ell", expand="-sum(y * log(y_hat))", section=4)
def categorical_ce(y_hat: Value, y: Value) -> Value:
    r"""\ell(\hat{y}, y) = -\sum_{k=1}^{K} y_k \log(\hat{y}_k) (natural log; terms with y_k = 0 vanish)."""
    return -sum((t * numeric.log(p) for p, t in zip(y_hat, y) if t != 0), sympy.Integer(0))


@formula(expand="y_hat - y", section=4)
def softmax_ce_gradient(y_hat: Value, y: Value) -> Value:
    r"""\frac{\partial\ell}{\partial z_k} = \hat{y}_k - y_k for softmax with cross-entropy (also BCE with sigmoid)."""
    return y_hat - y


@formula(section=4)
def one_hot(k: Value, K: Value) -> Value:
    """The one-hot target for class k (1-based, as the sheet counts classes) out of K."""
    return array([1 if j == int(k) else 0 for j in range(1, int(K) + 1)])


# 5. DFNN / MLP


@formula(expand="n_in * n_out + n_out", section=5)
def dense_params(n_in: Value, n_out: Value) -> Value:
    r"""\text{Parameters} = n_{in} n_{out} + n_{out}."""
    return n_in * n_out + n_out


@formula(section=5)
def dense_forward(h: Value, W: Value, b: Value, activation: str = "identity") -> Value:
    r"""z^{(l)} = h^{(l-1)} W^{(l)} + b^{(l)},  h^{(l)} = \sigma^{(l)}(z^{(l)})."""
    return _activation(activation)(h @ W + b)


@formula(section=5)
def mlp_params(widths: Value) -> Value:
    r"""Total of n_{in} n_{out} + n_{out} over consecutive layer widths [n_0, n_1, ..., n_L]."""
    widths = list(widths)
    return sum((dense_params(a, b) for a, b in zip(widths, widths[1:])), sympy.Integer(0))


# 6-9. CNN sizes and parameters


@formula(expand="floor((N - K + 2*P) / S) + 1", section=6)
def conv_output_size(N: Value, K: Value, P: Value, S: Value) -> Value:
    r"""O = \left\lfloor \frac{N-K+2P}{S} \right\rfloor + 1."""
    return sympy.floor((N - K + 2 * P) / S) + 1


@formula(expand="(K - 1) / 2", section=6)
def same_padding(K: Value) -> Value:
    r"""P = \frac{K-1}{2} for stride 1 and an odd kernel."""
    return (K - 1) / sympy.Integer(2)


@formula(expand="(K_h * K_w * C_in + 1) * C_out", section=7)
def conv_params(K_h: Value, K_w: Value, C_in: Value, C_out: Value) -> Value:
    r"""\text{Parameters} = (K_h K_w C_{in} + 1) C_{out}; the +1 is one bias per filter."""
    return (K_h * K_w * C_in + 1) * C_out


@formula(expand="floor((N - K + 2*P) / S) + 1", section=8)
def pool_output_size(N: Value, K: Value, P: Value, S: Value) -> Value:
    r"""Pooling uses the same size formula: O = \left\lfloor \frac{N-K+2P}{S} \right\rfloor + 1 (and has no parameters)."""
    return conv_output_size(N, K, P, S)


@formula(tex=r"K_{eff}", expand="K + (K - 1) * (D - 1)", section=9)
def dilated_kernel(K: Value, D: Value) -> Value:
    r"""K_{eff} = K + (K-1)(D-1)."""
    return K + (K - 1) * (D - 1)


# 10. RNN


@formula(section=10)
def rnn_step(W_hh: Value, h_prev: Value, W_xh: Value, x: Value, b_h: Value, activation: str = "tanh") -> Value:
    r"""h_t = \phi(W_{hh} h_{t-1} + W_{xh} x_t + b_h), \phi = tanh unless named."""
    return _activation(activation)(W_hh @ h_prev + W_xh @ x + b_h)


@formula(expand="W_ho @ h + b_o", section=10)
def rnn_output(W_ho: Value, h: Value, b_o: Value) -> Value:
    r"""o_t = W_{ho} h_t + b_o."""
    return W_ho @ h + b_o


@formula(expand="n_h * (n_in + n_h + biases)", section=10)
def rnn_params(n_in: Value, n_h: Value, biases: Value = sympy.Integer(1)) -> Value:
    r"""W_{xh}, W_{hh} and b_h: n_h(n_{in} + n_h + 1); PyTorch keeps two bias vectors (biases=2)."""
    return n_h * (n_in + n_h + biases)


@formula(expand="4 * n_h * (n_in + n_h + biases)", section=11)
def lstm_params(n_in: Value, n_h: Value, biases: Value = sympy.Integer(1)) -> Value:
    r"""Four gates (forget, input, candidate, output), each n_h(n_{in} + n_h + 1)."""
    return 4 * rnn_params(n_in, n_h, biases)


@formula(expand="3 * n_h * (n_in + n_h + biases)", section=11)
def gru_params(n_in: Value, n_h: Value, biases: Value = sympy.Integer(1)) -> Value:
    r"""Three blocks (reset, update, candidate), each n_h(n_{in} + n_h + 1)."""
    return 3 * rnn_params(n_in, n_h, biases)


# 12. Attention


@formula(tex=r"\alpha", section=12)
def attention_weights(scores: Value) -> Value:
    r"""\alpha_i = \frac{\exp(\text{score}(q,k_i))}{\sum_{j}\exp(\text{score}(q,k_j))}."""
    return softmax(scores)


@formula(section=12)
def dot_scores(q: Value, K: Value) -> Value:
    r"""\text{score}(q, k_i) = q^T k_i for each key row k_i of K."""
    return K @ q


@formula(tex=r"\operatorname{Attention}", expand="alpha @ V", section=12)
def attention(alpha: Value, V: Value) -> Value:
    r"""\text{Attention}(q,K,V) = \sum_{i=1}^{n} \alpha_i v_i (rows of V are the values)."""
    return alpha @ V


@formula(tex=r"\operatorname{Attention}", section=12)
def scaled_dot_product_attention(Q: Value, K: Value, V: Value) -> Value:
    r"""\text{Attention}(Q,K,V) = \text{softmax}\left(\frac{QK^T}{\sqrt{d_k}}\right)V, softmax over each row."""
    d_k = K.shape[1]
    scores = (Q @ K.T) / numeric.sqrt(d_k)
    return softmax(scores) @ V


# 13. Transformer


@formula(tex="PE", section=13)
def positional_encoding(pos: Value, j: Value, d_model: Value) -> Value:
    r"""PE(pos,2i) = \sin(pos / 10000^{2i/d_{model}}), PE(pos,2i+1) = \cos(pos / 10000^{2i/d_{model}}); j is the 0-based dimension."""
    i = sympy.floor(sympy.Integer(j) / 2)
    angle = pos / numeric.power(sympy.Integer(10000), 2 * i / sympy.Integer(d_model))
    return numeric.sin(angle) if int(j) % 2 == 0 else numeric.cos(angle)


@formula(tex="FFN", expand="relu(x @ W_1 + b_1) @ W_2 + b_2", section=13)
def ffn(x: Value, W_1: Value, b_1: Value, W_2: Value, b_2: Value) -> Value:
    r"""FFN(x) = \max(0, xW_1 + b_1)W_2 + b_2."""
    return _relu(x @ W_1 + b_1) @ W_2 + b_2


def _mean(x: Value) -> Value:
    return sum(x, sympy.Integer(0)) / len(x)


def _biased_variance(x: Value) -> Value:
    mu = _mean(x)
    return sum(((v - mu) ** 2 for v in x), sympy.Integer(0)) / len(x)


@formula(tex=r"\operatorname{LayerNorm}", section=13)
def layer_norm(x: Value, eps: Value = sympy.Integer(0), gamma: Value = sympy.Integer(1), beta: Value = sympy.Integer(0)) -> Value:
    r"""(x - \mu)/\sqrt{\sigma^2 + \epsilon} over the features of x (biased variance), then \gamma\cdot + \beta."""
    if x.ndim == 2:
        return array([layer_norm(row, eps, gamma, beta) for row in x])
    mu = _mean(x)
    denominator = numeric.sqrt(_biased_variance(x) + eps)
    return gamma * ((x - mu) / denominator) + beta


@formula(tex=r"\operatorname{AddNorm}", section=13)
def add_and_norm(x: Value, sublayer: Value, eps: Value = sympy.Integer(0)) -> Value:
    r"""\text{Output} = \text{LayerNorm}(x + \text{Sublayer}(x))."""
    return layer_norm(x + sublayer, eps)


# 14. Optimisers


@formula(tex="g", section=14)
def minibatch_gradient(G: Value) -> Value:
    r"""g = \frac{1}{B}\sum_{i\in B}\nabla_\theta \ell_i(\theta): the mean of the rows of G."""
    return array([_mean(G[:, j]) for j in range(G.shape[1])]) if G.ndim == 2 else _mean(G)


@formula(tex="v", expand="beta * v_prev + g", section=14)
def momentum_velocity(v_prev: Value, g: Value, beta: Value) -> Value:
    r"""v_t = \beta v_{t-1} + g_t (the sheet's form, no (1-\beta) factor)."""
    return beta * v_prev + g


@formula(expand="theta - eta * v", section=14)
def momentum_update(theta: Value, v: Value, eta: Value) -> Value:
    r"""\theta_{t+1} = \theta_t - \eta v_t."""
    return theta - eta * v


@formula(tex="m", expand="beta_1 * m_prev + (1 - beta_1) * g", section=14)
def adam_first_moment(m_prev: Value, g: Value, beta_1: Value) -> Value:
    r"""m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t."""
    return beta_1 * m_prev + (1 - beta_1) * g


@formula(tex="v", expand="beta_2 * v_prev + (1 - beta_2) * g**2", section=14)
def adam_second_moment(v_prev: Value, g: Value, beta_2: Value) -> Value:
    r"""v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 (element-wise square)."""
    return beta_2 * v_prev + (1 - beta_2) * g * g


@formula(expand="m / (1 - beta**t)", section=14)
def bias_correction(m: Value, beta: Value, t: Value) -> Value:
    r"""\hat{m}_t = \frac{m_t}{1-\beta_1^t}, \hat{v}_t = \frac{v_t}{1-\beta_2^t}."""
    return m / (1 - beta ** t)


@formula(expand="theta - eta * m_hat / (sqrt(v_hat) + eps)", section=14)
def adam_update(theta: Value, m_hat: Value, v_hat: Value, eta: Value, eps: Value) -> Value:
    r"""\theta_{t+1} = \theta_t - \eta \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}, element-wise."""
    return theta - eta * m_hat / (_sqrt(v_hat) + eps)


@formula(section=14)
def adam_step(theta: Value, m_prev: Value, v_prev: Value, g: Value, t: Value, eta: Value, beta_1: Value, beta_2: Value, eps: Value) -> Value:
    """One whole Adam step (moments, bias correction, update); returns the new parameters."""
    m = adam_first_moment(m_prev, g, beta_1)
    v = adam_second_moment(v_prev, g, beta_2)
    return adam_update(theta, bias_correction(m, beta_1, t), bias_correction(v, beta_2, t), eta, eps)


# 15. Regularisation


@formula(tex=r"\lambda\|\theta\|_2^2", expand="lam * sum(theta**2)", section=15)
def l2_penalty(theta: Value, lam: Value) -> Value:
    r"""\lambda\|\theta\|_2^2 = \lambda\sum_j \theta_j^2."""
    return lam * sum((v * v for v in np.ravel(theta)), sympy.Integer(0))


@formula(tex=r"\lambda\|\theta\|_1", expand="lam * sum(abs(theta))", section=15)
def l1_penalty(theta: Value, lam: Value) -> Value:
    r"""\lambda\|\theta\|_1 = \lambda\sum_j |\theta_j|."""
    return lam * sum((abs(v) for v in np.ravel(theta)), sympy.Integer(0))


@formula(expand="theta - eta * (grad + 2 * lam * theta)", section=15)
def weight_decay_step(theta: Value, grad: Value, eta: Value, lam: Value) -> Value:
    r"""GD on J + \lambda\|\theta\|_2^2: \theta - \eta(\nabla J + 2\lambda\theta)."""
    return theta - eta * (grad + 2 * lam * theta)


@formula(tex=r"\operatorname{BN}", section=15)
def batch_norm(x: Value, gamma: Value = sympy.Integer(1), beta: Value = sympy.Integer(0), eps: Value = sympy.Integer(0)) -> Value:
    r"""\hat{x}_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, y_i = \gamma\hat{x}_i + \beta over the mini-batch (biased variance); a matrix is normalised per column."""
    if x.ndim == 2:
        def per_feature(parameter, j):
            return parameter[j] if is_array(parameter) else parameter

        columns = [batch_norm(x[:, j], per_feature(gamma, j), per_feature(beta, j), eps) for j in range(x.shape[1])]
        return array([[columns[j][i] for j in range(x.shape[1])] for i in range(x.shape[0])])
    mu = _mean(x)
    return gamma * (x - mu) / numeric.sqrt(_biased_variance(x) + eps) + beta


@formula(expand="sqrt(6 / (n_in + n_out))", section=15)
def xavier_bound(n_in: Value, n_out: Value) -> Value:
    r"""W \sim U(-\sqrt{6/(n_{in}+n_{out})}, \sqrt{6/(n_{in}+n_{out})}): the bound."""
    return numeric.sqrt(sympy.Integer(6) / (n_in + n_out))


@formula(expand="sqrt(2 / n_in)", section=15)
def he_std(n_in: Value) -> Value:
    r"""W \sim N(0, 2/n_{in}): the standard deviation \sqrt{2/n_{in}}."""
    return numeric.sqrt(sympy.Integer(2) / n_in)


@formula(expand="2 / n_in", section=15)
def he_variance(n_in: Value) -> Value:
    r"""W \sim N(0, 2/n_{in}): the variance 2/n_{in}."""
    return sympy.Integer(2) / n_in


def mean(x: Value) -> Value:
    """Arithmetic mean of a vector (exact)."""
    return _mean(x)


def biased_variance(x: Value) -> Value:
    """\\sigma^2 = \\frac{1}{n}\\sum (x_i - \\mu)^2: the variance batch and layer norm use."""
    return _biased_variance(x)


__all__ = sorted(FORMULAS) + ["FORMULAS", "Formula", "ACTIVATIONS", "mean", "biased_variance", "exact"]


# 5-8. Whole networks, for "fill in the table" questions (see networks.py)

from . import networks as _networks  # noqa: E402  (registered after the single-layer formulas they build on)

formula(tex=r"\operatorname{table}", section=7, steps=_networks.network_steps)(_networks.network_table)
formula(tex=r"\operatorname{total\ parameters}", section=7)(_networks.network_params)
formula(tex=r"\operatorname{layers}", section=7)(_networks.network_tex)
