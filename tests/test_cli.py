"""The ``quizgen`` command, end to end through click's CliRunner.

Conventions checked throughout: success exits 0; a domain problem (unknown
template, bad value, impossible request) exits 2 with exactly one ``Error: ...``
line on standard error and no traceback; a click usage error also exits 2.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quizgen.cli import cli
from quizgen.engine.generate import parse_code, variant_code

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "tests" / "data" / "good"
TID = "cnn.conv_output_size"  # the shipped example template
SEPARATOR = "\n" + "-" * 72 + "\n"  # between variants in `generate --format text`
HEADER = re.compile(r"\[(?P<id>[a-z0-9_.]+) · variant (?P<code>\S+) · section")

# Hand-checked values (the template's own tests): H_out = floor((H - K + 2P) / S) + 1.
ALEXNET = {"H": "224", "W": "224", "K_h": "7", "K_w": "7", "P_h": "3", "P_w": "3", "S_h": "2", "S_w": "2"}  # -> 112, 112
SAME = {"H": "32", "W": "28", "K_h": "3", "K_w": "5", "P_h": "1", "P_w": "2", "S_h": "1", "S_w": "1"}  # -> 32, 28


@pytest.fixture(autouse=True)
def shipped_bank(monkeypatch):
    monkeypatch.delenv("QUIZGEN_BANK", raising=False)


def run(*args: str, **kwargs) -> Result:
    return CliRunner().invoke(cli, list(args), **kwargs)


def ok(*args: str, **kwargs) -> Result:
    result = run(*args, **kwargs)
    assert result.exception is None and result.exit_code == 0, (result.output, result.exc_info)
    return result


def fails(*args: str, **kwargs) -> str:
    """Exit 2 with exactly one 'Error:' line (and nothing else) on stderr, no traceback; return that line."""
    result = run(*args, **kwargs)
    assert isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def sets(values: dict[str, str]) -> list[str]:
    return [part for name, value in values.items() for part in ("--set", f"{name}={value}")]


def code_of(shown: str) -> str:
    match = HEADER.search(shown)
    assert match, shown
    return match["code"]


def split_text(output: str) -> list[str]:
    """`generate --format text` output -> one `show`-identical text per variant."""
    return [chunk if chunk.endswith("\n") else chunk + "\n" for chunk in output.split(SEPARATOR)]


@pytest.fixture
def small_bank(tmp_path: Path) -> Path:
    """A bank whose one template can make only 4 distinct variants (2 heights x 2 windows)."""
    bank = tmp_path / "bank"
    (bank / "cnn").mkdir(parents=True)
    text = (GOOD / "pool_output.yaml").read_text()
    text = text.replace('draw: "int(16, 64)"', 'draw: "choice([28, 32])"').replace('draw: "int(2, 7)"', 'draw: "int(2, 3)"')
    (bank / "cnn" / "pool_output.yaml").write_text(text)
    return bank


# ---------------------------------------------------------------------------
# Help, version and usage errors


@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["generate"], ["solve"], ["validate"]], ids=lambda c: c[0] if c else "group")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_has_an_example(command, flag):
    result = ok(*command, flag)
    assert "Usage:" in result.output
    assert "Example" in result.output


def test_group_help_lists_every_command():
    output = ok("--help").output
    for command in ("list", "show", "generate", "solve", "validate"):
        assert re.search(rf"^\s+{command}\s", output, re.M), command


def test_version():
    assert re.fullmatch(r"quizgen, version \d+\.\d+\.\d+\n", ok("--version").output)


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--frobnicate"],
        ["--frobnicate", "list"],
        ["show", TID, "--frobnicate"],
        ["generate", TID, "--frobnicate"],
        ["solve", TID, "--frobnicate"],
        ["validate", "--frobnicate"],
        ["frobnicate"],
        ["list", "--format", "xml"],
        ["generate", TID, "-n", "0"],
        ["generate", TID, "--seed", "seven"],
        ["show"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_error_exits_2(args):
    result = run(*args)
    assert isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == 2, result.output
    assert "Error:" in result.stderr and "Traceback" not in result.output


def _console_script() -> str:
    beside = Path(sys.executable).with_name("quizgen")
    found = str(beside) if beside.exists() else shutil.which("quizgen")
    if not found:
        pytest.skip("the quizgen console script is not installed")
    return found


def test_console_script_exit_codes():
    """The installed script: 0 on success, 2 on a usage error, 2 on a domain error (one line)."""
    env = {k: v for k, v in os.environ.items() if k != "QUIZGEN_BANK"}
    script = _console_script()
    good = subprocess.run([script, "list"], capture_output=True, text=True, env=env, timeout=120)
    assert good.returncode == 0 and TID in good.stdout, good.stderr
    usage = subprocess.run([script, "list", "--frobnicate"], capture_output=True, text=True, env=env, timeout=120)
    assert usage.returncode == 2 and "No such option" in usage.stderr
    domain = subprocess.run([script, "show", "nosuch.template"], capture_output=True, text=True, env=env, timeout=120)
    assert domain.returncode == 2 and "Traceback" not in domain.stderr
    assert domain.stderr.strip().splitlines() == [domain.stderr.strip()] and domain.stderr.startswith("Error: unknown template 'nosuch.template'")


# ---------------------------------------------------------------------------
# list


def test_list_text():
    lines = ok("list").output.splitlines()
    assert any(line.startswith(TID + " ") and "§6" in line and "multipart" in line for line in lines), lines
    assert re.fullmatch(r"\d+ templates in \d+ topics", lines[-1])
    assert int(lines[-1].split()[0]) == len(lines) - 1


def test_list_json():
    rows = json.loads(ok("list", "--format", "json").output)
    assert isinstance(rows, list) and rows
    row = next(r for r in rows if r["id"] == TID)
    assert row == {"id": TID, "title": row["title"], "topic": "cnn", "section": 6, "difficulty": 1, "kind": "multipart", "tags": []}
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_list_topic():
    rows = json.loads(ok("list", "--topic", "cnn", "--format", "json").output)
    assert rows and all(r["topic"] == "cnn" for r in rows)


def test_list_other_bank_by_option_and_environment(small_bank, monkeypatch):
    assert "cnn.pool_output " in ok("--bank", str(small_bank), "list").output
    monkeypatch.setenv("QUIZGEN_BANK", str(small_bank))
    output = ok("list").output
    assert "cnn.pool_output " in output and TID not in output


# ---------------------------------------------------------------------------
# show


def test_show_seed_is_deterministic_and_complete():
    first = ok("show", TID, "--seed", "7").output
    assert first == ok("show", TID, "--seed", "7").output
    assert HEADER.search(first)["id"] == TID
    assert code_of(first) == variant_code(TID, 7, 0)
    for part in ("Answers:", "output height:", "output width:", "Worked solution:"):
        assert part in first


def test_show_seeds_differ():
    texts = {ok("show", TID, "--seed", str(seed), "--no-answer").output for seed in range(5)}
    assert len(texts) > 1


def test_show_index():
    output = ok("show", TID, "--seed", "3", "--index", "5").output
    assert code_of(output) == variant_code(TID, 3, 5)
    assert ok("show", TID, "--seed", "3", "--index", "0").output == ok("show", TID, "--seed", "3").output


def test_show_no_answer():
    output = ok("show", TID, "--seed", "7", "--no-answer").output
    assert "Answers:" not in output and "Worked solution:" not in output
    assert "What are the output height" in " ".join(output.split())  # the text is wrapped at the width


@pytest.mark.parametrize("seed, index", [(0, 0), (7, 0), (3, 5), (123456789, 17)])
def test_show_code_round_trip(seed, index):
    shown = ok("show", TID, "--seed", str(seed), "--index", str(index)).output
    code = code_of(shown)
    assert parse_code(TID, code) == (seed, index, False)
    assert ok("show", TID, "--code", code).output == shown
    assert ok("show", TID, "--code", code.lower()).output == shown  # codes are read case-insensitively


def test_generated_codes_give_the_same_variants_back():
    texts = split_text(ok("generate", TID, "-n", "4", "--seed", "42", "--format", "text").output)
    assert len(texts) == 4
    for text in texts:
        assert ok("show", TID, "--code", code_of(text)).output == text
    records = json.loads(ok("generate", TID, "-n", "4", "--seed", "42").output)
    assert [r["code"] for r in records] == [code_of(t) for t in texts]
    for record in records:
        assert parse_code(TID, record["code"]) == (record["seed"], record["index"], False)


def test_nice_codes_give_the_same_variants_back():
    shown = ok("show", TID, "--seed", "0", "--nice").output
    assert ok("show", TID, "--code", code_of(shown)).output == shown
    texts = split_text(ok("generate", TID, "-n", "3", "--seed", "3", "--nice", "--format", "text").output)
    for text in texts:
        assert ok("show", TID, "--code", code_of(text)).output == text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--code", "garbage"], "is not of the form SEED-INDEX"),
        (["--code", "7-#R"], "has characters that are not in a code"),
        (["--index", "-1"], "--index=-1 must be at least 0"),
        (["--seed", "-1"], "seed=-1 must be a whole number"),
    ],
)
def test_show_bad_arguments(args, message):
    assert message in fails("show", TID, *args)


def test_show_code_with_wrong_check_character():
    code = code_of(ok("show", TID, "--seed", "7").output)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert "does not belong to template" in fails("show", TID, "--code", wrong)


# ---------------------------------------------------------------------------
# generate


def test_generate_json():
    result = ok("generate", TID, "-n", "6", "--seed", "42")
    records = json.loads(result.output)
    assert isinstance(records, list) and len(records) == 6
    assert all(r["template"] == TID and r["seed"] == 42 for r in records)
    assert len({r["note"] for r in records}) == 6
    assert len({r["code"] for r in records}) == 6
    assert all(r["steps"] for r in records)
    assert {a["name"] for a in records[0]["answers"]} == {"H_out", "W_out"}
    assert result.output == ok("generate", TID, "-n", "6", "--seed", "42").output  # reproducible


def test_generate_json_no_steps():
    records = json.loads(ok("generate", TID, "-n", "2", "--no-steps").output)
    assert len(records) == 2 and all("steps" not in r for r in records)


def test_generate_jsonl():
    output = ok("generate", TID, "-n", "5", "--seed", "1", "--format", "jsonl").output
    lines = output.splitlines()
    assert len(lines) == 5 and output.endswith("\n")
    records = [json.loads(line) for line in lines]
    assert len({r["note"] for r in records}) == 5
    assert records == json.loads(ok("generate", TID, "-n", "5", "--seed", "1").output)  # same variants as json


def test_generate_text():
    texts = split_text(ok("generate", TID, "-n", "3", "--seed", "9", "--format", "text").output)
    assert len(texts) == 3
    assert all(HEADER.search(t)["id"] == TID and "Answers:" in t for t in texts)
    assert len(set(texts)) == 3


def test_generate_topic():
    records = json.loads(ok("generate", "--topic", "cnn", "-n", "2").output)
    assert len(records) == 2 * len(json.loads(ok("list", "--topic", "cnn", "--format", "json").output))


def test_generate_output_file(tmp_path):
    target = tmp_path / "out.json"
    result = ok("generate", TID, "-n", "3", "--seed", "5", "-o", str(target))
    assert result.stdout == ""
    records = json.loads(target.read_text(encoding="utf-8"))
    assert len(records) == 3 and len({r["note"] for r in records}) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary file left
    ok("generate", TID, "-n", "2", "--seed", "6", "--format", "jsonl", "-o", str(target))  # replaces it
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_generate_impossible_count_writes_nothing_to_stdout(small_bank):
    """Without -o, nothing reaches standard output until the whole document is known: no truncated JSON before the error."""
    result = run("--bank", str(small_bank), "generate", "cnn.pool_output", "-n", "100")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == "Error: cnn.pool_output: can make only 4 distinct variants; asked for 100"


@pytest.mark.parametrize("output_format", ["json", "jsonl", "text"])
def test_generate_failure_leaves_no_output_file(small_bank, tmp_path, output_format):
    target = tmp_path / "out" / "variants.txt"
    target.parent.mkdir()
    line = fails("--bank", str(small_bank), "generate", "cnn.pool_output", "-n", "100", "--format", output_format, "-o", str(target))
    assert "can make only 4 distinct variants; asked for 100" in line
    assert list(target.parent.iterdir()) == []  # neither the file nor its temporary
    target.write_text("previous contents\n")  # an existing file survives a failed run untouched
    fails("--bank", str(small_bank), "generate", "cnn.pool_output", "-n", "100", "--format", output_format, "-o", str(target))
    assert target.read_text() == "previous contents\n"
    assert [p.name for p in target.parent.iterdir()] == ["variants.txt"]


def test_generate_all_distinct_variants_of_a_small_template(small_bank):
    records = json.loads(ok("--bank", str(small_bank), "generate", "cnn.pool_output", "-n", "4").output)
    assert len({r["note"] for r in records}) == 4


def test_generate_into_missing_folder(tmp_path):
    assert "does not exist" in fails("generate", TID, "-o", str(tmp_path / "nowhere" / "out.json"))


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "name at least one template id, or --topic"),
        ([TID, "--topic", "cnn"], "give template ids or --topic, not both"),
        (["nosuch.template"], "unknown template 'nosuch.template'"),
        (["--topic", "nosuch"], "unknown topic 'nosuch' (topics: "),
        ([TID, "--seed", "-5"], "seed=-5 must be a whole number"),
    ],
)
def test_generate_bad_requests(args, message):
    assert message in fails("generate", *args)


# ---------------------------------------------------------------------------
# solve


@pytest.mark.parametrize("values, height, width", [(ALEXNET, "112", "112"), (SAME, "32", "28")])
def test_solve_hand_values(values, height, width):
    result = ok("solve", TID, *sets(values))
    assert f"output height: {height}\n" in result.stdout
    assert f"output width: {width}\n" in result.stdout
    assert result.stderr == ""
    record = json.loads(ok("solve", TID, *sets(values), "--format", "json").stdout)
    assert {a["name"]: a["rounded"] for a in record["answers"]} == {"H_out": height, "W_out": width}
    assert {name: p["exact"] for name, p in record["parameters"].items()} == values


def test_solve_set_json():
    values = dict(SAME)
    height = values.pop("H")
    result = ok("solve", TID, *sets(values), "--set-json", f"H={height}", "--format", "json")
    assert {a["name"]: a["rounded"] for a in json.loads(result.stdout)["answers"]} == {"H_out": "32", "W_out": "28"}


def test_solve_warns_about_a_broken_constraint():
    values = dict(SAME, H="2", K_h="7", P_h="0")  # a 7-row kernel on 2 rows: does not fit
    result = ok("solve", TID, *sets(values))
    assert "Warning: these values break the constraint 'the kernel fits in the padded input'" in result.stderr
    assert "output height: -4" in result.stdout


def test_solve_missing_name():
    values = dict(ALEXNET)
    del values["S_w"]
    line = fails("solve", TID, *sets(values))
    assert line == f"Error: {TID}: missing value for 'S_w' (give all of: H, W, K_h, K_w, P_h, P_w, S_h, S_w)"


def test_solve_extra_name():
    line = fails("solve", TID, *sets(dict(ALEXNET, X="1")))
    assert line.startswith(f"Error: {TID}: unknown name 'X'")


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("H=abc+", "--set H=abc+: syntax error"),
        ("H=__import__('os')", "--set H=__import__('os'): unknown function '__import__'"),
        ("H", "--set 'H' must be NAME=VALUE"),
        ("2H=3", "'2H' is not a variable name"),
        ("H=1/0", "--set H=1/0"),
    ],
)
def test_solve_garbage_value(assignment, message):
    values = dict(ALEXNET)
    del values["H"]
    assert message in fails("solve", TID, *sets(values), "--set", assignment)


def test_solve_bad_json():
    values = dict(ALEXNET)
    del values["H"]
    assert "--set-json H: not valid JSON" in fails("solve", TID, *sets(values), "--set-json", "H=[1,")


def test_solve_values_that_cannot_be_computed():
    line = fails("solve", TID, *sets(dict(ALEXNET, S_h="0")))
    assert TID in line and "H_out" in line


def test_generate_never_crashes_on_a_non_real_value(tmp_path):
    bank = tmp_path / "bank"
    (bank / "cnn").mkdir(parents=True)
    text = (GOOD / "pool_output.yaml").read_text()
    text = text.replace('value: "floor((H - K) / 2) + 1"', 'value: "conv_output_size(H, K, 0, K - 2)"')  # K = 2: stride 0
    text = text.replace("set: {H: 32, K: 2}", "set: {H: 32, K: 3}").replace("expect: {H_out: 16}", "expect: {H_out: 30}")
    (bank / "cnn" / "pool_output.yaml").write_text(text)
    result = run("--bank", str(bank), "generate", "cnn.pool_output", "-n", "20", "--no-steps")
    # Either the stride-0 draws are rejected like any other uncomputable draw (exit 0), or one clean line (exit 2).
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    if result.exit_code == 0:
        assert len(json.loads(result.stdout)) == 20
    else:
        assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_solve_unknown_template():
    assert "unknown template 'nosuch.template'" in fails("solve", "nosuch.template", "--set", "H=1")


# ---------------------------------------------------------------------------
# validate and unknown names


def test_validate_shipped_bank():
    result = ok("validate")
    assert re.fullmatch(r"OK: \d+ templates, each with its own tests passing and up to 100 distinct variants drawn \(at most the template's min_variants\)\n", result.stdout)


def test_validate_folder_and_file(small_bank):
    assert ok("validate", str(small_bank), "--variants", "4").stdout.startswith("OK: 1 templates")
    assert ok("validate", str(GOOD / "pool_output.yaml"), "--variants", "10").stdout.startswith("OK: 1 templates")


def test_validate_missing_path(tmp_path):
    assert fails("validate", str(tmp_path / "nothing")) == f"Error: {tmp_path / 'nothing'}: no such file or folder"


@pytest.mark.parametrize(
    "args, message",
    [
        (["show", "nosuch.template"], "unknown template 'nosuch.template'"),
        (["show", "cnn.conv_output"], "(did you mean 'cnn.conv_output_size'"),
        (["list", "--topic", "nosuch"], "unknown topic 'nosuch'"),
        (["--bank", "/nonexistent/bank", "list"], "/nonexistent/bank: no such file or folder"),
    ],
)
def test_unknown_template_or_topic(args, message):
    assert message in fails(*args)


def test_an_export_of_too_many_variants_says_how_to_go_on(small_bank, tmp_path):
    line = fails("--bank", str(small_bank), "export", "moodle", "cnn.pool_output", "-n", "100", "-o", str(tmp_path / "x.xml"))
    assert "can make only 4 distinct variants" in line and "--allow-fewer" in line


def test_unknown_names_get_a_suggestion(small_bank):
    assert "did you mean 'cnn.pool_output'" in fails("--bank", str(small_bank), "show", "cnn.pool_outptu")
    assert "did you mean 'cnn.pool_output'" in fails("--bank", str(small_bank), "show", "pool_output")
