"""Locate the shipped question bank and output templates.

A wheel carries them inside the package (``quizgen/_data``); a source checkout or
an editable install keeps them at the repository top. Both must work.
"""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"quizgen installation is missing its '{name}' folder")


def bank_dir() -> Path:
    """The question bank shipped with quizgen."""
    return _data_dir("question_bank")


def templates_dir() -> Path:
    """The Jinja output templates (one sub-folder per output format)."""
    return _data_dir("templates")
