"""Render variants into output formats: one Jinja Environment per format, built once."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jinja2

from ..cache import jinja_bytecode_cache
from ..errors import RenderError
from ..resources import templates_dir
from . import terminal
from .plain import tex_to_plain


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    return str(value)


def _any_nonzero(value: Any) -> bool:
    if isinstance(value, list):
        return any(_any_nonzero(item) for item in value)
    return bool(value)


class RecordEnvironment(jinja2.Environment):
    """A Jinja Environment for JSON-like records: ``q.label`` reads the dict's item at once.

    Jinja tries an attribute first and an item only after the AttributeError, which costs
    more than the rest of a lookup; a dict's own methods (``items``, ``keys``...) still win
    over an item of the same name, as in Jinja. Its templates are read once: quizgen's own
    output templates do not change during a run, and checking their files' times before
    every render (Jinja's auto_reload) costs a stat each time. Compiled, they are kept
    between runs (quizgen.cache).
    """

    def __init__(self, **options: Any):
        super().__init__(auto_reload=False, bytecode_cache=jinja_bytecode_cache(), **options)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj and not hasattr(dict, attribute):
            return obj[attribute]
        return super().getattr(obj, attribute)


@lru_cache(maxsize=None)
def environment(output_format: str) -> jinja2.Environment:
    """The Environment of one format: StrictUndefined, so a typo fails instead of printing a blank."""
    folder = templates_dir() / output_format
    if not folder.is_dir():
        raise RenderError(f"no output templates for format '{output_format}'")
    autoescape = output_format in ("html", "xml", "moodle")
    env = RecordEnvironment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.filters["plain"] = tex_to_plain
    env.filters["any_nonzero"] = _any_nonzero
    env.filters["shown"] = _shown
    if output_format == "text":
        terminal.add_filters(env)
    return env


def render_text(record: dict[str, Any], show_answers: bool = True, width: int = terminal.DEFAULT_WIDTH, figures: list | None = None) -> str:
    """A variant's JSON record as readable terminal text (question, answer, worked solution), laid out at ``width`` columns.

    ``figures`` are the variant's resolved figures (quizgen.engine.figures.variant_figures), drawn
    as text; without them a figure of the record is shown by its caption and alt text.
    """
    template = environment("text").get_template("variant.txt.j2")
    text = template.render(v=record, show_answers=show_answers, width=max(terminal.MIN_WIDTH, width), figures=figures)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"
