"""The JSON record of a variant: the machine-readable truth every other output agrees with.

The schema is documented in docs/json.md and pinned by quizgen/schema/variant.schema.json;
``SCHEMA_VERSION`` changes whenever a field changes meaning.
"""

from __future__ import annotations

import json
from typing import Any

from ..engine.figures import variant_figures
from ..engine.generate import Answer, Variant, display_formats, matching_columns
from ..engine.values import Value, exact_string, format_number, is_array, to_float

SCHEMA_VERSION = "quizgen.variant/1"


def _map(value: Any, function) -> Any:
    """Apply ``function`` to every scalar of a value, keeping the nesting of vectors and matrices."""
    if is_array(value) or isinstance(value, list):
        return [_map(item, function) for item in value]
    return function(value)


def _value_fields(value: Value, formatter=format_number) -> dict[str, Any]:
    if isinstance(value, str):
        return {"exact": value, "value": value, "display": value}
    if isinstance(value, list):
        return {"exact": value, "value": value, "display": ", ".join(v if isinstance(v, str) else json.dumps(v, sort_keys=True) for v in value)}
    return {"exact": exact_string(value), "value": to_float(value), "display": _map(value, formatter)}


def _tolerance_fields(answer: Answer) -> dict[str, Any]:
    spec = answer.spec.tolerance
    absolute = _map(answer.tolerance, float)
    if answer.spec.kind == "integer":
        return {"type": "exact", "value": 0, "absolute": 0}
    if spec.value is None:
        return {"type": "abs", "value": None, "absolute": absolute, "rule": "half a unit in the last place shown"}
    return {"type": spec.kind, "value": float(spec.value), "absolute": absolute}


def _exact(value: Value) -> Any:
    return value if isinstance(value, (str, list)) else exact_string(value)


def _plain_value(value: Value) -> Any:
    return value if isinstance(value, (str, list)) else to_float(value)


def answer_record(answer: Answer) -> dict[str, Any]:
    spec = answer.spec
    if spec.kind in ("choice", "matching"):
        return {
            "name": spec.name, "label": spec.label, "kind": spec.kind, "exact": answer.value, "value": answer.value,
            "rounded": answer.rounded, "rounding": {}, "tolerance": {"type": "exact", "value": 0, "absolute": 0}, "unit": None,
        }
    rounding = {"decimals": spec.decimals} if spec.sigfigs is None else {"sigfigs": spec.sigfigs}
    return {
        "name": spec.name,
        "label": spec.label,
        "kind": spec.kind,
        "exact": exact_string(answer.value),
        "value": to_float(answer.value),
        "rounded": answer.rounded,
        "rounding": rounding,
        "tolerance": _tolerance_fields(answer),
        "unit": spec.unit,
    }


def variant_record(variant: Variant, steps: bool = True) -> dict[str, Any]:
    """Everything a variant holds, as JSON-ready data (no floats are rounded here)."""
    template = variant.template
    formats = display_formats(template)
    record: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "template": template.id,
        "title": template.title,
        "topic": template.topic,
        "section": template.section,
        "difficulty": template.difficulty,
        "kind": template.kind,
        "seed": variant.seed,
        "index": variant.index,
        "code": variant.code,
        "note": variant.note,
        "parameters": {name: _value_fields(value, formats.get(name, format_number)) for name, value in variant.parameters.items()},
        "text": variant.text,
        "answers": [answer_record(a) for a in variant.answers],
        "mistakes": [
            {"name": m.name, "label": m.label, "answer": m.answer, "exact": _exact(m.value), "value": _plain_value(m.value), "rounded": m.rounded, "feedback": m.feedback}
            for m in variant.mistakes
        ],
        "options": [
            {"label": o.label, "rounded": o.rounded, "tex": o.tex, "correct": o.correct, "mistake": o.mistake, "feedback": o.feedback}
            for o in variant.options
        ],
    }
    if template.kind == "matching":
        lefts, rights = matching_columns(variant)
        record["matching"] = {"left": lefts, "right": rights, "columns": list(template.columns)}
    if steps:
        record["steps"] = [{"label": s.label, "tex": s.tex} for s in variant.steps()]
    if variant.solution:
        record["solution"] = variant.solution
    if variant.template.figures:
        record["figures"] = [figure.record() for figure in variant_figures(variant)]
    if variant.warnings:
        record["warnings"] = list(variant.warnings)
    return record


def dumps(record: dict[str, Any], indent: int | None = 2) -> str:
    """Stable JSON text: keys in insertion order, no NaN, UTF-8 kept."""
    return json.dumps(record, indent=indent, ensure_ascii=False, allow_nan=False)
