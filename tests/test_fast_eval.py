"""The fast paths give exactly what the sympy and numpy paths give.

The generator evaluates expressions over Python int and Fraction where it can
(quizgen.engine.expressions.compile_fast) and draws from numpy's PCG64 stream in
plain Python (quizgen.engine.rng). These tests compare each with the path it
stands in for: random and extreme values through every operation, every variable
and mistake of the whole bank over many draws, and the random stream over many seeds.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import sympy

from quizgen.engine import generate as gen
from quizgen.engine.bank import load_bank
from quizgen.engine.expressions import NotFast, compile_fast, from_fast, parse, to_fast
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


def test_conversions_round_trip():
    for value in [sympy.Integer(0), sympy.Integer(-5), sympy.Rational(1, 2), sympy.Rational(-22, 7), sympy.Integer(10) ** 40]:
        back = from_fast(to_fast(value))
        assert type(back) is type(value) and back == value
    assert type(to_fast(sympy.Integer(3))) is int and type(to_fast(sympy.Rational(3, 4))) is Fraction
    for other in [True, "relu", sympy.Float(0.5, 60)]:
        assert to_fast(other) is other


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
