"""A non-editable wheel carries the question bank and the output templates, and finds them at run time."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)], check=True, cwd=out)
    (built,) = out.glob("quizgen-*.whl")
    return built


def test_wheel_contains_bank_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    bank_files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "question_bank").rglob("*.yaml"))
    for path in bank_files:
        assert f"quizgen/_data/{path}" in names
    assert any(n.startswith("quizgen/_data/templates/text/") for n in names)


def test_installed_wheel_runs_from_any_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import quizgen.resources as r; print(r.bank_dir())"], env=environment, cwd=elsewhere, capture_output=True, text=True, check=True)
    assert str(target) in where.stdout
    listed = subprocess.run([sys.executable, "-m", "quizgen", "list", "--format", "json"], env=environment, cwd=elsewhere, capture_output=True, text=True, check=True)
    ids = {row["id"] for row in json.loads(listed.stdout)}
    shipped = {f"{p.parent.name}.{p.stem}" for p in (ROOT / "question_bank").rglob("*.yaml")}
    assert ids == shipped
    shown = subprocess.run([sys.executable, "-m", "quizgen", "show", "cnn.conv_output_size", "--seed", "3"], env=environment, cwd=elsewhere, capture_output=True, text=True, check=True)
    assert "Worked solution" in shown.stdout
