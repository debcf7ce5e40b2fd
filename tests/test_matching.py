"""Matching questions with distractors: right-column entries that are no row's partner.

Without them a matching question with as many rows as the table gives its last row away, and
has one variant. Every output must show the distractors, and none may mark one right.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from quizgen import api
from quizgen.engine.generate import count_distinct, generate, matching_columns
from quizgen.engine.template import load_template
from quizgen.errors import QuizgenError
from quizgen.formats.records import variant_record
from quizgen.marking.mark import mark_matching, read_matching

GRU = "concepts.gru_gates_matching"
BASE = """\
id: test.matching
title: Match
topic: test
section: 11
difficulty: 1
kind: matching
columns: [Gate, Purpose]
pairs:
  - [Reset gate, how much past to forget]
  - [Update gate, how much old state to keep]
  - [Candidate, proposed new state]
text: Match them.
"""


def _load(tmp_path: Path, extra: str):
    path = tmp_path / "t.yaml"
    path.write_text(BASE + extra, encoding="utf-8")
    return load_template(path)


@pytest.mark.parametrize("extra, field, words", [
    ("distractors: [how much old state to keep]\n", "distractors[0]", "belong to no row"),
    ("distractors: [a, a]\n", "distractors[1]", "twice"),
    ("distractors: []\n", "distractors", "must not be empty"),
    ("distractor_count: 1\n", "distractor_count", "give the distractors"),
    ("distractors: [a, b]\ndistractor_count: 3\n", "distractor_count", ""),
    ("distractors: [a, b, c, d, e, f]\ndistractor_count: 6\n", "distractor_count", "A to H"),
    ("distractors: ['$x$']\n", "distractors[0]", "plain words"),
])
def test_bad_distractors_are_one_line_errors_naming_the_field(tmp_path, extra, field, words):
    with pytest.raises(QuizgenError) as caught:
        _load(tmp_path, extra)
    message = str(caught.value)
    assert f": {field}: " in message and words in message and "\n" not in message


def test_distractors_make_variants_and_are_counted_exactly(tmp_path):
    template = _load(tmp_path, "distractors: [a, b, c, d]\ndistractor_count: 2\n")
    assert count_distinct(template) == (6, True)  # C(3, 3) rows × C(4, 2) distractors
    variants = list(generate(template, 6, 1))
    assert len({tuple(v.distractors) for v in variants}) == 6
    for variant in variants:
        lefts, rights = matching_columns(variant)
        assert len(rights) == 5 and set(variant.distractors) <= set(rights) and rights == sorted(rights)


def test_a_template_without_distractors_draws_as_before(bank):
    variant = next(generate(bank.get("concepts.comparison_matching"), 1, 3))
    assert variant.distractors == [] and len(matching_columns(variant)[1]) == len(variant.answers[0].value)


def test_the_gru_question_shows_a_distractor_everywhere_and_none_marks_right(bank):
    template = bank.get(GRU)
    assert count_distinct(template)[0] == 3
    variants = list(generate(template, 3, 0))
    for variant in variants:
        (distractor,) = variant.distractors
        assert distractor not in {right for _, right in template.pairs}
        record = variant_record(variant)
        assert distractor in record["matching"]["right"]
        lefts, rights = matching_columns(variant)
        letter = "ABCDEFGH"[rights.index(distractor)]
        key = "".join("ABCDEFGH"[rights.index(right)] for _, right in variant.answers[0].value)
        assert mark_matching(variant, read_matching(variant, key)).right
        for row in range(len(lefts)):  # the distractor on any row is wrong
            assert not mark_matching(variant, read_matching(variant, key[:row] + letter + key[row + 1:])).right

    moodle = etree.fromstring(api.export_moodle([GRU], variants=3).text.encode())
    for question in moodle.iter("question"):
        if question.get("type") != "matching":
            continue
        empty = [s.findtext("answer/text") for s in question.iter("subquestion") if not (s.findtext("text") or "").strip()]
        assert len(empty) >= 1 and all(e not in {right for _, right in template.pairs} for e in empty)

    qti = zipfile.ZipFile(io.BytesIO(api.export_qti([GRU], variants=3).data))
    items = [name for name in qti.namelist() if re.search(r"items?/.*\.xml$", name) or (name.endswith(".xml") and "manifest" not in name and "test" not in name)]
    targets = 0
    for name in items:
        root = etree.fromstring(qti.read(name))
        sets = [s for s in root.iter() if isinstance(s.tag, str) and s.tag.endswith("simpleMatchSet")]
        if len(sets) == 2:
            targets += 1
            assert len(list(sets[1])) == len(list(sets[0])) + 1  # one more purpose than parts
    assert targets == 3

    page = api.export_html([GRU], variants=3).text
    for variant in variants:
        assert variant.distractors[0] in page
