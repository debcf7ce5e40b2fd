"""Property tests: random expressions and random answers never crash quizgen and never run long.

The expression language is what a shared bank can make quizgen compute; the response
reader is what a student can make it read. Hypothesis builds random expressions from the
language's own pieces (numbers up to 10**12, huge powers, nested calls, arrays, names) and
random text, answer-like or not. Each must give a value or a refusal of the kinds quizgen
turns into one line, within a time bound that is measured, not benchmarked: generous, so
only a hang or a blow-up can fail it.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgen.engine.expressions import parse
from quizgen.errors import ExpressionError, QuizgenError
from quizgen.marking.responses import ResponseError, parse_response

# What evaluation may raise for a bad value: generate turns each into a rejected draw or a
# one-line error naming the variable (quizgen/engine/generate.py).
REFUSALS = (ExpressionError, QuizgenError, ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError, AttributeError, RecursionError)
BOUND = 5.0  # seconds for one parse and evaluation: a hang or a huge number takes far longer

NAMES = {"a": 3, "b": -2, "v": None, "M": None}
FUNCTIONS = ["floor", "ceil", "abs", "sqrt", "exp", "log", "sin", "cos", "min", "max", "sum", "len", "rows", "cols",
             "transpose", "zeros", "ones", "argmax", "sigmoid", "softmax", "relu", "tanh", "mean", "dot", "conv_output_size"]


def _environment():
    from quizgen.engine.values import exact

    return {"a": exact(3), "b": exact(-2), "v": exact([1, 2, 3]), "M": exact([[1, 2], [3, 4]])}


numbers = st.one_of(
    st.integers(-10**12, 10**12).map(str), st.decimals(-1000, 1000, places=3, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["0", "1e300", "1e-300", "10**10**10", "9**9**9", "2**64", "0.1", "1/3", "pi", "e"]),
)
leaves = st.one_of(numbers, st.sampled_from(sorted(NAMES)), st.lists(numbers, min_size=1, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"))


def _combine(children):
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "==", "<", " and ", " or "]), children).map(lambda t: f"({t[0]}{t[1]}{t[2]})")
    call = st.tuples(st.sampled_from(FUNCTIONS), st.lists(children, min_size=1, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})")
    unary = children.map(lambda c: f"-({c})")
    conditional = st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})")
    return st.one_of(binary, call, unary, conditional)


expressions = st.recursive(leaves, _combine, max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_random_expressions_give_a_value_or_a_refusal_quickly(source):
    started = time.monotonic()
    try:
        expression = parse(source, names=set(NAMES))
    except ExpressionError:
        return
    try:
        expression.evaluate(_environment())
    except REFUSALS:
        pass
    assert time.monotonic() - started < BOUND, source


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_as_an_expression_is_parsed_or_refused(source):
    started = time.monotonic()
    try:
        parse(source, names=set(NAMES))
    except ExpressionError:
        pass
    assert time.monotonic() - started < BOUND


answer_like = st.one_of(
    st.text(alphabet="0123456789.-+eE/[](),; \t", max_size=200),
    st.lists(st.one_of(st.integers(-10**400, 10**400).map(str), st.sampled_from(["1e999999", "1e-999999", ".", "-", "/0"])), max_size=30).map(" ".join),
    st.text(max_size=3000),
)


@settings(max_examples=500, deadline=None)
@given(answer_like)
def test_any_text_a_student_types_is_read_or_answered_with_a_hint(text):
    started = time.monotonic()
    try:
        parse_response(text)
    except ResponseError as hint:
        assert str(hint) and "\n" not in str(hint)
    assert time.monotonic() - started < BOUND
