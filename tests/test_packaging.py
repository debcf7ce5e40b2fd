"""The package as someone would publish it: a wheel and an sdist that install and run anywhere, every dependency declared.

``python -m build`` makes both from the source tree. Each is installed into a fresh folder
(the sdist through a wheel built from it, as pip does) and run from another directory, so
the shipped question bank and output templates must be found inside the install.
"""

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)], check=True, cwd=out, capture_output=True)
    return out


@pytest.fixture(scope="module")
def wheel(dist) -> Path:
    (built,) = dist.glob("quizgen_dnn-*.whl")
    return built


@pytest.fixture(scope="module")
def sdist(dist) -> Path:
    (built,) = dist.glob("quizgen_dnn-*.tar.gz")
    return built


def test_wheel_contains_bank_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    bank_files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "question_bank").rglob("*.yaml"))
    for path in bank_files:
        assert f"quizgen/_data/{path}" in names
    assert any(n.startswith("quizgen/_data/templates/text/") for n in names)
    for room in ("engine", "formats", "exams", "marking"):
        assert f"quizgen/{room}/__init__.py" in names


def test_wheel_metadata_names_the_distribution_and_its_licence(wheel):
    archive = zipfile.ZipFile(wheel)
    (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    metadata = archive.read(metadata_name).decode()
    assert "Name: quizgen-dnn" in metadata
    assert "License-Expression: MIT" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert "Classifier: Intended Audience :: Education" in metadata
    assert any(n.endswith("licenses/LICENSE") for n in archive.namelist())
    import quizgen

    assert f"Version: {quizgen.__version__}" in metadata


def test_sdist_holds_the_sources_tests_and_docs(sdist):
    names = {name.split("/", 1)[1] for name in tarfile.open(sdist).getnames() if "/" in name}
    for wanted in ("pyproject.toml", "README.md", "LICENSE", "quizgen/cli.py", "quizgen/engine/generate.py",
                   "templates/typst/exam.typ", "question_bank/cnn/conv_output_size.yaml", "tests/test_packaging.py", "docs/api.md"):
        assert wanted in names, wanted


def _runs_from_elsewhere(target: Path, tmp_path: Path) -> None:
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
    api = subprocess.run([sys.executable, "-c", "import quizgen; print(quizgen.generate('cnn.conv_params', 2, seed=1)[1].code)"], env=environment, cwd=elsewhere, capture_output=True, text=True, check=True)
    assert api.stdout.strip()


def test_installed_wheel_runs_from_any_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)], check=True)
    _runs_from_elsewhere(target, tmp_path)


def test_installed_sdist_runs_from_any_directory(sdist, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(sdist)], check=True)
    _runs_from_elsewhere(target, tmp_path)


def test_every_dependency_the_package_imports_is_declared_and_used():
    """deptry over the package and the benchmarks: an undeclared import or an unused dependency fails."""
    result = subprocess.run([sys.executable, "-m", "deptry", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_the_tests_import_is_declared():
    """The tests too: what they import is in the test extra (or the package's own dependencies)."""
    result = subprocess.run(
        [sys.executable, "-m", "deptry", ".", "--exclude", r"\.venv", "--exclude", r"\.git", "--exclude", "build", "--exclude", "dist",
         "--known-first-party", "quizgen", "--known-first-party", "bank_support", "--known-first-party", "exam_support", "--known-first-party", "whole_bank_digests",
         "--ignore", "DEP002,DEP004"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
