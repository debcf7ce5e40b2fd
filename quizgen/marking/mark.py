"""Mark a student's response against a variant, with the exports' own rule.

A numeric blank is right exactly when ``quizgen.engine.generate.within(response, answer.value,
answer.tolerance)`` holds: |response − exact| ≤ absolute tolerance, element by element,
the rule every export states (docs/json.md). A wrong response is then compared with the
variant's named mistakes: if it is within the answer's tolerance of a mistake's value, or
equal to the mistake's rounded value, the student probably made that mistake, and its
label and feedback say which.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any


from ..engine.generate import Answer, MistakeValue, Option, Variant, answer_shape, matching_columns, within
from ..engine.values import Value, exact, is_array
from .responses import Parsed, ResponseError, fit_shape, parse_response


@dataclass
class BlankMark:
    """One numeric blank, marked."""

    answer: Answer
    response: Value
    right: bool
    elements: list[bool] | None  # vectors and matrices: each element right or not, in reading order
    mistake: MistakeValue | None  # the named mistake a wrong response matches, if any


@dataclass
class ChoiceMark:
    """A multiple-choice (or concept) question, marked: the option picked and the mistake it encodes."""

    option: Option
    right: bool
    mistake: MistakeValue | None


@dataclass
class MatchingMark:
    """A matching question, marked: which left-hand items got the wrong partner."""

    pairs: list[tuple[str, str]]
    right: bool
    wrong: list[tuple[str, str, str]]  # (left, the partner given, the right partner)


def to_value(parsed: Parsed) -> Value:
    """Fractions (and lists of them) as the exact values quizgen computes with."""
    return exact(parsed)


def read_blank(answer: Answer, text: str) -> Value:
    """What the student typed for one blank, as an exact value of the answer's shape (ResponseError: a hint)."""
    return to_value(fit_shape(parse_response(text), answer.spec.kind, answer_shape(answer)))


def _flat(value: Any) -> list:
    if is_array(value):
        return list(value.flat)
    if isinstance(value, list):
        return [x for item in value for x in _flat(item)]
    return [value]


def _rounded_value(rounded: Any) -> Value | None:
    """A mistake's rounded text as an exact value (what a student who made it would type)."""
    try:
        return exact(_fractions(rounded))
    except (ValueError, ZeroDivisionError):
        return None


def _fractions(rounded: Any) -> Any:
    if isinstance(rounded, list):
        return [_fractions(item) for item in rounded]
    return Fraction(rounded)


def matched_mistake(variant: Variant, answer: Answer, response: Value) -> MistakeValue | None:
    """The first named mistake of this answer that the response matches, if any."""
    for mistake in variant.mistakes:
        if mistake.answer != answer.spec.name:
            continue
        if within(response, mistake.value, answer.tolerance):
            return mistake
        typed = _rounded_value(mistake.rounded)
        if typed is not None and within(response, typed, _zero_like(answer.tolerance)):
            return mistake
    return None


def _zero_like(tolerance: Any) -> Any:
    if isinstance(tolerance, list):
        return [_zero_like(item) for item in tolerance]
    return 0


def mark_blank(variant: Variant, answer: Answer, response: Value) -> BlankMark:
    """Mark one exact response with ``within``, the one marking rule, and diagnose a wrong one."""
    right = within(response, answer.value, answer.tolerance)
    elements = None
    if is_array(answer.value):
        elements = [within(r, t, tol) for r, t, tol in zip(_flat(response), _flat(answer.value), _flat(answer.tolerance))]
    mistake = None if right else matched_mistake(variant, answer, response)
    return BlankMark(answer, response, right, elements, mistake)


def read_option(variant: Variant, text: str) -> Option:
    """The option whose letter the student typed (ResponseError with the letters on offer otherwise)."""
    letters = [option.label for option in variant.options]
    typed = text.strip().rstrip(").").upper()
    for option in variant.options:
        if typed == option.label:
            return option
    raise ResponseError(f"type one letter: {', '.join(letters[:-1])} or {letters[-1]}")


def mark_option(option: Option) -> ChoiceMark:
    return ChoiceMark(option, option.correct, option.source)


def read_matching(variant: Variant, text: str) -> list[tuple[str, str]]:
    """'1B 2A 3C' or 'BAC': the partner letter of each numbered left item, in order."""
    lefts, rights = matching_columns(variant)
    letters = "ABCDEFGH"[: len(rights)]
    example = " ".join(f"{i + 1}{letters[(i + 1) % len(letters)]}" for i in range(len(lefts)))
    compact = "".join(ch for ch in text.upper() if not ch.isspace() and ch not in ",;-=>")
    chosen: dict[int, str] = {}
    if compact and all(ch in letters for ch in compact):
        chosen = dict(enumerate(compact))
    else:
        position = 0
        while position < len(compact):
            if not compact[position].isdigit() or position + 1 >= len(compact) or compact[position + 1] not in letters:
                raise ResponseError(f"give a letter for each number, e.g. {example} (or just the letters in order)")
            index = int(compact[position]) - 1
            if not 0 <= index < len(lefts):
                raise ResponseError(f"the items are numbered 1 to {len(lefts)}")
            chosen[index] = compact[position + 1]
            position += 2
    if sorted(chosen) != list(range(len(lefts))):
        raise ResponseError(f"give one letter for each of the {len(lefts)} items, e.g. {example}")
    return [(lefts[i], rights[letters.index(chosen[i])]) for i in range(len(lefts))]


def mark_matching(variant: Variant, pairs: list[tuple[str, str]]) -> MatchingMark:
    """Right when every left item has its partner: the answer's list of pairs, compared as the exports do."""
    key = {left: right for left, right in variant.answers[0].value}
    wrong = [(left, given, key[left]) for left, given in pairs if key[left] != given]
    right = within([list(pair) for pair in pairs], variant.answers[0].value, variant.answers[0].tolerance)
    return MatchingMark(pairs, right and not wrong, wrong)


__all__ = [
    "BlankMark", "ChoiceMark", "MatchingMark", "mark_blank", "mark_matching",
    "mark_option", "matched_mistake", "read_blank", "read_matching", "read_option", "to_value",
]
