"""Interrupted and failed commands leave nothing half-written, and end with one line, never a traceback.

Each command runs as a real process (signals and pipes are the operating system's): SIGTERM
and Ctrl-C (SIGINT to the whole process group, as a terminal sends it) during an exam build
or a ``generate -o``, a reader that closes the pipe early, a roster that cannot be read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exam_support import SPEC, make_small_bank

REPO = Path(__file__).resolve().parent.parent


def _as_at_a_terminal() -> None:
    """Ctrl-C at its default, as a terminal's foreground command has it: tests run in the
    background (``cmd &`` in a script) inherit SIGINT ignored, and quizgen rightly keeps that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(*arguments: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "quizgen", *arguments], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,  # a process group of its own, to send it Ctrl-C
        preexec_fn=_as_at_a_terminal,  # noqa: PLW1509 - only resets one signal before exec
    )


def _wait_for(predicate, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the command did not get that far in time")
        time.sleep(0.05)


@pytest.fixture
def big_build(tmp_path):
    """A small bank and a 200-student roster: a build that takes a few seconds, long enough to interrupt."""
    bank = make_small_bank(tmp_path / "bank")
    (tmp_path / "quiz.toml").write_text(SPEC, encoding="utf-8")
    rows = "\n".join(f"s{i:04d},Student {i}" for i in range(200))
    (tmp_path / "roster.csv").write_text("id,name\n" + rows + "\n", encoding="utf-8")
    return tmp_path, ["--bank", str(bank), "exam", "build", "quiz.toml", "--roster", "roster.csv", "--out", "out"]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.name == "out")


@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
def test_an_interrupted_exam_build_leaves_no_trace(big_build, how):
    folder, arguments = big_build
    process = _start(*arguments, cwd=folder)
    _wait_for(lambda: any(folder.glob(".out.building-*/paper-*.pdf")))  # PDFs are being made
    if how == "SIGTERM":
        process.send_signal(signal.SIGTERM)
    else:
        os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == "Interrupted: nothing half-written was left behind."
    assert _leftovers(folder) == [], "the build left files behind"


def test_an_interrupted_build_leaves_an_earlier_build_as_it_was(big_build):
    folder, arguments = big_build
    earlier = subprocess.run([sys.executable, "-m", "quizgen", *arguments[:-1], "earlier"], cwd=folder, capture_output=True, text=True)
    assert earlier.returncode == 0, earlier.stderr
    (folder / "earlier").rename(folder / "out")
    before = {p.relative_to(folder): p.stat().st_mtime_ns for p in (folder / "out").rglob("*")}
    process = _start(*arguments, cwd=folder)
    _wait_for(lambda: any(folder.glob(".out.building-*/paper-*.pdf")))
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 130
    assert {p.relative_to(folder): p.stat().st_mtime_ns for p in (folder / "out").rglob("*")} == before
    assert not list(folder.glob(".out.building-*"))


def test_an_interrupted_generate_leaves_no_temporary_file(tmp_path):
    # one template that can make this many (about 10 s of work): a topic's template with fewer would end the run with an error first
    process = _start("generate", "cnn.conv_output_size", "-n", "20000", "-o", "variants.json", cwd=tmp_path)
    _wait_for(lambda: any(tmp_path.glob(".variants.json.*.tmp")))
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("arguments", [["list"], ["generate", "--topic", "cnn", "-n", "20", "--format", "jsonl"], ["show", "cnn.conv_params"]])
def test_a_closed_pipe_ends_the_command_quietly(arguments, tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "quizgen", *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    process.stdout.read(10)
    process.stdout.close()  # as `| head -c 10` does
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert process.returncode == 0 and stderr == "", stderr


@pytest.mark.parametrize("roster, message", [
    ("id,name\ns1," + "x" * 200_000 + "\n", "roster.csv: row 2: cannot be read as CSV (field larger than field limit"),
    ("id,name\nabc,A\nABC,B\n", "roster.csv: row 3.id: 'ABC' and 'abc' (row 2) differ only in case"),
    ("id,name\ns1," + "y" * 300 + "\n", "roster.csv: row 2.name: has 300 characters; a name may have at most 200"),
])
def test_a_roster_that_cannot_be_used_is_one_line_and_builds_nothing(roster, message, tmp_path):
    bank = make_small_bank(tmp_path / "bank")
    (tmp_path / "quiz.toml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "quizgen", "--bank", str(bank), "exam", "build", "quiz.toml", "--roster", "roster.csv", "--out", "out"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"Error: {message}" or result.stderr.strip().startswith(f"Error: {message}"), result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("target, message", [("/proc/quizgen-test.json", "cannot write there"), ("/dev/null/x.json", "folder /dev/null does not exist")])
def test_an_output_nowhere_writable_is_one_line(target, message, tmp_path):
    result = subprocess.run([sys.executable, "-m", "quizgen", "generate", "cnn.conv_params", "-o", target], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_the_same_inputs_give_the_same_bytes_from_any_folder_time_zone_and_language(tmp_path):
    """Byte-identical papers, keys, LaTeX, manifest, Moodle XML and JSON under another working directory, TZ and LANG."""
    bank = make_small_bank(tmp_path / "bank")
    (tmp_path / "quiz.toml").write_text(SPEC, encoding="utf-8")
    outputs = {}
    for run, (cwd, extra) in enumerate([(tmp_path, {"TZ": "UTC", "LANG": "C.UTF-8"}),
                                        (tmp_path / "bank", {"TZ": "Pacific/Kiritimati", "LANG": "tr_TR.UTF-8", "LC_ALL": "tr_TR.UTF-8"})]):
        env = {**os.environ, **extra}
        out = tmp_path / f"out{run}"
        build = subprocess.run([sys.executable, "-m", "quizgen", "--bank", str(bank), "exam", "build", str(tmp_path / "quiz.toml"), "--out", str(out), "--versions", "2", "--moodle", "2"],
                               cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert build.returncode == 0, build.stderr
        generated = subprocess.run([sys.executable, "-m", "quizgen", "--bank", str(bank), "generate", "--topic", "cnn", "-n", "3", "--seed", "5"],
                                   cwd=cwd, env=env, capture_output=True, timeout=120)
        assert generated.returncode == 0
        outputs[run] = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        outputs[run]["generate.json"] = generated.stdout
    assert outputs[0].keys() == outputs[1].keys() and len(outputs[0]) > 10
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], name
