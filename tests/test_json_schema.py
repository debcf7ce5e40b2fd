"""Every record quizgen writes matches quizgen/schema/variant.schema.json (documented in docs/json.md).

The shipped bank is read when the tests are collected, so a template added to
question_bank/ is checked here without any change to this file.
"""

from __future__ import annotations

import copy
import json
import math
import re
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest

import quizgen
from quizgen.engine.bank import load_bank
from quizgen.engine.generate import generate, solve
from quizgen.formats.records import SCHEMA_VERSION, dumps, variant_record

SCHEMA_PATH = Path(quizgen.__file__).resolve().parent / "schema" / "variant.schema.json"
JSON_DOC = Path(__file__).resolve().parent.parent / "docs" / "json.md"
VARIANTS = 10
SEED = 0

SHIPPED = load_bank(collect_errors=True)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _problems(validator: jsonschema.Draft202012Validator, record: dict) -> list[str]:
    """Schema errors of the record as it is written out (through JSON text, as a consumer reads it)."""
    data = json.loads(dumps(record))
    return [f"{'/'.join(map(str, error.absolute_path)) or '(record)'}: {error.message[:300]}" for error in validator.iter_errors(data)]


def test_schema_version_matches_the_code():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["properties"]["schema"]["const"] == SCHEMA_VERSION
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_shipped_bank_loads():
    assert SHIPPED.templates, "the shipped bank has no templates"
    assert not SHIPPED.errors, "\n".join(str(error) for error in SHIPPED.errors)


@pytest.mark.parametrize("template_id", sorted(SHIPPED.templates))
def test_records_of_shipped_template_match_schema(template_id, validator):
    template = SHIPPED.templates[template_id]
    count = min(VARIANTS, template.min_variants)
    for variant in generate(template, count, SEED):
        for record in (variant_record(variant), variant_record(variant, steps=False)):
            problems = _problems(validator, record)
            assert not problems, f"{template_id} variant {variant.code}:\n" + "\n".join(problems)
        _exact_reads_as_a_fraction(variant_record(variant), f"{template_id} {variant.code}")


def _exact_reads_as_a_fraction(record: dict, where: str) -> None:
    """docs/json.md: every numeric 'exact' (pi and e included) is read by fractions.Fraction and equals 'value'."""
    fields = list(record["parameters"].values()) + [a for a in record["answers"] if a["kind"] not in ("choice", "matching")] + record["mistakes"]
    for field in fields:
        for exact, value in zip(_flat(field["exact"]), _flat(field["value"])):
            if isinstance(value, (str, dict, bool)):
                continue  # a word, a network's layer, true/false
            assert math.isclose(float(Fraction(exact)), value, rel_tol=1e-12, abs_tol=1e-300), f"{where}: exact {exact!r} vs value {value!r}"


def _flat(item):
    return [x for sub in item for x in _flat(sub)] if isinstance(item, list) else [item]


def test_example_in_json_doc_matches_schema(validator):
    match = re.search(r"^```json\n(.*?)^```", JSON_DOC.read_text(encoding="utf-8"), flags=re.S | re.M)
    assert match, "docs/json.md has no ```json example"
    assert not _problems(validator, json.loads(match.group(1)))


# ---------------------------------------------------------------------------
# Shapes the shipped bank may not (yet) contain: vector and matrix answers,
# relative and absolute tolerances, sigfigs, units, words, truth values and
# matrices as drawn values, multichoice over vectors, a template without draws,
# and a solve() record with warnings.

_COVERAGE = {
    "demo/shapes.yaml": """
id: demo.shapes
title: Shapes of values
topic: demo
section: 5
difficulty: 2
kind: multipart
variables:
  - {name: act, draw: "choice(['relu', 'identity'])"}
  - {name: flag, draw: "choice([true, false])"}
  - {name: M, draw: "choice([[[1, 2], [3, 4]], [[2, 0], [1, 1]]])"}
  - {name: W, draw: "matrix(2, 2, int(-2, 2))"}
  - {name: x, draw: "vector(2, decimal(-1, 1, 0.5))"}
  - {name: h, value: "activate(W @ x, act)"}
  - {name: Q, value: "M @ W"}
  - {name: s, value: "sum(exp(h)) / 3"}
  - {name: n, value: "len(x) + (1 if flag else 0)"}
constraints:
  - {expr: "sum(abs(x)) > 0", message: x is not zero}
text: '$W = {@W@}$, $x = {@x@}$, $M = {@M@}$, {@act@}, {@flag@}.'
answers:
  - {name: h, kind: vector, decimals: 2, tolerance: {rel: 0.05}, label: h}
  - {name: Q, kind: matrix, decimals: 1, tolerance: {abs: 0.5}, label: Q}
  - {name: s, kind: number, sigfigs: 3, unit: units, label: s}
  - {name: n, kind: integer, label: n}
mistakes:
  - {name: no_activation, label: no activation, answer: h, value: "W @ x", feedback: 'Apply {@act@}.'}
  - {name: wrong_order, label: wrong order, answer: Q, value: "W @ M", feedback: 'Order matters.'}
  - {name: no_divide, label: did not divide, answer: s, value: "sum(exp(h))", feedback: 'Divide by 3.'}
  - {name: half, label: half, answer: n, value: "n / 2", feedback: 'Half.'}
tests:
  - set: {act: relu, flag: true, M: [[1, 2], [3, 4]], W: [[1, 0], [0, 1]], x: [0.5, -1]}
    expect: {h: [0.5, 0], Q: [[1, 2], [3, 4]], n: 3}
""",
    "demo/choose.yaml": """
id: demo.choose
title: Softmax, chosen
topic: demo
section: 4
difficulty: 1
kind: multichoice
options: 3
variables:
  - {name: z, draw: "vector(3, int(-3, 3))"}
  - {name: y, value: "softmax(z)"}
constraints: ["distinct(z)"]
text: '$z = {@z@}$'
answers:
  - {name: y, kind: vector, decimals: 2, label: probabilities}
mistakes:
  - {name: by_max, label: divided by the max, value: "exp(z) / max(exp(z))", feedback: 'Divide by the sum.'}
  - {name: no_norm, label: not normalised, value: "exp(z)", feedback: 'Normalise.'}
  - {name: negated, label: negated, value: "softmax(-z)", feedback: 'Sign.'}
  - {name: doubled, label: doubled, value: "softmax(2*z)", feedback: 'Scale.'}
""",
    "demo/constant.yaml": """
id: demo.constant
title: A question without draws
topic: demo
section: 3
difficulty: 1
kind: numerical
min_variants: 1
variables:
  - {name: a, value: "sqrt(2) / 2"}
text: 'What is $\\frac{\\sqrt{2}}{2}$?'
answers:
  - {name: a, kind: number, decimals: 4, label: value}
""",
}


@pytest.fixture(scope="module")
def coverage_bank(tmp_path_factory):
    root = tmp_path_factory.mktemp("schema") / "bank"
    for relative, text in _COVERAGE.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip(), encoding="utf-8")
    return load_bank(root)


@pytest.mark.parametrize("template_id", sorted(f"demo.{Path(p).stem}" for p in _COVERAGE))
def test_records_of_every_shape_match_schema(coverage_bank, template_id, validator):
    template = coverage_bank.get(template_id)
    for variant in generate(template, min(VARIANTS, template.min_variants), SEED):
        problems = _problems(validator, variant_record(variant))
        assert not problems, f"{template_id} variant {variant.code}:\n" + "\n".join(problems)


def test_solve_record_with_warnings_matches_schema(coverage_bank, validator):
    values = {"act": "relu", "flag": True, "M": [[1, 2], [3, 4]], "W": [[1, 0], [0, 1]], "x": [0, 0]}
    record = variant_record(solve(coverage_bank.get("demo.shapes"), values))
    assert record["warnings"] == ["x is not zero"]
    assert not _problems(validator, record)


def test_schema_is_strict(coverage_bank, validator):
    """The schema rejects what the code never writes, so an undocumented change to the record fails here."""
    variant = next(generate(coverage_bank.get("demo.shapes"), 1, SEED))
    good = json.loads(dumps(variant_record(variant)))
    assert not list(validator.iter_errors(good))

    def broken(change) -> dict:
        record = copy.deepcopy(good)
        change(record)
        return record

    bad_records = {
        "unknown top-level field": broken(lambda r: r.update(extra=1)),
        "missing field": broken(lambda r: r.pop("note")),
        "other version": broken(lambda r: r.update(schema="quizgen.variant/2")),
        "unknown answer field": broken(lambda r: r["answers"][0].update(extra=1)),
        "integer answer with a tolerance": broken(lambda r: r["answers"][3].update(tolerance={"type": "abs", "value": 0.5, "absolute": 0.5})),
        "vector answer as a number": broken(lambda r: r["answers"][0].update(rounded="0.5")),
        "rounded in exponent notation": broken(lambda r: r["answers"][2].update(rounded="1E-5")),
        "options on a multipart record": broken(lambda r: r["options"].append({"label": "A", "rounded": "1", "tex": "1", "correct": True, "mistake": None, "feedback": None})),
        "bad variant code": broken(lambda r: r.update(code="0-0")),
        "unknown parameter field": broken(lambda r: r["parameters"]["x"].update(extra=1)),
        "empty warnings": broken(lambda r: r.update(warnings=[])),
    }
    for description, record in bad_records.items():
        assert list(validator.iter_errors(record)), f"the schema accepts a record with {description}"
