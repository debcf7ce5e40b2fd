"""A bank folder that is not what it seems: links out of it, pipes, folders named *.yaml, nothing at all.

quizgen reads only the regular files inside a bank folder: a symbolic link is refused by
name (it could point anywhere, /etc/passwd included), a FIFO or device is never opened (it
would block forever), and every such file is one problem of ``validate`` while the rest of
the bank still loads. An empty bank, or a bank path that is no bank, is one ``Error:``
line with exit code 2.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizgen.cli import cli

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "question_bank" / "cnn" / "conv_params.yaml"


def _bank(tmp_path: Path) -> Path:
    (tmp_path / "bank" / "cnn").mkdir(parents=True)
    shutil.copy(GOOD, tmp_path / "bank" / "cnn" / "conv_params.yaml")
    return tmp_path / "bank"


def _strange(kind: str, bank: Path) -> Path:
    """A file of the bank that is not a regular file inside it."""
    target = bank / "cnn" / f"strange_{kind}.yaml"
    if kind == "link_outside":
        target.symlink_to("/etc/passwd")
    elif kind == "link_inside":
        target.symlink_to(bank / "cnn" / "conv_params.yaml")
    elif kind == "dangling_link":
        target.symlink_to(bank / "nowhere.yaml")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "folder_link":
        target = bank / "linked"
        target.symlink_to("/etc", target_is_directory=True)
    elif kind == "too_large":
        target.write_text("# " + "x" * 1_100_000 + "\n")
    elif kind == "not_utf8":
        target.write_bytes(b"id: cnn.x\ntitle: \xff\xfe\n")
    return target


STRANGE = {
    "link_outside": "is a symbolic link",
    "link_inside": "is a symbolic link",
    "dangling_link": "is a symbolic link",
    "fifo": "is not a regular file",
    "folder": "is a folder, not a question template",
    "folder_link": "is a symbolic link",
    "too_large": "a question template may have at most 1,000,000",
    "not_utf8": "is not UTF-8 text",
}


def _invoke(*arguments: str):
    started = time.monotonic()
    result = CliRunner().invoke(cli, list(arguments))
    return result, time.monotonic() - started


@pytest.mark.parametrize("kind", sorted(STRANGE))
def test_validate_names_the_strange_file_and_loads_the_rest(kind, tmp_path):
    bank = _bank(tmp_path)
    strange = _strange(kind, bank)
    result, seconds = _invoke("validate", str(bank), "--variants", "5")
    assert seconds < 60
    assert isinstance(result.exception, SystemExit) and result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "root:x:0:0" not in result.output
    problems = [line for line in result.stderr.splitlines() if line.startswith("Problem:")]
    assert len(problems) == 1, result.stderr
    assert str(strange) in problems[0] and STRANGE[kind] in problems[0], problems[0]
    assert result.stderr.strip().splitlines()[-1] == "Error: 1 problem in 2 template files"


@pytest.mark.parametrize("kind", sorted(STRANGE))
def test_other_commands_warn_and_use_the_rest(kind, tmp_path):
    bank = _bank(tmp_path)
    _strange(kind, bank)
    result, seconds = _invoke("--bank", str(bank), "list")
    assert seconds < 60
    assert result.exit_code == 0, result.output
    assert "cnn.conv_params" in result.stdout and "root:x:0:0" not in result.output
    assert result.stderr.startswith("Warning: left out a template that does not load:"), result.stderr


def test_a_bank_of_only_strange_files_is_one_error(tmp_path):
    bank = tmp_path / "bank"
    (bank / "cnn").mkdir(parents=True)
    (bank / "cnn" / "evil.yaml").symlink_to("/etc/passwd")
    result, _ = _invoke("--bank", str(bank), "list")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: no template of the bank loads:") and "is a symbolic link" in lines[0]


@pytest.mark.parametrize("arguments, message", [
    (["--bank", "{empty}", "list"], "no question templates (*.yaml) found"),
    (["validate", "{empty}"], "no question templates (*.yaml) found"),
    (["--bank", "{file}", "list"], "a bank is a folder of question templates"),
    (["--bank", "{missing}", "list"], "no such file or folder"),
    (["--bank", "{fifo_bank}", "list"], "is not a regular file"),
])
def test_no_bank_at_all_is_one_error_line(arguments, message, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("not a bank")
    os.mkfifo(tmp_path / "pipe.yaml")
    places = {"empty": tmp_path / "empty", "file": tmp_path / "notes.txt", "missing": tmp_path / "missing", "fifo_bank": tmp_path / "pipe.yaml"}
    result, seconds = _invoke(*[a.format(**places) for a in arguments])
    assert seconds < 30
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: ") and message in result.stderr, result.stderr
    assert "Traceback" not in result.output
