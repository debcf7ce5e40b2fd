"""``quizgen practice`` driven through click's CliRunner: what a student types, what they see."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.engine.generate import generate, matching_columns
from quizgen.formats.typed import flat_rounded
from quizgen.marking.practice import POOL, PracticeSession, Progress, Stop

SIZE = "cnn.conv_output_size"  # multipart: output height and width (integers)
USED = ["cnn/conv_output_size", "cnn/conv_params", "multiclass/softmax", "concepts/lstm_gates", "concepts/lstm_gates_matching", "concepts/gru_gates_matching"]


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory) -> Path:
    """The shipped templates these tests use, alone in a bank: loading five templates is quick."""
    shipped = load_bank().root
    root = tmp_path_factory.mktemp("bank")
    for name in USED:
        (root / name).parent.mkdir(exist_ok=True)
        (root / f"{name}.yaml").write_bytes((shipped / f"{name}.yaml").read_bytes())
    return root


@pytest.fixture(scope="module")
def bank(bank_dir):
    return load_bank(bank_dir)


@pytest.fixture(autouse=True)
def small_bank(monkeypatch, bank_dir):
    monkeypatch.setenv("QUIZGEN_BANK", str(bank_dir))


def practise(*args: str, typed: list[str]) -> Result:
    """A session replayed with a known seed (0 unless the test gives one): a session's own seed is fresh each time."""
    seed = [] if "--seed" in args else ["--seed", "0"]
    result = CliRunner().invoke(cli, ["practice", *seed, *args], input="".join(line + "\n" for line in typed))
    assert "Traceback" not in result.output
    return result


def finished(result: Result) -> str:
    """A session that ended well: exit 0, no exception, and the summary printed."""
    assert result.exception is None and result.exit_code == 0, (result.output, result.exc_info)
    assert "Summary" in result.output
    return result.output


def variants(bank, template_id: str, seed: int, count: int = 3):
    return list(generate(bank.get(template_id), count, seed))


def key(variant) -> list[str]:
    return [flat_rounded(answer.rounded) for answer in variant.answers]


def test_right_answers_are_marked_right(bank):
    first = variants(bank, SIZE, 4)[0]
    output = finished(practise(SIZE, "--seed", "4", "-n", "1", typed=key(first)))
    assert first.code in output
    assert "✓ output height: right" in output and "✓ output width: right" in output
    assert "Right!" in output
    assert "cnn    1 of 1 right" in output


def test_a_wrong_answer_names_the_mistake_and_shows_the_worked_solution(bank):
    first = variants(bank, SIZE, 4)[0]
    mistake = next(m for m in first.mistakes if m.name == "no_plus_one")
    typed = key(first)
    index = [a.spec.name for a in first.answers].index(mistake.answer)
    typed[index] = flat_rounded(mistake.rounded)
    output = finished(practise(SIZE, "--seed", "4", "-n", "1", typed=[*typed, "n"]))
    assert "It looks like you forgot the +1" in output
    assert "The formula ends with +1" in output  # the mistake's feedback, as plain text
    assert "Worked solution:" in output and "Identify the given values" in output
    assert "Try another variant of this question? [y/N]" in output
    assert "cnn    0 of 1 right" in output


def test_a_wrong_answer_that_matches_no_mistake_is_just_wrong(bank):
    first = variants(bank, SIZE, 4)[0]
    assert all("999" not in flat_rounded(m.rounded) for m in first.mistakes)
    output = finished(practise(SIZE, "--seed", "4", "-n", "1", typed=["999", "999", "n"]))
    assert "✗ output height: not right\n" in output and "It looks like" not in output


def test_another_variant_of_the_same_template_is_offered(bank):
    first, second = variants(bank, SIZE, 4, 2)
    output = finished(practise(SIZE, "--seed", "4", "-n", "1", typed=["1", "1", "y", *key(second)]))
    assert first.code in output and second.code in output
    assert output.count("Question ") == 2
    assert "cnn    1 of 2 right" in output


def test_garbage_and_empty_input_re_prompt_with_a_hint(bank):
    first = variants(bank, SIZE, 4)[0]
    height, width = key(first)
    output = finished(practise(SIZE, "--seed", "4", "-n", "1", typed=["abc", "", "1 2", height, "1/0", width]))
    assert "? cannot read 'abc'" in output
    assert "Type your answer (e.g. 14), 'skip' for the solution, or 'quit'." in output
    assert "? this answer is one number; you typed 2 numbers" in output
    assert "? '1/0' divides by zero" in output
    assert "Right!" in output


def test_end_of_input_ends_with_the_summary(bank):
    first = variants(bank, SIZE, 4)[0]
    output = finished(practise(SIZE, "--seed", "4", "-n", "3", typed=key(first)))
    assert "Right!" in output and "cnn    1 of 1 right" in output
    output = finished(practise(SIZE, "--seed", "4", typed=[]))
    assert "No question was answered." in output


def test_quit_and_skip(bank):
    output = finished(practise(SIZE, "--seed", "4", "-n", "2", typed=["skip", "n", "quit"]))
    assert "– output height: skipped" in output and "Worked solution:" in output
    assert output.count("Question ") == 2 and "cnn    0 of 1 right" in output


def test_fractions_decimals_and_exponents_are_accepted(bank):
    first = variants(bank, SIZE, 4)[0]
    height, width = (int(v) for v in key(first))
    output = finished(practise(SIZE, "--seed", "4", "-n", "1", typed=[f"{height * 2}/2", f"{width}e0"]))
    assert "Right!" in output


def test_vector_answers_and_per_element_marks(bank):
    first = variants(bank, "multiclass.softmax", 0)[0]
    probabilities, predicted = key(first)
    values = probabilities.split()
    values[0] = str(Fraction(values[0]) + Fraction(1, 10))
    output = finished(practise("multiclass.softmax", "-n", "1", typed=[f"[{', '.join(values)}]", predicted, "n"]))
    assert f"element 1 of {len(values)} off" in output
    output = finished(practise("multiclass.softmax", "-n", "1", typed=[probabilities, predicted]))
    assert "Right!" in output


def test_multiple_choice_names_the_mistake_of_the_option(bank):
    first = variants(bank, "cnn.conv_params", 0)[0]
    wrong = next(o for o in first.options if not o.correct)
    right = next(o for o in first.options if o.correct)
    output = finished(practise("cnn.conv_params", "-n", "1", typed=["Z", wrong.label.lower(), "n"]))
    assert "? type one letter" in output
    assert f"✗ {wrong.label} is not right. It looks like you {wrong.source.label}" in output
    assert f"The answer:\n  {right.label})" in output
    output = finished(practise("cnn.conv_params", "-n", "1", typed=[right.label]))
    assert "Right!" in output


def test_concept_and_matching_questions(bank):
    concept = variants(bank, "concepts.lstm_gates", 0, 1)[0]
    right = next(o for o in concept.options if o.correct)
    assert "Right!" in finished(practise("concepts.lstm_gates", "-n", "1", typed=[right.label]))

    matching = variants(bank, "concepts.lstm_gates_matching", 0, 1)[0]
    pairs = matching.answers[0].value
    rights = matching_columns(matching)[1]  # the right column as shown, its distractor included
    letters = [("ABCDEFGH"[rights.index(partner)]) for _, partner in pairs]
    typed = " ".join(f"{i + 1}{letter}" for i, letter in enumerate(letters))
    assert "Right!" in finished(practise("concepts.lstm_gates_matching", "-n", "1", typed=[typed]))
    swapped = " ".join([letters[1], letters[0], *letters[2:]])
    output = finished(practise("concepts.lstm_gates_matching", "-n", "1", typed=["1A", swapped, "n"]))
    assert "? give one letter for each" in output
    assert f"✗ {pairs[0][0]}: not '{pairs[1][1]}'" in output
    assert f"  {pairs[0][0]} → {pairs[0][1]}" in output  # the answer


def test_progress_is_written_atomically_and_the_next_session_starts_with_the_weakest_topic(bank, tmp_path):
    record = tmp_path / "progress.json"
    size = variants(bank, SIZE, 0)[0]
    softmax = variants(bank, "multiclass.softmax", 0)[0]
    # Session 1 (seed 0): neither topic seen; with this seed the plan asks cnn first, then multiclass.
    output = finished(practise(SIZE, "multiclass.softmax", "-n", "2", "--progress", str(record), typed=[*key(size), "0 0 1", "0", "n"]))
    assert output.index("Question 1 · cnn") < output.index("Question 2 · multiclass")
    data = json.loads(record.read_text())
    assert data["schema"] == "quizgen.progress/1" and data["sessions"] == 1
    assert data["topics"] == {"cnn": {"asked": 1, "right": 1}, "multiclass": {"asked": 1, "right": 0}}
    assert data["templates"]["multiclass.softmax"] == {"asked": 1, "right": 0}
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]  # no temporary file left behind
    assert f"Progress saved to {record}" in output
    # Session 2, replayed with seed 1: the weakest topic (multiclass) comes first.
    output = finished(practise(SIZE, "multiclass.softmax", "-n", "2", "--progress", str(record), "--seed", "1", typed=["quit"]))
    assert "(seed 1)" in output
    assert "Starting with your weakest topics: multiclass (0 of 1 right), cnn (1 of 1 right)." in " ".join(output.split())  # wrapped at 80
    assert "Question 1 · multiclass" in output and variants(bank, "multiclass.softmax", 1)[0].code in output
    assert softmax.code not in output
    assert json.loads(record.read_text())["sessions"] == 1  # nothing answered: nothing written


def test_progress_is_saved_after_every_question(bank, tmp_path):
    record = tmp_path / "progress.json"
    size = variants(bank, SIZE, 0)[0]
    finished(practise(SIZE, "-n", "3", "--progress", str(record), typed=key(size)))  # input ends in question 2
    assert json.loads(record.read_text())["topics"] == {"cnn": {"asked": 1, "right": 1}}


@pytest.mark.parametrize(
    "content, field",
    [
        ("{not json", "not a readable progress file"),
        ('{"schema": "other"}', "field 'schema'"),
        ('{"schema": "quizgen.progress/1", "sessions": -1}', "field 'sessions'"),
        ('{"schema": "quizgen.progress/1", "sessions": 0, "topics": {"cnn": {"asked": 1, "right": 2}}}', "field 'topics.cnn'"),
        ('{"schema": "quizgen.progress/1", "sessions": 0, "mistakes": {"x": "many"}}', "field 'mistakes'"),
    ],
)
def test_a_damaged_progress_file_is_refused_and_left_alone(tmp_path, content, field):
    record = tmp_path / "progress.json"
    record.write_text(content)
    result = practise(SIZE, "--progress", str(record), typed=["1", "1"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {record}: ") and field in result.stderr
    assert record.read_text() == content


def test_unknown_topic_is_an_error():
    result = practise("--topic", "nope", typed=[])
    assert result.exit_code == 2 and "Error: unknown topic 'nope'" in result.stderr


def test_ctrl_c_ends_with_the_summary(bank):
    lines = iter(key(variants(bank, SIZE, 0)[0]))
    said: list[str] = []

    def ask(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise KeyboardInterrupt from None

    PracticeSession([bank.get(SIZE)], 5, 0, Progress(), ask, said.append).run()
    text = "\n".join(said)
    assert "Right!" in text and "Summary" in text and "cnn    1 of 1 right" in text


def test_a_template_with_few_variants_runs_out_politely(bank):
    template = bank.get("concepts.gru_gates_matching")  # 3 variants (its distractor is one of 3)
    said: list[str] = []
    answers = iter(["skip", "y"] * 10)

    def ask(prompt: str) -> str:
        try:
            return next(answers)
        except StopIteration:
            raise Stop from None

    PracticeSession([template], 1, 0, Progress(), ask, said.append).run()
    text = "\n".join(said)
    assert "No more distinct variants of concepts.gru_gates_matching" in text
    assert "concepts  0 of 3 right" in text
    assert POOL > 3


def test_each_session_has_a_fresh_seed_that_replays_it():
    seeds = set()
    for _ in range(3):
        result = CliRunner().invoke(cli, ["practice", "-n", "1"], input="quit\n")
        seed = re.search(r"\(seed (\d+)\)", result.output).group(1)
        seeds.add(seed)
        assert f"Replay this session with --seed {seed}." in result.output
    assert len(seeds) > 1


def test_a_new_learner_starts_on_easy_questions_of_mixed_topics():
    from quizgen.marking.practice import weakest_first

    templates = list(load_bank().templates.values())  # the shipped bank: many topics
    for seed in range(5):
        plan = weakest_first(templates, Progress(), seed)
        first = plan[:5]
        assert all(t.difficulty == min(x.difficulty for x in templates) for t in first)
        assert all(a.topic != b.topic for a, b in zip(first, first[1:])), [t.id for t in first]
    assert weakest_first(templates, Progress(), 1) != weakest_first(templates, Progress(), 2)
