"""docs/authoring.md must stay true: its complete example loads, passes its tests and makes variants."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from quizgen.engine import expressions
from quizgen.engine import formulas
from quizgen.engine.bank import load_bank
from quizgen.engine.generate import generate
from quizgen.engine.validate import run_template_tests

AUTHORING = Path(__file__).resolve().parent.parent / "docs" / "authoring.md"


def _first_yaml_block(markdown: str) -> str:
    match = re.search(r"^```yaml\n(.*?)^```", markdown, flags=re.S | re.M)
    assert match, "docs/authoring.md has no ```yaml block (its first one is the complete example)"
    return match.group(1)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The doc's complete example, written into a fresh bank as <bank>/<topic>/<slug>.yaml."""
    source = _first_yaml_block(AUTHORING.read_text(encoding="utf-8"))
    template_id = yaml.safe_load(source)["id"]
    topic, slug = template_id.split(".")
    bank_root = tmp_path_factory.mktemp("docs") / "bank"
    (bank_root / topic).mkdir(parents=True)
    (bank_root / topic / f"{slug}.yaml").write_text(source, encoding="utf-8")
    bank = load_bank(bank_root)
    return bank.get(template_id)


def test_example_loads_as_a_template_of_its_own_bank(example):
    assert example.tests, "the complete example should show tests"
    assert example.mistakes, "the complete example should show named mistakes"


def test_example_passes_its_own_tests(example):
    assert run_template_tests(example) == []


def test_example_generates_50_distinct_variants_with_steps(example):
    variants = list(generate(example, 50, seed=0))
    assert len(variants) == 50
    assert len({v.note for v in variants}) == 50
    assert len({v.text for v in variants}) == 50
    for variant in variants:
        assert variant.steps()
        if example.kind == "multichoice":
            assert sum(o.correct for o in variant.options) == 1


def test_every_function_of_the_language_is_documented():
    """The formula table was generated from FORMULAS once and pasted: a new function must be added to it."""
    text = AUTHORING.read_text(encoding="utf-8")
    missing = [name for name in sorted(formulas.FORMULAS) if f"`{name}(" not in text]
    missing += [name for name in sorted(expressions._BUILTINS) if f"`{name}(" not in text]
    assert not missing, f"docs/authoring.md does not document: {', '.join(missing)} (add them to section 6)"


def test_the_documented_default_tolerances_are_the_codes():
    """docs/json.md's examples of the default tolerance, read back from the code that makes it."""
    from fractions import Fraction

    import sympy

    from quizgen.engine.generate import _half_unit_in_last_place

    text = (Path(__file__).resolve().parent.parent / "docs" / "json.md").read_text(encoding="utf-8")
    assert "0.0005 for `decimals: 3`" in text and "0.0005 for 0.123 at `sigfigs: 3`" in text

    class Spec:  # the two fields of an AnswerSpec the default tolerance reads
        def __init__(self, decimals=None, sigfigs=None):
            self.decimals, self.sigfigs = decimals, sigfigs

    assert Fraction(str(_half_unit_in_last_place(sympy.Rational(1234, 1000), Spec(decimals=3)))) == Fraction(5, 10000)
    assert Fraction(str(_half_unit_in_last_place(sympy.Rational(123, 1000), Spec(sigfigs=3)))) == Fraction(5, 10000)


def test_ci_runs_the_readme_test_command():
    """CI must run exactly what a new contributor runs: the README's second command."""
    root = Path(__file__).resolve().parent.parent
    blocks = re.findall(r"```bash\n(.*?)\n```", (root / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    install, _, test = blocks[1].partition(" && ")
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert "download.pytorch.org/whl/cpu" in install  # PyTorch's CPU build, not PyPI's CUDA one
    assert install.replace("pip install ", "pip install --quiet ", 1) in ci and test in ci.splitlines()
