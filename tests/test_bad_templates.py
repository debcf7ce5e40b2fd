"""Malformed templates fail cleanly: one line naming the file, the field and the reason.

Every file in ``tests/data/bad`` is a small variation of one of the valid
templates in ``tests/data/good``. The table below says, for each, which field the
error must name and a piece of the specific message. Each case is checked three
ways:

* the library: ``load_template`` raises a ``BankError`` whose one-line ``str`` is
  ``"<file>: <field>: <message>"`` (or, for a template that loads but cannot be
  drawn, generation raises a ``VariantError`` naming the template and the constraint);
* ``quizgen validate <file>`` through ``click.testing.CliRunner``: exit code 2,
  exactly one ``Error:`` line, a ``Problem:`` line naming file, field and message,
  and no traceback (also ``quizgen --bank <file> generate ...``: one ``Error:`` line);
* the installed console script in a real subprocess: the same exit code and lines.

The ``attack_*`` files try to run code (``__import__``, ``eval``, a lambda, a
comprehension, an f-string ...). Those that would have a side effect create a
sentinel file under /tmp; no test may ever find one.

Cases marked ``xfail(strict=True)`` are core bugs found while writing this
corpus: the test states how the core SHOULD behave.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizgen.cli import cli
from quizgen.engine.generate import generate
from quizgen.engine.template import load_template
from quizgen.errors import BankError, QuizgenError, VariantError

REPO = Path(__file__).resolve().parent.parent
BAD_DIR = Path("tests/data/bad")  # relative to REPO: the path users type, and the one errors must name
GOOD_DIR = Path("tests/data/good")
SENTINEL = re.compile(r"/tmp/quizgen-attack-[a-z]+\.sentinel")


@dataclass(frozen=True)
class Case:
    field: str  # the field the error must name, as the loader spells it ("line 11" for YAML syntax)
    message: str | None  # a piece of the specific message (None: any message, for bugs whose wording is up to the fix)
    stage: str = "load"  # "load": BankError when loading; "generate": loads, VariantError when drawing;
    # "any": a QuizgenError at load or when drawing (either fix is fine), never a raw exception
    bug: str | None = None  # set for a core bug: the case is xfail(strict=True) with this reason

    @property
    def exact(self) -> bool:
        """The error must read exactly '<file>: <field>: <message...>'."""
        return self.stage == "load" and self.bug is None


CASES: dict[str, Case] = {
    # YAML and top-level structure
    "yaml_syntax_error.yaml": Case("line 11", "YAML syntax error: expected ',' or '}'"),
    "missing_id.yaml": Case("id", "missing required field"),
    "missing_text.yaml": Case("text", "missing required field"),
    "missing_answers.yaml": Case("answers", "missing required field"),
    "unknown_field_typo.yaml": Case("anwsers", "unknown field (did you mean 'answers'?) (allowed: answers,"),
    "difficulty_not_number.yaml": Case("difficulty", "must be a whole number, got 'hard'"),
    "section_out_of_range.yaml": Case("section", "must be from 1 to 18, got 99"),
    "variables_not_list.yaml": Case("variables", "must be a list, got dict"),
    "id_not_topic_slug.yaml": Case("id", "'PoolOutput' must look like topic.slug"),
    "id_topic_mismatch.yaml": Case("id", "'rnn.pool_output' must start with its topic 'cnn.'"),
    # variables
    "variable_duplicate.yaml": Case("variables.K.name", "'K' is defined twice"),
    "variable_draw_and_value.yaml": Case("variables.K", "needs exactly one of 'draw'"),
    "draw_not_distribution.yaml": Case("variables.K.draw", "must call one of choice, decimal, int, matrix, network, vector"),
    "draw_in_value.yaml": Case("variables.K.value", "'int' draws a random value; use it only in a variable's 'draw'"),
    # expressions
    "expr_syntax_error.yaml": Case("variables.H_out.value", "syntax error in 'floor((H - K) / 2 + 1'"),
    "expr_unknown_function.yaml": Case("variables.H_out.value", "unknown function 'flor'"),
    "expr_unknown_variable.yaml": Case("variables.H_out.value", "unknown variable 'S'"),
    "expr_use_before_definition.yaml": Case("variables.H_out.value", "unknown variable 'K'"),
    # attacks on the expression language
    "attack_import.yaml": Case("variables.H_out.value", "only named functions may be called, not attribute access"),
    "attack_dunder_attribute.yaml": Case("constraints[0]", "attribute access ('.') is not allowed"),
    "attack_open.yaml": Case("mistakes.no_plus_one.value", "unknown function 'open'"),
    "attack_eval.yaml": Case("nice[0]", "unknown function 'eval'"),
    "attack_lambda.yaml": Case("variables.H_out.value", "only named functions may be called, not lambda"),
    "attack_list_comprehension.yaml": Case("variables.H_out.value", "list comprehension is not allowed"),
    "attack_fstring.yaml": Case("variables.K.draw", "f-string is not allowed"),
    # text
    "text_unknown_variable.yaml": Case("text", "unknown variable 'P' in {@ @}"),
    "text_jinja_syntax_error.yaml": Case("text", "template syntax error on line 1"),
    # answers and tolerances
    "answer_unknown_variable.yaml": Case("answers[0].name", "unknown variable 'W_out'"),
    "answer_number_without_rounding.yaml": Case("answers[0]", "a non-integer answer needs 'decimals' or 'sigfigs'"),
    "tolerance_negative.yaml": Case("answers[0].tolerance.abs", "must be a number of at least 0, got -0.5"),
    "tolerance_relative_too_large.yaml": Case("answers[0].tolerance.rel", "must be a number from 0 to below 1, got 1.5"),
    # mistakes and tests
    "mistake_unknown_answer.yaml": Case("mistakes.no_plus_one.answer", "'W_out' is not one of the answers (H_out)"),
    "multichoice_too_few_mistakes.yaml": Case("mistakes", "a multichoice template with 4 options needs at least 3 named mistakes, has 1"),
    "test_set_misses_draw.yaml": Case("tests[0].set.K", "missing required field"),
    # loads fine; no variant can be drawn
    "impossible_constraint.yaml": Case("constraints", "'K > 100'", stage="generate"),
    # ---- found with this corpus, now refused at load ----
    "expr_float_overflow.yaml": Case("variables.H_out.value", "number inf is not finite"),
    "expr_too_deeply_nested.yaml": Case("variables.H_out.value", "nested more than 60 levels deep"),
    "expr_very_long_sum.yaml": Case("variables.H_out.value", "nested more than 60 levels deep"),
    "tolerance_nan.yaml": Case("answers[0].tolerance.rel", "must be a number from 0 to below 1, got nan"),
    "text_unknown_filter.yaml": Case("text", "No filter named 'nosuchfilter'"),
    "text_attribute_attack.yaml": Case("text", "attribute access ('.') is not allowed in text"),
    "text_include_attack.yaml": Case("text", "'include' is not allowed in text"),
    "yaml_duplicate_key.yaml": Case("difficulty", "duplicate key 'difficulty'"),
    "text_double_quoted_nabla.yaml": Case("mistakes.no_plus_one.feedback", "\\nabla lost its backslash"),
    # ---- a shared bank must not hang, exhaust memory or reach an object (hardening) ----
    "text_for_loop_attack.yaml": Case("text", "a loop ('for') is not allowed in text"),
    "text_lipsum_global.yaml": Case("text", "unknown variable 'lipsum'"),
    "text_self_reference.yaml": Case("text", "unknown variable 'self'"),
    "text_cycler_global.yaml": Case("text", "unknown variable 'cycler'"),
    "text_power_folded.yaml": Case("text", "'**' is not allowed in text"),
    "text_string_multiplied.yaml": Case("text", "'*' is not allowed in text"),
    "text_center_filter.yaml": Case("text", "No filter named 'center' for text"),
    "text_string_format.yaml": Case("text", "arithmetic on a string is not allowed in text"),
    "text_set_assignment.yaml": Case("text", "'set' is not allowed in text"),
    "expr_huge_power.yaml": Case("H_out", "10**10000000000 has more than 1000 digits", stage="generate"),
    "expr_huge_zeros.yaml": Case("Z", "each size must be a whole number from 1 to 64", stage="generate"),
    "expr_cols_of_scalar.yaml": Case("H_out", "cols() needs a matrix", stage="generate"),
    "yaml_alias_bomb.yaml": Case("aliases", "the YAML aliases (*name) expand to more than 100,000 values"),
}

TEMPLATE_ID = "cnn.pool_output"  # the id of every bad file that gets past its id check


def _params():
    for name, case in CASES.items():
        marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
        yield pytest.param(name, case, id=name.removesuffix(".yaml"), marks=marks)


PARAMS = list(_params())


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    """Run from the repository top, so 'tests/data/bad/x.yaml' is the path a user types."""
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("QUIZGEN_BANK", raising=False)


def sentinels(name: str) -> list[Path]:
    return [Path(p) for p in SENTINEL.findall((REPO / BAD_DIR / name).read_text())]


@pytest.fixture(scope="session", autouse=True)
def no_stale_sentinels():
    for path in REPO.joinpath(BAD_DIR).glob("*.yaml"):
        for sentinel in sentinels(path.name):
            sentinel.unlink(missing_ok=True)
    yield


def assert_not_executed(name: str, *outputs: str) -> None:
    for sentinel in sentinels(name):
        assert not sentinel.exists(), f"{name}: the attack ran and created {sentinel}"
    for output in outputs:
        assert "root:x:0:0" not in output, f"{name}: /etc/passwd was read"


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error:")]


def check_names(text: str, path: str, case: Case, prefix: str = "") -> None:
    """``text`` (one line) names the file, the field and the message."""
    assert "\n" not in text.strip()
    if case.exact:
        assert text.startswith(f"{prefix}{path}: {case.field}: "), text
    else:
        assert path in text or TEMPLATE_ID in text, text
        assert case.field in text, text
    if case.message is not None:
        assert case.message in text, text


# ---------------------------------------------------------------------------
# The corpus itself


def test_every_bad_file_is_in_the_table():
    on_disk = {p.name for p in (REPO / BAD_DIR).glob("*.yaml")}
    assert on_disk == set(CASES)
    assert len(on_disk) >= 20


@pytest.mark.parametrize("name", ["pool_output.yaml", "pool_output_choice.yaml"])
def test_good_templates_they_vary_are_valid(name):
    """The bad files are variations of these: each must load, and validate with exit 0."""
    path = GOOD_DIR / name
    template = load_template(path)
    assert len(list(generate(template, 5, 0))) == 5
    result = CliRunner().invoke(cli, ["validate", str(path), "--variants", "20"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 1 templates")


def test_each_bad_file_changes_a_good_one_only_a_little():
    """A variation, not a rewrite: at most a few lines differ from its good template (plus the comment)."""
    good = {n: (REPO / GOOD_DIR / n).read_text().splitlines() for n in ("pool_output.yaml", "pool_output_choice.yaml")}
    for name in CASES:
        lines = (REPO / BAD_DIR / name).read_text().splitlines()
        assert lines[0].startswith("# "), f"{name}: first line should say what is wrong"
        body = lines[1:]
        closest = min(len(set(body) ^ set(g)) for g in good.values())
        assert closest <= 10, f"{name}: {closest} lines differ from the good templates"


# ---------------------------------------------------------------------------
# Library: the loader (or the generator) raises one clean, named error


@pytest.mark.parametrize("name, case", PARAMS)
def test_loading_names_file_field_and_message(name, case):
    path = BAD_DIR / name
    if case.stage == "load":
        with pytest.raises(BankError) as caught:
            load_template(path)
        error = caught.value
        assert error.source == str(path)
        if case.exact:
            assert error.field == case.field
            assert str(error) == f"{path}: {error.field}: {error.message}"
        check_names(str(error), str(path), case)
    elif case.stage == "generate":
        template = load_template(path)  # it loads ...
        assert template.id == TEMPLATE_ID
        with pytest.raises(VariantError) as caught:  # ... but no variant can be drawn
            next(generate(template, 1, 0))
        text = str(caught.value)
        assert "\n" not in text
        assert TEMPLATE_ID in text and case.message in text, text
    else:  # "any": refused at load, or when a variant is drawn, but always as a QuizgenError
        with pytest.raises(QuizgenError) as caught:
            template = load_template(path)
            for variant in generate(template, 3, 0):
                variant.steps()
        check_names(str(caught.value), str(path), case)
    assert_not_executed(name)


# ---------------------------------------------------------------------------
# CLI through CliRunner


@pytest.mark.parametrize("name, case", PARAMS)
def test_validate_command_reports_one_error(name, case):
    path = str(BAD_DIR / name)
    result = CliRunner().invoke(cli, ["validate", path, "--variants", "20"])
    assert isinstance(result.exception, SystemExit), result.exc_info  # no exception other than exiting
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(error_lines(result.output)) == 1, result.output
    assert re.fullmatch(r"Error: \d+ problems? in 1 template files", error_lines(result.output)[0])
    problems = [line.removeprefix("Problem: ") for line in result.stderr.splitlines() if line.startswith("Problem: ")]
    assert problems, result.output
    assert any(_names(problem, path, case) for problem in problems), problems
    assert_not_executed(name, result.output)


def _names(text: str, path: str, case: Case) -> bool:
    try:
        check_names(text, path, case)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("name, case", PARAMS)
def test_generate_from_a_bad_bank_is_one_error_line(name, case):
    """Used as the bank of another command, the file fails with one 'Error:' line too."""
    path = str(BAD_DIR / name)
    result = CliRunner().invoke(cli, ["--bank", path, "generate", TEMPLATE_ID, "-n", "2"])
    assert isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == 2, result.output
    assert result.stdout == "" or case.stage != "load"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    if case.stage == "load":
        check_names(lines[0], path, case, prefix="Error: ")
    else:
        assert TEMPLATE_ID in lines[0] and (case.message is None or case.message in lines[0]), lines[0]
    assert_not_executed(name, result.output)


# ---------------------------------------------------------------------------
# The real console script, in subprocesses (run in parallel once, checked per file)


def _console_script() -> str:
    beside = Path(sys.executable).with_name("quizgen")
    found = str(beside) if beside.exists() else shutil.which("quizgen")
    if not found:
        pytest.skip("the quizgen console script is not installed")
    return found


@pytest.fixture(scope="module")
def subprocess_runs() -> dict[str, subprocess.CompletedProcess]:
    script = _console_script()
    env = {k: v for k, v in os.environ.items() if k != "QUIZGEN_BANK"}

    def run(name: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [script, "validate", str(BAD_DIR / name), "--variants", "20"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip(CASES, pool.map(run, CASES)))


@pytest.mark.parametrize("name, case", PARAMS)
def test_console_script_validate(name, case, subprocess_runs):
    completed = subprocess_runs[name]
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2, output
    assert "Traceback" not in output
    assert len(error_lines(completed.stderr)) == 1 and not error_lines(completed.stdout), output
    problems = [line.removeprefix("Problem: ") for line in completed.stderr.splitlines() if line.startswith("Problem: ")]
    assert any(_names(problem, str(BAD_DIR / name), case) for problem in problems), output
    assert_not_executed(name, output)


# ---------------------------------------------------------------------------
# Nothing an attack asked for ever ran


def test_no_attack_ever_ran():
    """After loading, validating, and drawing from every bad file, no sentinel exists."""
    attacks = [name for name in CASES if sentinels(name)]
    assert len(attacks) >= 5
    for name in CASES:
        try:
            template = load_template(BAD_DIR / name)
            for variant in generate(template, 2, 0):
                variant.steps()
        except Exception:  # noqa: BLE001 - any refusal is fine here; only side effects matter
            pass
    CliRunner().invoke(cli, ["validate", str(BAD_DIR), "--variants", "5"])
    for name in attacks:
        assert_not_executed(name)
