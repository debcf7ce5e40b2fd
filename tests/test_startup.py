"""Start-up (issue 19): 'quizgen --help' and 'quizgen list' load none of the heavy libraries.

Checked by what a fresh interpreter has imported, never by timing (bench/bench_startup.py
measures). 'quizgen list' reads the bank's catalog (quizgen.engine.catalog), kept from an
earlier run; the tests here check that it lists exactly what a full load of the bank does,
broken files included, and is made again whenever the bank changes.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizgen.cli import cli

REPO = Path(__file__).resolve().parent.parent
HEAVY = {"sympy", "numpy", "typst", "lxml", "cv2", "jinja2", "mpmath", "yaml", "markupsafe", "pikepdf", "pypdfium2", "segno"}
BAD = REPO / "tests" / "data" / "bad"

# Runs the command in this interpreter, then prints the heavy modules it imported on the last line of stderr.
DRIVER = """
import sys
names = set(sys.argv.pop(1).split(','))
sys.argv[0] = 'quizgen'
from quizgen.cli import main
try:
    main()
finally:
    heavy = sorted(m for m in sys.modules if m.split('.')[0] in names)
    sys.stderr.write("\\nIMPORTED " + repr(heavy) + "\\n")
"""


def _environment(cache: Path | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QUIZGEN_BANK"}
    env["QUIZGEN_CACHE_DIR"] = str(cache)
    return env


def _command(arguments: list[str], cache: Path | str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run quizgen in a fresh interpreter: the finished process and the heavy modules it imported."""
    process = subprocess.run([sys.executable, "-c", DRIVER, ",".join(sorted(HEAVY)), *arguments], check=False, capture_output=True,
                             text=True, env=_environment(cache), cwd=REPO, timeout=300)
    stderr, _, imported = process.stderr.rpartition("\nIMPORTED ")
    assert imported, process.stderr
    process.stderr = stderr
    return process, ast.literal_eval(imported)


def test_importing_the_command_loads_no_heavy_library(tmp_path):
    code = f"import quizgen.cli, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(HEAVY)!r}))"
    process = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=_environment(tmp_path), timeout=120)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "[]"


@pytest.mark.parametrize("arguments", [["--help"], ["list", "--help"], ["export", "--help"], ["exam", "build", "--help"], ["--version"]])
def test_help_works_without_heavy_libraries(arguments, tmp_path):
    process, imported = _command(arguments, tmp_path)
    assert process.returncode == 0, process.stderr
    assert ("quizgen, version" if arguments == ["--version"] else "Usage:") in process.stdout
    assert imported == []


@pytest.fixture
def broken_bank(tmp_path: Path) -> Path:
    """Two good templates and one whose expression does not compile (known only once sympy parses it)."""
    bank = tmp_path / "bank"
    for topic, name in (("cnn", "conv_output_size"), ("mlp", "param_count")):
        (bank / topic).mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "question_bank" / topic / f"{name}.yaml", bank / topic / f"{name}.yaml")
    text = (BAD / "expr_unknown_function.yaml").read_text().replace("id: cnn.pool_output", "id: cnn.zz_broken")
    assert "id: cnn.zz_broken" in text
    (bank / "cnn" / "zz_broken.yaml").write_text(text)
    return bank


def _list(bank: Path, *options: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--bank", str(bank), "list", *options])
    return result.exit_code, result.stdout, result.stderr


def test_list_from_the_catalog_loads_no_heavy_library_and_says_the_same(broken_bank, tmp_path):
    cache = tmp_path / "cache"
    outputs = []
    for run in range(2):  # the first run loads the bank and keeps its catalog, the second reads the catalog
        process, imported = _command(["--bank", str(broken_bank), "list"], cache)
        outputs.append((process.returncode, process.stdout, process.stderr))
        if run:
            assert imported == []
    assert outputs[0] == outputs[1]
    returncode, stdout, stderr = outputs[0]
    assert returncode == 0 and "cnn.conv_output_size" in stdout and "mlp.param_count" in stdout and "zz_broken" not in stdout
    assert stderr.startswith("Warning: left out a template that does not load:") and "unknown function 'flor'" in stderr
    no_cache, _ = _command(["--bank", str(broken_bank), "list"], "")  # QUIZGEN_CACHE_DIR empty: no catalog kept, the full load
    assert (no_cache.returncode, no_cache.stdout, no_cache.stderr) == outputs[0]


@pytest.mark.parametrize("options", [[], ["--format", "json"], ["--topic", "cnn"], ["--topic", "cnnn"], ["--topic", "mlp", "--format", "json"]])
def test_the_catalog_lists_what_a_full_load_lists(options, broken_bank, tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", "")
    loaded = _list(broken_bank, *options)
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", str(tmp_path / "cache"))
    assert _list(broken_bank, *options) == loaded  # made and kept
    assert _list(broken_bank, *options) == loaded  # read back
    if options[:2] == ["--topic", "cnnn"]:
        assert loaded[0] == 2 and loaded[2].startswith("Error: unknown topic 'cnnn' (did you mean 'cnn'?)")


def test_a_changed_bank_is_listed_again(broken_bank, tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", str(tmp_path / "cache"))
    code, before, warning = _list(broken_bank)
    assert code == 0 and warning
    target = broken_bank / "mlp" / "param_count.yaml"
    good = target.read_bytes()
    target.write_bytes(good.replace(b"\ntitle: ", b"\ntitle: Renamed ", 1))
    code, renamed, _ = _list(broken_bank)
    assert code == 0 and "Renamed " in renamed and "Renamed " not in before
    target.write_bytes(good.replace(b"\ntext:", b"\ntexts:", 1))  # now broken too
    code, output, warning = _list(broken_bank)
    assert code == 0 and "mlp.param_count" not in output and "(and 1 more)" in warning
    (broken_bank / "cnn" / "zz_broken.yaml").unlink()
    target.write_bytes(good)
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", "")
    loaded = _list(broken_bank)
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", str(tmp_path / "cache"))
    assert _list(broken_bank) == loaded and loaded[0] == 0 and loaded[2] == ""
    assert loaded[1] == before  # the same two templates as at first


def test_a_damaged_catalog_is_made_again(broken_bank, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", str(cache))
    first = _list(broken_bank)
    (kept,) = (cache / "catalog").iterdir()
    record = json.loads(kept.read_text())
    for damage in ("{not json", json.dumps(dict(record, templates=[["cnn.x"]])), json.dumps(dict(record, errors={})), json.dumps([1])):
        kept.write_text(damage)
        assert _list(broken_bank) == first
    record["templates"] = [["cnn.fake", "Fake", "cnn", 1, 1, "numerical", []]]
    kept.write_text(json.dumps(dict(record, key="another")))  # a catalog of another bank's state is not used
    assert _list(broken_bank) == first
