"""The expression language of question templates: a whitelisted subset of Python.

Text from a question file is parsed with ``ast.parse`` and every node is checked
against a whitelist (arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y``,
list literals, indexing, and calls to known functions by name). Anything else
(attributes, lambdas, comprehensions, unknown names) is refused with a message
naming the construct. Nothing is ever passed to ``eval``, ``exec`` or ``sympify``.

A parsed expression is compiled once into a tree of closures over exact values
(see ``values``), and can print itself in TeX twice: symbolically (the sheet's
notation) and with a variant's numbers substituted. That is what the worked
steps are made of, so the key and the solution are the same computation.
"""

from __future__ import annotations

import ast
import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import mpmath
import numpy as np
import sympy

from ..errors import ExpressionError
from . import draws, formulas, networks
from . import values as numeric
from .values import Value, array, elementwise, exact, format_number, is_array, is_rational

# ---------------------------------------------------------------------------
# Functions an expression may call


@dataclass(frozen=True)
class Function:
    """A callable of the language with the TeX it prints as."""

    name: str
    call: Callable
    tex: str | None = None  # name printed as \tex(args); None: a special printer below
    expand: "Expression | None" = None  # the sheet's formula, printed instead of a call
    draw: bool = False  # a distribution, allowed only in a draw


def _compare_numbers(a: Value, b: Value) -> int:
    """-1, 0 or 1, exactly for rationals, to 50 digits for anything else."""
    if isinstance(a, str) or isinstance(b, str):
        if a == b:
            return 0
        return -1 if str(a) < str(b) else 1
    if is_rational(a) and is_rational(b):
        left, right = int(a.p) * int(b.q), int(b.p) * int(a.q)
        return (left > right) - (left < right)
    if isinstance(a, sympy.Float) and isinstance(b, sympy.Float):
        # Rounding a nonzero difference of two binary floats never makes it zero or turns its
        # sign, so the sign of a - b below is the exact comparison of the two: no Float made.
        return mpmath.libmp.mpf_cmp(a._mpf_, b._mpf_)
    difference = sympy.N(a - b, 50)
    if difference == 0:
        return 0
    return 1 if difference > 0 else -1


def _elementwise2(function: Callable[[Any, Any], Any]) -> Callable[[Value, Value], Value]:
    lifted = np.frompyfunc(function, 2, 1)

    def apply(a: Value, b: Value) -> Value:
        if is_array(a) or is_array(b):
            return np.asarray(lifted(a, b), dtype=object)
        return function(a, b)

    return apply


_COMPARATORS: dict[type, Callable[[int], bool]] = {
    ast.Lt: lambda c: c < 0,
    ast.LtE: lambda c: c <= 0,
    ast.Gt: lambda c: c > 0,
    ast.GtE: lambda c: c >= 0,
    ast.Eq: lambda c: c == 0,
    ast.NotEq: lambda c: c != 0,
}


def _truth(value: Value) -> bool:
    if is_array(value):
        return bool(all(_truth(item) for item in value.flat))
    return bool(value)


def _argmax(x: Value) -> Value:
    """1-based index of the largest entry (classes are counted from 1, as on the sheet)."""
    best = 0
    for i in range(1, len(x)):
        if _compare_numbers(x[i], x[best]) > 0:
            best = i
    return sympy.Integer(best + 1)


def _extreme(args: tuple, direction: int) -> Value:
    """max (direction 1) or min (-1) of numbers, of a vector's entries, or element-wise of two arrays."""
    if len(args) == 1 and is_array(args[0]):
        args = tuple(args[0].flat)
    if len(args) == 2 and (is_array(args[0]) or is_array(args[1])):
        return _elementwise2(lambda a, b: a if direction * _compare_numbers(a, b) >= 0 else b)(*args)
    best = args[0]
    for item in args[1:]:
        if direction * _compare_numbers(item, best) > 0:
            best = item
    return best


def _max(*args: Value) -> Value:
    return _extreme(args, 1)


def _min(*args: Value) -> Value:
    return _extreme(args, -1)


def _sum(x: Value) -> Value:
    return sum(np.ravel(x), sympy.Integer(0)) if is_array(x) else x


def _distinct(x: Value) -> bool:
    items = list(np.ravel(x))
    return all(_compare_numbers(a, b) != 0 for i, a in enumerate(items) for b in items[i + 1 :])


MAX_DIMENSION = 64  # rows, columns or length of an array an expression makes, as for the draws


def _shape(name: str, shape: tuple[Value, ...]) -> tuple[int, ...]:
    if not 1 <= len(shape) <= 2:
        raise ValueError(f"{name}() takes a length, or rows and columns")
    for size in shape:
        if not isinstance(size, sympy.Integer) or not 1 <= int(size) <= MAX_DIMENSION:
            raise ValueError(f"{name}({', '.join(str(s) for s in shape)}): each size must be a whole number from 1 to {MAX_DIMENSION}")
    return tuple(int(size) for size in shape)


def _zeros(*shape: Value) -> Value:
    out = np.empty(_shape("zeros", shape), dtype=object)
    out.fill(sympy.Integer(0))
    return out


def _ones(*shape: Value) -> Value:
    out = np.empty(_shape("ones", shape), dtype=object)
    out.fill(sympy.Integer(1))
    return out


def _array_only(name: str, function: Callable[[np.ndarray], Value], dimensions: tuple[int, ...] = (1, 2)) -> Callable[[Value], Value]:
    """``function`` of a vector or matrix; a number (or an array of another shape) is a ValueError naming the function."""
    def checked(x: Value) -> Value:
        if not is_array(x) or x.ndim not in dimensions:
            wanted = {(1,): "a vector", (2,): "a matrix"}.get(dimensions, "a vector or matrix")
            raise ValueError(f"{name}() needs {wanted}, not {x}")
        return function(x)

    return checked


def _dot(a: Value, b: Value) -> Value:
    if not (is_array(a) and is_array(b)) or a.ndim != 1 or b.ndim != 1 or len(a) != len(b):
        raise ValueError("dot() needs two vectors of the same length")
    return sum((x * y for x, y in zip(a, b)), sympy.Integer(0))


def _is_integer(x: Value) -> bool:
    return all(isinstance(item, sympy.Integer) for item in np.ravel(x)) if is_array(x) else isinstance(x, sympy.Integer)


_BUILTINS: dict[str, Function] = {
    f.name: f
    for f in [
        Function("floor", elementwise(sympy.floor)),
        Function("ceil", elementwise(sympy.ceiling)),
        Function("abs", elementwise(sympy.Abs)),
        Function("sqrt", elementwise(numeric.sqrt)),
        Function("exp", elementwise(numeric.exp)),
        Function("log", elementwise(numeric.log), tex=r"\log"),
        Function("sin", elementwise(numeric.sin), tex=r"\sin"),
        Function("cos", elementwise(numeric.cos), tex=r"\cos"),
        Function("min", _min, tex=r"\min"),
        Function("max", _max, tex=r"\max"),
        Function("sum", _sum),
        Function("mean", formulas.mean, tex=r"\operatorname{mean}"),
        Function("var", formulas.biased_variance, tex=r"\operatorname{Var}"),
        Function("len", _array_only("len", lambda x: sympy.Integer(len(x))), tex=r"\operatorname{len}"),
        Function("rows", _array_only("rows", lambda x: sympy.Integer(x.shape[0]), (2,)), tex=r"\operatorname{rows}"),
        Function("cols", _array_only("cols", lambda x: sympy.Integer(x.shape[1]), (2,)), tex=r"\operatorname{cols}"),
        Function("argmax", _argmax, tex=r"\operatorname{argmax}"),
        Function("transpose", _array_only("transpose", lambda x: x.T)),
        Function("dot", _dot),
        Function("zeros", _zeros, tex=r"\operatorname{zeros}"),
        Function("ones", _ones, tex=r"\operatorname{ones}"),
        Function("all", lambda x: _truth(x), tex=r"\operatorname{all}"),
        Function("distinct", _distinct, tex=r"\operatorname{distinct}"),
        Function("is_integer", _is_integer, tex=r"\operatorname{is\_integer}"),
        Function("is_odd", lambda x: isinstance(x, sympy.Integer) and int(x) % 2 == 1, tex=r"\operatorname{is\_odd}"),
    ]
}

_DRAWS: dict[str, Function] = {name: Function(name, maker, draw=True) for name, maker in draws.DISTRIBUTIONS.items()}
_DRAWS["network"] = Function("network", networks.draw_network, draw=True)

# pi and e are numbers to 60 digits like every other irrational value (quizgen.engine.values), so
# results stay numeric (a JSON 'exact' is a decimal, never the text '2*pi').
_CONSTANTS: dict[str, Value] = {"pi": numeric.PI, "e": numeric.E, "true": True, "false": False}


def _formula_functions() -> dict[str, Function]:
    table: dict[str, Function] = {}
    for name, entry in formulas.FORMULAS.items():
        table[name] = Function(name, entry.function, tex=entry.tex)
    return table


FUNCTIONS: dict[str, Function] = {**_BUILTINS, **_formula_functions()}


def _attach_expansions() -> None:
    """Parse each formula's ``expand`` text once, so steps can print the sheet's form."""
    for name, entry in formulas.FORMULAS.items():
        if entry.expand:
            expansion = parse(entry.expand, names=set(entry.params), where=f"formula {name}")
            FUNCTIONS[name] = Function(name, entry.function, tex=entry.tex, expand=expansion)


KNOWN_FUNCTIONS = frozenset(FUNCTIONS) | frozenset(_DRAWS)
RESERVED_NAMES = KNOWN_FUNCTIONS | frozenset(_CONSTANTS)

# ---------------------------------------------------------------------------
# Nodes


class Node:
    """A checked expression node: compiles to a closure and prints itself as TeX."""

    def compile(self) -> Callable[[Mapping[str, Value]], Value]:
        raise NotImplementedError

    def names(self) -> set[str]:
        return set().union(*(child.names() for child in self.children()))

    def calls(self) -> set[str]:
        return set().union(*(child.calls() for child in self.children()))

    def children(self) -> list["Node"]:
        return []


@dataclass
class Number(Node):
    value: Value

    def compile(self):
        value = self.value
        return lambda env: value


@dataclass
class Text(Node):
    value: str

    def compile(self):
        value = self.value
        return lambda env: value


@dataclass
class Name(Node):
    name: str

    def compile(self):
        name = self.name
        if name in _CONSTANTS:
            value = _CONSTANTS[name]
            return lambda env: value
        return lambda env: env[name]

    def names(self):
        return set() if self.name in _CONSTANTS else {self.name}


_BINARY: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: _elementwise2(lambda a, b: sympy.floor(a / b)),
    ast.Mod: _elementwise2(lambda a, b: a % b),
    ast.Pow: _elementwise2(numeric.power),
    ast.MatMult: lambda a, b: a @ b,
}

_PRECEDENCE = {ast.Add: 6, ast.Sub: 6, ast.Mult: 7, ast.Div: 7, ast.FloorDiv: 7, ast.Mod: 7, ast.MatMult: 7, ast.Pow: 9}


@dataclass
class Binary(Node):
    op: type
    left: Node
    right: Node

    def compile(self):
        left, right, operate = self.left.compile(), self.right.compile(), _BINARY[self.op]
        if self.op is ast.Div:

            def divide(env):
                denominator = right(env)
                if not is_array(denominator) and denominator == 0:
                    raise ZeroDivisionError("division by zero")
                return left(env) / denominator

            return divide
        return lambda env: operate(left(env), right(env))

    def children(self):
        return [self.left, self.right]


@dataclass
class Unary(Node):
    op: type
    operand: Node

    def compile(self):
        operand = self.operand.compile()
        if self.op is ast.USub:
            return lambda env: -operand(env)
        if self.op is ast.UAdd:
            return operand
        return lambda env: not _truth(operand(env))

    def children(self):
        return [self.operand]


@dataclass
class Comparison(Node):
    ops: list[type]
    operands: list[Node]

    def compile(self):
        compiled = [operand.compile() for operand in self.operands]
        tests = [_COMPARATORS[op] for op in self.ops]

        def compare_pair(test, a, b):
            if is_array(a) or is_array(b):
                return bool(np.all(np.frompyfunc(lambda x, y: test(_compare_numbers(x, y)), 2, 1)(a, b)))
            return test(_compare_numbers(a, b))

        def evaluate(env):
            values = [f(env) for f in compiled]
            return all(compare_pair(test, values[i], values[i + 1]) for i, test in enumerate(tests))

        return evaluate

    def children(self):
        return list(self.operands)


@dataclass
class Logical(Node):
    op: type
    operands: list[Node]

    def compile(self):
        compiled = [operand.compile() for operand in self.operands]
        if self.op is ast.And:
            return lambda env: all(_truth(f(env)) for f in compiled)
        return lambda env: any(_truth(f(env)) for f in compiled)

    def children(self):
        return list(self.operands)


@dataclass
class Conditional(Node):
    test: Node
    body: Node
    orelse: Node

    def compile(self):
        test, body, orelse = self.test.compile(), self.body.compile(), self.orelse.compile()
        return lambda env: body(env) if _truth(test(env)) else orelse(env)

    def children(self):
        return [self.test, self.body, self.orelse]


@dataclass
class ListLiteral(Node):
    items: list[Node]

    def compile(self):
        compiled = [item.compile() for item in self.items]

        def build(env):
            values = [f(env) for f in compiled]
            if values and all(isinstance(v, str) for v in values):
                return values
            return array(values)

        return build

    def children(self):
        return list(self.items)


@dataclass
class Slice(Node):
    lower: Node | None
    upper: Node | None

    def compile(self):
        lower = self.lower.compile() if self.lower else None
        upper = self.upper.compile() if self.upper else None
        return lambda env: slice(int(lower(env)) if lower else None, int(upper(env)) if upper else None)

    def children(self):
        return [n for n in (self.lower, self.upper) if n is not None]


@dataclass
class Index(Node):
    value: Node
    indices: list[Node]

    def compile(self):
        value = self.value.compile()
        indices = [index.compile() for index in self.indices]

        def pick(env):
            container = value(env)
            keys = tuple(k if isinstance(k := f(env), slice) else int(k) for f in indices)
            if isinstance(container, list):
                return container[keys[0]]
            return container[keys if len(keys) > 1 else keys[0]]

        return pick

    def children(self):
        return [self.value, *self.indices]


@dataclass
class Call(Node):
    function: str
    args: list[Node]
    kwargs: dict[str, Node] = field(default_factory=dict)

    def compile(self):
        spec = FUNCTIONS.get(self.function) or _DRAWS[self.function]
        call = spec.call
        args = [arg.compile() for arg in self.args]
        kwargs = {key: node.compile() for key, node in self.kwargs.items()}
        if not kwargs:
            return lambda env: call(*[f(env) for f in args])
        return lambda env: call(*[f(env) for f in args], **{k: f(env) for k, f in kwargs.items()})

    def children(self):
        return [*self.args, *self.kwargs.values()]

    def calls(self):
        return {self.function} | super().calls()


# ---------------------------------------------------------------------------
# Parsing with a whitelist


def _describe(node: ast.AST) -> str:
    return {
        ast.Attribute: "attribute access ('.')",
        ast.Lambda: "lambda",
        ast.ListComp: "list comprehension",
        ast.GeneratorExp: "generator expression",
        ast.DictComp: "dict comprehension",
        ast.SetComp: "set comprehension",
        ast.Dict: "dict literal",
        ast.Set: "set literal",
        ast.Starred: "'*' unpacking",
        ast.NamedExpr: "':=' assignment",
        ast.JoinedStr: "f-string",
        ast.Await: "await",
        ast.Yield: "yield",
    }.get(type(node), type(node).__name__)


class _Converter:
    """Turn a Python AST into checked nodes, refusing anything off the whitelist."""

    def __init__(self, names: set[str] | None, allow_draws: bool, where: str):
        self.depth = 0
        self.names = names
        self.allow_draws = allow_draws
        self.where = where

    def fail(self, message: str) -> None:
        raise ExpressionError(message)

    def convert(self, node: ast.AST) -> Node:
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                self.fail(f"expression nested more than {_MAX_DEPTH} levels deep; split it into several variables")
            return self._convert(node)
        finally:
            self.depth -= 1

    def _convert(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return Number(node.value)
            if isinstance(node.value, (int, float)):
                if isinstance(node.value, float) and not math.isfinite(node.value):
                    self.fail(f"number {node.value} is not finite")
                return Number(exact(node.value))
            if isinstance(node.value, str):
                return Text(node.value)
            self.fail(f"constant {node.value!r} is not allowed")
        if isinstance(node, ast.Name):
            name = node.id
            if name in _CONSTANTS:
                return Name(name)
            if name in KNOWN_FUNCTIONS:
                self.fail(f"'{name}' is a function; call it as {name}(...)")
            if name.startswith("_"):
                self.fail(f"name '{name}' is not allowed (names may not start with '_')")
            if self.names is not None and name not in self.names:
                self.fail(f"unknown variable '{name}'")
            return Name(name)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                self.fail(f"operator {type(node.op).__name__} is not allowed")
            return Binary(type(node.op), self.convert(node.left), self.convert(node.right))
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
                self.fail(f"operator {type(node.op).__name__} is not allowed")
            operand = self.convert(node.operand)
            if isinstance(node.op, ast.USub) and isinstance(operand, Number) and not isinstance(operand.value, bool):
                return Number(-operand.value)
            return Unary(type(node.op), operand)
        if isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _COMPARATORS:
                    self.fail(f"comparison {type(op).__name__} is not allowed")
            return Comparison([type(op) for op in node.ops], [self.convert(n) for n in [node.left, *node.comparators]])
        if isinstance(node, ast.BoolOp):
            return Logical(type(node.op), [self.convert(n) for n in node.values])
        if isinstance(node, ast.IfExp):
            return Conditional(self.convert(node.test), self.convert(node.body), self.convert(node.orelse))
        if isinstance(node, (ast.List, ast.Tuple)):
            return ListLiteral([self.convert(n) for n in node.elts])
        if isinstance(node, ast.Subscript):
            index = node.slice
            parts = index.elts if isinstance(index, ast.Tuple) else [index]
            return Index(self.convert(node.value), [self.convert_index(p) for p in parts])
        if isinstance(node, ast.Call):
            return self.convert_call(node)
        self.fail(f"{_describe(node)} is not allowed")
        raise AssertionError  # unreachable

    def convert_index(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Slice):
            if node.step is not None:
                self.fail("slice steps are not allowed")
            return Slice(self.convert(node.lower) if node.lower else None, self.convert(node.upper) if node.upper else None)
        return self.convert(node)

    def convert_call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name):
            self.fail(f"only named functions may be called, not {_describe(node.func)}")
        name = node.func.id
        if name in _DRAWS:
            if not self.allow_draws:
                self.fail(f"'{name}' draws a random value; use it only in a variable's 'draw'")
        elif name not in FUNCTIONS:
            self.fail(f"unknown function '{name}'")
        for keyword in node.keywords:
            if keyword.arg is None:
                self.fail("'**' unpacking is not allowed")
        return Call(name, [self.convert(a) for a in node.args], {k.arg: self.convert(k.value) for k in node.keywords})


@dataclass
class Expression:
    """A parsed, checked and compiled expression, with its source text."""

    text: str
    root: Node
    evaluate: Callable[[Mapping[str, Value]], Value]

    @property
    def names(self) -> set[str]:
        return self.root.names()

    @property
    def calls(self) -> set[str]:
        return self.root.calls()

    @functools.cached_property
    def fast(self) -> Callable[[Mapping[str, Any]], Any] | None:
        """The closure over plain Python values (see quizgen.engine.fast), or None; compiled at first use."""
        from .fast import compile_fast

        return compile_fast(self.root)

    @functools.cached_property
    def fast_draw(self) -> Callable[[Mapping[str, Any]], Any] | None:
        """For a draw's expression: its distribution made from fast argument values (see quizgen.engine.fast), or None."""
        from .fast import compile_fast_draw

        return compile_fast_draw(self.root)


_MAX_LENGTH = 2000
_MAX_DEPTH = 60  # also bounds the recursion of the TeX printer


def parse(text: Any, names: set[str] | None = None, allow_draws: bool = False, where: str = "expression") -> Expression:
    """Parse ``text`` with the whitelist and compile it; raise ExpressionError with the reason."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ExpressionError(f"expected an expression, got {type(text).__name__}")
    source = str(text).strip()
    if not source:
        raise ExpressionError("empty expression")
    if len(source) > _MAX_LENGTH:
        raise ExpressionError(f"expression longer than {_MAX_LENGTH} characters")
    if "\x00" in source:
        raise ExpressionError("expression contains a NUL character")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"syntax error in '{source}' at column {error.offset}: {error.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"expression nested too deeply to parse; split it into several variables") from None
    root = _Converter(names, allow_draws, where).convert(tree.body)
    return Expression(source, root, root.compile())


_attach_expansions()
