"""The variant engine: determinism, variant codes, rounding, tolerance, deduplication, capacity."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

from quizgen.engine import expressions
from quizgen.engine import formulas
from quizgen.engine.generate import count_distinct, generate, make_variant, parse_code, solve, variant_code, within
from quizgen.engine.template import build_template
from quizgen.engine.values import exact, format_number, round_value
from quizgen.errors import QuizgenError, VariantError
from quizgen.formats.records import dumps, variant_record

ROOT = Path(__file__).resolve().parent.parent


def _generate_json(seed: int) -> bytes:
    command = [sys.executable, "-m", "quizgen", "generate", "--topic", "cnn", "-n", "5", "--seed", str(seed)]
    return subprocess.run(command, check=True, capture_output=True, cwd=ROOT).stdout


def test_same_command_gives_identical_bytes_across_processes():
    first, second = _generate_json(11), _generate_json(11)
    assert first == second
    assert json.loads(first)
    assert _generate_json(12) != first


def test_variants_do_not_depend_on_other_templates_or_counts(bank):
    template = bank.get("cnn.conv_output_size")
    few = [v.note for v in generate(template, 3, 5)]
    many = [v.note for v in generate(template, 30, 5)]
    assert many[:3] == few


@pytest.mark.parametrize("seed", [0, 1, 31, 32, 1000, 2**40 + 7])
def test_variant_code_round_trip(bank, seed):
    template = bank.get("cnn.conv_output_size")
    for index in (0, 1, 31, 32, 999):
        code = variant_code(template.id, seed, index)
        assert parse_code(template.id, code) == (seed, index, False)
        assert parse_code(template.id, code.lower()) == (seed, index, False)
        nice_code = variant_code(template.id, seed, index, nice=True)
        assert nice_code != code
        assert parse_code(template.id, nice_code) == (seed, index, True)


def test_variant_code_of_another_template_is_refused(bank):
    code = variant_code("cnn.conv_output_size", 3, 4)
    with pytest.raises(QuizgenError, match="does not belong"):
        parse_code("cnn.other", code)


def test_code_gives_back_the_same_variant(bank):
    template = bank.get("cnn.conv_output_size")
    for variant in generate(template, 10, 77):
        seed, index, nice = parse_code(template.id, variant.code)
        again = make_variant(template, seed, index, nice)
        assert dumps(variant_record(again)) == dumps(variant_record(variant))


@pytest.mark.parametrize(
    "value, decimals, sigfigs, shown",
    [
        (sympy.Rational(1, 8), 2, None, "0.13"),  # half away from zero, exactly
        (sympy.Rational(-1, 8), 2, None, "-0.13"),
        (sympy.Rational(5, 1000), 2, None, "0.01"),
        (sympy.Rational(1, 3), 3, None, "0.333"),
        (sympy.Integer(12345), None, 3, "12300"),
        (sympy.Rational(1, 20000), None, 2, "0.000050"),
        (sympy.exp(1), 4, None, "2.7183"),
        (sympy.Integer(7), 2, None, "7.00"),
        (sympy.Rational(-1, 1000), 2, None, "0.00"),
    ],
)
def test_format_number(value, decimals, sigfigs, shown):
    assert format_number(value, decimals, sigfigs) == shown


def test_rounding_agrees_with_decimal_arithmetic_over_many_values():
    rng = np.random.default_rng(5)
    for _ in range(500):
        numerator, denominator = int(rng.integers(-10**6, 10**6)), int(rng.integers(1, 10**4))
        value = sympy.Rational(numerator, denominator)
        decimals = int(rng.integers(0, 6))
        from decimal import ROUND_HALF_UP, Decimal, localcontext

        with localcontext() as context:
            context.prec = 50
            expected = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        assert round_value(value, decimals=decimals) == expected


def test_within_is_the_marking_rule():
    assert within(exact(0.25), sympy.Rational(1, 4), exact(0))
    assert within(exact(0.2501), sympy.Rational(1, 4), exact(0.001))
    assert not within(exact(0.252), sympy.Rational(1, 4), exact(0.001))
    vector = np.array([exact(0.1), exact(0.2)], dtype=object)
    assert within(vector, vector, [exact(0), exact(0)])
    assert not within(exact(0.1), vector, [exact(0), exact(0)])


def test_within_agrees_with_the_30_digit_rule_at_the_edge_of_the_tolerance():
    """within's shortcuts (in floats, in whole numbers) say what the 30-digit comparison says,
    also for values a hair inside or outside the tolerance, tiny, huge and at zero tolerance."""
    from quizgen.engine.values import to_decimal

    def reference(value, target, tolerance):
        difference = value - target
        return difference == 0 or to_decimal(difference, 30).copy_abs() <= to_decimal(tolerance, 30)

    rng = np.random.default_rng(19)
    nudges = [0, 1e-40, -1e-40, 1e-20, -1e-20, 1e-12, -1e-12, 1e-6, -1e-6, 0.5, -0.5, 3, -3]
    checked = 0
    for _ in range(400):
        magnitude = 10.0 ** int(rng.integers(-30, 31))
        target = sympy.Float(str(rng.normal() * magnitude), 60)
        if rng.random() < 0.3:
            target = sympy.Rational(int(rng.integers(-10**6, 10**6)), int(rng.integers(1, 10**4)))
        tolerance = sympy.Rational(1, 10 ** int(rng.integers(0, 9))) * (0 if rng.random() < 0.1 else 1)
        for nudge in nudges:
            for sign in (1, -1):
                offset = tolerance * (1 + sympy.Float(nudge, 60)) if tolerance else sympy.Float(nudge, 60)
                value = target + sign * offset
                assert within(value, target, tolerance) == reference(value, target, tolerance), (value, target, tolerance)
                checked += 1
    assert checked == 400 * len(nudges) * 2


def test_every_formula_expansion_agrees_with_its_function():
    """The printed sheet formula and the function that computes the key must be the same formula."""
    rng = np.random.default_rng(3)
    for name, entry in formulas.FORMULAS.items():
        if not entry.expand:
            continue
        expansion = expressions.FUNCTIONS[name].expand
        for _ in range(30):
            arguments = _arguments_for(entry.params, rng)
            if arguments is None:
                break
            try:
                direct = entry.function(**arguments)
            except (ZeroDivisionError, ValueError):
                continue
            printed = expansion.evaluate({**_defaults(entry.function), **arguments})
            difference = np.asarray(direct - printed, dtype=object).ravel()
            assert all(abs(float(d)) < 1e-12 for d in difference), name


def _defaults(function):
    import inspect

    return {k: exact(v.default) if not isinstance(v.default, str) else v.default for k, v in inspect.signature(function).parameters.items() if v.default is not inspect.Parameter.empty}


_MATRICES = {"X", "W_ho", "W_1", "W_2", "V"}
_VECTORS = {"w", "x", "y", "theta", "grad", "g", "m_prev", "v_prev", "m", "m_hat", "v_hat", "v", "y_hat", "alpha", "b_o", "h", "b_1", "b_2"}


def _arguments_for(params, rng):
    """Random exact arguments of compatible shapes (2-vectors, 2x2 matrices, positive sizes)."""
    out = {}
    for p in params:
        if p in _MATRICES:
            out[p] = np.array([[exact(int(v)) for v in row] for row in rng.integers(-3, 4, size=(2, 2))], dtype=object)
        elif p in _VECTORS:
            out[p] = np.array([exact(float(v) / 10) for v in rng.integers(1, 9, size=2)], dtype=object)
        elif p in ("p", "y_hat"):
            out[p] = exact(float(rng.integers(1, 9)) / 10)
        elif p in ("beta", "beta_1", "beta_2", "eta", "lam", "eps"):
            out[p] = exact(float(rng.integers(1, 9)) / 10)
        elif p in ("z",):
            out[p] = exact(float(rng.integers(-20, 20)) / 10)
        else:
            out[p] = exact(int(rng.integers(1, 9)))
    if "y" in out and "y_hat" in params and not isinstance(out["y_hat"], np.ndarray):
        out["y"] = exact(int(rng.integers(0, 2)))
    if "N" in out and "K" in out:
        out["N"] = out["K"] + exact(int(rng.integers(0, 30)))
    if "b" in out:
        out["b"] = exact(float(rng.integers(-9, 9)) / 10)
    return out


_TINY = {
    "id": "cnn.tiny",
    "title": "tiny",
    "topic": "cnn",
    "section": 6,
    "difficulty": 1,
    "kind": "numerical",
    "variables": [{"name": "K", "draw": "choice([1, 3])"}, {"name": "P", "value": "(K - 1) / 2"}],
    "text": "K = {@K@}",
    "answers": [{"name": "P", "kind": "integer"}],
}


def test_asking_for_more_distinct_variants_than_possible_says_how_many():
    template = build_template(dict(_TINY), "tiny.yaml", None, None)
    assert count_distinct(template) == (2, True)
    with pytest.raises(VariantError, match="can make only 2 distinct variants; asked for 3"):
        list(generate(template, 3, 0))


def test_impossible_constraint_names_the_constraint():
    data = dict(_TINY, constraints=[{"expr": "K > 5", "message": "kernel larger than five"}])
    template = build_template(data, "tiny.yaml", None, None)
    with pytest.raises(VariantError, match="kernel larger than five"):
        make_variant(template, 0, 0)


def test_solve_refuses_missing_and_extra_names():
    template = build_template(dict(_TINY), "tiny.yaml", None, None)
    with pytest.raises(QuizgenError, match="missing value for 'K'"):
        solve(template, {})
    with pytest.raises(QuizgenError, match="unknown name 'Q'"):
        solve(template, {"K": 3, "Q": 1})
    assert solve(template, {"K": 5}).answers[0].rounded == "2"


def test_integer_answer_that_is_not_whole_is_a_clear_error():
    template = build_template(dict(_TINY), "tiny.yaml", None, None)
    with pytest.raises(VariantError, match="not a whole number"):
        solve(template, {"K": 4})


def test_each_variant_has_its_own_generator_not_global_state(bank):
    template = bank.get("cnn.conv_output_size")
    np.random.seed(1)
    first = [v.note for v in generate(template, 5, 9)]
    np.random.seed(2)
    np.random.random(100)
    assert [v.note for v in generate(template, 5, 9)] == first
