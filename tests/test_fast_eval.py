"""The fast paths give exactly what the sympy and numpy paths give.

The generator evaluates expressions over Python int and Fraction where it can
(quizgen.engine.expressions.compile_fast) and draws from numpy's PCG64 stream in
plain Python (quizgen.engine.rng). These tests compare each with the path it
stands in for: random and extreme values through every operation, every variable
and mistake of the whole bank over many draws, and the random stream over many seeds.
"""

from __future__ import annotations

import operator
import random
from quicktions import Fraction  # the fast path's Fraction

import numpy as np
import pytest
import sympy

from quizgen.engine import generate as gen
from quizgen.engine.bank import load_bank
from quizgen.engine.expressions import parse
from quizgen.engine import values
from quizgen.engine.fast import NotFast, compile_fast, from_fast, to_fast
from quizgen.engine.reals import Real
from quizgen.engine.rng import VariantRandom, pcg64_start
from quizgen.engine.template import TABLE_KINDS

EXPRESSIONS = [
    "a + b", "a - b", "a * b", "a / b", "a // b", "a % b", "a ** n", "-a", "+a",
    "floor(a / b) + 1", "ceil(a / b)", "floor((a - b + 2*n) / n)", "ceil(-a / n)", "floor(a) / b", "abs(a - b)", "sqrt(a * a)", "sqrt(a)", "min(a, b, n)", "max(a, b)",
    "a < b", "a <= b <= n", "a == b", "a != b", "a > b and b >= n", "a > b or not b == n", "a if a > b else b",
    "is_integer(a / b)", "is_odd(n)", "all(a > b)", "sum(a)", "(a - b + 2*n) % b == 0",
    "conv_output_size(a, b, n, 2)", "same_padding(n)", "conv_params(n, n, a, b)", "dilated_kernel(n, a)",
    "dense_params(a, b)", "rnn_params(a, b)", "lstm_params(a, b, biases=2)", "gru_params(a, b, 2)",
    "1 ** n", "2 ** n", "a ** -n", "0.5 * a", "true and a > 0", "a / 0", "a % 0", "a // 0", "0 ** -1",
]

EXTREMES = [0, 1, -1, 2, -2, 10**30, -(10**30) + 7, Fraction(1, 3), Fraction(-7, 2), Fraction(10**20 + 1, 10**19), Fraction(1, 10**25)]


def _random_value(rng: random.Random):
    if rng.random() < 0.3:
        return rng.choice(EXTREMES)
    if rng.random() < 0.5:
        return rng.randint(-50, 50)
    return Fraction(rng.randint(-200, 200), rng.randint(1, 40))


def _sympy(value):
    return sympy.Integer(value) if isinstance(value, int) else sympy.Rational(value.numerator, value.denominator)


def _slow(expression, env):
    try:
        return "ok", expression.evaluate(env)
    except Exception as error:  # noqa: BLE001 - the error the sympy path raises is what the generator keeps
        return "error", type(error)


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_fast_closures_equal_sympy(text):
    expression = parse(text, names={"a", "b", "n"})
    fast = compile_fast(expression.root)
    assert fast is not None or text in ("sqrt(a)",)
    rng = random.Random(text)
    for _ in range(400):
        values = {"a": _random_value(rng), "b": _random_value(rng), "n": rng.choice([0, 1, 2, 3, -1, -2, 7, 40])}
        env = {name: _sympy(v) for name, v in values.items()}
        try:
            result = from_fast(fast(values)) if fast else None
        except (NotFast, ArithmeticError, ValueError, TypeError):
            continue  # left to the sympy path, which then decides
        if result is None:
            continue
        status, expected = _slow(expression, env)
        assert status == "ok", (text, values, expected)
        assert type(result) is type(expected) and result == expected, (text, values, result, expected)


def _random_real(rng: random.Random):
    """A sympy Float as the bank's values are: exp, log, sqrt of a random rational at 60 digits, or wider, tiny, huge, zero."""
    pick = rng.random()
    if pick < 0.05:
        return sympy.Float(0, 60)
    if pick < 0.12:
        return sympy.Float(1, 300) + sympy.Float("1e-280", 300) * rng.choice([1, -1])  # more bits than 60 digits
    if pick < 0.2:
        return values.exp(sympy.Integer(rng.choice([-600, -80, 80, 600])) + sympy.Rational(rng.randint(1, 9), 7))
    argument = sympy.Rational(rng.randint(-300, 300), rng.randint(1, 50))
    function = rng.choice([values.exp, values.sin, values.tanh, lambda x: values.sqrt(abs(x) + 1), lambda x: values.log(abs(x) + 1)])
    return function(argument) * rng.choice([1, -1])


def _any_value(rng: random.Random):
    return _sympy(_random_value(rng)) if rng.random() < 0.4 else _random_real(rng)


def _same(a, b) -> bool:
    """The same value: same type, and for a Float the same mpmath number and precision (sympy's == on Floats)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and all(_same(x, y) for x, y in zip(a.flat, b.flat))
    return type(a) is type(b) and a == b


IRRATIONAL_EXPRESSIONS = [
    "a + b", "a - b", "a * b", "a / b", "a ** n", "-a", "abs(a)", "floor(a)", "ceil(a / b)", "a < b", "a == b", "a >= b",
    "max(a, b, n)", "min(a, b)", "exp(a / 100)", "log(abs(a) + 1)", "sqrt(abs(b))", "sin(a)", "cos(b)", "tanh(a)", "sigmoid(a)",
    "sigmoid_derivative(b)", "relu(a)", "step(b)", "2 * pi * a", "e ** n", "1 / (1 + exp(-a))", "1 - a", "n / a", "3 - b",
    "[a, b, n] * exp(1/3)", "[a, b] + [b, n]", "[a, b] / b", "a / [b, n]", "[a, b] @ [[a, n], [b, 1]]", "dot([a, b], [b, a])",
    "sum([a, b, n] * b)", "max([a, b, n])", "argmax([a, b, n])", "softmax([a / 40, b, n])", "softmax([[a, b], [n, a]])",
    "sigmoid([a, b, n])", "[a, b][1]", "transpose([[a, b], [n, 1]])[0, 1]", "mean([a, b, n])", "var([a, b, n])",
    "layer_norm([a, b, n])", "all([a, b] > 0)", "[a, b] == [b, a]", "exp([a / 100, 0])", "is_integer([a, n])", "distinct([a, b, n])",
    "bce(sigmoid(a), 1)", "bce(sigmoid(b), 0)", "categorical_ce(softmax([a, b, n]), [0, 1, 0])", "predict_binary(sigmoid([a, b]))",
    "mse([[a, 1], [b, 2]], [n, 1], [a, b])", "mse_gradient([[a, 1], [b, 2]], [n, 1], [a, b])", "gd_step([a, b], [b, n], 1/10)",
    "adam_second_moment([a, b], [b, n], 999/1000)", "adam_update([a, b], [b, n], [abs(a), abs(n)], 1/100, 1/10**8)",
    "bias_correction(a, 9/10, n)", "weighted_sum([a, b], [b, n], a)", "ffn([a, b], [[a, 1], [b, n]], [1, b], [[1], [a]], [n])",
    "scaled_dot_product_attention([[a, b]], [[b, a], [n, 1]], [[1, 2], [a, b]])", "l2_penalty([a, b], 1/100)", "l1_penalty([a, b], n)",
    "activate([a, b], 'tanh')", "minibatch_gradient([[a, b], [n, a]])", "zeros(2) + a", "x if a > b else b",
]


@pytest.mark.parametrize("text", IRRATIONAL_EXPRESSIONS)
def test_fast_irrational_and_arrays_equal_sympy(text):
    """Floats (as Real), vectors and matrices through the fast closures: the sympy path's values bit for bit."""
    expression = parse(text.replace("x if", "a if"), names={"a", "b", "n"})
    fast = compile_fast(expression.root)
    assert fast is not None, text
    rng = random.Random(text)
    compared = 0
    for _ in range(300):
        env = {"a": _any_value(rng), "b": _any_value(rng), "n": sympy.Integer(rng.choice([0, 1, 2, 3, -1, -2, 7, 40]))}
        try:
            result = from_fast(fast({name: to_fast(v) for name, v in env.items()}))
        except Exception:  # noqa: BLE001, S112 - left to the sympy path, which then decides
            continue
        status, expected = _slow(expression, env)
        assert status == "ok", (text, env, expected)
        assert _same(result, expected), (text, env, result, expected)
        compared += 1
    assert compared >= 60, (text, compared)


def _nonzero(x) -> bool:
    return x._mpf_ != (0, 0, 0, 0) if isinstance(x, sympy.Float) else x != 0


def test_real_arithmetic_is_sympys():
    """Each operation of Real against sympy's Float over random, wide, tiny, huge and zero operands."""
    rng = random.Random(2026)
    operations = [operator.add, operator.sub, operator.mul, operator.truediv]
    for _ in range(3000):
        a, b = _random_real(rng), _any_value(rng)
        if rng.random() < 0.5:
            a, b = b, a
        for operate in operations:
            if operate is operator.truediv and not _nonzero(b):
                continue
            try:
                fast = from_fast(operate(to_fast(a), to_fast(b)))
            except NotFast:
                continue
            assert _same(fast, operate(a, b)), (operate, a, b)
        exponent = rng.choice([-3, -1, 0, 1, 2, 3, 7])
        if isinstance(a, sympy.Float) and _nonzero(a):
            assert _same(from_fast(to_fast(a) ** exponent), a**exponent), (a, exponent)
        if isinstance(a, sympy.Float):
            assert _same(from_fast(-to_fast(a)), -a) and _same(from_fast(abs(to_fast(a))), abs(a))


def test_conversions_round_trip():
    for value in [sympy.Integer(0), sympy.Integer(-5), sympy.Rational(1, 2), sympy.Rational(-22, 7), sympy.Integer(10) ** 40]:
        back = from_fast(to_fast(value))
        assert type(back) is type(value) and back == value
    assert type(to_fast(sympy.Integer(3))) is int and type(to_fast(sympy.Rational(3, 4))) is Fraction
    for other in [True, "relu"]:
        assert to_fast(other) is other
    for real in [sympy.Float(0.5, 60), -values.exp(sympy.Rational(1, 3)), sympy.Float(1, 300) + sympy.Float("1e-280", 300), sympy.Float(0, 60)]:
        back = from_fast(to_fast(real))
        assert type(to_fast(real)) is Real and type(back) is sympy.Float and (back._mpf_, back._prec) == (real._mpf_, real._prec)
    for mpf, prec in [((0, 4, 0, 3), 60), ((1, 2**70 + 1, -3, 71), 60), ((0, 3, 5, 2), 60)]:  # even or too long mantissas: normalised as Float._new does
        back, made = from_fast(Real(mpf, prec)), sympy.Float._new(mpf, prec, zero=False)
        assert type(back) is sympy.Float and (back._mpf_, back._prec) == (made._mpf_, made._prec) and back == made
    vector = values.array([1, sympy.Rational(1, 2), values.exp(sympy.Integer(1))])
    back = from_fast(to_fast(vector))
    assert back.shape == (3,) and all(type(a) is type(b) and a == b for a, b in zip(back, vector))
    assert [type(x) for x in to_fast(vector)] == [int, Fraction, Real]


def _variants(template, fast: bool, count: int):
    gen.FAST = fast
    try:
        return [gen.make_variant(template, 5, index) for index in range(count)]
    except Exception as error:  # noqa: BLE001 - both paths must fail alike, whatever the error
        return type(error)
    finally:
        gen.FAST = True


def test_whole_bank_same_values_on_both_paths():
    """Every variable, answer, mistake and option of many draws of every template, with and without the fast path."""
    bank = load_bank()
    for template in bank.templates.values():
        if template.kind in TABLE_KINDS:
            continue
        fast, slow = _variants(template, True, 40), _variants(template, False, 40)
        if not isinstance(fast, list) or not isinstance(slow, list):
            assert fast == slow, template.id
            continue
        for a, b in zip(fast, slow):
            assert list(a.env) == list(b.env), template.id
            for name in a.env:
                x, y = a.env[name], b.env[name]
                assert type(x) is type(y), (template.id, name, x, y)
                if isinstance(x, np.ndarray):
                    assert x.shape == y.shape and all(type(p) is type(q) and p == q for p, q in zip(x.flat, y.flat)), (template.id, name)
                else:
                    assert x == y, (template.id, name, x, y)
            assert a.note == b.note and a.text == b.text, template.id
            assert [(m.name, m.rounded, str(m.value)) for m in a.mistakes] == [(m.name, m.rounded, str(m.value)) for m in b.mistakes], template.id
            assert a.dropped == b.dropped, template.id
            assert [(o.label, o.rounded, o.mistake) for o in a.options] == [(o.label, o.rounded, o.mistake) for o in b.options], template.id


def test_random_stream_is_numpys():
    """Seeding, bounded integers one by one and in a row, and the hand-over to numpy mid-stream."""
    rng = random.Random(19)
    for _ in range(400):
        entropy = [rng.randrange(2 ** rng.choice([1, 8, 32, 40, 63])), rng.randrange(2**32), rng.randrange(10 ** rng.choice([1, 3, 6, 12, 30]))]
        state = np.random.PCG64(np.random.SeedSequence(entropy)).state["state"]
        assert (state["state"], state["inc"]) == pcg64_start(entropy)
        first = VariantRandom(entropy)  # numpy's at once, before any draw in Python
        assert first.integers(0, 10, size=3).tolist() == np.random.default_rng(np.random.SeedSequence(entropy)).integers(0, 10, size=3).tolist()
        ours, theirs = VariantRandom(entropy), np.random.default_rng(np.random.SeedSequence(entropy))
        for _ in range(30):
            n = rng.choice([1, 2, 3, 5, 8, 21, 100, 100_000, 2**31, 2**31 + 5, 2**40])
            pick = rng.random()
            if pick < 0.45:
                assert ours.below(n) == int(theirs.integers(0, n))
            elif pick < 0.9:
                size = rng.choice([1, 2, 3, 9, 16])
                assert ours.below_many(n, size) == theirs.integers(0, n, size=size).tolist()
            elif pick < 0.95:
                size = rng.choice([1, 2, 3, 5, 9, 40])
                assert ours.permutation(size) == theirs.permutation(size).tolist()
            elif pick < 0.98:
                n = rng.choice([1, 2, 3, 5, 9, 40, 300, 10_000])
                size = rng.randint(0, min(n, 50))
                assert ours.distinct(n, size) == theirs.choice(n, size=size, replace=False).tolist()
            else:  # numpy's own from here on
                assert ours.random() == theirs.random()


def test_placeholder_texts_render_as_jinja():
    """Texts of plain {@ name @} placeholders are joined by hand; the result is Jinja's, for every text of the bank."""
    from quizgen.engine.template import PlaceholderText

    bank = load_bank()
    checked = 0
    for template in bank.templates.values():
        if template.kind in TABLE_KINDS:
            continue
        variants = list(gen.generate(template, 2, seed=3))
        fields = [template.text, template.note, template.solution, *(m.feedback for m in template.mistakes)]
        for field in fields:
            if isinstance(field, PlaceholderText):
                for variant in variants:
                    assert field.render(variant.context) == field.compiled.render(variant.context), template.id
                    checked += 1
    assert checked > 200
    text = PlaceholderText.of("a {@ x @} b\n", None, {"x"})
    assert text.pieces == ["a ", " b"] and text.names == ["x"]
    for source in ["{@ x|lower @}", "{% if x %}y{% endif %}", "{@ true @}", "a {#@ c @#}", "a\r\nb"]:
        assert PlaceholderText.of(source, None, {"x"}) is None, source


def test_float_comparison_is_the_sign_of_the_difference():
    """_compare_numbers of two Floats by mpmath's comparison, against the sign of sympy's 50-digit difference."""
    from quizgen.engine import values
    from quizgen.engine.expressions import _compare_numbers

    rng = random.Random(7)
    floats = [values.exp(sympy.Rational(rng.randint(-300, 300), rng.randint(1, 50))) for _ in range(60)]
    floats += [values.sqrt(sympy.Integer(2)), values.sqrt(sympy.Integer(2)), sympy.Float(0.5, 60), sympy.Float(-0.5, 60), sympy.Float(1, 300) + sympy.Float("1e-280", 300)]
    floats += [f * sympy.Integer(-1) for f in floats[:10]]
    for a in floats:
        for b in floats:
            difference = sympy.N(a - b, 50)
            expected = 0 if difference == 0 else (1 if difference > 0 else -1)
            assert _compare_numbers(a, b) == expected, (a, b)


def test_a_dependent_draw_is_remembered_by_its_values_and_its_errors_are_not():
    """compile_fast_draw remembers a distribution per combination of the values it reads: the same
    values give the very same distribution, other values (or types) another, a failing draw fails
    every time, and a draw over an array is made anew each time."""
    from quizgen.engine.fast import compile_fast_draw

    dependent = compile_fast_draw(parse("int(1, N - K, exclude=[K])", allow_draws=True).root)
    first = dependent({"N": 9, "K": 2})
    assert dependent({"N": 9, "K": 2}) is first
    assert dependent({"N": 9, "K": 3}) is not first and dependent({"N": 9, "K": 3}).size() == 5
    assert dependent({"N": 10, "K": 2}) is not first and dependent({"N": 10, "K": 2}).size() == 7
    for _ in range(2):
        with pytest.raises(Exception):
            dependent({"N": 2, "K": 2})  # min_value > max_value, each time
    choice = compile_fast_draw(parse("choice([x[0], x[1]])", allow_draws=True).root)
    x = to_fast(values.exact([1, 2]))
    assert choice({"x": x}) is not choice({"x": x})
    assert [from_fast(item) for item in choice({"x": x}).items] == [1, 2]
