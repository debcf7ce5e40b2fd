"""fraction_of_text: quicktions' Fraction from text, equal to the standard library's, and harmless to the interpreter."""

import fractions

import numpy as np
import pytest

from quizgen.engine.fraction import Fraction, fraction_of_text


def one_byte_objects_intact() -> bool:
    return all(bytes([code])[0] == code for code in range(256))


@pytest.mark.parametrize("text", ["0", "7", "9", "٣"])
def test_one_character_parses_without_overwriting_the_shared_zero_byte(text):
    value = fraction_of_text(text)
    assert type(value) is Fraction and value == fractions.Fraction(text)
    assert one_byte_objects_intact()
    assert b"\x00" * 3 == bytes(3), "b'\\x00' still is the zero byte"


@pytest.mark.parametrize("text", ["", "-", "+", ".", "x", " ", "/", "e"])
def test_text_that_is_no_number_raises_value_error_as_the_standard_library_does(text):
    with pytest.raises(ValueError):
        fractions.Fraction(text)
    with pytest.raises(ValueError):
        fraction_of_text(text)
    assert one_byte_objects_intact()


def test_agrees_with_the_standard_library_over_random_decimals_and_ratios():
    rng = np.random.default_rng(20261204)
    for _ in range(3000):
        digits = int(rng.integers(1, 30))
        whole = "".join(str(d) for d in rng.integers(0, 10, size=digits))
        kind = int(rng.integers(0, 4))
        sign = "-" if rng.random() < 0.3 else ""
        if kind == 0:
            text = sign + whole
        elif kind == 1:
            text = f"{sign}{whole[: max(1, digits // 2)]}.{whole[digits // 2:] or '0'}"
        elif kind == 2:
            text = f"{sign}{whole}/{int(rng.integers(1, 10**6))}"
        else:
            text = f"{sign}{whole[:3]}e{int(rng.integers(-40, 40))}"
        assert fraction_of_text(text) == fractions.Fraction(text), text
    assert one_byte_objects_intact()
    assert fraction_of_text("1e400") == fractions.Fraction(10) ** 400, "extreme exponents stay exact"
    assert fraction_of_text("-0.000") == 0
