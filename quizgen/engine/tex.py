"""Print expressions as TeX, in the formula sheet's notation, with or without numbers.

``TexPrinter(symbols, env, substitute=False)`` prints the symbolic form
(``\\left\\lfloor \\frac{N - K + 2P}{S} \\right\\rfloor + 1``); with ``substitute=True``
every variable is replaced by its value in this variant. Calls to a formula that
has an ``expand`` print the sheet's formula itself. Sums and dot products over
short vectors are written out term by term, as students are taught to do.
"""

from __future__ import annotations

import ast
import inspect
import re
from functools import lru_cache
from typing import Callable, Mapping, NamedTuple


from . import expressions as ex
from .values import Value, exact, format_number, is_array

ATOM = 10
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "sigma", "phi", "tau", "omega", "rho", "nu", "xi", "pi", "psi", "chi", "zeta", "kappa", "iota",
    "Gamma", "Delta", "Theta", "Lambda", "Sigma", "Phi", "Omega", "Psi",
}
_ALIASES = {"lam": r"\lambda", "eps": r"\epsilon", "epsilon": r"\epsilon"}
_ACCENTS = {"hat": r"\hat", "bar": r"\bar", "tilde": r"\tilde"}
_ELEMENTWISE = {"exp", "log", "sqrt", "abs", "floor", "ceil", "sin", "cos", "sigmoid", "tanh", "relu", "step", "sigmoid_derivative"}
_MAX_TERMS = 8


@lru_cache(maxsize=4096)
def default_symbol(name: str) -> str:
    """TeX for a variable name: ``H_out`` → ``H_{out}``, ``y_hat`` → ``\\hat{y}``, ``beta_1`` → ``\\beta_{1}``."""
    parts = name.split("_")
    base, rest = parts[0], parts[1:]
    accent = None
    if rest and rest[-1] in _ACCENTS:
        accent = _ACCENTS[rest.pop()]
    tex = _ALIASES.get(base) or ("\\" + base if base in _GREEK else base)
    if len(base) > 1 and not tex.startswith("\\"):
        tex = r"\mathit{" + base + "}"
    if accent:
        tex = f"{accent}{{{tex}}}"
    if rest:
        subscript = ",".join(_ALIASES.get(p) or ("\\" + p if p in _GREEK else p) for p in rest)
        tex = f"{tex}_{{{subscript}}}"
    return tex


_TINY = re.compile(r"^(-?)0\.(0{4,})([1-9]\d*)$")


def _scientific(text: str) -> str:
    """0.00000001 → 1 \times 10^{-8}: a TeX reader should not have to count zeros."""
    if "0.0000" not in text:  # what _TINY needs: most texts are told at once
        return text
    match = _TINY.match(text)
    if not match:
        return text
    sign, zeros, digits = match.groups()
    exponent = -(len(zeros) + 1)
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return rf"{sign}{mantissa} \times 10^{{{exponent}}}"


def value_tex(value: Value, format_scalar: Callable[[Value], str] = format_number) -> str:
    """A value as TeX: numbers through the one formatter, arrays as bmatrix, words as text."""
    if isinstance(value, str):
        return r"\text{" + value + "}"
    if isinstance(value, list):
        return r"\text{" + ", ".join(map(str, value)) + "}"
    if is_array(value):
        if value.ndim == 1:
            return r"\begin{bmatrix} " + " & ".join(_scientific(format_scalar(v)) for v in value) + r" \end{bmatrix}"
        rows = [" & ".join(_scientific(format_scalar(v)) for v in row) for row in value]
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
    return _scientific(format_scalar(value))


_CONDITIONAL: dict[int, tuple[ex.Node, bool]] = {}  # id(root) -> (root, answer): the root is kept so its id stays its own


def has_conditional(root: ex.Node) -> bool:
    """Whether an expression holds 'a if c else b' (its printed form then depends on the values); asked once per root."""
    known = _CONDITIONAL.get(id(root))
    if known is None:
        known = _CONDITIONAL[id(root)] = (root, _contains_conditional(root))
    return known[1]


def _contains_conditional(node: ex.Node) -> bool:
    return isinstance(node, ex.Conditional) or any(_contains_conditional(child) for child in node.children())


@lru_cache(maxsize=None)
def _signature(function: Callable) -> inspect.Signature:
    return inspect.signature(function)


def _evaluator(node: ex.Node) -> Callable:
    """The node's compiled closure, built once and kept on the node."""
    function = node.__dict__.get("_evaluator")
    if function is None:
        function = node.__dict__["_evaluator"] = node.compile()
    return function


class Bound(NamedTuple):
    """What a name stands for while printing: its TeX, precedence and value."""

    tex: str
    precedence: int
    value: Value
    formatter: Callable[[Value], str] | None = None  # how this name's numbers are shown


def _wrap(printed: tuple[str, int], minimum: int) -> str:
    tex, precedence = printed
    return rf"\left({tex}\right)" if precedence < minimum else tex


def _starts_numeric(tex: str) -> bool:
    return bool(re.match(r"^(-|\d|\.|\\frac|\\begin|\\sqrt)", tex))


def _is_compound(symbol: str) -> bool:
    """Whether an author's TeX symbol is a sum or difference (``Xw - y``) and needs brackets in a product."""
    outer = symbol
    while True:
        inner = re.sub(r"\{[^{}]*\}|\([^()]*\)", "", outer)
        if inner == outer:
            break
        outer = inner
    return re.search(r"[+\-]", outer) is not None


def _term(printed: tuple[str, int], first: bool) -> str:
    """A summand: after a '+' or '-', a negative or a lower-precedence term needs brackets."""
    tex, precedence = printed
    if first:
        return tex
    return rf"\left({tex}\right)" if precedence < 7 or precedence == 8 else tex


class _Scope:
    """The names visible while printing: values, and their TeX made only when first asked for."""

    def __init__(self, printer: "TexPrinter", values: Mapping[str, Value], bounds: dict[str, Bound] | None = None):
        self.printer = printer
        self.values = values
        self.bounds = dict(bounds or {})

    def get(self, name: str) -> Bound | None:
        bound = self.bounds.get(name)
        if bound is None and name in self.values:
            bound = self.bounds[name] = self.printer._bound_name(name, self.values[name])
        return bound


class TexPrinter:
    """Print a node symbolically, or with the variant's values substituted."""

    def __init__(self, symbols: Mapping[str, str], env: Mapping[str, Value], substitute: bool, format_scalar: Callable[[Value], str] = format_number, formats: Mapping[str, Callable[[Value], str]] | None = None):
        self.symbols = symbols
        self.env = env
        self.substitute = substitute
        self.format_scalar = format_scalar
        self.formats = formats or {}
        self._top: _Scope | None = None  # the names' TeX, made once for every expression this printer prints over env

    # -- entry points -----------------------------------------------------
    def tex(self, node: ex.Node) -> str:
        return self.print(node, self._scope(), None)[0]

    def _scope(self) -> "_Scope":
        if self._top is None:
            self._top = _Scope(self, self.env)
        return self._top

    def name_tex(self, name: str) -> str:
        """The TeX a name prints as (its value's, when substituting), as in every expression printed here."""
        return self._scope().get(name).tex

    def _bound_name(self, name: str, value: Value) -> Bound:
        if self.substitute:
            return self._bound_value(value, self.formats.get(name))
        symbol = self.symbols.get(name) or default_symbol(name)
        return Bound(symbol, 6 if _is_compound(symbol) else ATOM, value)

    def _bound_value(self, value: Value, formatter: Callable[[Value], str] | None = None) -> Bound:
        formatter = formatter or self.format_scalar
        tex = value_tex(value, formatter)
        scalar = not is_array(value) and not isinstance(value, (str, list, bool))
        precedence = 8 if scalar and tex.startswith("-") else 7 if scalar and r"\times" in tex else ATOM
        return Bound(tex, precedence, value, formatter)

    # -- helpers ----------------------------------------------------------
    def value_of(self, node: ex.Node, scope: "_Scope") -> Value:
        return _evaluator(node)(scope.values)

    def print(self, node: ex.Node, scope: Mapping[str, Bound], element: int | None) -> tuple[str, int]:
        method = getattr(self, "_print_" + type(node).__name__)
        return method(node, scope, element)

    # -- nodes ------------------------------------------------------------
    def _print_Number(self, node, scope, element):
        if isinstance(node.value, bool):
            return (r"\text{" + str(node.value).lower() + "}", ATOM)
        bound = self._bound_value(node.value)
        return (bound.tex, bound.precedence)

    def _print_Text(self, node, scope, element):
        return (r"\text{" + node.value + "}", ATOM)

    def _print_Name(self, node, scope, element):
        if node.name in ("pi", "e"):
            return ({"pi": r"\pi", "e": "e"}[node.name], ATOM)
        bound = scope.get(node.name)
        if bound is None:
            return (self.symbols.get(node.name) or default_symbol(node.name), ATOM)
        if element is not None and is_array(bound.value) and bound.value.ndim == 1:
            if self.substitute:
                item = self._bound_value(bound.value[element], bound.formatter)
                return (item.tex, item.precedence)
            base = bound.tex if bound.precedence == ATOM else rf"\left({bound.tex}\right)"
            if "_" in base and not base.startswith("\\hat"):
                base = rf"\left({base}\right)"
            return (f"{{{base}}}_{{k}}", ATOM)
        return (bound.tex, bound.precedence)

    def _print_Binary(self, node, scope, element):
        op = node.op
        precedence = ex._PRECEDENCE[op]
        if op is ast.Div:
            left = self.print(node.left, scope, element)[0]
            right = self.print(node.right, scope, element)[0]
            return (rf"\frac{{{left}}}{{{right}}}", ATOM)
        if op is ast.FloorDiv:
            left = self.print(node.left, scope, element)[0]
            right = self.print(node.right, scope, element)[0]
            return (rf"\left\lfloor \frac{{{left}}}{{{right}}} \right\rfloor", ATOM)
        if op is ast.Pow:
            base = self.print(node.left, scope, element)
            exponent = self.print(node.right, scope, element)[0]
            base_tex = base[0] if base[1] >= ATOM and not base[0].startswith("e^") and not base[0].startswith("-") else rf"\left({base[0]}\right)"
            return (f"{{{base_tex}}}^{{{exponent}}}", 9)
        left = self.print(node.left, scope, element)
        right = self.print(node.right, scope, element)
        if op is ast.Add:
            return (f"{left[0]} + {_term(right, False)}", precedence)
        if op is ast.Sub:
            return (f"{left[0]} - {_term(right, False)}", precedence)
        if op is ast.Mod:
            return (rf"{_wrap(left, 7)} \bmod {_wrap(right, 8)}", precedence)
        left_tex = _wrap(left, 7)
        right_tex = _wrap(right, 9 if right[1] == 8 else 8)
        if op is ast.MatMult:
            return (f"{left_tex} {right_tex}", precedence)
        if self.substitute or _starts_numeric(right_tex):
            return (rf"{left_tex} \cdot {right_tex}", precedence)
        return (f"{left_tex} {right_tex}" if not re.fullmatch(r"\d+", left_tex) else f"{left_tex}{right_tex}", precedence)

    def _print_Unary(self, node, scope, element):
        operand = self.print(node.operand, scope, element)
        if node.op is ast.USub:
            return (f"-{_wrap(operand, 7 if operand[1] != 8 else 9)}", 8)
        if node.op is ast.UAdd:
            return operand
        return (rf"\lnot {_wrap(operand, 8)}", 3)

    def _print_Comparison(self, node, scope, element):
        symbols = {ast.Lt: "<", ast.LtE: r"\le", ast.Gt: ">", ast.GtE: r"\ge", ast.Eq: "=", ast.NotEq: r"\ne"}
        parts = [self.print(node.operands[0], scope, element)[0]]
        for op, operand in zip(node.ops, node.operands[1:]):
            parts += [symbols[op], self.print(operand, scope, element)[0]]
        return (" ".join(parts), 4)

    def _print_Logical(self, node, scope, element):
        joiner = r" \text{ and } " if node.op is ast.And else r" \text{ or } "
        return (joiner.join(_wrap(self.print(n, scope, element), 4) for n in node.operands), 1)

    def _print_Conditional(self, node, scope, element):
        """Only the branch this variant takes: the step is about these numbers."""
        try:
            chosen = node.body if ex._truth(_evaluator(node.test)(scope.values)) else node.orelse
        except (KeyError, TypeError, ValueError, ArithmeticError):
            chosen = node.body
        return self.print(chosen, scope, element)

    def _print_ListLiteral(self, node, scope, element):
        items = [self.print(item, scope, element)[0] for item in node.items]
        if node.items and isinstance(node.items[0], ex.ListLiteral):
            rows = [" & ".join(self.print(cell, scope, element)[0] for cell in row.items) for row in node.items]
            return (r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}", ATOM)
        return (r"\begin{bmatrix} " + " & ".join(items) + r" \end{bmatrix}", ATOM)

    def _print_Index(self, node, scope, element):
        if self.substitute:
            value = self.value_of(node, scope)
            if element is not None and is_array(value) and value.ndim == 1:
                value = value[element]
            return self._bound_as_tuple(self._bound_value(value))
        container = self.print(node.value, scope, None)
        labels = []
        for index in node.indices:
            if isinstance(index, ex.Number):
                labels.append(str(int(index.value) + 1))
            elif isinstance(index, ex.Slice):
                labels.append(":")
            elif isinstance(index, ex.Binary) and index.op is ast.Sub and isinstance(index.right, ex.Number) and index.right.value == 1:
                labels.append(self.print(index.left, scope, None)[0])  # r - 1 (0-based) is row r
            else:
                labels.append(self.print(index, scope, None)[0] + "+1")
        base = container[0] if container[1] == ATOM and "_" not in container[0] else rf"\left({container[0]}\right)"
        return (f"{{{base}}}_{{{','.join(labels)}}}", ATOM)

    @staticmethod
    def _bound_as_tuple(bound: Bound) -> tuple[str, int]:
        return (bound.tex, bound.precedence)

    def _print_Slice(self, node, scope, element):
        return (":", ATOM)

    def _print_Call(self, node, scope, element):
        name = node.function
        spec = ex.FUNCTIONS.get(name)
        if spec is None:  # a draw
            args = ", ".join(self.print(a, scope, None)[0] for a in node.args)
            return (rf"\operatorname{{{name}}}({args})", ATOM)
        if element is not None and name not in _ELEMENTWISE:
            value = self.value_of(node, scope)
            if is_array(value) and value.ndim == 1:
                value = value[element]
            return self._bound_as_tuple(self._bound_value(value) if self.substitute else Bound(self.print(node, scope, None)[0], ATOM, value))
        if spec.expand is not None and not (has_conditional(spec.expand.root) and any(is_array(self.value_of(a, scope)) for a in node.args)):
            return self._print_expansion(node, spec, scope, element)
        special = getattr(self, "_call_" + name, None)
        if special is not None:
            return special(node, scope, element)
        args = ", ".join(self.print(a, scope, element)[0] for a in node.args)
        kwargs = [self.print(v, scope, element)[0] for v in node.kwargs.values()]
        return (rf"{spec.tex}\left({', '.join([args] + kwargs) if kwargs else args}\right)", ATOM)

    def _print_expansion(self, node, spec, scope, element):
        signature = _signature(ex.formulas.FORMULAS[node.function].function)
        inner: dict[str, Bound] = {}
        values = scope.values
        arguments = dict(zip(signature.parameters, node.args))
        arguments.update(node.kwargs)
        for parameter, info in signature.parameters.items():
            if parameter in arguments:
                argument = arguments[parameter]
                tex, precedence = self.print(argument, scope, None)
                named = scope.get(argument.name) if isinstance(argument, ex.Name) else None
                inner[parameter] = Bound(tex, precedence, _evaluator(argument)(values), named.formatter if named else None)
            elif info.default is not inspect.Parameter.empty:
                default = exact(info.default) if not isinstance(info.default, str) else info.default
                inner[parameter] = self._bound_value(default)
        return self.print(spec.expand.root, _Scope(self, {k: b.value for k, b in inner.items()}, inner), element)

    # -- special calls ----------------------------------------------------
    def _one_arg(self, node, scope, element) -> tuple[str, int]:
        return self.print(node.args[0], scope, element)

    def _call_floor(self, node, scope, element):
        return (rf"\left\lfloor {self._one_arg(node, scope, element)[0]} \right\rfloor", ATOM)

    def _call_ceil(self, node, scope, element):
        return (rf"\left\lceil {self._one_arg(node, scope, element)[0]} \right\rceil", ATOM)

    def _call_abs(self, node, scope, element):
        return (rf"\left|{self._one_arg(node, scope, element)[0]}\right|", ATOM)

    def _call_sqrt(self, node, scope, element):
        return (rf"\sqrt{{{self._one_arg(node, scope, element)[0]}}}", ATOM)

    def _call_exp(self, node, scope, element):
        argument = self._one_arg(node, scope, element)
        if argument[0].startswith(r"\begin"):
            return (rf"\exp\left({argument[0]}\right)", ATOM)
        return (f"e^{{{argument[0]}}}", 9)

    def _call_transpose(self, node, scope, element):
        argument = self._one_arg(node, scope, element)
        return (f"{{{_wrap(argument, ATOM)}}}^{{T}}", 9)

    def _terms(self, node: ex.Node, scope, count: int) -> list[tuple[str, int]]:
        return [self.print(node, scope, k) for k in range(count)]

    def _length(self, node: ex.Node, scope) -> int | None:
        value = self.value_of(node, scope)
        if is_array(value) and value.ndim == 1 and len(value) <= _MAX_TERMS:
            return len(value)
        return None

    def _call_sum(self, node, scope, element):
        argument = node.args[0]
        count = self._length(argument, scope)
        if count is None or element is not None:
            return (rf"\sum {_wrap(self.print(argument, scope, element), 8)}", 7)
        if self.substitute:
            terms = self._terms(argument, scope, count)
            return (" + ".join(_term(t, i == 0) for i, t in enumerate(terms)), 6)
        return (rf"\sum_{{k}} {_wrap(self.print(argument, scope, 0), 8)}", 7)

    def _call_dot(self, node, scope, element):
        left, right = node.args
        count = self._length(left, scope)
        if not self.substitute or count is None:
            return (f"{{{_wrap(self.print(left, scope, None), ATOM)}}}^{{T}} {_wrap(self.print(right, scope, None), 8)}", 7)
        terms = []
        for k in range(count):
            a, b = self.print(left, scope, k), self.print(right, scope, k)
            terms.append(rf"{_wrap(a, 8 if k == 0 else 9)} \cdot {_wrap(b, 9)}")
        return (" + ".join(terms), 6)
