"""Reading a student's answer (quizgen.marking.responses) and marking it (quizgen.marking.mark).

Marking must be exactly the exports' rule, quizgen.engine.generate.within, so the tests
compare with it directly on every template of the shipped bank.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.engine.generate import generate, matching_columns, within
from quizgen.engine.values import array
from quizgen.formats.typed import describe_shape, flat_rounded
from quizgen.marking.mark import (
    mark_blank,
    mark_matching,
    mark_option,
    matched_mistake,
    read_blank,
    read_matching,
    read_option,
)
from quizgen.marking.responses import ResponseError, fit_shape, parse_response

F = Fraction


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.25", F(1, 4)),
        ("1/4", F(1, 4)),
        ("2.5e-1", F(1, 4)),
        (".25", F(1, 4)),
        ("  -0.5 ", F(-1, 2)),
        ("\u22120.5", F(-1, 2)),  # the minus sign a phone keyboard types
        ("+3", F(3)),
        ("5.", F(5)),
        ("-1/-4", F(1, 4)),
        ("1.5/3", F(1, 2)),
        ("1 / 4", F(1, 4)),
        ("2E3", F(2000)),
        ("[7]", F(7)),
        ("[0.1, 0.2]", [F(1, 10), F(1, 5)]),
        ("0.1 0.2", [F(1, 10), F(1, 5)]),
        ("0.1,0.2", [F(1, 10), F(1, 5)]),
        ("(1, 2)", [F(1), F(2)]),
        ("[[1, 2], [3, 4]]", [[F(1), F(2)], [F(3), F(4)]]),
        ("1 2; 3 4", [[F(1), F(2)], [F(3), F(4)]]),
        ("[1 2; 3 4]", [[F(1), F(2)], [F(3), F(4)]]),
        ("[[1], [2]]", [[F(1)], [F(2)]]),
    ],
)
def test_reads_numbers_vectors_and_matrices_exactly(text, expected):
    assert parse_response(text) == expected


@pytest.mark.parametrize(
    "text, hint",
    [
        ("", "type an answer"),
        ("   ", "type an answer"),
        ("abc", "cannot read 'abc'"),
        ("nan", "cannot read"),
        ("inf", "cannot read"),
        ("0x10", "cannot read"),
        ("1_000", "cannot read"),
        ("3e", "cannot read"),
        ("__import__('os').system('x')", "cannot read"),
        ("1/0", "divides by zero"),
        ("1e999999999", "too large or too small"),
        ("[1, 2", "brackets do not match"),
        ("1 2 ] [", "brackets do not match"),
        ("[1] [2]", "one pair of brackets"),
        ("[]", "no number between the brackets"),
        ("[[1, 2], [3]]", "different lengths"),
        ("[[1, 2], 3]", "mix of numbers and rows"),
        ("1 2;", "empty row"),
        ("1" * 3000, "characters long"),
    ],
)
def test_garbage_gives_a_short_hint(text, hint):
    with pytest.raises(ResponseError, match=hint.replace("[", r"\[").replace("(", r"\(")) as caught:
        parse_response(text)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 120


@given(st.text(max_size=40))
@settings(max_examples=400, deadline=None)
def test_any_text_is_read_or_refused_with_a_hint(text):
    try:
        parse_response(text)
    except ResponseError:
        pass


@given(st.fractions(max_denominator=10**6).filter(lambda f: abs(f) < 10**12), st.sampled_from(["fraction", "decimal", "exponent"]))
@settings(max_examples=300, deadline=None)
def test_written_numbers_are_read_exactly(value, form):
    if form == "fraction":
        text = f"{value.numerator}/{value.denominator}"
        assert parse_response(text) == value
    else:
        decimal = f"{float(value):.12g}" if form == "exponent" else f"{float(value):.9f}"
        from decimal import Decimal

        assert parse_response(decimal) == Fraction(Decimal(decimal))


def test_fit_shape_accepts_layout_slips_and_names_the_wanted_shape():
    assert fit_shape(parse_response("[[1, 2, 3]]"), "vector", (3,)) == [F(1), F(2), F(3)]
    assert fit_shape(parse_response("1 2 3 4"), "matrix", (2, 2)) == [[F(1), F(2)], [F(3), F(4)]]
    assert fit_shape(parse_response("[[5]]"), "number", ()) == F(5)
    with pytest.raises(ResponseError, match="expected 3 numbers, e.g. 0.1 0.2 0.3; you typed 2 numbers"):
        fit_shape(parse_response("1 2"), "vector", (3,))
    with pytest.raises(ResponseError, match="one number; you typed 2 numbers"):
        fit_shape(parse_response("1 2"), "integer", ())
    with pytest.raises(ResponseError, match="you typed a 3×2 matrix"):
        fit_shape(parse_response("1 2; 3 4; 5 6"), "matrix", (2, 3))
    with pytest.raises(ResponseError, match="not a matrix"):
        fit_shape(parse_response("1 2; 3 4"), "vector", (4,))
    assert describe_shape("matrix", (6, 4)).endswith("e.g. 1 2 3 4; 5 6 7 8; ...")


def _numeric_variants(bank, per_template=3):
    for template_id, template in sorted(bank.templates.items()):
        if template.kind in ("concept", "matching"):
            continue
        yield from generate(template, per_template, 11)


def test_the_key_is_right_and_every_mistake_is_wrong_and_named(bank):
    checked = 0
    for variant in _numeric_variants(bank):
        for answer in variant.answers:
            mark = mark_blank(variant, answer, read_blank(answer, flat_rounded(answer.rounded)))
            assert mark.right, (variant.template.id, answer.spec.name)
            assert mark.mistake is None
        for mistake in variant.mistakes:
            answer = next(a for a in variant.answers if a.spec.name == mistake.answer)
            mark = mark_blank(variant, answer, read_blank(answer, flat_rounded(mistake.rounded)))
            assert not mark.right, (variant.template.id, mistake.name)
            assert mark.mistake is not None and mark.mistake.answer == mistake.answer
            checked += 1
    assert checked > 50


def test_marking_is_within_itself(bank):
    """mark_blank(...).right is within(response, answer.value, answer.tolerance), also just outside the tolerance."""
    for variant in _numeric_variants(bank, 2):
        for answer in variant.answers:
            for text in (flat_rounded(answer.rounded), _shifted(answer, 1), _shifted(answer, 2)):
                response = read_blank(answer, text)
                mark = mark_blank(variant, answer, response)
                assert mark.right == within(response, answer.value, answer.tolerance)
                if mark.elements is not None:
                    assert all(mark.elements) == mark.right


def _shifted(answer, units):
    """The rounded answer moved by ``units`` tolerances (element by element)."""
    def shift(rounded, tolerance):
        if isinstance(rounded, list):
            return [shift(r, t) for r, t in zip(rounded, tolerance)]
        return str(Fraction(rounded) + units * Fraction(str(float(tolerance))) + Fraction(1, 10**9))
    shifted = shift(answer.rounded, answer.tolerance)
    if isinstance(shifted, list):
        return "; ".join(" ".join(map(str, row)) if isinstance(row, list) else str(row) for row in shifted) if isinstance(shifted[0], list) else " ".join(shifted)
    return shifted


def test_per_element_marks_say_which_elements_are_off(bank):
    variant = next(generate(bank.get("multiclass.softmax"), 1, 5))
    probabilities = variant.answers[0]
    typed = list(probabilities.rounded)
    typed[-1] = str(Fraction(typed[-1]) + Fraction(1, 10))
    mark = mark_blank(variant, probabilities, read_blank(probabilities, " ".join(typed)))
    assert not mark.right and mark.elements == [True, True, False]


def test_a_mistake_is_matched_by_its_value_within_the_answers_tolerance(bank):
    variant = next(generate(bank.get("multiclass.softmax"), 1, 5))
    mistake = next(m for m in variant.mistakes if m.name == "no_exponential")
    answer = variant.answers[0]
    near = array([exact_value + tolerance / 2 for exact_value, tolerance in zip(mistake.value, answer.tolerance)])
    assert matched_mistake(variant, answer, near) is mistake
    far = array([exact_value + tolerance * 3 for exact_value, tolerance in zip(mistake.value, answer.tolerance)])
    assert matched_mistake(variant, answer, far) is None


def test_choice_and_matching(bank):
    variant = next(generate(bank.get("cnn.conv_params"), 1, 1))
    right = next(o for o in variant.options if o.correct)
    assert mark_option(read_option(variant, right.label.lower())).right
    wrong = next(o for o in variant.options if not o.correct)
    mark = mark_option(read_option(variant, f" {wrong.label}) "))
    assert not mark.right and mark.mistake is wrong.source
    with pytest.raises(ResponseError, match="type one letter"):
        read_option(variant, "Z")

    matching = next(generate(bank.get("concepts.lstm_gates_matching"), 1, 1))
    pairs = matching.answers[0].value
    rights = matching_columns(matching)[1]  # the right column as shown, its distractor included
    letters = "".join("ABCDEFGH"[rights.index(right)] for _, right in pairs)
    assert mark_matching(matching, read_matching(matching, letters)).right
    numbered = " ".join(f"{i + 1}{letter}" for i, letter in enumerate(letters))
    assert mark_matching(matching, read_matching(matching, numbered)).right
    distractor = next(i for i, right in enumerate(rights) if right in matching.distractors)  # belongs to no row: always wrong
    mark = mark_matching(matching, read_matching(matching, "ABCDEFGH"[distractor] + letters[1:]))
    assert not mark.right and mark.wrong == [(pairs[0][0], rights[distractor], pairs[0][1])]
    swapped = letters[1] + letters[0] + letters[2:]
    mark = mark_matching(matching, read_matching(matching, swapped))
    assert not mark.right and len(mark.wrong) == 2
    for bad in ("", "1A", "XYZ", "9A 1B 2C"):
        with pytest.raises(ResponseError):
            read_matching(matching, bad)
