"""GIFT export: the questions of the Moodle export that Moodle's GIFT format can express.

GIFT (question/format/gift/format.php) has numerical answers with a tolerance
(``{#=answer:tolerance#feedback}``), multiple choice and matching, categories
(``$CATEGORY:``), question names and idnumbers (``// [id:...]``), and general feedback
(``####``). It has no cloze (multi-part) questions, no default mark and no penalty:
those questions are left out (the file says how many, and :class:`GiftExport` counts
them) and Moodle's defaults (mark 1, penalty 1/3) apply to the rest. Moodle's GIFT reader
(qformat_gift::readquestion) gives every question it reads ``defaultmark = 1``: no GIFT syntax
sets it. So with an exam each category only says, in a comment, the points its questions are
worth and that the quiz slot's maximum mark must give them.

The questions are the very ones quizgen/moodle.py builds, so both files agree.

GIFT cannot carry files, so a figure (in the Moodle XML a file of the question, shown at
``@@PLUGINFILE@@``) is written into its ``<img>`` as a data URI,
``src="data:image/svg+xml;base64,..."``: the same SVG, with its alt text and caption. Moodle keeps
it: the GIFT reader only unescapes the text, ``question_type::save_question`` stores an imported
question's text as it is (``import_or_save_files`` with no files), and a question's text is
shown with ``noclean`` (``question_definition::format_text``), so HTMLPurifier, whose
``URI.AllowedSchemes`` has no ``data``, does not see it. Only a site with ``$CFG->forceclean``
on cleans question text; there the image is dropped and the caption below it remains.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

import jinja2

from .. import __version__
from .moodle import DEFAULT_PENALTY, ExportItem, MoodleCategory, MoodleQuestion, _environment, build_categories

GIFT_TYPES = ("numerical", "multichoice", "matching")
FIGURE_TYPE = "image/svg+xml"  # the figures' files (quizgen.formats.figures draws SVG)
_SPECIAL = "~=#{}:"


def gift_escape(text: str) -> str:
    """Text as GIFT reads it back: '\\' doubled, each of ~ = # { } : escaped, on one line (a blank line ends a question)."""
    text = text.replace("\\", "\\\\")
    for character in _SPECIAL:
        text = text.replace(character, "\\" + character)
    return " ".join(line.strip() for line in text.split("\n") if line.strip())


def gift_answer(question: MoodleQuestion) -> list[str]:
    """The lines between '{' and '}' of one question (without the general feedback)."""
    if question.qtype == "numerical":
        lines = ["#"]
        for answer in question.answers:
            if answer.value == "*":
                lines.append("~#" + gift_escape(answer.feedback))
            else:
                weight = "=" if answer.fraction == 100 else f"=%{answer.fraction}%"
                lines.append(f"{weight}{answer.value}:{answer.tolerance}#{gift_escape(answer.feedback)}")
        return lines
    if question.qtype == "multichoice":
        return [("=" if a.fraction == 100 else "~") + gift_escape(a.text) + "#" + gift_escape(a.feedback) for a in question.answers]
    if question.qtype == "matching":
        return [f"={gift_escape(left)} -> {gift_escape(right)}" for left, right in question.pairs]
    raise ValueError(f"GIFT cannot express a {question.qtype} question")


@dataclass
class GiftExport:
    text: str
    written: int  # questions in the file
    skipped: int  # cloze questions GIFT cannot express
    categories: list[MoodleCategory]
    seed: int  # the seed the variants were drawn with
    figures: int = 0  # figure drawings written into the questions as data URIs


def embedded(html: str, files: list[tuple[str, str]]) -> str:
    """HTML whose ``@@PLUGINFILE@@/name`` images are these files (name, base64) as data URIs: GIFT has no files."""
    for name, data in files:
        reference = f'src="@@PLUGINFILE@@/{name}"'
        if reference not in html:
            raise ValueError(f"{name} is a file of the question, but its text does not show it")
        html = html.replace(reference, f'src="data:{FIGURE_TYPE};base64,{data}"')
    return html


def self_contained(question: MoodleQuestion) -> MoodleQuestion:
    """The question with its figures inside its text and general feedback (the Moodle XML question is left as it is)."""
    if not (question.text_files or question.feedback_files):
        return question
    return replace(question, text=embedded(question.text, question.text_files), text_files=[],
                   general_feedback=embedded(question.general_feedback, question.feedback_files), feedback_files=[])


@lru_cache(maxsize=None)
def _gift_environment() -> jinja2.Environment:
    env = _environment("gift")
    env.filters["gift"] = gift_escape
    env.globals["gift_answer"] = gift_answer
    return env


def render_gift(categories: list[MoodleCategory], seed: int) -> GiftExport:
    env = _gift_environment()
    kept = [[q for q in c.questions if q.qtype in GIFT_TYPES] for c in categories]
    written = sum(len(questions) for questions in kept)
    skipped = sum(len(c.questions) for c in categories) - written
    figures = sum(len(q.text_files) + len(q.feedback_files) for questions in kept for q in questions)
    kept = [[self_contained(q) for q in questions] for questions in kept]
    text = env.get_template("quiz.gift.j2").render(
        sections=[(c, questions) for c, questions in zip(categories, kept) if questions],
        skipped=skipped, figures=figures, version=__version__, seed=seed,
    )
    return GiftExport(text, written, skipped, categories, seed, figures)


def export_gift(items: list[ExportItem], count: int, seed: int, penalty: float = DEFAULT_PENALTY, allow_fewer: bool = False, progress: Callable[[], None] | None = None) -> GiftExport:
    """The GIFT text of N variants of each template that GIFT can express."""
    return render_gift(build_categories(items, count, seed, penalty, allow_fewer, progress), seed)
