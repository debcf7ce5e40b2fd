"""The exam spec, the roster and what each paper holds (no PDFs here: see test_exam_build.py)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from exam_support import REPO, SPEC, make_small_bank

from quizgen.engine.bank import load_bank
from quizgen.engine.generate import make_variant, parse_code
from quizgen.errors import QuizgenError
from quizgen.exams.spec import PaperKey, SpecError, load_roster, load_spec, paper_document, paper_seed, shard, version_labels
from quizgen.formats.records import variant_record


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory):
    return load_bank(make_small_bank(tmp_path_factory.mktemp("bank")))


def write_spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exam.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_midterm_loads_with_the_shipped_bank(bank):
    spec = load_spec(REPO / "examples" / "midterm.toml", bank)
    assert spec.question_count == 10
    assert spec.day == datetime.date(2026, 3, 12)
    assert spec.duration == "90 minutes"
    assert spec.total_points == sum(s.points * s.count for s in spec.sections)
    topics = {bank.templates[t].topic for section in spec.sections for t in section.pool}
    assert len(topics) >= 8, "a midterm over the whole sheet"


def test_the_example_roster_loads():
    students = load_roster(REPO / "examples" / "roster.csv")
    assert len(students) == 40
    assert len({s.key for s in students}) == 40
    assert students[0] == PaperKey("student", "s2026001", "Ada Lovelace")


def test_spec_fields_are_read(tmp_path, small_bank):
    spec = load_spec(write_spec(tmp_path, SPEC), small_bank)
    assert (spec.title, spec.course, spec.date, spec.seed) == ("Quiz 1", "DNN 301", "2026-02-01", 7)
    assert spec.instructions == ("Answer every question.", "Round as each question asks.")
    assert [s.count for s in spec.sections] == [1, 2, 2, 1]
    assert spec.sections[1].pool == ("concepts.lstm_gates", "concepts.lstm_gates_matching")
    assert spec.sections[0].nice is True
    assert spec.total_points == 4 + 2 * 2 + 3 * 2 + 6


BAD_SPECS = [
    # (what is wrong, replace this, with this, the field the error must name)
    ("unknown template", 'template = "cnn.conv_output_size"', 'template = "cnn.conv_output_sise"', "sections[1].template"),
    ("unknown template in a list", '"multiclass.softmax"]', '"multiclass.softmaks"]', "sections[3].templates[2]"),
    ("missing field", 'title = "Quiz 1"\n', "", "title"),
    ("negative points", "points = 6", "points = -6", "sections[4].points"),
    ("zero points", "points = 4", "points = 0", "sections[1].points"),
    ("too few templates for the count", "count = 2\npoints = 2", "count = 3\npoints = 2", "sections[2].count"),
    ("count larger than the list", 'templates = ["cnn.conv_params", "multiclass.softmax"]', 'templates = ["cnn.conv_params", "multiclass.softmax"]\ncount = 3', "sections[3].count"),
    ("unknown topic", 'topic = "concepts"', 'topic = "concept"', "sections[2].topic"),
    ("typo in a field", "nice = true", "nicer = true", "sections[1].nicer"),
    ("typo at the top", "seed = 7", "sed = 7", "sed"),
    ("points not a number", "points = 6", 'points = "six"', "sections[4].points"),
    ("no way to choose", 'template = "attention.attention_weights"\n', "", "sections[4]"),
    ("two ways to choose", 'topic = "concepts"', 'topic = "concepts"\ntemplate = "cnn.conv_params"', "sections[2]"),
    ("difficulty out of range", 'topic = "concepts"', 'topic = "concepts"\ndifficulty = 7', "sections[2].difficulty"),
    ("no template of that difficulty", 'topic = "concepts"', 'topic = "concepts"\ndifficulty = 3', "sections[2].count"),
    ("seed negative", "seed = 7", "seed = -1", "seed"),
    ("versions and roster", "seed = 7", 'seed = 7\nversions = 2\nroster = "r.csv"', "roster"),
    ("no sections", "[[sections]]", "[[other]]", "other"),
]


@pytest.mark.parametrize("case", BAD_SPECS, ids=[case[0] for case in BAD_SPECS])
def test_a_bad_spec_names_the_field(tmp_path, small_bank, case):
    _, old, new, field = case
    assert old in SPEC
    path = write_spec(tmp_path, SPEC.replace(old, new, 1))
    with pytest.raises(SpecError) as raised:
        load_spec(path, small_bank)
    message = str(raised.value)
    assert message.startswith(f"{path}: {field}: "), message
    assert "\n" not in message


def test_bad_toml_is_one_clear_error(tmp_path, small_bank):
    with pytest.raises(SpecError, match=r"exam\.toml: not valid TOML"):
        load_spec(write_spec(tmp_path, "title = \n"), small_bank)


def test_missing_spec_file(tmp_path, small_bank):
    with pytest.raises(QuizgenError, match="no such file"):
        load_spec(tmp_path / "nope.toml", small_bank)


@pytest.mark.parametrize(
    "text, field",
    [
        ("name\nAda\n", "header"),
        ("id,name\ns1,Ada\ns1,Alan\n", "row 3.id"),
        ("id,name\ns 1,Ada\n", "row 2.id"),
        ("id,name\n../x,Ada\n", "row 2.id"),
        ("id,name\n", ""),
    ],
)
def test_a_bad_roster_names_the_row(tmp_path, text, field):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_roster(path)
    assert str(raised.value).startswith(f"{path}: {field}" if field else f"{path}: "), str(raised.value)


def test_version_labels():
    assert version_labels(3) == ["A", "B", "C"]
    assert version_labels(28)[-2:] == ["AA", "AB"]
    with pytest.raises(QuizgenError):
        version_labels(0)


def test_paper_seeds_are_stable_and_distinct():
    ada, alan = PaperKey("student", "s001", "Ada"), PaperKey("student", "s002", "Alan")
    assert paper_seed(7, ada) == paper_seed(7, PaperKey("student", "s001", "another name"))
    assert paper_seed(7, ada) != paper_seed(7, alan)
    assert paper_seed(7, ada) != paper_seed(8, ada)
    assert paper_seed(7, PaperKey("version", "A")) != paper_seed(7, PaperKey("student", "A"))
    assert 0 <= paper_seed(7, ada) < 2**40
    # A fixed value: the derivation must never change, or old manifests stop matching their papers.
    assert paper_seed(2026, PaperKey("version", "A")) == 409805184841


def test_shards_cover_every_paper_once():
    papers = [PaperKey("version", label) for label in version_labels(7)]
    parts = [shard(papers, k, 3) for k in (1, 2, 3)]
    assert sum(parts, []) == papers
    assert [len(p) for p in parts] == [2, 2, 3]
    with pytest.raises(QuizgenError):
        shard(papers, 4, 3)


def test_a_paper_holds_every_section_and_is_reproducible(tmp_path, small_bank):
    spec = load_spec(write_spec(tmp_path, SPEC), small_bank)
    paper = PaperKey("student", "s001", "Ada Lovelace")
    document = paper_document(spec, small_bank, paper)
    questions = document["questions"]
    assert [q["number"] for q in questions] == list(range(1, 7))
    assert sorted(q["section"] for q in questions) == [1, 2, 2, 3, 3, 4]
    assert len({q["template"] for q in questions}) == 6, "no template twice on one paper"
    assert document == paper_document(spec, small_bank, paper)
    assert document["paper"]["seed"] == paper_seed(7, paper)


def test_each_code_gives_back_the_variant_on_the_paper(tmp_path, small_bank):
    """The printed code is the key: `quizgen show ID --code CODE` rebuilds exactly this question."""
    spec = load_spec(write_spec(tmp_path, SPEC.replace("shuffle_questions = true", "shuffle_questions = true\nshuffle_options = false")), small_bank)
    document = paper_document(spec, small_bank, PaperKey("version", "A"))
    for question in document["questions"]:
        template = small_bank.get(question["template"])
        seed, index, nice = parse_code(template.id, question["code"])
        record = variant_record(make_variant(template, seed, index, nice))
        assert record["text"] == question["text"]
        assert [a["rounded"] for a in record["answers"]] == [a["rounded"] for a in question["answers"]]
        assert [o["tex"] for o in record["options"]] == [o["tex"] for o in question["options"]]


def test_options_are_shuffled_per_paper_and_the_key_follows(tmp_path, small_bank):
    spec = load_spec(write_spec(tmp_path, SPEC), small_bank)
    orders = set()
    for key in ("A", "B", "C", "D", "E", "F"):
        document = paper_document(spec, small_bank, PaperKey("version", key))
        for question in document["questions"]:
            if question["options"]:
                labels = [o["label"] for o in question["options"]]
                assert labels == [chr(ord("A") + i) for i in range(len(labels))]
                correct = [o for o in question["options"] if o["correct"]]
                assert len(correct) == 1
                if question["kind"] == "multichoice":
                    assert question["answers"][0]["option"] == correct[0]["label"]
                    assert all(o["mistake_label"] for o in question["options"] if not o["correct"])
                    orders.add(correct[0]["label"])
    assert len(orders) > 1, "the right option is not always in the same place"


def test_questions_are_shuffled_only_when_asked(tmp_path, small_bank):
    fixed = load_spec(write_spec(tmp_path, SPEC.replace("shuffle_questions = true", "shuffle_questions = false")), small_bank)
    sections = [q["section"] for q in paper_document(fixed, small_bank, PaperKey("version", "A"))["questions"]]
    assert sections == sorted(sections)
    shuffled = load_spec(write_spec(tmp_path, SPEC), small_bank)
    orders = {tuple(q["section"] for q in paper_document(shuffled, small_bank, PaperKey("version", v))["questions"]) for v in "ABCDEF"}
    assert len(orders) > 1


def test_a_students_paper_does_not_depend_on_the_roster(tmp_path, small_bank):
    spec = load_spec(write_spec(tmp_path, SPEC), small_bank)
    ada = PaperKey("student", "s001", "Ada Lovelace")
    alone = paper_document(spec, small_bank, ada)
    # Whatever else is built, and in whatever order, Ada's paper is the same.
    paper_document(spec, small_bank, PaperKey("student", "s000", "Someone New"))
    assert paper_document(spec, small_bank, ada) == alone


def test_the_spec_in_docs_exam_md_loads(bank, tmp_path):
    import re

    text = (REPO / "docs" / "exam.md").read_text(encoding="utf-8")
    example = re.search(r"^```toml\n(.*?)^```", text, flags=re.S | re.M).group(1)
    spec = load_spec(write_spec(tmp_path, example), bank)
    assert spec.versions == 2 and [s.count for s in spec.sections] == [1, 1, 1]
    assert spec.sections[2].working_space == 3


def test_papers_come_from_the_command_line_else_the_spec(tmp_path, small_bank):
    from quizgen.exams.build import papers_for

    (tmp_path / "class.csv").write_text("id,name\ns9,Emmy Noether\n", encoding="utf-8")
    with_roster = load_spec(write_spec(tmp_path, SPEC.replace("seed = 7", 'seed = 7\nroster = "class.csv"')), small_bank)
    assert papers_for(with_roster, None, None) == ("roster", [PaperKey("student", "s9", "Emmy Noether")])
    assert papers_for(with_roster, 2, None) == ("versions", [PaperKey("version", "A"), PaperKey("version", "B")])
    plain = load_spec(write_spec(tmp_path, SPEC), small_bank)
    assert papers_for(plain, None, None) == ("versions", [PaperKey("version", "A")])
    with pytest.raises(QuizgenError, match="not both"):
        papers_for(plain, 2, tmp_path / "class.csv")
