"""Validate a bank: each template's own tests, then a stress run of many variants."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..errors import QuizgenError
from ..parallel import ordered_map, worker_count
from .bank import Bank
from .expressions import ExpressionError
from .figures import variant_figures
from .generate import Variant, generate, solve, within
from .template import Template
from .values import exact


def run_template_tests(template: Template) -> list[str]:
    """Each fixed test: the given values must give the expected answers (within the answer's tolerance)."""
    problems = []
    for i, test in enumerate(template.tests):
        where = f"{template.source}: tests[{i}] ({test.name})"
        try:
            variant = solve(template, test.values)
        except QuizgenError as error:
            problems.append(f"{where}: {error}")
            continue
        for warning in variant.warnings:
            problems.append(f"{where}: the values break the constraint '{warning}'")
        answers = {a.spec.name: a for a in variant.answers}
        for name, expected in test.expect.items():
            answer = answers[name]
            try:
                target = exact(expected)
            except (TypeError, ValueError):
                problems.append(f"{where}: expect.{name}={expected!r} is not a number or list of numbers")
                continue
            if not within(target, answer.value, answer.tolerance):
                problems.append(f"{where}: {name} is {_show(answer.rounded)}, expected {expected}")
    return problems


def _show(value: Any) -> str:
    return "[" + ", ".join(_show(v) for v in value) + "]" if isinstance(value, list) else str(value)


def stress(template: Template, variants: int, seed: int, first: list[Variant] | None = None, keep: int = 0) -> list[str]:
    """Draw variants (with their worked steps) and report the first failure, if any.

    ``first``, when given, receives the first ``keep`` variants drawn, each once its worked
    steps and figures are made: the typesetting check reads them instead of drawing them again.
    """
    count = min(variants, template.min_variants)
    drawn = generate(template, count, seed)
    while True:
        try:
            variant = next(drawn)
        except StopIteration:
            return []
        except QuizgenError as error:
            return [f"{template.source}: {error}"]
        except (ExpressionError, ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError, RecursionError) as error:
            return [f"{template.source}: variables: drawing a variant failed ({type(error).__name__}: {str(error)[:200]})"]
        try:
            variant.steps()
            variant_figures(variant)  # each figure's inputs, resolved for this variant
        except QuizgenError as error:
            return [f"{template.source}: {error}"]
        except (ExpressionError, ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError, RecursionError) as error:
            return [f"{template.source}: variables (the worked steps of variant {variant.code}): {type(error).__name__}: {str(error)[:200]}"]
        if first is not None and len(first) < keep:
            first.append(variant)


def check_template(template: Template, variants: int, seed: int, first: list[Variant] | None = None, keep: int = 0) -> list[str]:
    """A template's own tests, then its stress run (``first`` and ``keep`` as for stress)."""
    return run_template_tests(template) + stress(template, variants, seed, first, keep)


def validate_bank(bank: Bank, variants: int, seed: int, progress: Callable[[], None] = lambda: None, workers: int | None = None) -> list[str]:
    """Every template checked (on every core: each template's checks are its own), the problems in the order of the ids."""
    templates = [template for _, template in sorted(bank.templates.items())]
    problems: list[str] = []
    check = functools.partial(check_template, variants=variants, seed=seed)
    for found in ordered_map(check, templates, worker_count(len(templates), workers)):
        problems += found
        progress()
    return problems
