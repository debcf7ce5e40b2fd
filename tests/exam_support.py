"""Helpers shared by the exam tests: a small bank, a small spec, and PDF text that can be searched."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

from pypdf import PdfReader

REPO = Path(__file__).resolve().parent.parent

# One template of each kind the papers lay out differently: two answers, multiple choice,
# a concept question, matching, vector and matrix answers.
SMALL_BANK = [
    "cnn/conv_output_size.yaml",
    "cnn/conv_params.yaml",
    "concepts/lstm_gates.yaml",
    "concepts/lstm_gates_matching.yaml",
    "attention/attention_weights.yaml",
    "multiclass/softmax.yaml",
]

SPEC = """\
title = "Quiz 1"
course = "DNN 301"
date = 2026-02-01
duration = "30 minutes"
seed = 7
shuffle_questions = true
instructions = ["Answer every question.", "Round as each question asks."]

[[sections]]
template = "cnn.conv_output_size"
points = 4
nice = true

[[sections]]
topic = "concepts"
count = 2
points = 2

[[sections]]
templates = ["cnn.conv_params", "multiclass.softmax"]
points = 3

[[sections]]
template = "attention.attention_weights"
points = 6
"""

ROSTER = """\
id,name
s001,Ada Lovelace
s002,Alan Turing
"""


def make_small_bank(folder: Path) -> Path:
    for relative in SMALL_BANK:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "question_bank" / relative, target)
    return folder


def pdf_pages(path: Path) -> list[str]:
    """The text of each page, with math letters and minus signs as plain ASCII (NFKC, U+2212 → '-')."""
    reader = PdfReader(str(path))
    return [unicodedata.normalize("NFKC", page.extract_text()).replace("\u2212", "-") for page in reader.pages]


def flat(value) -> list:
    if isinstance(value, list):
        return [item for part in value for item in flat(part)]
    return [value]
