"""Question templates: one YAML file each, checked and compiled once at load.

A template is data, not code. Loading checks every field and parses every
expression with the whitelist, so a malformed file fails here, with the file,
the field and the reason, and never half-way through an export.
See docs/authoring.md for the format.
"""

from __future__ import annotations

import hashlib
import keyword
import math
import re
from functools import cached_property
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import yaml
from jinja2.sandbox import SandboxedEnvironment

from .. import __version__
from ..cache import Store, jinja_bytecode_cache
from ..errors import BankError, ExpressionError, QuizgenError, did_you_mean
from ..inputs import MAX_YAML_NODES, read_text, yaml_expansion
from . import expressions
from .expressions import Expression
from .figures import parse_figures

KINDS = ("numerical", "multipart", "multichoice", "concept", "matching")
TABLE_KINDS = ("concept", "matching")  # questions over a table of the sheet, with no numbers
ANSWER_KINDS = ("integer", "number", "vector", "matrix")
MAX_SECTION = 18

_TOP_FIELDS = {
    "id": True, "title": True, "topic": True, "section": True, "difficulty": True, "kind": True,
    "variables": True, "text": True, "answers": True, "constraints": False, "nice": False, "note": False,
    "mistakes": False, "tests": False, "options": False, "solution": False, "tags": False, "min_variants": False,
    "figures": False,
}
_TABLE_FIELDS = {
    "id": True, "title": True, "topic": True, "section": True, "difficulty": True, "kind": True, "text": True,
    "pairs": True, "columns": True, "ask": False, "options": False, "count": False, "solution": False, "tags": False,
    "min_variants": False, "distractors": False, "distractor_count": False,
}
_PLAIN_FORBIDDEN = re.compile(r"[\\{}$&#%_^~<>]")
_VARIABLE_FIELDS = {"name", "draw", "value", "tex", "label", "decimals", "sigfigs", "show"}
_ANSWER_FIELDS = {"name", "label", "kind", "decimals", "sigfigs", "tolerance", "unit"}
_MISTAKE_FIELDS = {"name", "label", "answer", "value", "feedback"}
_CONSTRAINT_FIELDS = {"expr", "message"}
_TEST_FIELDS = {"set", "expect", "name"}
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


# The filters and tests a question text may use, without arguments: they change a word or ask of a number.
_TEXT_FILTERS = frozenset({"lower", "upper", "capitalize", "title", "trim", "int", "abs"})
_TEXT_TESTS = frozenset({"even", "odd", "number", "string"})


def text_environment() -> SandboxedEnvironment:
    """The Jinja environment for text that authors write: ``{@ name @}`` cannot fight TeX's braces.

    Sandboxed, with no globals (no ``range``, ``lipsum``, ``cycler``...) and only the filters
    and tests a text may use; ``text_problem`` refuses everything else at load.
    """
    env = SandboxedEnvironment(
        variable_start_string="{@",
        variable_end_string="@}",
        block_start_string="{%",
        block_end_string="%}",
        comment_start_string="{#@",
        comment_end_string="@#}",
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        bytecode_cache=jinja_bytecode_cache(),
    )
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in _TEXT_FILTERS}
    env.tests = {name: env.tests[name] for name in _TEXT_TESTS}
    return env


_TEXT_ENV = text_environment()


def _compile_text(source: str, parsed: jinja2.nodes.Template | None) -> jinja2.Template:
    """A question text compiled (from the tree when it was just parsed), or its code from an earlier run."""
    bytecode = _TEXT_ENV.bytecode_cache
    bucket = bytecode.get_bucket(_TEXT_ENV, hashlib.sha256(source.encode("utf-8")).hexdigest(), None, source)
    if bucket.code is None:
        bucket.code = _TEXT_ENV.compile(parsed if parsed is not None else source)
        bytecode.set_bucket(bucket)
    return _TEXT_ENV.template_class.from_code(_TEXT_ENV, bucket.code, _TEXT_ENV.make_globals(None))


def save_checked_texts() -> None:
    """Keep the texts this run checked for the next run (called once a bank is loaded)."""
    _TEXT_NAMES.save()


@dataclass
class Variable:
    name: str
    expression: Expression
    is_draw: bool
    tex: str | None
    label: str | None
    decimals: int | None
    sigfigs: int | None
    show: "bool | Expression"  # a condition: the step is shown only in variants where it holds
    fixed: Any = None  # the Distribution itself when a draw does not depend on other variables


@dataclass
class Constraint:
    expression: Expression
    message: str
    after: int = 0  # index of the last variable it needs: checked as soon as that one is known


@dataclass
class Tolerance:
    kind: str  # "abs" or "rel"
    value: Any  # exact sympy number, or None: half a unit in the last place shown


@dataclass
class AnswerSpec:
    name: str
    label: str
    kind: str
    decimals: int | None
    sigfigs: int | None
    tolerance: Tolerance
    unit: str | None


@dataclass
class Mistake:
    name: str
    label: str
    answer: str
    expression: Expression
    feedback: jinja2.Template | FixedText
    feedback_source: str


@dataclass
class TemplateTest:
    name: str
    values: dict[str, Any]
    expect: dict[str, Any]


@dataclass
class Template:
    id: str
    title: str
    topic: str
    section: int
    difficulty: int
    kind: str
    variables: list[Variable]
    constraints: list[Constraint]
    nice: list[Constraint]
    text: jinja2.Template
    text_source: str
    answers: list[AnswerSpec]
    note: jinja2.Template | None
    mistakes: list[Mistake]
    tests: list[TemplateTest]
    option_count: int
    solution: jinja2.Template | None
    tags: list[str]
    min_variants: int
    source: str
    symbols: dict[str, str] = field(default_factory=dict)
    pairs: list[tuple[str, str]] = field(default_factory=list)  # concept and matching: the sheet's table
    columns: tuple[str, str] = ("", "")  # the table's column headings, e.g. ("Gate", "Purpose")
    ask: str = "right"  # concept: ask for the right-hand entry ("right"), the left ("left") or either ("both")
    pair_count: int = 0  # matching: how many rows one question shows
    distractors: list[str] = field(default_factory=list)  # matching: right-column entries that belong to no row shown
    distractor_count: int = 0  # matching: how many of them one question shows
    note_names: list[str] = field(default_factory=list)  # the variables the note shows: a duplicate is known once they are drawn
    shown_names: frozenset[str] | None = None  # the variables a text, note, solution or feedback shows (None: all), the only ones formatted
    figures: list = field(default_factory=list)  # figures.FigureSpec: drawn from each variant's values

    @property
    def draw_names(self) -> list[str]:
        return [v.name for v in self.variables if v.is_draw]

    @cached_property
    def note_position(self) -> int:
        """Index of the last variable the note needs (-1 when it needs none): a duplicate is known once it is drawn."""
        names = set(self.note_names)
        return max((i for i, v in enumerate(self.variables) if v.name in names), default=-1)

    def variable(self, name: str) -> Variable:
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(name)


_MATH = re.compile(r"\$\$.*?\$\$|\$.*?\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
_PLACEHOLDER = re.compile(r"\{@.*?@\}", re.S)


def group_math_placeholders(source: str) -> str:
    """Inside math, ``{@a@}`` becomes ``{{@a@}}`` so the value is a TeX group: ``\\frac{@a@}{@b@}`` works."""
    return _MATH.sub(lambda math: _PLACEHOLDER.sub(lambda p: "{" + p.group() + "}", math.group()), source)


# What a question text may use of Jinja: placeholders, conditions and a few filters that
# change a word. Anything else (loops, calls, attributes, assignments, macros, includes)
# is refused at load, so a text can only print the variables it names: it cannot loop,
# build a huge string, or reach an object. Jinja folds constants when it compiles, so
# arithmetic on constants is refused too ('9**(9**9)' would be computed at load).
_TEXT_NODES = (
    jinja2.nodes.Template, jinja2.nodes.Output, jinja2.nodes.TemplateData, jinja2.nodes.Name, jinja2.nodes.Const,
    jinja2.nodes.If, jinja2.nodes.CondExpr, jinja2.nodes.Compare, jinja2.nodes.Operand, jinja2.nodes.And,
    jinja2.nodes.Or, jinja2.nodes.Not, jinja2.nodes.Filter, jinja2.nodes.Test, jinja2.nodes.Mod, jinja2.nodes.Add,
    jinja2.nodes.Sub, jinja2.nodes.Neg, jinja2.nodes.Pos,
)
_ARITHMETIC = (jinja2.nodes.Mod, jinja2.nodes.Add, jinja2.nodes.Sub, jinja2.nodes.Neg, jinja2.nodes.Pos)
_NODE_NAMES = {
    jinja2.nodes.For: "a loop ('for')", jinja2.nodes.Getattr: "attribute access ('.')", jinja2.nodes.Getitem: "indexing ('[...]')",
    jinja2.nodes.Call: "a function call", jinja2.nodes.Include: "'include'", jinja2.nodes.Import: "'import'",
    jinja2.nodes.FromImport: "'from ... import'", jinja2.nodes.Extends: "'extends'", jinja2.nodes.Macro: "'macro'",
    jinja2.nodes.CallBlock: "'call'", jinja2.nodes.Assign: "'set'", jinja2.nodes.AssignBlock: "'set'",
    jinja2.nodes.Pow: "'**'", jinja2.nodes.Mul: "'*'", jinja2.nodes.Div: "'/'", jinja2.nodes.FloorDiv: "'//'",
    jinja2.nodes.Concat: "'~'", jinja2.nodes.FilterBlock: "a filter block", jinja2.nodes.With: "'with'",
    jinja2.nodes.Block: "'block'", jinja2.nodes.List: "a list", jinja2.nodes.Tuple: "a tuple", jinja2.nodes.Dict: "a dict",
    jinja2.nodes.Slice: "a slice",
}
MAX_TEXT = 20_000  # characters of one text field: a question, not a book
MAX_CONSTANT = 1_000  # |n| of a number written in a text's condition


def text_problem(parsed: jinja2.nodes.Template, names: set[str]) -> str | None:
    """Why a parsed question text is refused (the first reason), or None: only the allowed Jinja, only known names."""
    for node in parsed.find_all(jinja2.nodes.Node):
        if not isinstance(node, _TEXT_NODES):
            return f"{_NODE_NAMES.get(type(node), type(node).__name__)} is not allowed in text: placeholders hold variable names, e.g. {{@ K @}}, and {{% if %}} chooses between texts"
        if isinstance(node, jinja2.nodes.Name) and node.name not in names:
            return f"unknown variable '{node.name}' in {{@ @}}"
        if isinstance(node, jinja2.nodes.Filter) and (node.name not in _TEXT_FILTERS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs):
            return f"No filter named '{node.name}' for text: a text may use {', '.join(sorted(_TEXT_FILTERS))}, without arguments"
        if isinstance(node, jinja2.nodes.Test) and (node.name not in _TEXT_TESTS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs):
            return f"No test named '{node.name}' for text: a text may use {', '.join(sorted(_TEXT_TESTS))}, without arguments"
        if isinstance(node, jinja2.nodes.Const) and not _small_constant(node.value):
            return f"the constant {str(node.value)[:40]!r} is not allowed in text (numbers up to {MAX_CONSTANT}, strings up to 200 characters)"
        if isinstance(node, _ARITHMETIC) and any(isinstance(child, jinja2.nodes.Const) and isinstance(child.value, str) for child in node.iter_child_nodes()):
            return "arithmetic on a string is not allowed in text"
    return None


def _small_constant(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_CONSTANT
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= MAX_CONSTANT
    return isinstance(value, str) and len(value) <= 200


# Compiling the bank's ~500 texts is most of loading it, and every command loads it. So a
# text's check (the names it uses; kept only once it has passed) and its compiled code are
# kept between runs (quizgen.cache, and Jinja's own bytecode cache), by its source.
_TEXT_RULES = "allowlist-1"  # a change of the rules above: every text is checked again
_TEXT_NAMES = Store(f"text-names-{__version__}-jinja-{jinja2.__version__}-{_TEXT_RULES}")


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML's safe loader, except that a key given twice is an error instead of the last one winning.

    LibYAML's parser when PyYAML was built with it (the wheels are): loading the bank is then
    several times faster, and every command loads it.
    """


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # every control character but the newline
# A TeX command starting with \n that double-quoted YAML turned into a newline ("\nabla" → newline + "abla").
_LOST_BACKSLASH_N = re.compile(r"\n(abla|eq|eg|ot|otin|exists|leq|geq|mid|ewline|orm)(?![A-Za-z])")


_PLACEHOLDER = re.compile(r"\{@\s*([A-Za-z][A-Za-z0-9_]*)\s*@\}")
_JINJA_MARKS = ("{@", "@}", "{%", "%}", "{#@", "@#}", "\r")


class PlaceholderText:
    """A text whose only Jinja is ``{@ name @}`` placeholders, rendered by joining strings.

    Most question texts, notes and feedback are just that, and Jinja's render (a new context
    per call) costs more than the rest of a small variant. The output is what Jinja gives:
    the source without its one trailing newline (keep_trailing_newline is off), each
    placeholder replaced by its string. Anything else (a name missing from the context, a
    value that is not a string) is rendered by the compiled Jinja template, so the result
    or the error is Jinja's own.
    """

    def __init__(self, pieces: list[str], names: list[str], compiled: jinja2.Template):
        self.pieces = pieces  # literal text around the placeholders: len(names) + 1 pieces
        self.names = names
        self.compiled = compiled

    @classmethod
    def of(cls, source: str, compiled: jinja2.Template, used: set[str]) -> PlaceholderText | None:
        """The fast form of a text, or None when it uses anything but placeholders of its variables."""
        text = source[:-1] if source.endswith("\n") else source
        split = _PLACEHOLDER.split(text)
        pieces, names = split[0::2], split[1::2]
        if any(mark in piece for piece in pieces for mark in _JINJA_MARKS) or not set(names) <= used:
            return None  # e.g. {@ x | lower @}, {% if %}, or {@ true @} (a Jinja constant, not a variable)
        return cls(pieces, names, compiled)

    def render(self, *args: Any, **kwargs: Any) -> str:
        context = args[0] if len(args) == 1 and not kwargs and isinstance(args[0], dict) else dict(*args, **kwargs)
        out = [self.pieces[0]]
        for name, piece in zip(self.names, self.pieces[1:]):
            value = context.get(name)
            if type(value) is not str:
                return self.compiled.render(*args, **kwargs)
            out.append(value)
            out.append(piece)
        return "".join(out)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled, name)


class FixedText:
    """A text with no placeholders, rendered once: renders to the same text always (as a Jinja template would)."""

    def __init__(self, text: str):
        self.text = text

    def render(self, context: dict[str, str] | None = None) -> str:
        return self.text


class _Reader:
    """Field-by-field checks that raise BankError naming the file and the field."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> None:
        raise BankError(self.source, where, message)

    def mapping(self, value: Any, where: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"must be a mapping, got {type(value).__name__}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            self.fail(f"{where}.{unknown[0]}" if where else unknown[0], f"unknown field{did_you_mean(unknown[0], allowed)} (allowed: {', '.join(sorted(allowed))})")
        for name in sorted(required):
            if name not in value:
                self.fail(f"{where}.{name}" if where else name, "missing required field")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"must be a non-empty string, got {value!r}")
        control = _CONTROL.search(value)
        if control:
            self.fail(where, f"contains the control character {control.group()!r}: in double-quoted YAML a backslash starts an escape (\\t in \\theta, \\r in \\right), so write TeX in single quotes or a '|' block")
        lost = _LOST_BACKSLASH_N.search(value)
        if lost:
            self.fail(where, f"has a line break before '{lost.group(1)}': in double-quoted YAML \\n is a line break, so \\n{lost.group(1)} lost its backslash; write TeX in single quotes or a '|' block")
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"must be a whole number, got {value!r}")
        if not low <= value <= high:
            self.fail(where, f"must be from {low} to {high}, got {value}")
        return value

    def listing(self, value: Any, where: str, allow_empty: bool = False) -> list:
        if not isinstance(value, list):
            self.fail(where, f"must be a list, got {type(value).__name__}")
        if not value and not allow_empty:
            self.fail(where, "must not be empty")
        return value

    def expression(self, text: Any, where: str, names: set[str], allow_draws: bool = False) -> Expression:
        try:
            return expressions.parse(text, names=names, allow_draws=allow_draws, where=where)
        except ExpressionError as error:
            self.fail(where, str(error))
            raise

    def jinja(self, text: Any, where: str, names: set[str]) -> jinja2.Template:
        return self.jinja_with_names(text, where, names)[0]

    def fixed_or_jinja(self, text: Any, where: str, names: set[str]) -> tuple[jinja2.Template | FixedText, set[str]]:
        """The text and the names it uses; a text without placeholders is rendered once, here: most variants show a constant feedback many times."""
        compiled, used = self.jinja_with_names(text, where, names)
        if used or "{%" in text or "{{" in text:
            return compiled, used
        try:
            return FixedText(compiled.render({})), used
        except jinja2.TemplateError as error:
            self.fail(where, f"template error: {error.message}")
            raise

    def jinja_with_names(self, text: Any, where: str, names: set[str]) -> tuple[jinja2.Template, set[str]]:
        """The compiled text and the variable names its placeholders use."""
        source = group_math_placeholders(self.string(text, where))
        if len(source) > MAX_TEXT:
            self.fail(where, f"is {len(source)} characters long; a text may have at most {MAX_TEXT}")
        checked = _TEXT_NAMES.get(source)  # an earlier run checked this text: the names it uses
        parsed = None
        if checked is None:
            try:
                parsed = _TEXT_ENV.parse(source)
            except jinja2.TemplateSyntaxError as error:
                self.fail(where, f"template syntax error on line {error.lineno}: {error.message}")
            except RecursionError:
                self.fail(where, "is nested too deeply")
            problem = text_problem(parsed, names)
            if problem:
                self.fail(where, problem)
        try:
            used = set(checked.split()) if checked is not None else jinja2.meta.find_undeclared_variables(parsed)
            unknown = sorted(used - names)
            if unknown:
                self.fail(where, f"unknown variable '{unknown[0]}' in {{@ @}}")
            compiled = _compile_text(source, parsed)
        except jinja2.TemplateError as error:
            self.fail(where, f"template error: {error.message}")
            raise
        if checked is None:
            _TEXT_NAMES.put(source, " ".join(sorted(used)))
        return PlaceholderText.of(source, compiled, used) or compiled, used


def load_template(path: Path, bank_root: Path | None = None) -> Template:
    """Read, check and compile one template file."""
    source = str(path)
    reader = _Reader(source)
    try:
        raw_text = read_text(path, "question template", allow_symlink=bank_root is None)
    except QuizgenError as error:
        raise BankError(source, "", str(error).removeprefix(f"{source}: ")) from None
    try:
        if "&" in raw_text and "*" in raw_text and yaml_expansion(raw_text, _UniqueKeyLoader) > MAX_YAML_NODES:
            raise BankError(source, "aliases", f"the YAML aliases (*name) expand to more than {MAX_YAML_NODES:,} values: not a question template")
        data = yaml.load(raw_text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise BankError(source, "", "YAML nested too deeply") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        problem = problem.removeprefix("did not find ")  # LibYAML's wording of the pure-Python parser's "expected ..."
        if problem.startswith("duplicate key"):
            key = problem.split("'")[1]
            raise BankError(source, key, f"{problem} (line {mark.line + 1}): each field may be given once") from None
        raise BankError(source, where, f"YAML syntax error: {problem}") from None
    return build_template(data, source, path, bank_root, reader)


def build_template(data: Any, source: str, path: Path | None, bank_root: Path | None, reader: _Reader | None = None) -> Template:
    reader = reader or _Reader(source)
    if isinstance(data, dict) and data.get("kind") in TABLE_KINDS:
        return _build_table_template(data, source, path, bank_root, reader)
    reader.mapping(data, "", set(_TOP_FIELDS), {k for k, required in _TOP_FIELDS.items() if required})
    template_id, topic, title, section, difficulty, kind = _header(data, path, bank_root, reader)


    variables: list[Variable] = []
    known: set[str] = set()
    for i, item in enumerate(reader.listing(data["variables"], "variables")):
        where = f"variables[{i}]"
        reader.mapping(item, where, _VARIABLE_FIELDS, {"name"})
        name = reader.string(item["name"], f"{where}.name")
        where = f"variables.{name}" if isinstance(name, str) else where
        if not _IDENTIFIER.match(name) or keyword.iskeyword(name):
            reader.fail(f"{where}.name", f"'{name}' is not a valid name (letters, digits, underscores; starts with a letter)")
        if name in expressions.RESERVED_NAMES:
            reader.fail(f"{where}.name", f"'{name}' is a built-in name; choose another")
        if name in known:
            reader.fail(f"{where}.name", f"'{name}' is defined twice")
        if ("draw" in item) == ("value" in item):
            reader.fail(where, "needs exactly one of 'draw' (a random value) or 'value' (computed)")
        is_draw = "draw" in item
        expression = reader.expression(item["draw" if is_draw else "value"], f"{where}.{'draw' if is_draw else 'value'}", known, allow_draws=is_draw)
        if is_draw and not (isinstance(expression.root, expressions.Call) and expression.root.function in draws_names()):
            reader.fail(f"{where}.draw", f"must call one of {', '.join(sorted(draws_names()))}, e.g. int(1, 5)")
        decimals = _optional_int(reader, item, "decimals", where, 0, 12)
        sigfigs = _optional_int(reader, item, "sigfigs", where, 1, 12)
        show = item.get("show", True)
        if isinstance(show, str):
            show = reader.expression(show, f"{where}.show", known | {name})
        elif not isinstance(show, bool):
            reader.fail(f"{where}.show", f"must be true, false or a condition such as 'L == 3', got {show!r}")
        tex = item.get("tex")
        if tex is not None:
            tex = reader.string(tex, f"{where}.tex")
        label = item.get("label")
        if label is not None:
            label = reader.string(label, f"{where}.label")
        fixed = None
        if is_draw and not expression.names:
            try:
                fixed = expression.evaluate({})
            except ExpressionError as error:
                reader.fail(f"{where}.draw", str(error))
        variables.append(Variable(name, expression, is_draw, tex, label, decimals, sigfigs, show, fixed))
        known.add(name)

    order = {v.name: i for i, v in enumerate(variables)}
    constraints = _constraints(reader, data.get("constraints", []), "constraints", known, order)
    nice = _constraints(reader, data.get("nice", []), "nice", known, order)
    text, shown = reader.jinja_with_names(data["text"], "text", known)

    answers: list[AnswerSpec] = []
    for i, item in enumerate(reader.listing(data["answers"], "answers")):
        where = f"answers[{i}]"
        reader.mapping(item, where, _ANSWER_FIELDS, {"name", "kind"})
        name = reader.string(item["name"], f"{where}.name")
        if name not in known:
            reader.fail(f"{where}.name", f"unknown variable '{name}'")
        answer_kind = reader.string(item["kind"], f"{where}.kind")
        if answer_kind not in ANSWER_KINDS:
            reader.fail(f"{where}.kind", f"'{answer_kind}' is not one of {', '.join(ANSWER_KINDS)}")
        decimals = _optional_int(reader, item, "decimals", where, 0, 12)
        sigfigs = _optional_int(reader, item, "sigfigs", where, 1, 12)
        if decimals is not None and sigfigs is not None:
            reader.fail(where, "give either 'decimals' or 'sigfigs', not both")
        if answer_kind == "integer":
            if decimals or sigfigs:
                reader.fail(where, "an integer answer takes no 'decimals' or 'sigfigs'")
            decimals = 0
        elif decimals is None and sigfigs is None:
            reader.fail(where, "a non-integer answer needs 'decimals' or 'sigfigs' (the rounding the question states)")
        if answer_kind == "integer" and "tolerance" in item:
            reader.fail(f"{where}.tolerance", "an integer answer is marked exactly; remove the tolerance or make the answer a 'number'")
        tolerance = _tolerance(reader, item.get("tolerance"), f"{where}.tolerance", answer_kind)
        label = item.get("label") or name
        unit = item.get("unit")
        if unit is not None:
            unit = reader.string(unit, f"{where}.unit")
        answers.append(AnswerSpec(name, reader.string(label, f"{where}.label"), answer_kind, decimals, sigfigs, tolerance, unit))
    if len({a.name for a in answers}) != len(answers):
        reader.fail("answers", "the same variable is asked for twice")
    if kind == "multichoice" and len(answers) != 1:
        reader.fail("answers", "a multichoice template has exactly one answer")
    if kind == "numerical" and len(answers) != 1:
        reader.fail("kind", "a numerical template has one answer; use 'multipart' for several")
    if kind == "multipart" and len(answers) < 2:
        reader.fail("kind", "a multipart template has at least two answers")

    mistakes: list[Mistake] = []
    answer_names = {a.name for a in answers}
    for i, item in enumerate(reader.listing(data.get("mistakes", []), "mistakes", allow_empty=True)):
        where = f"mistakes[{i}]"
        reader.mapping(item, where, _MISTAKE_FIELDS, {"name", "label", "value", "feedback"})
        name = reader.string(item["name"], f"{where}.name")
        if not _IDENTIFIER.match(name):
            reader.fail(f"{where}.name", f"'{name}' is not a valid name")
        if any(m.name == name for m in mistakes):
            reader.fail(f"{where}.name", f"mistake '{name}' is defined twice")
        where = f"mistakes.{name}"
        target = item.get("answer", answers[0].name)
        if target not in answer_names:
            reader.fail(f"{where}.answer", f"'{target}' is not one of the answers ({', '.join(sorted(answer_names))})")
        expression = reader.expression(item["value"], f"{where}.value", known)
        feedback_source = reader.string(item["feedback"], f"{where}.feedback")
        feedback, used = reader.fixed_or_jinja(feedback_source, f"{where}.feedback", known)
        shown |= used
        mistakes.append(Mistake(name, reader.string(item["label"], f"{where}.label"), target, expression, feedback, feedback_source))

    option_count = 0
    if kind == "multichoice":
        options = data.get("options", 4)
        option_count = reader.integer(options, "options", 2, 8)
        if len(mistakes) < option_count - 1:
            reader.fail("mistakes", f"a multichoice template with {option_count} options needs at least {option_count - 1} named mistakes, has {len(mistakes)}")
    elif "options" in data:
        reader.fail("options", "only a multichoice template has options")

    note, note_names = reader.jinja_with_names(data["note"], "note", known) if "note" in data else (None, set())
    solution, used = reader.jinja_with_names(data["solution"], "solution", known) if "solution" in data else (None, set())
    shown |= used | note_names
    figures: list = []
    if "figures" in data:
        figures, used = parse_figures(reader, data["figures"], known)
        shown |= used
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        reader.fail("tags", "must be a list of words")
    min_variants = reader.integer(data.get("min_variants", 50), "min_variants", 1, 100_000)

    draw_names = [v.name for v in variables if v.is_draw]
    tests: list[TemplateTest] = []
    for i, item in enumerate(reader.listing(data.get("tests", []), "tests", allow_empty=True)):
        where = f"tests[{i}]"
        reader.mapping(item, where, _TEST_FIELDS, {"set", "expect"})
        values = reader.mapping(item["set"], f"{where}.set", set(draw_names), set(draw_names))
        expect = reader.mapping(item["expect"], f"{where}.expect", answer_names, set())
        if not expect:
            reader.fail(f"{where}.expect", "must name at least one answer")
        tests.append(TemplateTest(str(item.get("name", f"test {i + 1}")), dict(values), dict(expect)))

    symbols = {v.name: v.tex for v in variables if v.tex}
    return Template(
        template_id, title, topic, section, difficulty, kind, variables, constraints, nice, text, data["text"], answers,
        note, mistakes, tests, option_count, solution, tags, min_variants, source, symbols,
        note_names=[v.name for v in variables if v.name in note_names] if note else draw_names,
        shown_names=frozenset(shown | set(draw_names)), figures=figures,
    )


def _header(data: dict, path: Path | None, bank_root: Path | None, reader: _Reader) -> tuple[str, str, str, int, int, str]:
    """The fields every template has: id (mirroring its path), topic, title, section, difficulty, kind."""
    template_id = reader.string(data["id"], "id")
    if not _ID.match(template_id):
        reader.fail("id", f"'{template_id}' must look like topic.slug (lower case, digits, underscores)")
    topic = reader.string(data["topic"], "topic")
    if template_id.split(".")[0] != topic:
        reader.fail("id", f"'{template_id}' must start with its topic '{topic}.'")
    if path is not None and bank_root is not None:
        expected = f"{path.parent.name}.{path.stem}"
        if path.parent.parent.resolve() == bank_root.resolve() and expected != template_id:
            reader.fail("id", f"'{template_id}' must mirror the file's path ({expected})")
    title = reader.string(data["title"], "title")
    section = reader.integer(data["section"], "section", 1, MAX_SECTION)
    difficulty = reader.integer(data["difficulty"], "difficulty", 1, 3)
    kind = reader.string(data["kind"], "kind")
    if kind not in KINDS:
        reader.fail("kind", f"'{kind}' is not one of {', '.join(KINDS)}")
    return template_id, topic, title, section, difficulty, kind


def _plain(reader: _Reader, value: Any, where: str) -> str:
    text = reader.string(value, where).strip()
    bad = _PLAIN_FORBIDDEN.search(text)
    if bad:
        reader.fail(where, f"'{bad.group()}' is not allowed: table entries are plain words (no TeX or markup)")
    return text


def _build_table_template(data: dict, source: str, path: Path | None, bank_root: Path | None, reader: _Reader) -> Template:
    """A concept (multiple choice) or matching question over a table of the sheet, e.g. LSTM gates."""
    reader.mapping(data, "", set(_TABLE_FIELDS), {k for k, required in _TABLE_FIELDS.items() if required})
    template_id, topic, title, section, difficulty, kind = _header(data, path, bank_root, reader)
    columns = reader.listing(data["columns"], "columns")
    if len(columns) != 2:
        reader.fail("columns", "give the two column headings, e.g. [Gate, Purpose]")
    columns = (_plain(reader, columns[0], "columns[0]"), _plain(reader, columns[1], "columns[1]"))
    pairs: list[tuple[str, str]] = []
    for i, row in enumerate(reader.listing(data["pairs"], "pairs")):
        if not isinstance(row, list) or len(row) != 2:
            reader.fail(f"pairs[{i}]", "each row is a list of two entries: [left, right]")
        pairs.append((_plain(reader, row[0], f"pairs[{i}][0]"), _plain(reader, row[1], f"pairs[{i}][1]")))
    for side in (0, 1):
        entries = [p[side] for p in pairs]
        twice = next((e for e in entries if entries.count(e) > 1), None)
        if twice is not None:
            reader.fail("pairs", f"'{twice}' appears twice in the {columns[side]} column: every entry must be distinct")
    ask = data.get("ask", "right")
    if ask not in ("right", "left", "both"):
        reader.fail("ask", f"'{ask}' is not one of right, left, both")
    option_count = pair_count = 0
    if kind == "concept":
        option_count = reader.integer(data.get("options", min(4, len(pairs))), "options", 2, 8)
        if len(pairs) < option_count:
            reader.fail("pairs", f"{option_count} options need at least {option_count} rows, have {len(pairs)}")
        if "count" in data:
            reader.fail("count", "only a matching template has a count")
    else:
        pair_count = reader.integer(data.get("count", len(pairs)), "count", 2, len(pairs))
        if "options" in data:
            reader.fail("options", "only a concept template has options")
    if pair_count > MATCHING_LETTERS:
        reader.fail("count", f"a matching shows at most {MATCHING_LETTERS} rows (its right column is lettered A to H)")
    distractors, distractor_count = _distractors(data, reader, kind, pairs, pair_count, columns)
    text = reader.jinja(data["text"], "text", {"prompt", "left", "right"})
    solution = reader.jinja(data["solution"], "solution", {"prompt", "left", "right"}) if "solution" in data else None
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        reader.fail("tags", "must be a list of words")
    min_variants = reader.integer(data.get("min_variants", 1), "min_variants", 1, 100_000)
    return Template(
        template_id, title, topic, section, difficulty, kind, [], [], [], text, data["text"], [], None, [], [],
        option_count, solution, tags, min_variants, source, {}, pairs, columns, ask, pair_count,
        distractors=distractors, distractor_count=distractor_count,
    )


MATCHING_LETTERS = 8  # a matching's right column is lettered A to H (papers, answer sheets, typed answers)


def _distractors(data: dict, reader: _Reader, kind: str, pairs: list[tuple[str, str]], pair_count: int, columns: tuple[str, str]) -> tuple[list[str], int]:
    """A matching's distractors: right-column entries that are no row's partner (so the last row is not given away)."""
    if "distractors" not in data:
        if "distractor_count" in data:
            reader.fail("distractor_count", "give the distractors too")
        return [], 0
    if kind != "matching":
        reader.fail("distractors", "only a matching template has distractors")
    listed = reader.listing(data["distractors"], "distractors")
    distractors = [_plain(reader, entry, f"distractors[{i}]") for i, entry in enumerate(listed)]
    rights = {right for _, right in pairs}
    for i, entry in enumerate(distractors):
        if entry in rights:
            reader.fail(f"distractors[{i}]", f"'{entry}' is a row's {columns[1]}: a distractor must belong to no row")
        if distractors.index(entry) != i:
            reader.fail(f"distractors[{i}]", f"'{entry}' appears twice")
    count = reader.integer(data.get("distractor_count", 1), "distractor_count", 1, len(distractors))
    if pair_count + count > MATCHING_LETTERS:
        reader.fail("distractor_count", f"{pair_count} rows and {count} distractors make more than {MATCHING_LETTERS} entries (A to H) to choose from")
    return distractors, count


def draws_names() -> set[str]:
    from .draws import DISTRIBUTIONS

    return set(DISTRIBUTIONS) | {"network"}


def _optional_int(reader: _Reader, item: dict, key: str, where: str, low: int, high: int) -> int | None:
    if key not in item:
        return None
    return reader.integer(item[key], f"{where}.{key}", low, high)


def _constraints(reader: _Reader, items: Any, where: str, names: set[str], order: dict[str, int]) -> list[Constraint]:
    result = []
    for i, item in enumerate(reader.listing(items, where, allow_empty=True)):
        place = f"{where}[{i}]"
        if isinstance(item, dict):
            reader.mapping(item, place, _CONSTRAINT_FIELDS, {"expr"})
            text, message = item["expr"], item.get("message")
        else:
            text, message = item, None
        expression = reader.expression(text, place, names)
        after = max((order[n] for n in expression.names), default=0)
        result.append(Constraint(expression, str(message or expression.text), after))
    return result


def _tolerance(reader: _Reader, value: Any, where: str, answer_kind: str) -> Tolerance:
    if value is None:
        return Tolerance("abs", None)
    reader.mapping(value, where, {"abs", "rel"}, set())
    if len(value) != 1:
        reader.fail(where, "give exactly one of 'abs' or 'rel'")
    (kind, amount), = value.items()
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount) or amount < 0 or (kind == "rel" and amount >= 1):
        reader.fail(f"{where}.{kind}", f"must be a number {'from 0 to below 1' if kind == 'rel' else 'of at least 0'}, got {amount!r}")
    return Tolerance(kind, expressions.exact(amount))
