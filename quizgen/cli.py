"""The ``quizgen`` command: a thin click layer over the library.

Each command parses its options, calls the library, and turns a QuizgenError
into one ``Error: ...`` line with exit code 2. No traceback reaches a user.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import click

from . import __version__, api
from .errors import QuizgenError

# Each command imports what it uses (sympy, numpy, Typst... come with the engine and the
# formats): 'quizgen --help' and 'quizgen list' start without them (docs/performance.md).
if TYPE_CHECKING:
    from .engine.bank import Bank
    from .engine.catalog import Catalog
    from .engine.generate import Variant
    from .engine.template import Template


MAX_COUNT = 100_000  # variants per template in one command: more is no exam, and would fill a disk
MAX_RECORDS = 500_000  # variants in one command, over all its templates


class _Context:
    def __init__(self, bank_path: Path | None):
        self.bank_path = bank_path
        self._bank: Bank | None = None
        self._catalog: Catalog | None = None
        self._warned = False

    @property
    def bank(self) -> Bank:
        """The bank; a broken file is left out with a warning, so it does not block every other template."""
        if self._bank is None:
            from .engine.bank import load_bank

            self._bank = load_bank(self.bank_path, collect_errors=True)
        return self._bank

    @property
    def catalog(self) -> Catalog:
        """What 'quizgen list' shows of the bank: kept from an earlier run while the bank is unchanged, so loaded without sympy."""
        if self._catalog is None:
            from .engine.catalog import load_catalog

            self._catalog = load_catalog(self.bank_path, lambda: self.bank)
        return self._catalog

    def template(self, template_id: str) -> Template:
        template = self.bank.get(template_id)
        self.warn_broken()
        return template

    def warn_broken(self) -> None:
        """Say once that some other file of the bank was left out because it does not load."""
        errors = self._catalog.errors if self._bank is None and self._catalog is not None else [str(e) for e in self.bank.errors]
        if errors and not self._warned:
            self._warned = True
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            click.echo(f"Warning: left out a template that does not load: {first}{more}; run 'quizgen validate'", err=True)


class _DomainError(click.ClickException):
    """A QuizgenError at the command-line boundary: 'Error: ...' and exit code 2."""

    exit_code = 2


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QuizgenError as error:
            raise _DomainError(str(error)) from None
        except BrokenPipeError:  # the reader went away (quizgen list | head): not an error
            _quiet_stdout()
            raise SystemExit(0) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quizgen")
@click.option("--bank", "bank_path", type=click.Path(path_type=Path), envvar="QUIZGEN_BANK", help="Question bank folder (default: the bank shipped with quizgen; or $QUIZGEN_BANK).")
@click.pass_context
def cli(ctx: click.Context, bank_path: Path | None) -> None:
    """Auto-graded numerical questions for a deep-neural-networks course.

    \b
    Example:
      quizgen list
      quizgen show cnn.conv_output_size --seed 7
    """
    ctx.obj = _Context(bank_path)


def _templates(context: _Context, ids: Iterable[str], topic: str | None) -> list[Template]:
    ids = list(ids)
    if ids and topic:
        raise QuizgenError("give template ids or --topic, not both")
    if not ids and not topic:
        raise QuizgenError("name at least one template id, or --topic (see 'quizgen list')")
    templates = context.bank.by_topic(topic) if topic else [context.bank.get(i) for i in ids]
    context.warn_broken()
    return templates


@contextlib.contextmanager
def _bar(label: str) -> Iterator[tuple[Any, Any]]:
    """(on_start, progress) for the API's long calls: the bar appears once its length is known."""

    from .outputs import progress

    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        def start(total: int) -> None:
            bars.append(stack.enter_context(progress(total, label)))

        def advance(steps: int) -> None:
            if bars:
                bars[0].update(steps)

        yield start, advance


@cli.command("list")
@click.option("--topic", help="Only this topic.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def list_command(context: _Context, topic: str | None, output_format: str) -> None:
    """List the templates of the bank, with their topic, section and kind.

    \b
    Example:
      quizgen list --topic cnn
    """
    catalog = context.catalog
    templates = catalog.by_topic(topic) if topic else catalog.templates
    if not templates and catalog.errors:
        first = catalog.errors[0]
        raise QuizgenError(f"no template of the bank loads: {first}" + (f" (and {len(catalog.errors) - 1} more; run 'quizgen validate')" if len(catalog.errors) > 1 else ""))
    context.warn_broken()
    if output_format == "json":
        rows = [{"id": t.id, "title": t.title, "topic": t.topic, "section": t.section, "difficulty": t.difficulty, "kind": t.kind, "tags": t.tags} for t in templates]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(t.id) for t in templates)
    for t in templates:
        click.echo(f"{t.id:<{width}}  §{t.section:<2} d{t.difficulty}  {t.kind:<11}  {t.title}")
    click.echo(f"{len(templates)} templates in {len({t.topic for t in templates})} topics")


@cli.command()
@click.argument("template_id")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the variant.")
@click.option("--index", type=int, default=None, help="Which variant of that seed (default: the first).")
@click.option("--code", help="A printed variant code (e.g. 1ZA-7Q): shows exactly that variant.")
@click.option("--nice", is_flag=True, help="Only 'nice' variants (integer sizes, numbers workable without a calculator).")
@click.option("--no-answer", is_flag=True, help="Show the question only.")
@click.pass_obj
def show(context: _Context, template_id: str, seed: int, index: int | None, code: str | None, nice: bool, no_answer: bool) -> None:
    """Show one variant: question, answer and worked solution, readable in a terminal.

    \b
    Example:
      quizgen show cnn.conv_output_size --seed 7
      quizgen show cnn.conv_output_size --code 7-3K
    """

    from .engine.figures import variant_figures
    from .engine.generate import check_seed, generate, make_variant
    from .formats.records import variant_record
    from .formats.render import render_text
    from .formats.terminal import terminal_width

    template = context.template(template_id)
    if code:
        variant = api.variant(template, code)
    elif index is not None:
        variant = make_variant(template, check_seed(seed), _non_negative("index", index), nice)
    else:
        variant = next(generate(template, 1, check_seed(seed), nice))
    click.echo(render_text(variant_record(variant), show_answers=not no_answer, width=terminal_width(), figures=variant_figures(variant)), nl=False)


def _non_negative(name: str, value: int) -> int:
    if value < 0:
        raise QuizgenError(f"--{name}={value} must be at least 0")
    return value


def _variants(templates: list[Template], count: int, seed: int, nice: bool) -> Iterator[Variant]:
    from .engine.generate import generate

    for template in templates:
        yield from generate(template, count, seed, nice)


@cli.command("generate")
@click.argument("template_ids", nargs=-1)
@click.option("--topic", help="Every template of this topic.")
@click.option("--count", "-n", type=click.IntRange(min=1, max=MAX_COUNT), default=1, show_default=True, help=f"Distinct variants per template (at most {MAX_COUNT:,}).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--nice", is_flag=True, help="Only 'nice' variants.")
@click.option("--format", "output_format", type=click.Choice(["json", "jsonl", "text"]), default="json", show_default=True)
@click.option("--no-steps", is_flag=True, help="Leave the worked steps out of JSON (faster).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (atomically) instead of standard output.")
@click.pass_obj
def generate_command(context: _Context, template_ids: tuple[str, ...], topic: str | None, count: int, seed: int, nice: bool, output_format: str, no_steps: bool, output: Path | None) -> None:
    """Generate distinct variants as JSON, JSON lines or text.

    \b
    Example:
      quizgen generate cnn.conv_output_size --count 5 --seed 42
      quizgen generate --topic cnn -n 100 --format jsonl -o cnn.jsonl
    """

    from .engine.figures import variant_figures
    from .engine.generate import check_seed
    from .formats.records import dumps, variant_record
    from .formats.render import render_text
    from .formats.terminal import DEFAULT_WIDTH, terminal_width
    from .outputs import atomic_writer, progress

    templates = _templates(context, template_ids, topic)
    seed = check_seed(seed)
    total = count * len(templates)
    if total > MAX_RECORDS:
        raise QuizgenError(f"--count {count} for {len(templates)} templates makes {total:,} variants; at most {MAX_RECORDS:,} at once")
    # Standard output is written only once the whole document is known: a template that runs
    # out of distinct variants half-way leaves no truncated JSON before its error line.
    text_width = terminal_width() if output is None else DEFAULT_WIDTH
    with (atomic_writer(output) if output is not None else _buffered_stdout()) as stream, progress(total, "Generating") as bar:
        if output_format == "json":
            stream.write("[")
        for i, variant in enumerate(_variants(templates, count, seed, nice)):
            if output_format == "text":  # a file is laid out at the default width, a terminal at its own
                stream.write(("\n" + "-" * 72 + "\n" if i else "") + render_text(variant_record(variant), width=text_width, figures=variant_figures(variant)))
            else:
                record = variant_record(variant, steps=not no_steps)
                if output_format == "jsonl":
                    stream.write(dumps(record, indent=None) + "\n")
                else:
                    stream.write(("," if i else "") + "\n" + _indent(dumps(record)))
            bar.update(1)
        if output_format == "json":
            stream.write("\n]\n")


@contextlib.contextmanager
def _buffered_stdout() -> Iterator[Any]:
    """A text stream that reaches standard output only when the block ends without an error.

    It is spooled to a temporary file past 8 MB, so 100,000 JSON lines do not sit in memory.
    """
    import shutil
    import tempfile

    with tempfile.SpooledTemporaryFile(max_size=8 * 2**20, mode="w+", encoding="utf-8", newline="") as buffer:
        yield buffer
        buffer.seek(0)
        shutil.copyfileobj(buffer, sys.stdout)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _parse_assignment(option: str, text: str) -> tuple[str, str]:
    if "=" not in text:
        raise QuizgenError(f"{option} '{text}' must be NAME=VALUE")
    name, value = text.split("=", 1)
    name = name.strip()
    if not name.isidentifier():
        raise QuizgenError(f"{option} '{text}': '{name}' is not a variable name")
    return name, value.strip()


@cli.command("solve")
@click.argument("template_id")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE", help="A drawn value: 32, 0.25, 1/4, [0.1, 0.2], [[1, 2], [3, 4]] or a word. Repeat for each.")
@click.option("--set-json", "json_assignments", multiple=True, metavar="NAME=JSON", help="A value given as JSON, e.g. layers='[...]'.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def solve_command(context: _Context, template_id: str, assignments: tuple[str, ...], json_assignments: tuple[str, ...], output_format: str) -> None:
    """Solve a template for values you give (check a hand-made question).

    \b
    Example:
      quizgen solve cnn.conv_output_size --set H=32 --set W=28 --set K_h=3 \\
          --set K_w=5 --set P_h=1 --set P_w=2 --set S_h=1 --set S_w=1
    """

    from .engine.figures import variant_figures
    from .formats.records import dumps, variant_record
    from .formats.render import render_text
    from .formats.terminal import terminal_width

    template = context.template(template_id)
    values: dict[str, Any] = {}
    for text in assignments:
        name, value = _parse_assignment("--set", text)
        values[name] = api.read_value(name, value)
    for text in json_assignments:
        name, value = _parse_assignment("--set-json", text)
        try:
            values[name] = _from_json(json.loads(value))
        except (json.JSONDecodeError, TypeError, ValueError) as error:
            raise QuizgenError(f"--set-json {name}: not valid JSON ({str(error)[:200]})") from None
        except RecursionError:
            raise QuizgenError(f"--set-json {name}: nested too deeply (values are numbers, vectors, matrices and layer lists)") from None
    variant = api.solve(template, values)
    for warning in variant.warnings:
        click.echo(f"Warning: these values break the constraint '{warning}'", err=True)
    if output_format == "json":
        click.echo(dumps(variant_record(variant)))
    else:
        click.echo(render_text(variant_record(variant), width=terminal_width(), figures=variant_figures(variant)), nl=False)


def _from_json(value: Any) -> Any:
    from .engine.values import exact

    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, (dict, str)) for v in value):
        return value
    return exact(value)


@cli.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--variants", type=click.IntRange(min=1), default=100, show_default=True, help="Variants drawn per template in the stress run.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--report", is_flag=True, help="Also print the quality report: distinct variants, rejected draws, answer ranges, nearest distractor, option positions.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Format of the report.")
@click.pass_obj
def validate_command(context: _Context, path: Path | None, variants: int, seed: int, report: bool, output_format: str) -> None:
    """Check a question bank and report every problem at once.

    Checks each file's fields and expressions, runs each template's own tests,
    draws many variants of each (constraints, answers, mistakes, steps), and
    converts every math snippet of a few as the papers would typeset it.
    With --report, prints the quality of each template and fails on a template
    below its distinct-variant minimum, a distractor that rounds like the answer,
    two of an answer's values too close to tell apart, a mistake named on one
    blank but not on its twin (height and width), or failing tests.

    \b
    Example:
      quizgen validate
      quizgen validate my_bank/ --variants 500
      quizgen validate --report
    """

    from .engine.bank import load_bank
    from .engine.generate import check_seed
    from .engine.quality import assess_all
    from .engine.validate import validate_bank
    from .outputs import progress

    root = path or context.bank_path
    bank = load_bank(root, collect_errors=True)
    problems = [str(error) for error in bank.errors]
    if report:
        results = []
        with progress(len(bank.templates), "Assessing") as bar:
            for quality in assess_all([t for _, t in sorted(bank.templates.items())], samples=variants, seed=check_seed(seed)):
                results.append(quality)
                bar.update(1)
        if output_format == "json":
            click.echo(json.dumps([q.as_dict() for q in results], indent=2))
        else:
            click.echo(_report_text(results))
        problems += [f"{q.template}: {p}" for q in results for p in q.problems]
        if problems:
            for problem in problems:
                _echo_wrapped(f"Problem: {problem}", err=True)
            raise QuizgenError(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {len(bank.templates) + len(bank.errors)} template files")
        return
    from .engine.validate import check_template
    from .exams.check import VARIANTS, save_typesetting, typesetting_problems
    from .exams.papers import typst_started
    from .parallel import ordered_map, worker_count

    templates = [template for _, template in sorted(bank.templates.items())]
    with progress(2 * len(bank.templates), "Validating") as bar:
        if typst_started():  # Typst's threads do not survive a fork: only the engine's checks go to the workers
            problems += validate_bank(bank, variants, check_seed(seed), progress=lambda: bar.update(1))
            for template in templates:
                problems += typesetting_problems(template, check_seed(seed))
                bar.update(1)
            save_typesetting()
        else:  # each template's checks and typesetting on every core; the problems in the same order as one by one

            def both(template: Any) -> tuple[list[str], list[str]]:
                first: list[Any] = []  # the stress run's first variants, which the typesetting check reads again
                engine_problems = check_template(template, variants, check_seed(seed), first, VARIANTS)
                typesetting_found = typesetting_problems(template, check_seed(seed), drawn=first)
                save_typesetting()  # the formula shapes and snippets new to this worker, for the next run (nothing to write once they are kept)
                return engine_problems, typesetting_found

            import gc

            typesetting: list[str] = []
            gc.freeze()  # the bank and the imports, never garbage: a worker's full collections skip them (0.25 CPU-s) and leave their pages shared
            try:
                for engine_problems, typesetting_found in ordered_map(both, templates, worker_count(len(templates))):
                    problems += engine_problems
                    typesetting += typesetting_found
                    bar.update(2)
            finally:
                gc.unfreeze()
            problems += typesetting
    checked = len(bank.templates) + len(bank.errors)
    if problems:
        for problem in problems:
            _echo_wrapped(f"Problem: {problem}", err=True)
        raise QuizgenError(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {checked} template files")
    _echo_wrapped(f"OK: {checked} templates, each with its own tests passing and up to {variants} distinct variants drawn (at most the template's min_variants)")


def _echo_wrapped(text: str, err: bool = False) -> None:
    """A line, wrapped at the terminal's width on a terminal (never inside a word or a number); as it is when piped."""

    from .formats import terminal

    stream = sys.stderr if err else sys.stdout
    if not stream.isatty():
        click.echo(text, err=err)
        return
    for line in terminal.wrap(text, terminal.terminal_width(stream), "", "    "):
        click.echo(line, err=err)


def _report_text(results: list[Any]) -> str:
    """The quality report: its table when that fits (or the output is piped), else one block a template, wrapped."""

    from .engine.quality import format_report
    from .formats import terminal

    table = format_report(results)
    if not sys.stdout.isatty():
        return table
    width = terminal.terminal_width()
    if all(len(line) <= width for line in table.splitlines()):
        return table
    glue = terminal.GLUE
    body = table.split("\n\n")[0].splitlines()[1:]  # the rows, each followed by its indented notes
    notes: dict[str, list[str]] = {}
    current = None
    for line in body:
        if line.startswith("    ") and current is not None:
            notes[current].append(line.strip())
        else:
            current = line.split(" ", 1)[0]
            notes.setdefault(current, [])
    lines: list[str] = []
    for q in results:
        distinct = q.distinct_text
        lines += terminal.wrap(f"{q.template} ({q.kind}): {distinct}{glue}distinct, {q.rejected_share:.0%}{glue}rejected", width, "", "    ")
        if q.smallest_gap is not None:
            ratio = f" ({q.smallest_ratio:.1f}{glue}tol)" if q.smallest_ratio is not None else ""
            lines += terminal.wrap(f"nearest distractor's difference: {q.smallest_gap:.4g}{ratio}", width, "    ", "      ")
        if q.answer_ranges:
            ranges = ", ".join(f"{name}{glue}{low:g}..{high:g}" for name, (low, high) in q.answer_ranges.items())
            lines += terminal.wrap(f"answers: {ranges}", width, "    ", "      ")
        if q.option_positions:
            lines += terminal.wrap(f"right option at A..: {q.option_positions}", width, "    ", "      ")
        for note in notes.get(q.template, []):  # the report's own notes (mistake names, problems), whole words
            lines += terminal.wrap(note, width, "    ", "      ")
    legend = table.split("\n\n")[-1] if "\n\n" in table else ""
    if legend:
        lines += [""] + terminal.wrap(" ".join(legend.split()), width)
    return "\n".join(lines)


@cli.group("export")
def export() -> None:
    """Export variants for other systems (Moodle, GIFT, QTI for other LMSs, a self-test HTML page).

    \b
    Example:
      quizgen export --help
    """


# ---------------------------------------------------------------------------
# Self-testing: `practice` and `export html` (quizgen/marking/practice.py, quizgen/formats/selftest.py)


@cli.command("practice")
@click.argument("template_ids", nargs=-1)
@click.option("--topic", help="Only this topic.")
@click.option("--count", "-n", type=click.IntRange(min=1), default=5, show_default=True, help="Questions to ask (a wrong answer may add another variant).")
@click.option("--seed", type=int, default=None, help="Seed of the variants [default: a fresh one each session, printed, so that a session can be replayed].")
@click.option("--progress", "progress_path", type=click.Path(dir_okay=False, path_type=Path), help="JSON record of how each topic went: the next session starts with the weakest topics.")
@click.pass_obj
def practice_command(context: _Context, template_ids: tuple[str, ...], topic: str | None, count: int, seed: int | None, progress_path: Path | None) -> None:
    """Practise in the terminal: one question at a time, marked at once.

    Answers may be written 0.25, 1/4, 2.5e-1 or .25; vectors as [0.1, 0.2] or
    0.1 0.2; matrices as 1 2; 3 4. A wrong answer names the mistake you probably
    made and shows the worked solution. 'skip' shows the solution, 'quit' (or
    Ctrl-D, Ctrl-C) ends with a summary per topic.

    \b
    Example:
      quizgen practice --topic cnn --count 5 --progress ~/dnn-progress.json
    """

    from .engine.generate import check_seed
    from .formats.terminal import terminal_width
    from .marking.practice import PracticeSession, Progress, Stop

    templates = _templates(context, template_ids, topic) if template_ids or topic else [t for _, t in sorted(context.bank.templates.items())]
    progress_record = Progress.load(progress_path)
    if seed is None:
        import secrets

        seed = secrets.randbelow(1_000_000)  # a new session each time; the seed is printed, and --seed replays it
    seed = check_seed(seed)

    def ask(prompt: str) -> str:
        try:
            return click.prompt(prompt, default="", show_default=False, prompt_suffix="")
        except click.Abort:
            raise Stop from None

    PracticeSession(templates, count, seed, progress_record, ask, click.echo, width=terminal_width()).run()


@export.command("html")
@click.argument("template_ids", nargs=-1)
@click.option("--topic", help="Every template of this topic.")
@click.option("--exam", "exam_path", type=click.Path(dir_okay=False, path_type=Path), help="Every template an exam spec (TOML) can draw: a mock exam to practise with.")
@click.option("--variants", "-n", type=click.IntRange(min=1), default=5, show_default=True, help="Variants per question in the page's pool ('another variant').")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The HTML file to write (atomically).")
@click.option("--title", default="Self-test", show_default=True, help="The page's title.")
@click.pass_obj
def export_html_command(context: _Context, template_ids: tuple[str, ...], topic: str | None, exam_path: Path | None, variants: int, seed: int, output: Path, title: str) -> None:
    """A self-contained HTML self-test page: works offline and on a phone.

    Each question checks the answer with the exports' tolerance rule, names the
    mistake a wrong answer probably comes from, reveals the worked solution, and
    draws another variant from the page's pool. The answers are obfuscated in the
    page source: that stops casual reading, not a determined student.

    \b
    Example:
      quizgen export html --topic cnn --variants 10 --seed 1 -o cnn-selftest.html
      quizgen export html cnn.conv_params multiclass.softmax -n 5 -o selftest.html
      quizgen export html --exam examples/midterm.toml -n 5 -o mock-midterm.html
    """
    with _bar("Generating") as (start, advance):
        page = api.export_html(template_ids, topic=topic, exam=exam_path, variants=variants, seed=seed, title=title,
                               output=output, bank=context.bank, progress=advance, on_start=start)
    context.warn_broken()
    for template_id, why in page.shortfalls.items():
        click.echo(f"Note: {template_id}: {why}", err=True)
    click.echo(f"Wrote {output}: {page.questions} question{'s' if page.questions != 1 else ''}, up to {variants} variants each", err=True)

# End of the self-testing block.
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Moodle: `export moodle` and `export gift` (quizgen/formats/moodle.py, quizgen/formats/gift.py)


_DEFAULT_PENALTY = 0.3333333  # a third of the mark lost per wrong try (Moodle's own default)


def _moodle_options(command):
    """The options `export moodle` and `export gift` share."""
    options = [
        click.argument("template_ids", nargs=-1),
        click.option("--topic", help="Every template of this topic."),
        click.option("--exam", "exam_path", type=click.Path(dir_okay=False, path_type=Path), help="Every template an exam spec (TOML) can draw, worth its section's points."),
        click.option("--variants", "-n", type=click.IntRange(min=1), default=10, show_default=True, help="Distinct variants per template (one category each)."),
        click.option("--seed", type=int, default=None, help="Seed of the variants  [default: the exam's seed, else 0]"),
        click.option("--allow-fewer", is_flag=True, help="A template that cannot make N distinct variants gets all it can (a note names it) instead of an error."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (atomically) instead of standard output."),
        click.pass_obj,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _notes(categories, variants: int) -> None:
    for category in categories:
        if category.shortfall:
            made = category.made
            click.echo(f"Note: {category.template}: only {made} distinct variant{'' if made == 1 else 's'} (asked for {variants})", err=True)


@export.command("moodle")
@_moodle_options
@click.option("--penalty", type=float, default=_DEFAULT_PENALTY, show_default=True, help="Fraction of the mark lost per wrong try (adaptive mode): 1, 0.5, 0.3333333, 0.25, 0.2, 0.1 or 0.")
def export_moodle_command(context: _Context, template_ids, topic, exam_path, variants, seed, allow_fewer, output, penalty) -> None:
    """Moodle XML: one question category per template holding N distinct variants.

    In a Moodle quiz, add a random question from a template's category (or from a
    topic's category, with subcategories) so each student gets their own variant.
    Numerical answers carry quizgen's absolute tolerance, each named mistake its own
    feedback; multi-part questions become cloze questions.

    \b
    Example:
      quizgen export moodle --topic cnn --variants 20 --seed 1 -o cnn.xml
      quizgen export moodle cnn.conv_params mlp.param_count -n 5 -o quiz.xml
      quizgen export moodle --exam midterm.toml --variants 30 -o midterm.xml
    """
    _write_moodle(context, template_ids, topic, exam_path, variants, seed, allow_fewer, output, penalty)


def _write_moodle(context: _Context, template_ids, topic, exam_path, variants: int, seed: int | None, allow_fewer: bool, output: Path | None, penalty: float) -> None:
    with _bar("Exporting") as (start, advance):
        result = api.export_moodle(template_ids, topic=topic, exam=exam_path, variants=variants, seed=seed, allow_fewer=allow_fewer,
                                   penalty=penalty, output=output, bank=context.bank, progress=advance, on_start=start)
    context.warn_broken()
    _notes(result.categories, variants)
    if output is None:
        sys.stdout.write(result.text)
    questions = sum(c.made for c in result.categories)
    categories = len(result.categories)
    click.echo(f"Wrote {output or 'standard output'}: {categories} categor{'y' if categories == 1 else 'ies'}, {questions} questions (seed {result.seed})", err=True)


@export.command("gift")
@_moodle_options
def export_gift_command(context: _Context, template_ids, topic, exam_path, variants, seed, allow_fewer, output) -> None:
    """Moodle GIFT text: the same questions as `export moodle`, where GIFT can express them.

    Numerical (with tolerance), multiple-choice and matching questions are written;
    multi-part (cloze) questions are left out, with a note saying how many. GIFT
    has no default mark or penalty, so Moodle's defaults apply.

    \b
    Example:
      quizgen export gift --topic concepts --variants 8 -o concepts.gift.txt
    """
    with _bar("Exporting") as (start, advance):
        result = api.export_gift(template_ids, topic=topic, exam=exam_path, variants=variants, seed=seed, allow_fewer=allow_fewer,
                                 output=output, bank=context.bank, progress=advance, on_start=start)
    context.warn_broken()
    _notes(result.categories, variants)
    if output is None:
        sys.stdout.write(result.text)
    click.echo(f"Wrote {output or 'standard output'}: {result.written} questions (seed {result.seed})", err=True)
    if result.skipped:
        click.echo(f"Note: {result.skipped} multi-part (cloze) questions left out: GIFT cannot express them (use 'quizgen export moodle')", err=True)


@export.command("qti")
@click.argument("template_ids", nargs=-1)
@click.option("--topic", help="Every template of this topic.")
@click.option("--exam", "exam_path", type=click.Path(dir_okay=False, path_type=Path), help="Every template an exam spec (TOML) can draw, worth its section's points.")
@click.option("--variants", "-n", type=click.IntRange(min=1), default=10, show_default=True, help="Distinct variants per template (one pool each: a student draws one).")
@click.option("--seed", type=int, default=None, help="Seed of the variants  [default: the exam's seed, else 0]")
@click.option("--flavour", type=click.Choice(["canvas", "qti21", "qti30"]), default="qti21", show_default=True,
              help="qti21 / qti30: an IMS QTI content package (Blackboard, Brightspace, ILIAS, OpenOlat, TAO...); canvas: Canvas Classic Quizzes' QTI 1.2.")
@click.option("--allow-fewer", is_flag=True, help="A template that cannot make N distinct variants gets all it can (a note names it) instead of an error.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The zip file to write (atomically).")
@click.pass_obj
def export_qti_command(context: _Context, template_ids, topic, exam_path, variants, seed, flavour, allow_fewer, output) -> None:
    """A QTI zip for every LMS that is not Moodle: one pool per template holding N variants.

    qti21 and qti30 are IMS content packages: one item per variant and a test
    with one section per template that selects one item, so each student draws
    a variant. Numbers are blanks marked by quizgen's absolute tolerance, named
    mistakes and the worked solution are feedback, maths is MathML. canvas is
    the QTI 1.2 that Canvas Classic Quizzes imports, one question group per
    template. Every file is checked against the QTI schemas before the zip is
    written. docs/lms.md says how to import it into each LMS and what each
    flavour loses.

    \b
    Example:
      quizgen export qti --topic cnn --variants 20 --flavour qti21 -o cnn-qti21.zip
      quizgen export qti --flavour canvas -n 5 -o bank-canvas.zip
      quizgen export qti --exam midterm.toml -n 10 --flavour qti30 --allow-fewer -o midterm-qti30.zip
    """
    with _bar("Exporting") as (start, advance):
        result = api.export_qti(template_ids, topic=topic, exam=exam_path, variants=variants, seed=seed, flavour=flavour,
                                allow_fewer=allow_fewer, output=output, bank=context.bank, progress=advance, on_start=start)
    context.warn_broken()
    _notes(result.pools, variants)
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
    pools = len(result.pools)
    click.echo(f"Wrote {output}: {flavour}, {pools} pool{'' if pools == 1 else 's'}, {result.items} items (seed {result.seed})", err=True)

# End of the Moodle block.
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Exams: `exam build` (quizgen/exams/)


@cli.group("exam")
def exam_group() -> None:
    """Exam papers and answer keys from an exam spec (TOML).

    \b
    Example:
      quizgen exam build examples/midterm.toml --out midterm --versions 3
    """


def _parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = text.split("/")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise QuizgenError(f"--shard '{text}' must be K/N, e.g. 2/4 (the 2nd of 4 slices)")
    index, count = (int(p) for p in parts)
    if count < 1 or not 1 <= index <= count:
        raise QuizgenError(f"--shard {text}: K must be from 1 to N, and N at least 1")
    return index, count


@exam_group.command("build")
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder (made if missing).")
@click.option("--versions", type=click.IntRange(min=1), default=None, help="Build N versions A, B, C... [default: the spec's 'versions' or 'roster', else 1].")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None, help="CSV with an 'id' column (and 'name'): one personal paper per student.")
@click.option("--seed", type=int, default=None, help="Seed of the exam [default: the spec's 'seed'].")
@click.option("--shard", "shard_text", metavar="K/N", default=None, help="Build only the K-th of N slices of the papers (split a large course across machines).")
@click.option("--latex-pdf", is_flag=True, help="Also compile the LaTeX sources with pdflatex (two passes); needs pdflatex on PATH.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes [default: one per core].")
@click.option("--sheets", is_flag=True, help="Answer sheets a scanner can read: corner marks and a QR code on every page, digit grids for numbers (filled in the keys).")
@click.option("--force", is_flag=True, help="Replace another build in --out (its papers, keys and manifest are removed first).")
@click.option("--moodle", "moodle_variants", metavar="N", type=click.IntRange(min=1), default=None,
              help="Also write moodle.xml: every template the exam can draw as a Moodle question bank, N variants each (as 'export moodle --exam SPEC -n N --allow-fewer').")
@click.pass_obj
def exam_build_command(context: _Context, spec_path: Path, out: Path, versions: int | None, roster: Path | None, seed: int | None, shard_text: str | None, latex_pdf: bool, jobs: int | None, sheets: bool, force: bool, moodle_variants: int | None) -> None:
    """Build exam papers and answer keys (PDF via Typst, plus LaTeX sources) and a manifest.

    For each version or student: paper-X.pdf, key-X.pdf, latex/paper-X.tex and
    latex/key-X.tex; then all-papers.pdf, all-keys.pdf (print-ready) and
    manifest.json (seed, bank fingerprint, and every paper's template ids,
    variant codes and answers). A student's paper depends only on the seed and
    the student's id, so adding a student changes no one else's paper. With
    --moodle N, the same exam as a Moodle question bank too (moodle.xml).

    \b
    Example:
      quizgen exam build examples/midterm.toml --out midterm --versions 3
      quizgen exam build examples/midterm.toml --out midterm --moodle 5
      quizgen exam build examples/midterm.toml --out midterm --roster examples/roster.csv --shard 1/2
    """
    with _bar("Building papers") as (start, advance):
        manifest = api.build_exam(spec_path, out, versions=versions, roster=roster, seed=seed, shard=_parse_shard(shard_text),
                                  latex_pdf=latex_pdf, jobs=jobs, bank=context.bank, progress=advance, on_start=start, sheets=sheets, force=force,
                                  writes_moodle=moodle_variants is not None)
    context.warn_broken()
    seed = manifest["seed"]
    built = len(manifest["papers"])
    click.echo(f"Wrote {out}: {built} paper{'s' if built != 1 else ''} and key{'s' if built != 1 else ''} (seed {seed}), {manifest['files']['all_papers']}, {manifest['files']['all_keys']}, "
               f"{manifest['files']['answers_template']} (for typed answers: quizgen grade)", err=True)
    if moodle_variants is not None:
        _write_moodle(context, (), None, spec_path, moodle_variants, seed, True, out / "moodle.xml", _DEFAULT_PENALTY)


@exam_group.command("mark")
@click.argument("build_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.argument("scans", metavar="SCANS...", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Results folder (made if missing).")
@click.option("--corrections", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="review.csv with its value column filled in: what you read where the scan was doubtful.")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Students (CSV, 'id' column) that version sheets' ID grids are matched to.")
@click.option("--dpi", type=click.IntRange(100, 600), default=200, show_default=True, help="Resolution PDFs are read at.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes [default: one per core].")
@click.pass_obj
def exam_mark_command(context: _Context, build_dir: Path, scans: tuple[Path, ...], out: Path, corrections: Path | None, roster: Path | None, dpi: int, jobs: int | None) -> None:
    """Mark scanned answer sheets (built with --sheets): grades, marks, review and annotated copies.

    DIR is the build's folder (its manifest and sheet layouts); SCANS are PDFs or
    images, in any order. Writes marks.csv (each blank: the value read, points,
    the named mistake), grades.csv, review.html and review.csv (every doubtful
    mark and page problem, with its image) and annotated/<sheet>.pdf. Fill in
    review.csv's value column and rerun with --corrections review.csv.

    \b
    Example:
      quizgen exam mark midterm scans/*.pdf --out results
      quizgen exam mark midterm scans/*.pdf --out results --corrections results/review.csv
    """
    with _bar("Reading pages") as (start, advance):
        summary = api.mark_exam(build_dir, list(scans), out, corrections=corrections, roster=roster, dpi=dpi, jobs=jobs, bank=context.bank,
                                progress=advance, on_start=start)
    context.warn_broken()
    for problem in summary.problems:
        click.echo(f"Page problem: {problem}", err=True)
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    click.echo(f"Wrote {out}: {plural(summary.sheets, 'sheet')} from {plural(summary.pages, 'page')}; "
               f"{plural(summary.review, 'mark')} to review, {plural(summary.page_problems, 'page problem')} (see {out / 'review.html'})", err=True)


@cli.command("grade")
@click.argument("build_dir", metavar="DIR", type=click.Path(path_type=Path))
@click.argument("answers", metavar="ANSWERS", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Report folder (made if missing).")
@click.option("--overrides", type=click.Path(dir_okay=False, path_type=Path), default=None, help="CSV of student, question, points: your points replace the marked ones.")
@click.option("--empty-template", "empty_template", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the empty typed-answers CSV of DIR's exam here (and grade nothing).")
@click.pass_obj
def grade_command(context: _Context, build_dir: Path, answers: Path | None, out: Path | None, overrides: Path | None, empty_template: Path | None) -> None:
    """Grades and item analysis: what the class got wrong, and which named mistake.

    DIR is the exam's build folder; ANSWERS is the marks.csv of 'quizgen exam mark',
    or a CSV of typed answers (one row per student, one column per blank; see
    docs/grading.md; the build wrote an empty one, answers-template.csv). A practice
    round is graded the same way: DIR is the self-test page, ANSWERS the folder of
    the attempts students saved on it. Writes grades.csv, items.csv (facility,
    discrimination, named mistakes), mistakes.csv, problems.csv (answers that
    could not be read), report.html and feedback/ (a page per student).

    \b
    Example:
      quizgen grade midterm midterm/answers-template.csv --out report
      quizgen grade midterm results/marks.csv --out report --overrides overrides.csv
      quizgen grade cnn-selftest.html attempts/ --out practice-report
    """

    from .outputs import atomic_writer

    if empty_template is not None:
        with atomic_writer(empty_template) as stream:
            stream.write(api.answers_template(build_dir))
        click.echo(f"Wrote {empty_template}: fill in one row per student, then run 'quizgen grade {build_dir} {empty_template} --out REPORT'", err=True)
        return
    if answers is None or out is None:
        raise QuizgenError("give ANSWERS and --out REPORT (or --empty-template FILE)")
    with _bar("Grading") as (start, advance):
        analysis = api.grade(build_dir, answers, out, overrides=overrides, bank=context.bank, progress=advance, on_start=start)
    context.warn_broken()
    for note in analysis.grading.notes:
        click.echo(f"Note: {note}", err=True)
    test = analysis.test
    problems = len(analysis.grading.problems)
    shown = lambda v, d=2: "–" if v is None else f"{v:.{d}f}"  # noqa: E731
    click.echo(f"Wrote {out}: {test.students} student{'s' if test.students != 1 else ''}, mean {shown(test.mean)} of {test.max_points:g}, "
               f"alpha {shown(test.alpha, 3)}; {problems} answer{'s' if problems != 1 else ''} to settle (see {out / 'report.html'})", err=True)


# End of the exam block.
# ---------------------------------------------------------------------------


def main() -> None:
    """Entry point of the console script.

    SIGTERM is turned into the same KeyboardInterrupt as Ctrl-C, so that every ``finally``
    runs (temporary files removed, workers stopped) and the command ends with one line and
    exit code 130 instead of a traceback. A closed pipe (``quizgen list | head``) ends the
    command quietly, with exit code 0.
    """
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        _interrupted()
    except KeyboardInterrupt:
        _interrupted()
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)
    except OSError as error:
        if error.errno == errno.EPIPE:
            _quiet_stdout()
            sys.exit(0)
        click.echo(f"Error: {error.strerror or error}{f': {error.filename}' if error.filename else ''}", err=True)
        sys.exit(2)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _interrupted() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal while cleaning up changes nothing
    click.echo("\nInterrupted: nothing half-written was left behind.", err=True)
    sys.exit(130)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so Python's flush at exit does not report the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
