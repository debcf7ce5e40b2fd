"""The ``quizgen`` command: a thin click layer over the library.

Each command parses its options, calls the library, and turns a QuizgenError
into one ``Error: ...`` line with exit code 2. No traceback reaches a user.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

import click

from . import __version__
from .bank import Bank, load_bank
from .errors import ExpressionError, QuizgenError
from .expressions import parse
from .generate import Variant, check_seed, generate, make_variant, parse_code, solve
from .outputs import atomic_writer, progress
from .records import dumps, variant_record
from .render import render_text
from .template import Template
from .validate import validate_bank
from .values import exact


class _Context:
    def __init__(self, bank_path: Path | None):
        self.bank_path = bank_path
        self._bank: Bank | None = None

    @property
    def bank(self) -> Bank:
        if self._bank is None:
            self._bank = load_bank(self.bank_path)
        return self._bank


class _DomainError(click.ClickException):
    """A QuizgenError at the command-line boundary: 'Error: ...' and exit code 2."""

    exit_code = 2


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QuizgenError as error:
            raise _DomainError(str(error)) from None


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
    if topic:
        return context.bank.by_topic(topic)
    if not ids:
        raise QuizgenError("name at least one template id, or --topic (see 'quizgen list')")
    return [context.bank.get(i) for i in ids]


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
    templates = context.bank.by_topic(topic) if topic else [t for _, t in sorted(context.bank.templates.items())]
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
    template = context.bank.get(template_id)
    if code:
        seed, index, nice = parse_code(template.id, code)
        variant = make_variant(template, seed, index, nice)
    elif index is not None:
        variant = make_variant(template, check_seed(seed), _non_negative("index", index), nice)
    else:
        variant = next(generate(template, 1, check_seed(seed), nice))
    click.echo(render_text(variant_record(variant), show_answers=not no_answer), nl=False)


def _non_negative(name: str, value: int) -> int:
    if value < 0:
        raise QuizgenError(f"--{name}={value} must be at least 0")
    return value


def _variants(templates: list[Template], count: int, seed: int, nice: bool) -> Iterator[Variant]:
    for template in templates:
        yield from generate(template, count, seed, nice)


@cli.command("generate")
@click.argument("template_ids", nargs=-1)
@click.option("--topic", help="Every template of this topic.")
@click.option("--count", "-n", type=click.IntRange(min=1), default=1, show_default=True, help="Distinct variants per template.")
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
    templates = _templates(context, template_ids, topic)
    seed = check_seed(seed)
    total = count * len(templates)
    with atomic_writer(output) as stream, progress(total, "Generating") as bar:
        if output_format == "json":
            stream.write("[")
        for i, variant in enumerate(_variants(templates, count, seed, nice)):
            if output_format == "text":
                stream.write(("\n" + "-" * 72 + "\n" if i else "") + render_text(variant_record(variant)))
            else:
                record = variant_record(variant, steps=not no_steps)
                if output_format == "jsonl":
                    stream.write(dumps(record, indent=None) + "\n")
                else:
                    stream.write(("," if i else "") + "\n" + _indent(dumps(record)))
            bar.update(1)
        if output_format == "json":
            stream.write("\n]\n")


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


def _literal(name: str, text: str) -> Any:
    """A number, fraction, list or matrix, read with the same whitelist as templates; a bare word stays a word."""
    try:
        return parse(text, names=set()).evaluate({})
    except ExpressionError as error:
        if text.isidentifier():
            return text
        raise QuizgenError(f"--set {name}={text}: {error}") from None
    except (ValueError, ZeroDivisionError, TypeError) as error:
        raise QuizgenError(f"--set {name}={text}: {error or 'cannot be computed'}") from None


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
    template = context.bank.get(template_id)
    values: dict[str, Any] = {}
    for text in assignments:
        name, value = _parse_assignment("--set", text)
        values[name] = _literal(name, value)
    for text in json_assignments:
        name, value = _parse_assignment("--set-json", text)
        try:
            values[name] = _from_json(json.loads(value))
        except (json.JSONDecodeError, TypeError, ValueError) as error:
            raise QuizgenError(f"--set-json {name}: not valid JSON ({error})") from None
    variant = solve(template, values)
    for warning in variant.warnings:
        click.echo(f"Warning: these values break the constraint '{warning}'", err=True)
    if output_format == "json":
        click.echo(dumps(variant_record(variant)))
    else:
        click.echo(render_text(variant_record(variant)), nl=False)


def _from_json(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, (dict, str)) for v in value):
        return value
    return exact(value)


@cli.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--variants", type=click.IntRange(min=1), default=100, show_default=True, help="Variants drawn per template in the stress run.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_obj
def validate_command(context: _Context, path: Path | None, variants: int, seed: int) -> None:
    """Check a question bank and report every problem at once.

    Checks each file's fields and expressions, runs each template's own tests,
    and draws many variants of each (constraints, answers, mistakes, steps).

    \b
    Example:
      quizgen validate
      quizgen validate my_bank/ --variants 500
    """
    root = path or context.bank_path
    bank = load_bank(root, collect_errors=True)
    problems = [str(error) for error in bank.errors]
    with progress(len(bank.templates), "Validating") as bar:
        problems += validate_bank(bank, variants, check_seed(seed), progress=lambda: bar.update(1))
    checked = len(bank.templates) + len(bank.errors)
    if problems:
        for problem in problems:
            click.echo(f"Problem: {problem}", err=True)
        raise QuizgenError(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {checked} template files")
    click.echo(f"OK: {checked} templates, each with its own tests passing and up to {variants} distinct variants drawn (at most the template's min_variants)")


@cli.group("export")
def export() -> None:
    """Export variants for other systems (Moodle, GIFT, a self-test HTML page).

    \b
    Example:
      quizgen export --help
    """


def main() -> None:
    """Entry point of the console script."""
    try:
        cli()
    except BrokenPipeError:
        sys.exit(0)
