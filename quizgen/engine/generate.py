"""Draw variants of a template: sample, check constraints, compute answers, mistakes and options.

Each variant has its own ``numpy.random.Generator`` derived from (seed, template id,
variant index) with a stable hash, so adding a template or asking for more
variants changes no other variant. Variants are told apart by their note (as in
STACK): two variants with the same note are the same question, and only the
first is kept.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections import Counter
from .fraction import Fraction  # fractions.Fraction in C (quicktions): the fast path's exact arithmetic, several times faster
from dataclasses import dataclass, field
from typing import Any, Collection, Iterator

import numpy as np
import sympy

from ..errors import ExpressionError, QuizgenError, VariantError
from .closeness import Shown, first_close_entry, shown, tolerances
from .draws import Distribution, Grid
from .expressions import Call, Name
from .formulas import FORMULAS
from .rng import VariantRandom
from .fast import from_fast, to_fast
from .reals import Real
from .template import TABLE_KINDS, AnswerSpec, Constraint, FixedText, Template, Tolerance
from .tex import TexPrinter, default_symbol, has_conditional, value_tex
from .values import (
    _MAX_BITS,
    Value,
    check_size,
    exact,
    format_number,
    is_array,
    is_exactly_shown,
    to_decimal,
    to_float,
)

MAX_TRIES = 1000
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U


# ---------------------------------------------------------------------------
# Variant codes: short, printable, and they give back (seed, index)


def _base32(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 32)
        digits = _ALPHABET[digit] + digits
        if number == 0:
            return digits


def _check_character(template_id: str, seed: int, index: int) -> str:
    return _ALPHABET[zlib.crc32(f"{template_id}:{seed}:{index}".encode()) % 32]


def variant_code(template_id: str, seed: int, index: int, nice: bool = False) -> str:
    """``<seed>-<index><check>`` in Crockford base 32, e.g. ``1ZA-7Q``: the key can be found again from it.

    The index part also records whether the variant was drawn with --nice (its lowest bit).
    """
    slot = index * 2 + int(nice)
    return f"{_base32(seed)}-{_base32(slot)}{_check_character(template_id, seed, slot)}"


def parse_code(template_id: str, code: str) -> tuple[int, int, bool]:
    """(seed, index, nice) from a variant code; refuses a code of another template or a typo."""
    text = code.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")
    if len(text) > 30:  # a code is a dozen characters; a longer one is no code (and may be a huge number)
        raise QuizgenError(f"variant code '{shorten(code, 30)}' is too long to be a variant code (e.g. 1ZA-7Q)")
    if text.count("-") != 1:
        raise QuizgenError(f"variant code '{code}' is not of the form SEED-INDEX (e.g. 1ZA-7Q)")
    seed_part, rest = text.split("-")
    if not seed_part or len(rest) < 2 or any(c not in _ALPHABET for c in seed_part + rest):
        raise QuizgenError(f"variant code '{code}' has characters that are not in a code")
    seed, slot = _from_base32(seed_part), _from_base32(rest[:-1])
    if _check_character(template_id, seed, slot) != rest[-1]:
        raise QuizgenError(f"variant code '{code}' does not belong to template '{template_id}' (check character mismatch)")
    return seed, slot // 2, bool(slot % 2)


def _from_base32(text: str) -> int:
    number = 0
    for character in text:
        number = number * 32 + _ALPHABET.index(character)
    return number


def variant_rng(seed: int, template_id: str, index: int) -> np.random.Generator:
    """The generator of one variant: a stable function of (seed, template id, index), never Python's hash()."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(template_id.encode()), index]))


def variant_random(seed: int, template_id: str, index: int) -> VariantRandom:
    """variant_rng's stream, drawn in plain Python where it can (see quizgen.engine.rng): what the generator uses."""
    return VariantRandom([seed, zlib.crc32(template_id.encode()), index])


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0 or seed >= 2**63:
        raise QuizgenError(f"seed={seed!r} must be a whole number from 0 to 2**63-1")
    return seed


# ---------------------------------------------------------------------------
# What a variant holds


@dataclass
class Answer:
    spec: AnswerSpec
    value: Value
    rounded: Any  # str, or nested lists of str for vectors and matrices
    tolerance: Any  # absolute tolerance (exact), one per element for arrays

    @property
    def shown(self) -> str:
        """TeX of the rounded answer."""
        return value_tex(self.value, self.format)

    def format(self, value: Value) -> str:
        return format_number(value, self.spec.decimals, self.spec.sigfigs)


@dataclass
class MistakeValue:
    name: str
    label: str
    answer: str
    value: Value
    rounded: Any
    feedback_template: Any
    context: dict[str, str]

    @property
    def feedback(self) -> str:
        """Rendered only when an output needs it: most variants never show most feedback."""
        try:
            return self.feedback_template.render(self.context).strip()
        except Exception as error:  # as render_field: the template's fault, named
            raise VariantError(f"mistakes.{self.name}.feedback: cannot render ({type(error).__name__}: {error})") from None


@dataclass
class Option:
    label: str
    value: Value
    rounded: Any
    tex: str
    correct: bool
    source: MistakeValue | None  # the named mistake a wrong option encodes

    @property
    def mistake(self) -> str | None:
        return self.source.name if self.source else None

    @property
    def feedback(self) -> str | None:
        return self.source.feedback if self.source else None


@dataclass
class Step:
    label: str
    tex: str


@dataclass
class Variant:
    template: Template
    seed: int
    index: int
    code: str | None
    env: dict[str, Value]
    context: dict[str, str]
    text: str
    note: str
    answers: list[Answer]
    mistakes: list[MistakeValue]
    options: list[Option]
    dropped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    solution: str | None = None  # the author's closing remark after the worked steps
    _steps: list[Step] | None = None
    distractors: list[str] = field(default_factory=list)  # matching: right-column entries that are no row's partner

    @property
    def parameters(self) -> dict[str, Value]:
        return {name: self.env[name] for name in self.template.draw_names}

    def steps(self) -> list[Step]:
        if self._steps is None:
            self._steps = worked_steps(self)
        return self._steps


# ---------------------------------------------------------------------------
# Rounding and tolerance of answers


def _round(value: Value, spec: AnswerSpec) -> Any:
    if is_array(value):
        return [_round(item, spec) for item in value]
    return format_number(value, spec.decimals, spec.sigfigs)


def _half_unit_in_last_place(value: Value, spec: AnswerSpec) -> Value:
    """The default tolerance: a response marks right exactly when it rounds as the question says."""
    if spec.sigfigs is not None:
        if value == 0:
            return sympy.Integer(0)
        return _half_power_of_ten(to_decimal(value).adjusted() - spec.sigfigs + 1)
    return _half_power_of_ten(-(spec.decimals or 0))


_HALF_POWERS: dict[int, Value] = {}  # exponent -> 10**exponent / 2: a few recur for every answer entry


def _half_power_of_ten(exponent: int) -> Value:
    half = _HALF_POWERS.get(exponent)
    if half is None:
        half = sympy.Integer(10) ** exponent / 2
        if len(_HALF_POWERS) < 1024:
            _HALF_POWERS[exponent] = half
    return half


def _tolerance(value: Value, spec: AnswerSpec) -> Any:
    if is_array(value):
        return [_tolerance(item, spec) for item in value]
    if spec.kind == "integer":
        return sympy.Integer(0)
    if spec.tolerance.value is None:
        return _half_unit_in_last_place(value, spec)
    if spec.tolerance.kind == "abs":
        return spec.tolerance.value
    return abs(spec.tolerance.value * value)


_NUMBERS = (sympy.Float, sympy.Rational)


def within(value: Value, target: Value, tolerance: Any) -> bool:
    """|value - target| <= tolerance, element by element: the one marking rule (words must be equal)."""
    if isinstance(target, (str, list)) or isinstance(value, (str, list)):
        return value == target
    if is_array(target):
        if not is_array(value) or value.shape != target.shape:
            return False
        return all(within(v, t, tol) for v, t, tol in zip(value, target, tolerance))
    if is_array(value):
        return False
    if isinstance(value, sympy.Rational) and isinstance(target, sympy.Rational) and isinstance(tolerance, sympy.Rational):
        # The same tests as below in Python ints (no sympy numbers made); the rare close call falls through
        numerator, denominator = int(value.p) * int(target.q) - int(target.p) * int(value.q), int(value.q) * int(target.q)
        if numerator == 0:
            return True
        tp, tq = int(tolerance.p), int(tolerance.q)
        if abs(numerator) * tq <= tp * denominator:
            return True
        if abs(numerator) / denominator > 2 * (tp / tq):
            return False
    if isinstance(value, _NUMBERS) and isinstance(target, _NUMBERS) and isinstance(tolerance, _NUMBERS):
        # Far apart, or well within, in floats: a margin a billion times float's error, so the
        # 30-digit comparison below says the same (inf and nan fail both tests and go on)
        a, b, allowed = to_float(value), to_float(target), to_float(tolerance)
        gap, margin = abs(a - b), 1e-9 * (abs(a) + abs(b) + allowed)
        if gap - allowed > margin:
            return False
        if allowed - gap > margin:
            return True
    difference = value - target
    if difference == 0:
        return True
    if isinstance(difference, sympy.Rational) and isinstance(tolerance, sympy.Rational):
        # Fast answers where the 30-digit comparison below cannot differ (rounding is monotonic):
        magnitude = abs(difference)
        if magnitude <= tolerance:
            return True
        if int(magnitude.p) / int(magnitude.q) > 2 * (int(tolerance.p) / int(tolerance.q)):
            return False
    return to_decimal(difference, 30).copy_abs() <= to_decimal(tolerance, 30)  # copy_abs: abs() would round to 28 digits


def _check_shape(template: Template, spec: AnswerSpec, value: Value) -> str | None:
    if isinstance(value, (str, list)) or value is True or value is False:
        return f"is {value!r}, not a number"
    if spec.kind in ("integer", "number"):
        if is_array(value):
            return f"is a {'vector' if value.ndim == 1 else 'matrix'}, but the answer kind is {spec.kind}"
        if not value.is_real:
            return f"is {value}, not a real number"
        if spec.kind == "integer" and not isinstance(value, sympy.Integer):
            return f"is {value}, not a whole number (add a constraint, or make it a 'number')"
        return None
    wanted = 1 if spec.kind == "vector" else 2
    if not is_array(value) or value.ndim != wanted:
        return f"is not a {spec.kind}"
    return None


# ---------------------------------------------------------------------------
# Drawing


_INFINITE = (sympy.core.numbers.ComplexInfinity, sympy.core.numbers.NaN, sympy.core.numbers.Infinity, sympy.core.numbers.NegativeInfinity)


def _finite(value: Value) -> bool:
    """False for sympy's zoo, nan and ±oo, which a formula returns instead of raising on 0 in a denominator."""
    if is_array(value):
        return all(_finite(item) for item in value.flat)
    return not isinstance(value, _INFINITE)


FAST = True  # evaluate over int and Fraction where possible (tests switch it off to compare with sympy)


def _evaluate(expression, env: dict[str, Value], fast_env: dict[str, Any] | None) -> tuple[Value, Any]:
    """(value, its fast form): by the fast closure when it gives a result, else by sympy.

    Any failure of the fast closure (a value it does not handle, or an error) is left to the
    sympy path, which computes the value or raises its own error: errors read as before.
    """
    closure = expression.fast if FAST and fast_env is not None else None
    if closure is not None:
        try:
            result = closure(fast_env)
            return from_fast(result), result
        except Exception:  # noqa: BLE001, S110 - whatever it was, the sympy path below decides
            pass
    value = expression.evaluate(env)
    return value, to_fast(value)


def _truth_of(expression, env: dict[str, Value], fast_env: dict[str, Any]) -> bool:
    """A constraint's truth: the fast closure's when it gives True or False, else as _evaluate decides (and raises)."""
    closure = expression.fast if FAST else None
    if closure is not None:
        try:
            result = closure(fast_env)
        except Exception:  # noqa: BLE001 - _evaluate below tries again and the sympy path decides
            result = None
        if type(result) is bool:
            return result
    return bool(_evaluate(expression, env, fast_env)[0])


def _distribution(expression, env: dict[str, Value], fast_env: dict[str, Any]) -> Any:
    """A draw that depends on other variables: its arguments by the fast closures when they can, else by sympy (and its errors)."""
    maker = expression.fast_draw if FAST else None
    if maker is not None:
        try:
            return maker(fast_env)
        except Exception:  # noqa: BLE001, S110 - whatever it was, the sympy path below decides
            pass
    return expression.evaluate(env)


def _schedule(template: Template, constraints: list[Constraint]) -> tuple[tuple[Constraint, ...], ...]:
    """The constraints to check after each variable: each as soon as the last variable it needs is known, in their order."""
    return tuple(tuple(c for c in constraints if c.after == i) for i in range(len(template.variables)))


def _has_too_large_entry(array: np.ndarray) -> bool:
    """values.too_large over an array in its fast form."""
    for item in array.flat:
        kind = type(item)
        if kind is int:
            if item.bit_length() > _MAX_BITS:
                return True
        elif kind is Fraction and max(item.numerator.bit_length(), item.denominator.bit_length()) > _MAX_BITS:
            return True
    return False


def _sample(distribution: Distribution, rng: VariantRandom | np.random.Generator | None) -> tuple[Value, Any]:
    """A draw and its fast form: a grid's values are converted once for every variant, not at each draw."""
    if type(distribution) is Grid:
        fast_values = distribution.__dict__.get("_fast_values")  # kept on the (frozen, shared) grid itself
        if fast_values is None:
            fast_values = distribution.__dict__["_fast_values"] = tuple(map(to_fast, distribution.values))
        position = rng.below(len(fast_values)) if type(rng) is VariantRandom else distribution.pick(rng)  # pick's draw, one call fewer
        return distribution.values[position], fast_values[position]
    value = distribution.sample(rng)
    return value, to_fast(value)


class _Rejected(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _evaluate_variables(
    template: Template, rng: VariantRandom | np.random.Generator | None, given: dict[str, Value] | None, constraints: list[Constraint] | tuple[tuple[Constraint, ...], ...], strict: bool, seen: set[str] | None = None,
    fast_env: dict[str, Any] | None = None, noted: dict[str, Any] | None = None,
) -> dict[str, Value]:
    """Draw and compute every variable in order, checking each constraint as soon as its names exist.

    With ``seen``, a draw whose note is already taken raises _Duplicate as soon as the
    note's variables are known, before the rest is computed: most rejected draws of a
    small template are duplicates, and they then cost only their draws. ``fast_env``, when
    given, receives every value in its fast form (see _evaluate) for the mistakes; ``noted``
    the note and the context it was rendered from, so that they are not made twice.
    ``constraints``: a list, or already their _schedule (make_variant makes it once for all its draws).
    """
    env: dict[str, Value] = {}
    if fast_env is None:
        fast_env = {}
    note_ready = template.note_position if seen is not None else -1
    schedule = _schedule(template, constraints) if isinstance(constraints, list) else constraints
    for i, variable in enumerate(template.variables):
        try:
            if variable.is_draw:
                if given is not None:
                    env[variable.name] = value = given[variable.name]
                    fast_env[variable.name] = to_fast(value)
                else:
                    distribution = variable.fixed or _distribution(variable.expression, env, fast_env)
                    if not isinstance(distribution, Distribution):
                        raise VariantError(f"{template.id}: variables.{variable.name}.draw: does not describe a draw")
                    env[variable.name], fast_env[variable.name] = _sample(distribution, rng)
            else:
                value, fast = _evaluate(variable.expression, env, fast_env)
                env[variable.name], fast_env[variable.name] = value, fast
                kind = type(fast)
                if kind is int or kind is Fraction:  # finite; check_size's test on the int or Fraction itself
                    bits = fast.bit_length() if kind is int else max(fast.numerator.bit_length(), fast.denominator.bit_length())
                    if bits > _MAX_BITS:
                        check_size(value)
                elif kind is Real:
                    pass  # finite (a Real is never inf or nan), and check_size measures only whole numbers and fractions
                elif kind is np.ndarray:  # numbers (or truth values) only, none infinite: check_size's test on its entries
                    if _has_too_large_entry(fast):
                        check_size(value)
                else:
                    if not _finite(value):
                        raise ArithmeticError(f"{variable.name} is not a finite real number (a division by zero?)")
                    check_size(value)
        except ExpressionError as error:
            raise VariantError(f"{template.id}: variables.{variable.name}: {error}") from None
        except (ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError, AttributeError, RecursionError, MemoryError) as error:
            if given is not None:
                raise VariantError(f"{template.id}: variables.{variable.name}: cannot be computed from these values ({error or type(error).__name__})") from None
            raise _Rejected(f"{variable.name} cannot be computed ({error or type(error).__name__})") from None
        for constraint in schedule[i]:
            try:
                holds = _truth_of(constraint.expression, env, fast_env)
            except (ZeroDivisionError, ArithmeticError):
                holds = False
            except (ValueError, TypeError, IndexError) as error:
                raise VariantError(f"{template.id}: constraint '{constraint.expression.text}' cannot be evaluated ({error or type(error).__name__})") from None
            if not holds:
                if strict:
                    raise _Rejected(constraint.message)
                env.setdefault("__warnings__", []).append(constraint.message)  # type: ignore[union-attr]
        if i == note_ready:
            context = _context(template, env, template.note_names)
            note = _note(template, context)
            if note in seen:  # type: ignore[operator]
                raise _Duplicate
            if noted is not None:
                noted.update(context=context, note=note)
    return env


def _context(template: Template, env: dict[str, Value], only: Collection[str] | None = None, known: dict[str, str] | None = None) -> dict[str, str]:
    """The variables a text shows (or those ``only`` names) as the TeX a question shows for each (one formatter for everything).

    ``known``: entries worked out before for the same values (the note's), taken as they are.
    """
    if only is None:
        only = template.shown_names
    formats = {a.name: a for a in template.answers}
    context = {}
    for variable in template.variables:
        name = variable.name
        if only is not None and name not in only:
            continue
        if known is not None and name in known:
            context[name] = known[name]
            continue
        value = env[name]
        spec = formats.get(name)
        decimals = spec.decimals if spec else variable.decimals
        sigfigs = spec.sigfigs if spec else variable.sigfigs
        if isinstance(value, str):
            context[name] = value
        elif isinstance(value, list):
            context[name] = ", ".join(map(str, value))
        elif isinstance(value, sympy.Integer) and sigfigs is None:  # format_number's whole-number case, which value_tex keeps
            context[name] = str(int(value.p)) + ("." + "0" * decimals if decimals else "")
        else:
            try:
                context[name] = value_tex(value, lambda v, d=decimals, s=sigfigs: format_number(v, d, s))
            except ValueError as error:
                raise VariantError(f"{template.id}: variables.{name}: {error}") from None
    return context


def _make_answers(template: Template, env: dict[str, Value]) -> list[Answer]:
    answers = []
    for spec in template.answers:
        value = env[spec.name]
        problem = _check_shape(template, spec, value)
        if problem:
            raise VariantError(f"{template.id}: answers.{spec.name} {problem}")
        try:
            rounded = _round(value, spec)
        except ValueError as error:
            raise VariantError(f"{template.id}: answers.{spec.name}: {error}") from None
        answers.append(Answer(spec, value, rounded, _tolerance(value, spec)))
    return answers


def _make_mistakes(
    template: Template, env: dict[str, Value], answers: list[Answer], context: dict[str, str], fast_env: dict[str, Any] | None = None
) -> tuple[list[MistakeValue], list[tuple[str, str]]]:
    by_name = {a.spec.name: a for a in answers}
    kept: list[MistakeValue] = []
    dropped: list[tuple[str, str]] = []
    known: dict[tuple[str, str], Shown] = {}  # ("answer" or "mistake", name): its entries, for the closeness rule
    spans: dict[tuple[str, int], tuple[float, ...]] = {}  # (answer, entries): its tolerance per entry, made once per variant
    for mistake in template.mistakes:
        answer = by_name[mistake.answer]
        try:
            value, fast = _evaluate(mistake.expression, env, fast_env)
        except (ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError, ExpressionError) as error:
            dropped.append((mistake.name, f"cannot be computed ({error or type(error).__name__})"))
            continue
        if type(fast) is int and answer.spec.kind == "integer" and answer.spec.sigfigs is None:
            # A whole number for a whole-number answer, marked exactly: its text is format_number's
            # (digits, then the answer's zero decimals), and it is the answer only when the texts match
            decimals = answer.spec.decimals
            rounded = str(fast) + "." + "0" * decimals if decimals else str(fast)
            equal = rounded == answer.rounded
        else:
            rational = (type(fast) is int or type(fast) is Fraction) and not is_array(answer.value)  # a finite real number of the answer's shape
            if not rational and type(fast) is not Real and type(fast) is not np.ndarray and not _finite(value):  # fast values are never infinite
                dropped.append((mistake.name, "is not a finite number"))
                continue
            wrong_shape = is_array(value) != is_array(answer.value) or (is_array(value) and value.shape != answer.value.shape)
            if not rational and (wrong_shape or isinstance(value, (str, list, bool)) or (not is_array(value) and not getattr(value, "is_real", False))):
                dropped.append((mistake.name, "has another shape than the answer"))
                continue
            try:
                rounded = _round(value, answer.spec)
            except ValueError as error:
                dropped.append((mistake.name, f"cannot be rounded as the answer is ({error})"))
                continue
            equal = rounded == answer.rounded or within(value, answer.value, answer.tolerance)
        if equal:
            dropped.append((mistake.name, "equals the answer after rounding"))
            continue
        twin = next((m for m in kept if m.answer == mistake.answer and m.rounded == rounded), None)
        if twin is not None:
            dropped.append((mistake.name, f"equals mistake '{twin.name}' after rounding"))
            continue
        if answer.spec.kind != "integer":  # marked exactly: different whole numbers are always told apart
            ours = shown(answer.spec, value, rounded)  # made once, compared with the answer and each mistake kept
            near = _too_close_to(answer, [m for m in kept if m.answer == mistake.answer], ours, known, spans)
            if near is not None:
                dropped.append((mistake.name, f"lies too close to {near} to be told apart (closer than two tolerances, or one unit shown)"))
                continue
            known[("mistake", mistake.name)] = ours
        kept.append(MistakeValue(mistake.name, mistake.label, mistake.answer, value, rounded, mistake.feedback, context))
    return kept, dropped


def _too_close_to(
    answer: Answer, kept: list[MistakeValue], ours: Shown, known: dict[tuple[str, str], Shown], spans: dict[tuple[str, int], tuple[float, ...]]
) -> str | None:
    """'the answer' or "mistake 'name'" when a mistake's value cannot be told apart from it (see closeness)."""
    key = ("answer", answer.spec.name)
    if key not in known:
        known[key] = shown(answer.spec, answer.value, answer.rounded)
    span = (answer.spec.name, len(ours.texts))
    tolerance = spans.get(span)
    if tolerance is None:
        tolerance = spans[span] = tolerances(answer.tolerance, len(ours.texts))
    if first_close_entry(ours, known[key], tolerance) is not None:
        return "the answer"
    near = next((m for m in kept if first_close_entry(ours, known[("mistake", m.name)], tolerance) is not None), None)
    return None if near is None else f"mistake '{near.name}'"


def _make_options(template: Template, answers: list[Answer], mistakes: list[MistakeValue], rng: VariantRandom) -> list[Option]:
    if template.kind != "multichoice":
        return []
    answer = answers[0]
    wanted = template.option_count - 1
    candidates = [m for m in mistakes if m.answer == answer.spec.name]
    if len(candidates) < wanted:
        raise _Rejected(f"fewer than {wanted} distinct distractors")
    picked = sorted(rng.distinct(len(candidates), wanted))
    entries: list[MistakeValue | None] = [None] + [candidates[i] for i in picked]
    order = rng.permutation(len(entries))
    options = []
    for position, i in enumerate(order):
        mistake = entries[i]
        value, rounded = (answer.value, answer.rounded) if mistake is None else (mistake.value, mistake.rounded)
        options.append(Option(chr(ord("A") + position), value, rounded, value_tex(value, answer.format), mistake is None, mistake))
    return options


def render_field(template: Template, source: Any, context: dict[str, str], field: str) -> str:
    """Render an author's text; a placeholder that fails names the template and the field."""
    try:
        return source.render(context).strip()
    except Exception as error:  # Jinja raises many kinds; every one is the template's fault
        raise VariantError(f"{template.source}: {field}: cannot render ({type(error).__name__}: {error}); placeholders hold variable names, e.g. {{@ K @}}") from None


def _note(template: Template, context: dict[str, str]) -> str:
    if template.note:
        return render_field(template, template.note, context, "note")
    return "; ".join(f"{n}={context[n]}" for n in template.draw_names)


class _Duplicate(Exception):
    """The drawn variant has a note already used: skip it before computing anything else."""


def _assemble(
    template: Template, seed: int, index: int, env: dict[str, Value], rng: VariantRandom, warnings: list[str], seen: set[str] | None = None, nice: bool = False,
    fast_env: dict[str, Any] | None = None, noted: dict[str, Any] | None = None,
) -> Variant:
    if noted:  # the note was made from the same values while drawing
        context = _context(template, env, known=noted["context"])
        note = noted["note"]
    else:
        context = _context(template, env)
        note = _note(template, context)
    if seen is not None and note in seen:
        raise _Duplicate
    answers = _make_answers(template, env)
    mistakes, dropped = _make_mistakes(template, env, answers, context, fast_env)
    options = _make_options(template, answers, mistakes, rng)
    text = render_field(template, template.text, context, "text")
    solution = render_field(template, template.solution, context, "solution") if template.solution else None
    code = variant_code(template.id, seed, index, nice)
    return Variant(template, seed, index, code, env, context, text, note, answers, mistakes, options, dropped, warnings, solution)


@dataclass
class DrawStats:
    """Why draws were rejected, for error messages and the quality report."""

    attempts: int = 0
    rejected: Counter = field(default_factory=Counter)


def make_variant(template: Template, seed: int, index: int, nice: bool = False, stats: DrawStats | None = None, seen: set[str] | None = None) -> Variant:
    """The variant at ``index``: retried by rejection up to MAX_TRIES, then a VariantError naming the constraint."""
    rng = variant_random(seed, template.id, index)
    if template.kind in TABLE_KINDS:
        if stats is not None:
            stats.attempts += 1
        return _table_variant(template, seed, index, rng, seen)
    schedule = _schedule(template, template.constraints + (template.nice if nice else []))  # made once for all the draws
    reasons: Counter = Counter()
    for _ in range(MAX_TRIES):
        if stats is not None:
            stats.attempts += 1
        try:
            fast_env: dict[str, Any] = {}
            noted: dict[str, Any] = {}
            env = _evaluate_variables(template, rng, None, schedule, strict=True, seen=seen, fast_env=fast_env, noted=noted)
            return _assemble(template, seed, index, env, rng, [], seen, nice, fast_env, noted)
        except _Rejected as rejection:
            reasons[rejection.reason] += 1
            if stats is not None:
                stats.rejected[rejection.reason] += 1
    reason, times = reasons.most_common(1)[0]
    raise VariantError(f"{template.id}: no variant satisfies the constraints after {MAX_TRIES} draws (most often failed: '{reason}', {times} times)")


def solve(template: Template, values: dict[str, Any], seed: int = 0) -> Variant:
    """The variant with the given drawn values (for an instructor checking a hand-made question)."""
    names = template.draw_names
    missing = [n for n in names if n not in values]
    extra = [n for n in values if n not in names]
    if extra:
        raise QuizgenError(f"{template.id}: unknown name '{extra[0]}' (the drawn values are: {', '.join(names)})")
    if missing:
        raise QuizgenError(f"{template.id}: missing value for '{missing[0]}' (give all of: {', '.join(names)})")
    given = {name: _coerce(template, name, values[name]) for name in names}
    rng = variant_random(seed, template.id, 0)
    env = _evaluate_variables(template, rng, given, template.constraints, strict=False)
    warnings = list(env.pop("__warnings__", []))  # type: ignore[arg-type]
    try:
        variant = _assemble(template, seed, 0, env, rng, warnings)
        variant.code = None  # values given by hand: no code can draw them again
        return variant
    except _Rejected as rejection:
        raise VariantError(f"{template.id}: {rejection.reason}") from None


def _coerce(template: Template, name: str, value: Any) -> Value:
    if isinstance(value, str):
        if not _draws_words(template, name):
            raise QuizgenError(f"{template.id}: value of '{name}': '{shorten(value)}' is not a number")
        return value  # a word of a choice of words
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value  # a network's layer list
    try:
        value = check_size(exact(value))
    except (TypeError, ValueError, RecursionError) as error:
        raise QuizgenError(f"{template.id}: value of '{name}': {shorten(str(error) or type(error).__name__, 200)}") from None
    if is_array(value) and value.ndim > 2:
        raise QuizgenError(f"{template.id}: value of '{name}': a list of lists of lists; a value is a number, a vector or a matrix")
    shapes = _drawn_shapes(template.variable(name).fixed)
    if shapes and _shape_of(value) not in shapes:
        wanted = " or ".join(sorted("a number" if not s else (f"a vector of {s[0]}" if len(s) == 1 else f"a {s[0]}×{s[1]} matrix") for s in shapes))
        raise QuizgenError(f"{template.id}: value of '{name}' must be {wanted}, like the values its draw makes")
    return value


def _shape_of(value: Any) -> tuple[int, ...]:
    return tuple(value.shape) if is_array(value) else ()


def _drawn_shapes(distribution: Any) -> set[tuple[int, ...]]:
    """The shapes a draw that depends on no other variable can make (empty when that is not known before drawing)."""
    if distribution is None:
        return set()
    if hasattr(distribution, "values"):
        return {_shape_of(v) for v in distribution.values if not isinstance(v, str)}
    shape = getattr(distribution, "shape", None)
    return {tuple(shape)} if shape is not None else set()


def _draws_words(template: Template, name: str) -> bool:
    """Whether the draw of ``name`` may give a word (a choice of words), as far as can be known before drawing."""
    distribution = template.variable(name).fixed
    values = getattr(distribution, "values", None)
    return values is None or any(isinstance(v, str) for v in values)


def shorten(text: str, limit: int = 60) -> str:
    """Text for an error message: a hostile 5,000-digit value is not repeated whole."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def generate(template: Template, count: int, seed: int, nice: bool = False, stats: DrawStats | None = None) -> Iterator[Variant]:
    """``count`` distinct variants (by note), in a fixed order for a given seed."""
    if count < 1:
        raise QuizgenError(f"count={count} must be at least 1")
    seen: set[str] = set()
    produced = misses = draws = 0
    limit = count * 20 + 200
    for index in range(limit):
        draws += 1
        try:
            variant = make_variant(template, seed, index, nice, stats, seen)
        except _Duplicate:
            misses += 1
            if misses == _EXHAUSTED_AFTER and _all_made(template, nice, produced):
                break  # a small template has given all it has: do not draw on to the limit
            missing = count - produced
            if misses >= _EXHAUSTED_AFTER and 4 * missing > produced and misses * missing > limit - draws:
                break  # asked for far more than it makes: a new variant takes ~`misses` draws, the rest cannot come
            continue
        misses = 0
        seen.add(variant.note)
        yield variant
        produced += 1
        if produced == count:
            return
    capacity, complete = count_distinct(template, nice)
    if complete:
        raise VariantError(f"{template.id}: can make only {capacity} distinct variants{' with --nice' if nice else ''}; asked for {count}")
    raise VariantError(f"{template.id}: found only {produced} distinct variants in {draws} draws; asked for {count}")


# ---------------------------------------------------------------------------
# Counting the distinct variants a template can make

_ENUMERATION_LIMIT = 20_000
_EXHAUSTED_AFTER = 100  # duplicate draws in a row before generate asks whether the template is used up
_QUICK_LIMIT = 2_000  # draws enumerated for that question: a template near exhaustion is small
_WORK_PER_VARIANT = 10  # partial draws tried per complete draw allowed, before counting gives up


def _all_made(template: Template, nice: bool, produced: int) -> bool:
    capacity, complete = count_distinct(template, nice, _QUICK_LIMIT)
    return complete and produced >= capacity


def count_distinct(template: Template, nice: bool = False, limit: int = _ENUMERATION_LIMIT) -> tuple[int, bool]:
    """(number of distinct notes, True) by enumerating every draw, or (a lower bound, False) if too many."""
    if template.kind == "concept":
        rows = len(template.pairs)
        directions = 2 if template.ask == "both" else 1
        return directions * rows * math.comb(rows - 1, template.option_count - 1), True
    if template.kind == "matching":
        return math.comb(len(template.pairs), template.pair_count) * math.comb(len(template.distractors), template.distractor_count), True
    constraints = template.constraints + (template.nice if nice else [])
    by_position: dict[int, list[Constraint]] = {}
    for constraint in constraints:
        by_position.setdefault(constraint.after, []).append(constraint)
    notes: set[str] = set()
    visited = tried = 0

    def walk(i: int, env: dict[str, Value]) -> bool:
        nonlocal visited, tried
        if i == len(template.variables):
            visited += 1
            if visited > limit:
                return False
            try:
                context = _context(template, env)
                note = _note(template, context)
                if note in notes:
                    return True
                if template.kind == "multichoice":
                    answers = _make_answers(template, env)
                    mistakes, _ = _make_mistakes(template, env, answers, context)
                    if len([m for m in mistakes if m.answer == answers[0].spec.name]) < template.option_count - 1:
                        return True
            except (VariantError, ZeroDivisionError, ValueError, TypeError, ArithmeticError):
                return True
            notes.add(note)
            return True
        variable = template.variables[i]
        try:
            if variable.is_draw:
                distribution = variable.fixed or variable.expression.evaluate(env)
                choices = list(itertools.islice(distribution.support(), limit + 1)) if distribution.size() <= limit else None
                if choices is None:
                    return False
            else:
                choices = [variable.expression.evaluate(env)]
        except (ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError, ExpressionError):
            return True
        for choice in choices:
            tried += 1
            if tried > _WORK_PER_VARIANT * limit:  # constraints prune most partial draws: bound those too
                return False
            env[variable.name] = choice
            if all(_holds(c, env) for c in by_position.get(i, [])):
                if not walk(i + 1, env):
                    return False
        env.pop(variable.name, None)
        return True

    complete = walk(0, {})
    return len(notes), complete


def _holds(constraint: Constraint, env: dict[str, Value]) -> bool:
    try:
        return bool(constraint.expression.evaluate(env))
    except (ZeroDivisionError, ValueError, TypeError, IndexError, ArithmeticError):
        return False


# ---------------------------------------------------------------------------
# Worked steps: the same variables that compute the answer, printed


def _shown(variable, env: dict[str, Value]) -> bool:
    if isinstance(variable.show, bool):
        return variable.show
    return bool(variable.show.evaluate(env))


def display_formats(template: Template) -> dict[str, Any]:
    """How each variable's numbers are shown wherever they appear: the answer's rounding, else its own.

    Made once per template and kept on it (the worked steps and every record ask for it)."""
    formats = template.__dict__.get("_display_formats")
    if formats is None:
        formats = template.__dict__["_display_formats"] = _display_formats(template)
    return formats


def _display_formats(template: Template) -> dict[str, Any]:
    answers = {a.name: a for a in template.answers}
    formats = {}
    for variable in template.variables:
        spec = answers.get(variable.name)
        decimals = spec.decimals if spec else variable.decimals
        sigfigs = spec.sigfigs if spec else variable.sigfigs
        if decimals is not None or sigfigs is not None:
            formats[variable.name] = lambda v, d=decimals, s=sigfigs: format_number(v, d, s)
    return formats


def worked_steps(variant: Variant) -> list[Step]:
    """'formula = formula with numbers = value' for each computed variable, after the given values."""
    template = variant.template
    env = {name: value for name, value in variant.env.items()}
    formats = {a.spec.name: a for a in variant.answers}
    formats_by_name = display_formats(template)
    steps: list[Step] = []
    substituting = TexPrinter(template.symbols, env, substitute=True, formats=formats_by_name)  # each value's TeX made once for all steps
    shapes = _shapes(env)
    given = [
        f"{template.symbols.get(v.name) or default_symbol(v.name)} = {substituting.name_tex(v.name)}"
        for v in template.variables
        if v.is_draw and not _is_network(env[v.name]) and _shown(v, env)
    ]
    if given:
        steps.append(Step("Identify the given values", r",\quad ".join(given)))
    for variable in template.variables:
        if variable.is_draw or not _shown(variable, env):
            continue
        provider = _step_provider(variable.expression.root)
        if provider is not None:
            arguments = [env[a.name] for a in variable.expression.root.args]
            steps.extend(Step(label, tex) for label, tex in provider(*arguments))
            continue
        value = env[variable.name]
        answer = formats.get(variable.name)
        decimals = answer.spec.decimals if answer else variable.decimals
        sigfigs = answer.spec.sigfigs if answer else variable.sigfigs

        lhs = template.symbols.get(variable.name) or default_symbol(variable.name)
        symbolic = _symbolic_tex(template, variable.name, variable.expression.root, env, shapes)
        substituted = substituting.tex(variable.expression.root)
        # the value shown at the end: the name's own TeX, with its answer's or its own rounding (display_formats)
        shown = substituting.name_tex(variable.name) if not isinstance(value, (str, list)) else r"\text{" + str(value) + "}"
        relation = "=" if isinstance(value, (str, list)) or is_exactly_shown(value, decimals, sigfigs) else r"\approx"
        parts = [lhs]
        if _squeezed(symbolic) not in (_squeezed(lhs), _squeezed(shown)):
            parts.append(symbolic)
        if _squeezed(substituted) not in (_squeezed(symbolic), _squeezed(shown)):
            parts.append(substituted)
        tex = " = ".join(parts) + f" {relation} {shown}"
        steps.append(Step(variable.label or f"Compute {variable.name}", tex))
    return steps


_SYMBOLIC: dict[tuple, str] = {}


def _shapes(env: dict[str, Value]) -> tuple:
    """The shapes of a variant's arrays, by name: what the symbolic lines depend on (see _symbolic_tex)."""
    return tuple((n, v.shape) for n, v in env.items() if is_array(v))


def _symbolic_tex(template: Template, name: str, root, env: dict[str, Value], shapes: tuple) -> str:
    """The symbolic line depends only on the shapes of the values (sums are written per element), so it is printed once."""
    if has_conditional(root):
        return TexPrinter(template.symbols, env, substitute=False).tex(root)
    key = (template.id, template.source, name, shapes)
    tex = _SYMBOLIC.get(key)
    if tex is None:
        tex = _SYMBOLIC[key] = TexPrinter(template.symbols, env, substitute=False).tex(root)
    return tex


# ---------------------------------------------------------------------------
# Concept and matching questions over a table of the sheet


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _table_variant(template: Template, seed: int, index: int, rng: VariantRandom, seen: set[str] | None) -> Variant:
    """One concept (multiple choice) or matching question, drawn from the template's table."""
    if template.kind == "concept":
        return _concept_variant(template, seed, index, rng, seen)
    return _matching_variant(template, seed, index, rng, seen)


def _finish_table_variant(template: Template, seed: int, index: int, context: dict[str, str], note: str, seen, answer: Answer, mistakes, options, steps) -> Variant:
    if seen is not None and note in seen:
        raise _Duplicate
    text = render_field(template, template.text, context, "text")
    solution = render_field(template, template.solution, context, "solution") if template.solution else None
    variant = Variant(template, seed, index, variant_code(template.id, seed, index), {}, context, text, note, [answer], mistakes, options, [], [], solution)
    variant._steps = steps
    return variant


def _concept_variant(template: Template, seed: int, index: int, rng: VariantRandom, seen) -> Variant:
    pairs, columns = template.pairs, template.columns
    row = rng.below(len(pairs))
    direction = template.ask if template.ask != "both" else ("right", "left")[rng.below(2)]
    given, asked = (0, 1) if direction == "right" else (1, 0)
    others = [i for i in range(len(pairs)) if i != row]
    picked = [others[i] for i in sorted(rng.distinct(len(others), template.option_count - 1))]
    prompt, correct = pairs[row][given], pairs[row][asked]
    context = {"prompt": prompt, "left": columns[given], "right": columns[asked]}
    note = f"{direction}: {prompt} | " + ", ".join(sorted(pairs[i][asked] for i in picked))
    spec = AnswerSpec("choice", columns[asked].lower(), "choice", None, None, Tolerance("abs", None), None)
    answer = Answer(spec, correct, correct, sympy.Integer(0))
    mistakes = []
    for other in picked:
        wrong = pairs[other][asked]
        if direction == "right":
            owner = pairs[other][given]
            name, label = f"confused_with_{_slug(owner)}", f"gave the {columns[asked].lower()} of the {owner}"
            feedback = f"'{wrong}' is the {columns[asked].lower()} of the {owner}, not of the {prompt}."
        else:
            name, label = f"confused_with_{_slug(wrong)}", f"chose the {wrong} instead of the {correct}"
            feedback = f"The {wrong} is for '{pairs[other][given]}'; '{prompt}' is the {columns[given].lower()} of the {correct}."
        mistakes.append(MistakeValue(name, label, "choice", wrong, wrong, FixedText(feedback), context))
    entries: list[MistakeValue | None] = [None, *mistakes]
    options = []
    for position, i in enumerate(rng.permutation(len(entries))):
        source = entries[i]
        text = correct if source is None else source.value
        options.append(Option(chr(ord("A") + position), text, text, r"\text{" + text + "}", source is None, source))
    left_text, right_text = (prompt, correct) if direction == "right" else (correct, prompt)
    steps = [Step(f"Recall the table: {columns[0]} and {columns[1]}", r"\text{" + left_text + r"} \;\rightarrow\; \text{" + right_text + "}")]
    return _finish_table_variant(template, seed, index, context, note, seen, answer, mistakes, options, steps)


def _matching_variant(template: Template, seed: int, index: int, rng: VariantRandom, seen) -> Variant:
    pairs, columns = template.pairs, template.columns
    rows = sorted(rng.distinct(len(pairs), template.pair_count))
    shown = [rows[i] for i in rng.permutation(len(rows))]
    matched = [[pairs[r][0], pairs[r][1]] for r in shown]
    context = {"prompt": "", "left": columns[0], "right": columns[1]}
    note = " | ".join(pairs[r][0] for r in rows)
    distractors: list[str] = []
    if template.distractors:  # drawn after the rows: a template without distractors draws as it always did
        picked = sorted(rng.distinct(len(template.distractors), template.distractor_count))
        distractors = [template.distractors[i] for i in picked]
        note += " + " + " | ".join(distractors)
    spec = AnswerSpec("matching", f"{columns[0].lower()} to {columns[1].lower()}", "matching", None, None, Tolerance("abs", None), None)
    answer = Answer(spec, matched, matched, sympy.Integer(0))
    steps = [Step(left, r"\text{" + left + r"} \;\rightarrow\; \text{" + right + "}") for left, right in matched]
    variant = _finish_table_variant(template, seed, index, context, note, seen, answer, [], [], steps)
    variant.distractors = distractors
    return variant


def _squeezed(tex: str) -> str:
    """TeX without spaces, to see that two printed forms say the same thing."""
    return "".join(tex.split())


def _is_network(value: Value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _step_provider(root):
    """A formula that gives its own worked steps (quizgen.engine.formulas, ``steps=``), when called on plain variables."""
    if isinstance(root, Call) and root.function in FORMULAS and all(isinstance(a, Name) for a in root.args):
        return FORMULAS[root.function].steps
    return None


def generate_allowing_fewer(template: Template, count: int, seed: int, nice: bool, allow_fewer: bool) -> Iterator[Variant]:
    """``count`` distinct variants; with ``allow_fewer`` a template that runs out gives what it has (at least one): what the exports draw."""
    produced = 0
    try:
        for variant in generate(template, count, seed, nice):
            produced += 1
            yield variant
    except VariantError as error:
        if produced == 0:
            raise
        if not allow_fewer:
            raise VariantError(f"{error}: ask for fewer (--variants), or let such a template give all it has (--allow-fewer)") from None


def answer_shape(answer: Answer) -> tuple[int, ...]:
    """The shape of a blank's value: () for a number, (n,) for a vector, (rows, columns) for a matrix."""
    return tuple(answer.value.shape) if is_array(answer.value) else ()


def matching_columns(variant: Variant) -> tuple[list[str], list[str]]:
    """The left items in the order shown, and the right items in the order shown (sorted, as in the record), distractors included."""
    pairs = variant.answers[0].value
    return [left for left, _ in pairs], sorted([right for _, right in pairs] + variant.distractors)
