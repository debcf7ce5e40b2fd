"""Every template of the shipped bank: its own tests pass, it makes its distinct variants,
and every variant is well formed (answers, distractors, options, steps, JSON)."""

import json

import pytest

from quizgen.engine.bank import load_bank
from quizgen.engine.generate import generate, make_variant, within
from quizgen.engine.template import TABLE_KINDS
from quizgen.engine.validate import run_template_tests
from quizgen.formats.records import variant_record

BANK = load_bank()
IDS = sorted(BANK.templates)


def test_bank_has_the_starter_templates():
    assert len(IDS) >= 12
    assert len({t.section for t in BANK.templates.values()}) >= 9


NUMERIC_IDS = [i for i in IDS if BANK.get(i).kind not in TABLE_KINDS]  # a concept or matching question has no numbers to test
CHOICE_IDS = [i for i in IDS if BANK.get(i).kind in ("multichoice", "concept")]


@pytest.mark.parametrize("template_id", NUMERIC_IDS)
def test_template_own_tests_pass(template_id):
    template = BANK.get(template_id)
    assert len(template.tests) >= 2, "every template has at least two hand-worked tests"
    assert run_template_tests(template) == []


@pytest.mark.parametrize("template_id", IDS)
def test_template_variants_are_well_formed(template_id):
    template = BANK.get(template_id)
    if template.kind not in TABLE_KINDS:
        assert len(template.mistakes) >= 3, "every numeric template names at least three mistakes"
    count = template.min_variants
    variants = list(generate(template, count, seed=2026))
    assert len({v.note for v in variants}) == count
    assert len({v.code for v in variants}) == count
    for variant in variants:
        for mistake in variant.mistakes:
            answer = next(a for a in variant.answers if a.spec.name == mistake.answer)
            assert mistake.rounded != answer.rounded
            assert not within(mistake.value, answer.value, answer.tolerance), f"{variant.code}: {mistake.name} would be marked right"
        if template.kind in ("multichoice", "concept"):
            assert len(variant.options) == template.option_count
            assert sum(o.correct for o in variant.options) == 1
            shown = [json.dumps(o.rounded) for o in variant.options]
            assert len(set(shown)) == len(shown), f"{variant.code}: two options look the same"
            assert all(o.mistake for o in variant.options if not o.correct)
        steps = variant.steps()
        assert len(steps) >= (1 if template.kind in TABLE_KINDS else 2) and all(s.tex for s in steps)
        json.dumps(variant_record(variant), allow_nan=False)


@pytest.mark.parametrize("template_id", CHOICE_IDS)
def test_correct_option_position_is_spread(template_id):
    template = BANK.get(template_id)
    variants = [make_variant(template, seed, 0) for seed in range(200)]
    positions = [next(i for i, o in enumerate(v.options) if o.correct) for v in variants]
    assert len(set(positions)) == template.option_count
