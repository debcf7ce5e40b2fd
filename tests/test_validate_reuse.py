"""validate's typesetting check reads the stress run's first variants instead of drawing them again.

That is right only while they are the very variants the check would draw itself: the same
seed, the same draws 0, 1, 2 whatever count the stress run asked for. These tests hold it for
every template of the bank, so a change to how generate orders its variants cannot make the
check silently look at other variants.
"""

from __future__ import annotations

import pytest

from quizgen.engine.bank import load_bank
from quizgen.engine.generate import check_seed, generate
from quizgen.engine.validate import check_template
from quizgen.exams.check import VARIANTS, typesetting_problems


def _same(a, b) -> bool:
    return (a.index, a.seed, a.note, a.text, a.code) == (b.index, b.seed, b.note, b.text, b.code)


@pytest.mark.parametrize("seed", [0, 7])
def test_stress_run_gives_the_check_its_own_variants(seed):
    bank = load_bank()
    for template_id, template in sorted(bank.templates.items()):
        first: list = []
        assert check_template(template, 40, check_seed(seed), first, VARIANTS) == [], template_id
        wanted = min(VARIANTS, template.min_variants or VARIANTS)
        own = list(generate(template, wanted, check_seed(seed)))
        assert len(first) >= wanted, template_id
        assert all(_same(a, b) for a, b in zip(first, own)), template_id


def test_reused_variants_give_the_same_problems():
    """The typesetting check itself, on reused variants and on its own draws, for a few templates of each kind."""
    bank = load_bank()
    for template_id in ["cnn.conv_output_size", "multiclass.softmax", "mlp.network_table", "concepts.lstm_gates", "optimisers.adam_step"]:
        template = bank.get(template_id)
        first: list = []
        check_template(template, 20, check_seed(0), first, VARIANTS)
        assert typesetting_problems(template, check_seed(0), drawn=first) == typesetting_problems(template, check_seed(0)), template_id
