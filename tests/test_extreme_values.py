"""Formulas at values the draws never make but ``solve`` accepts: right, or a clear refusal, never a wrong key.

The draws keep every value sensible, so the property tests over many seeds never meet a
saturated sigmoid or a logit of 1,000. An instructor checking a hand-made question can:
here each formula is swept at extreme arguments against PyTorch in float64, and against
mpmath at 200 digits where float64 itself runs out.
"""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy
from click.testing import CliRunner

from quizgen.cli import cli
from quizgen.engine import formulas as fm
from quizgen.engine.values import array, exact, to_float

torch = pytest.importorskip("torch")

LOGITS = [-800, -700, -135, -40, -23.5, -23, -1e-9, 1e-9, 23, 23.5, 40, 135, 700, 800]


def _reference_sigmoid(z: float) -> mpmath.mpf:
    with mpmath.workdps(400):
        return 1 / (1 + mpmath.exp(-mpmath.mpf(repr(z))))


def _close(value, reference, rel: float = 1e-40) -> bool:
    with mpmath.workdps(400):
        value = mpmath.mpf(sympy.Float(value, 400)._mpf_) if not isinstance(value, mpmath.mpf) else value
        return abs(value - reference) <= rel * max(abs(reference), mpmath.mpf(10) ** -300)


@pytest.mark.parametrize("z", LOGITS)
def test_sigmoid_and_its_complement_stay_exact_far_out(z):
    s = fm.sigmoid(exact(z))
    reference = _reference_sigmoid(z)
    assert _close(s, reference)
    with mpmath.workdps(400):
        assert _close(1 - s, 1 - reference), "1 - sigmoid(z) lost its digits"


@pytest.mark.parametrize("z", LOGITS)
@pytest.mark.parametrize("y", [0, 1])
def test_bce_of_a_saturated_sigmoid_matches_the_loss_from_the_logit(z, y, one_torch_thread):
    """Against the loss straight from the logit, max(z, 0) - zy + log(1 + e^-|z|): mpmath at 400 digits, and PyTorch.

    PyTorch's binary_cross_entropy_with_logits computes log(1 + e^-|z|) in float64, which is
    0 once e^-|z| < 1e-16: it is compared only to within that (abs 1e-14).
    """
    loss = fm.bce(fm.sigmoid(exact(z)), exact(y))
    with mpmath.workdps(400):
        x = mpmath.mpf(repr(z))
        reference = max(x, 0) - x * y + mpmath.log1p(mpmath.exp(-abs(x)))
    assert _close(loss, reference, rel=1e-40), (z, y, loss, reference)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor([float(z)], dtype=torch.float64), torch.tensor([float(y)], dtype=torch.float64)
    ).item()
    assert math.isclose(to_float(loss), theirs, rel_tol=1e-12, abs_tol=1e-14), (z, y, to_float(loss), theirs)


@pytest.mark.parametrize("logits", [
    [1000, 999, 998], [-1000, -999, -998], [1000, -1000, 0], [700.5, 700.25, 700], [1e-8, 0, -1e-8], [50, 0, -50, 0.5],
])
def test_softmax_and_cross_entropy_at_extreme_logits_match_pytorch(logits, one_torch_thread):
    z = exact(logits)
    ours = [to_float(p) for p in fm.softmax(z)]
    theirs = torch.softmax(torch.tensor(logits, dtype=torch.float64), dim=0).tolist()
    for a, b in zip(ours, theirs):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300), (logits, ours, theirs)
    for k in range(len(logits)):
        target = array([1 if j == k else 0 for j in range(len(logits))])
        loss = to_float(fm.categorical_ce(fm.softmax(z), target))
        reference = torch.nn.functional.cross_entropy(torch.tensor([logits], dtype=torch.float64), torch.tensor([k])).item()
        assert math.isclose(loss, reference, rel_tol=1e-9, abs_tol=1e-12), (logits, k, loss, reference)


@pytest.mark.parametrize("z", [-800, -40, 40, 800])
def test_tanh_and_relu_saturate_exactly(z, one_torch_thread):
    assert math.isclose(to_float(fm.tanh(exact(z))), math.tanh(z), rel_tol=1e-15)
    assert to_float(fm.relu(exact(z))) == max(0, z)


def _solve(*arguments: str):
    return CliRunner().invoke(cli, ["solve", *arguments, "--format", "json"])


def test_solve_gives_the_stable_loss_for_a_saturated_neuron():
    """binary.sigmoid_bce at z = 135, y = 0: the loss is 135.0000 (134.9985 when 1 - σ lost its digits)."""
    result = _solve("binary.sigmoid_bce", "--set", "w=[1, 0.5]", "--set", "x=[1, 1]", "--set", "b=133.5", "--set", "y=0")
    assert result.exit_code == 0, result.output
    assert '"rounded": "135.0000"' in result.stdout


@pytest.mark.parametrize("z", ["800", "-800", "135", "1e-30"])
def test_solve_sigmoid_far_out_gives_a_key_or_one_clear_error(z):
    result = _solve("binary.sigmoid", "--set", f"z={z}")
    assert "Traceback" not in result.output and "InvalidOperation" not in result.output
    if result.exit_code:
        assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "cannot be given to 4 decimals" in result.stderr, result.output


def test_softmax_near_1000_gives_the_key():
    result = _solve("multiclass.softmax", "--set", "K=3", "--set", "z=[1000, 999, 998]")
    assert result.exit_code == 0, result.output
    assert '"0.665"' in result.stdout and '"0.090"' in result.stdout


@pytest.mark.parametrize("padding, refused", [(0, False), (1, False), (2, True)])
def test_pooling_padding_over_half_the_window_is_refused_as_pytorch_does(padding, refused):
    layers = f'layers=[{{"type": "input", "shape": [8, 8, 3]}}, {{"type": "pool", "size": 2, "padding": {padding}}}, {{"type": "flatten"}}, {{"type": "dense", "units": 2}}]'
    result = CliRunner().invoke(cli, ["solve", "cnn.network_table", "--set-json", layers])
    try:
        torch.nn.MaxPool2d(2, padding=padding)(torch.zeros(1, 3, 8, 8))
        pytorch_refuses = False
    except RuntimeError:
        pytorch_refuses = True
    assert pytorch_refuses == refused
    if refused:
        assert result.exit_code == 2 and "more than half" in result.stderr, result.output
    else:
        assert result.exit_code == 0, result.output
