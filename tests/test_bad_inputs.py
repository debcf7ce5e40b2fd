"""A corpus of careless and hostile input to every command: one line, exit code 2, nothing left behind, quickly.

Each case is a command line run in a fresh folder that holds the inputs it names (an exam
spec, a roster, a progress file, a bank). Every case asserts:

* exit code 2 and exactly one line on standard error, ``Error: ...``, with the words that
  name the file or option and the field;
* no traceback, and nothing on standard output;
* no file left in the folder but the inputs (no half-written output, no temporary);
* a time bound (generous, measured: only a hang fails it).

The template corpus (tests/test_bad_templates.py), the bank-folder cases
(tests/test_hostile_banks.py) and the interruptions (tests/test_interruptions.py) cover
the rest of the ground.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizgen.cli import cli

SPEC = """\
title = "Quiz"
course = "DNN 301"
date = 2026-02-01
duration = 30
seed = 1
versions = 1
instructions = ["Answer every question."]

[[sections]]
template = "cnn.conv_params"
points = 2
"""


def spec(**changes: str) -> str:
    """The spec with lines replaced (key = value) or added."""
    lines = SPEC.splitlines()
    for key, value in changes.items():
        key = key.replace("__", ".")
        found = [i for i, line in enumerate(lines) if line.split("=")[0].strip() == key]
        if value is None:
            lines = [line for i, line in enumerate(lines) if i not in found]
        elif found:
            lines[found[0]] = f"{key} = {value}"
        else:
            lines.insert(6, f"{key} = {value}")
    return "\n".join(lines) + "\n"


@dataclass
class Case:
    arguments: list[str]
    words: list[str]  # each must be in the error line
    files: dict[str, str | bytes] = field(default_factory=dict)  # inputs written into the folder first


SOLVE = ["solve", "cnn.conv_output_size"]
GOOD_SET = {"H": "32", "W": "28", "K_h": "3", "K_w": "5", "P_h": "1", "P_w": "2", "S_h": "1", "S_w": "1"}


def solve_with(name: str, value: str) -> list[str]:
    values = {**GOOD_SET, name: value}
    return SOLVE + [part for key, text in values.items() for part in ("--set", f"{key}={text}")]


BUILD = ["exam", "build", "exam.toml", "--out", "out"]

CASES: dict[str, Case] = {
    # ---- command-line options
    "unknown template": Case(["show", "cnn.nope"], ["unknown template 'cnn.nope'"]),
    "unknown topic": Case(["generate", "--topic", "nope"], ["unknown topic 'nope'"]),
    "ids and topic": Case(["generate", "cnn.conv_params", "--topic", "cnn"], ["give template ids or --topic, not both"]),
    "nothing named": Case(["generate"], ["name at least one template id"]),
    "count zero": Case(["generate", "cnn.conv_params", "-n", "0"], ["'--count'", "0"]),
    "count huge": Case(["generate", "cnn.conv_params", "-n", "1000000000"], ["'--count'", "1000000000"]),
    "count times templates": Case(["generate", "--topic", "cnn", "-n", "100000"], ["at most 500,000"]),
    "seed negative": Case(["generate", "cnn.conv_params", "--seed", "-1"], ["seed"]),
    "seed huge": Case(["generate", "cnn.conv_params", "--seed", "9" * 30], ["seed"]),
    "seed not a number": Case(["generate", "cnn.conv_params", "--seed", "abc"], ["'--seed'", "abc"]),
    "bad format": Case(["generate", "cnn.conv_params", "--format", "xml"], ["'--format'", "xml"]),
    "more variants than exist": Case(["generate", "concepts.gru_gates_matching", "-n", "50"], ["can make only", "asked for 50"]),
    "output in a missing folder": Case(["generate", "cnn.conv_params", "-o", "missing/x.json"], ["missing/x.json", "does not exist"]),
    "output under a file": Case(["generate", "cnn.conv_params", "-o", "notes.txt/x.json"], ["notes.txt"], {"notes.txt": "x"}),
    "output in /proc": Case(["generate", "cnn.conv_params", "-o", "/proc/quizgen.json"], ["/proc/quizgen.json", "cannot write there"]),
    "code of another template": Case(["show", "cnn.conv_params", "--code", "ZZZZ-ZZ"], ["ZZZZ-ZZ"]),
    "code garbage": Case(["show", "cnn.conv_params", "--code", "!!"], ["!!"]),
    "code huge": Case(["show", "cnn.conv_params", "--code", "9" * 5000 + "-00"], ["code"]),
    "index negative": Case(["show", "cnn.conv_params", "--index", "-3"], ["--index=-3"]),
    "moodle penalty": Case(["export", "moodle", "cnn.conv_params", "--penalty", "0.77", "-o", "q.xml"], ["penalty"]),
    "moodle missing folder": Case(["export", "moodle", "cnn.conv_params", "-o", "nowhere/q.xml"], ["nowhere/q.xml", "does not exist"]),
    "html missing folder": Case(["export", "html", "cnn.conv_params", "-o", "nowhere/q.html"], ["nowhere/q.html", "does not exist"]),
    "moodle exam and ids": Case(["export", "moodle", "cnn.conv_params", "--exam", "exam.toml"], ["give --exam, or template ids"], {"exam.toml": SPEC}),
    "bank missing": Case(["--bank", "nowhere", "list"], ["nowhere", "no such file or folder"]),
    "bank a text file": Case(["--bank", "notes.txt", "list"], ["notes.txt", "a bank is a folder"], {"notes.txt": "x"}),
    "bank empty": Case(["--bank", "empty", "list"], ["empty", "no question templates"], {"empty/.keep": ""}),
    # ---- solve --set / --set-json
    "set without equals": Case(SOLVE + ["--set", "H"], ["--set 'H' must be NAME=VALUE"]),
    "set bad name": Case(SOLVE + ["--set", "1x=3"], ["'1x' is not a variable name"]),
    "set unknown name": Case(SOLVE + ["--set", "Q=3"], ["unknown name 'Q'"]),
    "set missing value": Case(SOLVE + ["--set", "H=32"], ["missing value for"]),
    "set nan": Case(solve_with("H", "nan"), ["value of 'H'", "'nan' is not a number"]),
    "set inf": Case(solve_with("H", "inf"), ["value of 'H'", "'inf' is not a number"]),
    "set word": Case(solve_with("H", "abc"), ["value of 'H'", "'abc' is not a number"]),
    "set huge power": Case(solve_with("H", "10**10**10"), ["--set H=10**10**10", "more than 1000 digits"]),
    "set 5000 digits": Case(solve_with("H", "9" * 5000), ["--set H=", "characters"]),
    "set 1e400": Case(solve_with("H", "1e400"), ["--set H=1e400", "not finite"]),
    "set list for number": Case(solve_with("H", "[1, 2]"), ["value of 'H' must be a number"]),
    "set nested lists": Case(solve_with("H", "[[[1]]]"), ["value of 'H'", "a list of lists of lists"]),
    "set division by zero": Case(solve_with("H", "1/0"), ["--set H=1/0"]),
    "set code": Case(solve_with("H", "__import__('os')"), ["--set H=__import__('os')"]),
    "set attribute": Case(solve_with("H", "(1).real"), ["--set H=(1).real"]),
    "set stride zero": Case(solve_with("S_h", "0"), ["cnn.conv_output_size", "variables.H_out", "division by zero"]),
    "set-json not json": Case(["solve", "cnn.network_table", "--set-json", "layers={"], ["--set-json layers: not valid JSON"]),
    "set-json too deep": Case(["solve", "cnn.network_table", "--set-json", "layers=" + "[" * 5000 + "]" * 5000], ["--set-json layers"]),
    "layers missing units": Case(["solve", "cnn.network_table", "--set-json", 'layers=[{"type": "input", "shape": [4, 4, 1]}, {"type": "flatten"}, {"type": "dense"}]'], ["'units' must be a whole number"]),
    "layers unknown type": Case(["solve", "cnn.network_table", "--set-json", 'layers=[{"type": "input", "shape": [4, 4, 1]}, {"type": "magic"}]'], ["layers"]),
    "layers pooling padding": Case(["solve", "cnn.network_table", "--set-json", 'layers=[{"type": "input", "shape": [8, 8, 1]}, {"type": "pool", "size": 2, "padding": 2}, {"type": "flatten"}, {"type": "dense", "units": 2}]'], ["more than half"]),
    "layers not a list": Case(["solve", "cnn.network_table", "--set-json", 'layers={"a": 1}'], ["layers"]),
    "sigmoid too far out": Case(["solve", "binary.sigmoid", "--set", "z=-800"], ["variables.denom", "cannot be given to 4 decimals"]),
    # ---- exam specs
    "spec missing": Case(BUILD, ["exam.toml: no such file"]),
    "spec not toml": Case(BUILD, ["exam.toml", "not valid TOML"], {"exam.toml": "title = \n"}),
    "spec binary": Case(BUILD, ["exam.toml", "not UTF-8"], {"exam.toml": b"\xff\xfe\x00"}),
    "spec a folder": Case(BUILD, ["exam.toml", "is a directory"], {"exam.toml/.keep": ""}),
    "spec too large": Case(BUILD, ["exam.toml", "at most 1,000,000"], {"exam.toml": "# " + "x" * 1_100_000}),
    "spec no title": Case(BUILD, ["exam.toml", "title"], {"exam.toml": spec(title=None)}),
    "spec unknown field": Case(BUILD, ["exam.toml", "colour"], {"exam.toml": spec(colour='"red"')}),
    "spec seed text": Case(BUILD, ["exam.toml", "seed"], {"exam.toml": spec(seed='"x"')}),
    "spec seed negative": Case(BUILD, ["exam.toml", "seed"], {"exam.toml": spec(seed="-5")}),
    "spec versions zero": Case(BUILD, ["exam.toml", "versions"], {"exam.toml": spec(versions="0")}),
    "spec versions huge": Case(BUILD, ["exam.toml", "versions"], {"exam.toml": spec(versions="100000000")}),
    "spec instructions number": Case(BUILD, ["exam.toml", "instructions"], {"exam.toml": spec(instructions="3")}),
    "spec unknown template": Case(BUILD, ["exam.toml", "sections[1].template", "unknown template"], {"exam.toml": SPEC.replace("cnn.conv_params", "cnn.nope")}),
    "spec points negative": Case(BUILD, ["exam.toml", "sections[1].points"], {"exam.toml": SPEC.replace("points = 2", "points = -2")}),
    "spec points text": Case(BUILD, ["exam.toml", "sections[1].points"], {"exam.toml": SPEC.replace("points = 2", 'points = "two"')}),
    "spec no sections": Case(BUILD, ["exam.toml", "sections"], {"exam.toml": SPEC.split("[[sections]]")[0]}),
    "spec deep nesting": Case(BUILD, ["exam.toml"], {"exam.toml": "x = " + "[" * 3000 + "]" * 3000 + "\n"}),
    "spec roster missing": Case(BUILD, ["nobody.csv", "no such file"], {"exam.toml": spec(versions=None, roster='"nobody.csv"')}),
    "out is a file": Case(BUILD, ["'--out'", "is a file"], {"exam.toml": SPEC, "out": "x"}),
    "versions and roster": Case(BUILD + ["--versions", "2", "--roster", "r.csv"], ["give --versions or --roster, not both"], {"exam.toml": SPEC, "r.csv": "id\ns1\n"}),
    "shard garbage": Case(BUILD + ["--shard", "x/y"], ["--shard 'x/y' must be K/N"], {"exam.toml": SPEC}),
    "shard out of range": Case(BUILD + ["--shard", "3/2"], ["--shard 3/2"], {"exam.toml": SPEC}),
    "shard empty": Case(BUILD + ["--versions", "1", "--shard", "1/2"], ["this slice of 1 papers is empty"], {"exam.toml": SPEC}),
    # ---- rosters
    "roster no id column": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "header", "'id' column"], {"exam.toml": SPEC, "r.csv": "name\nAda\n"}),
    "roster empty": Case(BUILD + ["--roster", "r.csv"], ["r.csv"], {"exam.toml": SPEC, "r.csv": ""}),
    "roster only header": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "has no students"], {"exam.toml": SPEC, "r.csv": "id,name\n"}),
    "roster unsafe id": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "row 2.id"], {"exam.toml": SPEC, "r.csv": "id,name\n../etc,Ada\n"}),
    "roster duplicate id": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "row 3.id", "also on row 2"], {"exam.toml": SPEC, "r.csv": "id\ns1\ns1\n"}),
    "roster ids differ in case": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "row 3.id", "differ only in case"], {"exam.toml": SPEC, "r.csv": "id\nabc\nABC\n"}),
    "roster huge field": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "row 2", "field larger than field limit"], {"exam.toml": SPEC, "r.csv": "id,name\ns1," + "x" * 200_000 + "\n"}),
    "roster long name": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "row 2.name"], {"exam.toml": SPEC, "r.csv": "id,name\ns1," + "y" * 300 + "\n"}),
    "roster binary": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "not UTF-8"], {"exam.toml": SPEC, "r.csv": b"id\n\xff\n"}),
    "roster a folder": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "is a directory"], {"exam.toml": SPEC, "r.csv/.keep": ""}),
    "roster long id": Case(BUILD + ["--roster", "r.csv"], ["r.csv", "row 2.id"], {"exam.toml": SPEC, "r.csv": "id\n" + "a" * 100 + "\n"}),
    # ---- progress files (practice)
    "progress not json": Case(["practice", "--count", "1", "--progress", "p.json"], ["p.json", "not a readable progress file"], {"p.json": "{"}),
    "progress wrong schema": Case(["practice", "--count", "1", "--progress", "p.json"], ["p.json", "'schema'"], {"p.json": '{"schema": "other"}'}),
    "progress sessions huge": Case(["practice", "--count", "1", "--progress", "p.json"], ["p.json", "'sessions'"], {"p.json": '{"schema": "quizgen.progress/1", "sessions": 1e999}'}),
    "progress sessions text": Case(["practice", "--count", "1", "--progress", "p.json"], ["p.json", "'sessions'"], {"p.json": '{"schema": "quizgen.progress/1", "sessions": "3"}'}),
    "progress nested deep": Case(["practice", "--count", "1", "--progress", "p.json"], ["p.json", "nested too deeply"], {"p.json": "[" * 100_000 + "]" * 100_000}),
    "progress topics list": Case(["practice", "--count", "1", "--progress", "p.json"], ["p.json", "'topics'"], {"p.json": '{"schema": "quizgen.progress/1", "sessions": 1, "topics": []}'}),
    "progress right over asked": Case(["practice", "--count", "1", "--progress", "p.json"], ["p.json", "topics.cnn"], {"p.json": '{"schema": "quizgen.progress/1", "sessions": 1, "topics": {"cnn": {"asked": 1, "right": 5}}}'}),
    "progress a folder": Case(["practice", "--count", "1", "--progress", "p.json"], ["p.json"], {"p.json/.keep": ""}),
    "progress binary": Case(["practice", "--count", "1", "--progress", "p.json"], ["p.json", "not UTF-8"], {"p.json": b"\xff\xfe"}),
    "practice unknown topic": Case(["practice", "--topic", "nope"], ["unknown topic 'nope'"]),
    "practice count zero": Case(["practice", "--count", "0"], ["'--count'"]),
    # ---- validate
    "validate missing path": Case(["validate", "nowhere"], ["nowhere", "no such file or folder"]),
    "validate a text file": Case(["validate", "notes.txt"], ["notes.txt", "a bank is a folder"], {"notes.txt": "x"}),
    "validate variants zero": Case(["validate", "--variants", "0"], ["'--variants'"]),
    "solve unknown template": Case(["solve", "cnn.nope", "--set", "H=1"], ["unknown template 'cnn.nope'"]),
    "gift missing folder": Case(["export", "gift", "cnn.conv_params", "-o", "nowhere/q.txt"], ["nowhere/q.txt", "does not exist"]),
    "html variants zero": Case(["export", "html", "cnn.conv_params", "-n", "0", "-o", "q.html"], ["'--variants'"]),
    "export exam missing": Case(["export", "moodle", "--exam", "none.toml", "-o", "q.xml"], ["none.toml: no such file"]),
    "export html exam broken": Case(["export", "html", "--exam", "exam.toml", "-o", "q.html"], ["exam.toml", "not valid TOML"], {"exam.toml": "[[["}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_with_exit_2_and_leaves_nothing(name, tmp_path, monkeypatch):
    case = CASES[name]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QUIZGEN_BANK", raising=False)
    for relative, content in case.files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    started = time.monotonic()
    result = CliRunner().invoke(cli, case.arguments, input="")
    seconds = time.monotonic() - started
    assert seconds < 60, f"took {seconds:.0f} s"
    assert isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert lines[-1] == errors[0], result.stderr  # usage lines may come before click's own errors, nothing after
    for word in case.words:
        assert word in errors[0], (word, errors[0])
    assert result.stdout == "" or name.startswith("practice") or name.startswith("progress"), result.stdout
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert after == before, "a file was left behind"


def test_the_corpus_is_large():
    assert len(CASES) >= 100
