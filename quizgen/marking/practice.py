"""``quizgen practice``: one question at a time in a terminal, marked at once.

A wrong answer is diagnosed against the variant's named mistakes, the worked solution
is shown, and another variant of the same template is offered. A ``--progress`` file
(small JSON, written atomically after every question) remembers how each topic went, so
the next session starts with the weakest topics and draws fresh variants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ..engine.figures import variant_figures
from ..engine.generate import Variant, answer_shape, generate, matching_columns
from ..engine.template import Template
from ..errors import QuizgenError
from ..inputs import read_text
from ..formats import terminal
from ..formats.plain import math_to_plain, tex_to_plain
from ..formats.records import variant_record
from ..formats.render import render_text
from ..formats.typed import describe_shape, flat_rounded
from ..outputs import atomic_writer
from .mark import (
    BlankMark,
    mark_blank,
    mark_matching,
    mark_option,
    read_blank,
    read_matching,
    read_option,
)
from .responses import ResponseError

PROGRESS_SCHEMA = "quizgen.progress/1"
MAX_COUNT = 10_000_000  # sessions, questions or mistakes a progress file may count: a lifetime of practice
POOL = 200  # variants one template may offer in a session (it stops earlier when a template has fewer)

QUIT = {"quit", "q", "exit", ":q"}
SKIP = {"skip", "pass", "?skip"}
HELP = {"?", "help", "hint"}


class Stop(Exception):
    """The student ended the session: 'quit', end of input or Ctrl-C."""


# ---------------------------------------------------------------------------
# The progress file


@dataclass
class Tally:
    asked: int = 0
    right: int = 0

    @property
    def weakness(self) -> float:
        """Share right, with one imagined right and one wrong answer: an unseen topic is 1/2, 0 of 3 is 1/5."""
        return (self.right + 1) / (self.asked + 2)


@dataclass
class Progress:
    """How each topic and template went over all sessions (and which mistakes were made)."""

    path: Path | None = None
    sessions: int = 0
    topics: dict[str, Tally] = field(default_factory=dict)
    templates: dict[str, Tally] = field(default_factory=dict)
    mistakes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> "Progress":
        """The record in ``path`` (a missing file is a fresh start); a damaged one is refused, never overwritten."""
        if path is None or not (Path(path).exists() or Path(path).is_symlink()):
            return cls(path)
        text = read_text(Path(path), "progress file")
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            raise QuizgenError(f"{path}: not a readable progress file ({reason}); move it away to start afresh") from None
        if not isinstance(data, dict) or data.get("schema") != PROGRESS_SCHEMA:
            raise QuizgenError(f"{path}: field 'schema' must be '{PROGRESS_SCHEMA}' (is this a quizgen progress file?)")
        sessions = data.get("sessions")
        if not isinstance(sessions, int) or isinstance(sessions, bool) or not 0 <= sessions <= MAX_COUNT:
            raise QuizgenError(f"{path}: field 'sessions' must be a whole number from 0 to {MAX_COUNT:,}, not {str(sessions)[:40]!r}")
        progress = cls(path, sessions)
        for group in ("topics", "templates"):
            entries = data.get(group, {})
            if not isinstance(entries, dict):
                raise QuizgenError(f"{path}: field '{group}' must be an object")
            for name, entry in entries.items():
                getattr(progress, group)[name] = _tally(path, f"{group}.{name}", entry)
        mistakes = data.get("mistakes", {})
        if not isinstance(mistakes, dict) or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_COUNT for v in mistakes.values()):
            raise QuizgenError(f"{path}: field 'mistakes' must map names to whole numbers from 0 to {MAX_COUNT:,}")
        progress.mistakes = dict(mistakes)
        return progress

    def record(self, template: Template, right: bool, mistakes: list[str]) -> None:
        for tally in (self.topics.setdefault(template.topic, Tally()), self.templates.setdefault(template.id, Tally())):
            tally.asked += 1
            tally.right += int(right)
        for name in mistakes:
            key = f"{template.id}:{name}"
            self.mistakes[key] = self.mistakes.get(key, 0) + 1

    def topic(self, name: str) -> Tally:
        return self.topics.get(name, Tally())

    def template(self, name: str) -> Tally:
        return self.templates.get(name, Tally())

    def data(self, sessions: int) -> dict:
        def tallies(group: dict[str, Tally]) -> dict:
            return {name: {"asked": t.asked, "right": t.right} for name, t in sorted(group.items())}

        return {
            "schema": PROGRESS_SCHEMA,
            "sessions": sessions,
            "topics": tallies(self.topics),
            "templates": tallies(self.templates),
            "mistakes": dict(sorted(self.mistakes.items())),
        }

    def save(self) -> None:
        """Write the record with this session counted, in one step (never half a file)."""
        if self.path is None:
            return
        with atomic_writer(Path(self.path)) as stream:
            stream.write(json.dumps(self.data(self.sessions + 1), indent=2, ensure_ascii=False) + "\n")


def _tally(path: Path, where: str, entry: object) -> Tally:
    if not isinstance(entry, dict):
        raise QuizgenError(f"{path}: field '{where}' must be an object with 'asked' and 'right'")
    asked, right = entry.get("asked"), entry.get("right")
    counts_ok = all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_COUNT for n in (asked, right))
    if not counts_ok or right > asked:  # type: ignore[operator]
        raise QuizgenError(f"{path}: field '{where}': 'asked' and 'right' must be whole numbers with 0 ≤ right ≤ asked ≤ {MAX_COUNT:,}")
    return Tally(asked, right)  # type: ignore[arg-type]


def weakest_first(templates: list[Template], progress: Progress, seed: int = 0) -> list[Template]:
    """Templates of the weakest topics first, and within a topic the weakest templates first.

    Among templates as weak as each other (all of them, for a new learner) the easy ones and
    the early sections of the formula sheet come first, in an order the session's seed
    shuffles, and the topics take turns: a first session is not five questions of one topic.
    """
    import numpy as np

    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x70726163]))  # "prac"
    tiebreak = {t.id: float(r) for t, r in zip(sorted(templates, key=lambda t: t.id), rng.random(len(templates)))}
    ranked = sorted(templates, key=lambda t: (progress.topic(t.topic).weakness, progress.template(t.id).weakness, t.difficulty, t.section // 4, tiebreak[t.id]))
    mixed: list[Template] = []
    waiting = list(ranked)
    while waiting:  # take the best-placed template of a topic other than the last one asked, while there is one
        last = mixed[-1].topic if mixed else None
        pick = next((t for t in waiting if t.topic != last), waiting[0])
        waiting.remove(pick)
        mixed.append(pick)
    return mixed


# ---------------------------------------------------------------------------
# The session


def _example(kind: str, shape: tuple[int, ...]) -> str:
    """What a typed answer of this kind looks like, for the help line."""
    if kind == "integer":
        return "14"
    if kind == "number":
        return "0.25, 1/4 or 2.5e-1"
    return describe_shape(kind, shape).split("e.g. ")[-1]


@dataclass
class Outcome:
    right: bool
    mistakes: list[str]  # names of the named mistakes the student's answer matched
    labels: list[str] = field(default_factory=list)  # and their labels, for the summary


class PracticeSession:
    """Ask, mark, explain; ``ask`` returns a line of input and raises Stop at the end of input."""

    def __init__(self, templates: list[Template], count: int, seed: int, progress: Progress, ask: Callable[[str], str], say: Callable[[str], None],
                 width: int = terminal.DEFAULT_WIDTH):
        self.plan = weakest_first(templates, progress, seed)
        self.width = max(terminal.MIN_WIDTH, width)  # columns the text is wrapped at
        self.count = count
        self.seed = seed
        self.progress = progress
        self.ask = ask
        self.say = say
        self.session: dict[str, Tally] = {}
        self.made: dict[tuple[str, str], int] = {}  # (topic, mistake label): how often, this session
        self._pools: dict[str, Iterator[Variant]] = {}

    # -- flow

    def run(self) -> None:
        self._introduce()
        asked = 0
        try:
            for position in range(self.count):
                template = self.plan[position % len(self.plan)]
                variant = self._next_variant(template)
                while variant is not None:
                    asked += 1
                    outcome = self._question(variant, asked)
                    self._tally(template, outcome)
                    if outcome.right or not self._yes("Try another variant of this question? [y/N] "):
                        break
                    variant = self._next_variant(template)
        except (Stop, KeyboardInterrupt):
            self.say("")
        self._summary()

    def _introduce(self) -> None:
        topics = sorted({t.topic for t in self.plan}, key=lambda name: (self.progress.topic(name).weakness, name))
        self._say_wrapped(f"Practice: {self.count} question{'s' if self.count != 1 else ''} (seed {self.seed}). "
                          "Type your answer and press Enter; 'skip' shows the solution, 'quit' ends the session.")
        seen = [name for name in topics if self.progress.topic(name).asked]
        if seen:
            shown = ", ".join(f"{name} ({self.progress.topic(name).right} of {self.progress.topic(name).asked} right)" for name in seen[:3])
            self._say_wrapped(f"Starting with your weakest topics: {shown}.")

    def _next_variant(self, template: Template) -> Variant | None:
        pool = self._pools.setdefault(template.id, generate(template, POOL, self.seed))
        try:
            return next(pool)
        except (StopIteration, QuizgenError):
            self._say_wrapped(f"(No more distinct variants of {template.id} in this session.)")
            return None

    def _tally(self, template: Template, outcome: Outcome) -> None:
        tally = self.session.setdefault(template.topic, Tally())
        tally.asked += 1
        tally.right += int(outcome.right)
        for label in outcome.labels:
            self.made[(template.topic, label)] = self.made.get((template.topic, label), 0) + 1
        self.progress.record(template, outcome.right, outcome.mistakes)
        self.progress.save()

    def _prompt(self, prompt: str) -> str:
        """The prompt as asked: a prompt that leaves too little of the line for typing goes on lines of its own."""
        if terminal.text_width(prompt) <= self.width - 16:
            return prompt
        indent = prompt[: len(prompt) - len(prompt.lstrip())]
        self._say_wrapped(prompt.strip(), indent, indent + "  ")
        return indent + "> "

    def _read(self, prompt: str, example: str) -> str | None:
        """One line from the student; None means 'skip'. Quitting and end of input raise Stop."""
        while True:
            text = self.ask(self._prompt(prompt)).strip()
            word = text.lower()
            if word in QUIT:
                raise Stop
            if word in SKIP:
                return None
            if word in HELP or not text:
                self._say_wrapped(f"Type your answer (e.g. {example}), 'skip' for the solution, or 'quit'.", "    ")
                continue
            return text

    def _read_marked(self, prompt: str, example: str, mark: Callable[[str], Any]) -> Any:
        """``mark(text)`` of the student's line, asking again after each hint; None if they skip."""
        while True:
            text = self._read(prompt, example)
            if text is None:
                return None
            try:
                return mark(text)
            except ResponseError as hint:
                self._say_wrapped(f"? {hint}", "    ", "      ")

    def _yes(self, prompt: str) -> bool:
        answer = self.ask(prompt).strip().lower()
        if answer in QUIT:
            raise Stop
        return answer in ("y", "yes")

    # -- one question

    def _question(self, variant: Variant, number: int) -> Outcome:
        record = variant_record(variant)
        self.say("")
        self.say(f"Question {number} · {variant.template.topic}")
        self.say(render_text(record, show_answers=False, width=self.width, figures=variant_figures(variant)).rstrip())
        self.say("")
        kind = variant.template.kind
        if kind in ("multichoice", "concept"):
            outcome = self._choice(variant)
        elif kind == "matching":
            outcome = self._matching(variant)
        else:
            outcome = self._blanks(variant)
        if outcome.right:
            self.say("Right!")
        else:
            self._solution(variant, record)
        return outcome

    def _blanks(self, variant: Variant) -> Outcome:
        marks: list[BlankMark | None] = []
        for answer in variant.answers:
            unit = f" [{answer.spec.unit}]" if answer.spec.unit else ""
            prompt = f"  {answer.spec.label}{unit} ({describe_shape(answer.spec.kind, answer_shape(answer))}): "
            example = _example(answer.spec.kind, answer_shape(answer))
            marks.append(self._read_marked(prompt, example, lambda text, answer=answer: mark_blank(variant, answer, read_blank(answer, text))))
            if marks[-1] is None:  # skipped: the rest are skipped too
                marks.extend([None] * (len(variant.answers) - len(marks)))
                break
        if len(variant.answers) > 1 or any(m is not None and not m.right for m in marks):
            for answer, mark in zip(variant.answers, marks):
                self._say_verdict("  " + self._verdict(answer.spec.label, mark))
        right = all(m is not None and m.right for m in marks)
        found = [m.mistake for m in marks if m is not None and m.mistake is not None]
        return Outcome(right, [m.name for m in found], [m.label for m in found])

    def _verdict(self, label: str, mark: BlankMark | None) -> str:
        if mark is None:
            return f"– {label}: skipped"
        if mark.right:
            return f"✓ {label}: right"
        line = f"✗ {label}: not right"
        if mark.elements is not None and any(mark.elements):
            off = [str(i + 1) for i, ok in enumerate(mark.elements) if not ok]
            line += f" (element{'s' if len(off) > 1 else ''} {', '.join(off)} of {len(mark.elements)} off)"
        if mark.mistake is not None:
            line += f". It looks like you {mark.mistake.label}:\n{tex_to_plain(mark.mistake.feedback)}"
        return line

    def _choice(self, variant: Variant) -> Outcome:
        letters = [option.label for option in variant.options]
        prompt, example = f"  Your choice ({letters[0]}-{letters[-1]}): ", f"the letter {letters[0]}"
        mark = self._read_marked(prompt, example, lambda text: mark_option(read_option(variant, text)))
        if mark is None:
            return Outcome(False, [])
        if not mark.right:
            line = f"  ✗ {mark.option.label} is not right."
            if mark.mistake is not None:
                line += f" It looks like you {mark.mistake.label}:\n{tex_to_plain(mark.mistake.feedback)}"
            self._say_verdict(line)
        return Outcome(mark.right, [mark.mistake.name] if mark.mistake is not None else [], [mark.mistake.label] if mark.mistake is not None else [])

    def _matching(self, variant: Variant) -> Outcome:
        lefts, _ = matching_columns(variant)
        example = " ".join(f"{i + 1}{'ABCDEFGH'[(i + 1) % len(lefts)]}" for i in range(len(lefts)))
        prompt = f"  Your matching (a letter for each number, e.g. {example}): "
        mark = self._read_marked(prompt, example, lambda text: mark_matching(variant, read_matching(variant, text)))
        if mark is None:
            return Outcome(False, [])
        for left, given, wanted in mark.wrong:
            self._say_wrapped(f"✗ {left}: not '{given}'", "  ", "    ")
        return Outcome(mark.right, [])

    def _solution(self, variant: Variant, record: dict) -> None:
        self.say("The answer:")
        if record["options"]:
            for option in record["options"]:
                if option["correct"]:
                    self._say_lines(terminal.wrap(f"{option['label']}) {math_to_plain(option['tex'])}", self.width, "  ", "     "))
        elif variant.template.kind == "matching":
            for left, right in variant.answers[0].value:
                self._say_wrapped(f"{left} → {right}", "  ", "    ")
        else:
            for answer in record["answers"]:
                unit = f" {answer['unit']}" if answer["unit"] else ""
                rounded = answer["rounded"]
                if isinstance(rounded, list) and rounded and isinstance(rounded[0], list):  # a matrix: aligned columns
                    self._say_wrapped(f"{answer['label']}{unit}:", "  ", "    ")
                    self._say_lines(terminal.table_lines(rounded, "    "))
                else:
                    self._say_wrapped(f"{answer['label']}: {flat_rounded(rounded)}{unit}", "  ", "    ")
        self.say("Worked solution:")
        self._say_lines(terminal.figures_block(record, variant_figures(variant), "solution", self.width))
        for number, step in enumerate(record.get("steps", []), start=1):
            self._say_lines(terminal.wrap(terminal.label_to_plain(f"{number}. {step['label']}"), self.width, "  ", "     "))
            self._say_lines(terminal.step_lines(step["tex"], self.width, "     "))
        if record.get("solution"):
            self._say_lines(terminal.prose_lines(record["solution"], self.width, "  "))

    # -- output at the terminal's width

    def _say_lines(self, lines: list[str]) -> None:
        for line in lines:
            self.say(line)

    def _say_wrapped(self, text: str, indent: str = "", hang: str | None = None) -> None:
        self._say_lines(terminal.wrap(text, self.width, indent, hang))

    def _say_verdict(self, text: str) -> None:
        """A verdict line, and the mistake's feedback under it, indented."""
        first, _, feedback = text.partition("\n")
        indent = first[: len(first) - len(first.lstrip())]
        self._say_wrapped(first.strip(), indent, indent + "  ")
        if feedback:
            self._say_wrapped(feedback, "      ")

    # -- the end

    def _summary(self) -> None:
        self.say("Summary")
        if not self.session:
            self.say("  No question was answered.")
            self.say(f"Replay this session with --seed {self.seed}.")
            return
        width = max(len(name) for name in [*self.session, "total"]) + 2
        for name, tally in sorted(self.session.items()):
            self.say(f"  {name:<{width}}{tally.right} of {tally.asked} right")
        right = sum(t.right for t in self.session.values())
        asked = sum(t.asked for t in self.session.values())
        self.say(f"  {'total':<{width}}{right} of {asked} right")
        if self.made:
            self.say("Mistakes you made:")
            for (topic, label), times in sorted(self.made.items()):
                command = f"'quizgen practice --topic {topic}'".replace(" ", terminal.GLUE)  # a command is not broken
                self._say_wrapped(f"{label}{f' ({times} times)' if times > 1 else ''}: practise it with {command}", "  ", "    ")
        self.say(f"Replay this session with --seed {self.seed}.")
        if self.progress.path is not None:
            saved = f"Progress saved to {self.progress.path};".replace(" ", terminal.GLUE)  # the path whole, after its words
            self._say_wrapped(f"{saved} the next session starts with your weakest topics.")
