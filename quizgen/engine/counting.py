"""How many distinct variants a template can make: counted exactly where the draw space is
a finite product, estimated with a stated confidence where it is too large to count.

Two variants are the same when their notes are (see generate): the count is the number of
different notes among the draws that pass every constraint, whose computed values can all
be worked out, and (multiple choice) that leave enough distinct distractors.

How it is counted. The draws are split into independent groups: two draws are in one
group when a constraint, a computed value, a draw's own arguments or (multiple choice) the
distractors need both. A constraint ``a and b`` counts as two. Each group is counted on its
own and the counts multiply. In a group, the valid draws are counted by dynamic
programming over the draws one at a time, keeping only the values that a later check
still needs; each check is worked out once per combination of the values it reads. This
is exact when the note tells apart any two different draws of the group: the note prints
each of its draws (a different number always prints differently), a draw the note leaves
out sets the length of a vector or matrix it prints, and the note's fixed text between two
values holds a character no value prints. A group whose draws the note does not tell apart
(the note shows a computed value, or leaves out a draw it does not reveal) is walked draw
by draw, and its notes' parts are collected.

When a group is too large to count within the work bounds below, its number of valid draws
is estimated by sampling: each sample draws the group's values one by one uniformly among a
draw's distinct values, and weighs a valid draw by the number of combinations it stands
for (Knuth's estimator). The result carries a two-sided interval at 95 % confidence (a
Wilson interval when every draw weighs the same, else the normal approximation).
"""

from __future__ import annotations

import ast
import itertools
import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import QuizgenError
from .draws import ArrayOf, Distribution, Grid
from .expressions import Call, Name, parse
from .fast import to_fast
from .generate import _context, _evaluate, _finite, _make_answers, _make_mistakes, _note
from .template import Template, Variable
from .values import check_size, is_array

SUPPORT_LIMIT = 50_000  # values of one draw listed one by one; a larger draw is sampled
WORK_LIMIT = 200_000  # (state, value) steps of the counting of one template
CHECKS_LIMIT = 6_000  # expressions worked out (each once per combination of the draws it reads)
SAMPLES = 200  # samples of a group too large to count
CONFIDENCE = 0.95
_Z = 1.959963984540054  # two-sided 95 % quantile of the normal distribution

_ERRORS = (QuizgenError, ZeroDivisionError, ValueError, TypeError, IndexError, KeyError, ArithmeticError, AttributeError, RecursionError, MemoryError)


@dataclass(frozen=True)
class Count:
    """The distinct variants of a template.

    ``method`` is "exact" (``value`` is the number), "estimate" (``value`` is the estimate,
    the number lies in ``low``..``high`` with ``confidence``, from ``samples`` samples) or
    "lower bound" (at least ``value``: too many to count, and the note does not allow an estimate).
    """

    value: int
    method: str = "exact"
    low: int | None = None
    high: int | None = None
    confidence: float | None = None
    samples: int = 0

    @property
    def exact(self) -> bool:
        return self.method == "exact"

    def describe(self) -> str:
        if self.method == "exact":
            return f"{self.value}"
        if self.method == "lower bound":
            return f">={self.value}"
        return f"~{_short(self.value)}"


def _short(number: int) -> str:
    return f"{number}" if number < 100_000 else f"{number:.2g}".replace("e+0", "e").replace("e+", "e")


class _TooBig(Exception):
    """The counting of a group would pass its work bounds."""


def count_variants(template: Template, nice: bool = False, samples: int = SAMPLES, seed: int = 0) -> Count:
    """The distinct variants ``template`` can make (with its nice constraints too, if ``nice``).

    ``samples`` and ``seed`` matter only where the count is estimated: the same seed gives the same estimate.
    """
    if template.kind == "concept":
        rows = len(template.pairs)
        directions = 2 if template.ask == "both" else 1
        return Count(directions * rows * math.comb(rows - 1, template.option_count - 1))
    if template.kind == "matching":
        return Count(math.comb(len(template.pairs), template.pair_count) * math.comb(len(template.distractors), template.distractor_count))
    return _Counter(template, nice, samples, seed).count()


# ---------------------------------------------------------------------------
# The model: draws, and the checks over them


def _key(value: Any) -> Any:
    """A hashable stand-in for a value: equal values, equal keys."""
    if is_array(value):
        return ("array", value.shape, tuple(value.flat))
    try:
        hash(value)
        return value
    except TypeError:
        return ("repr", repr(value))


@dataclass
class _Check:
    """A test of a draw: it reads the draws in ``scope`` (through the computed values in ``computed``)."""

    scope: tuple[str, ...]
    computed: list[Variable]
    test: Callable[[dict[str, Any], dict[str, Any]], Any]
    reads: tuple[str, ...] | None = None  # the variables the test itself reads: it is worked out once per combination of their values
    memo: dict = field(default_factory=dict)

    def holds(self, values: dict[str, Any], keys: dict[str, Any], counter: _Counter) -> bool:
        key = tuple(keys[name] for name in self.scope)
        known = self.memo.get(key)
        if known is None:
            known = self.memo[key] = counter.run(self.computed, values, keys, self.test, self.reads)
        return known


_FAILED = object()


def _always(env: dict[str, Any], fast: dict[str, Any]) -> bool:
    """The test of a computed value: that it can be computed."""
    return True


def _conjuncts(expression) -> list[str]:
    """The parts of ``a and b and ...`` as texts (the whole text when it is no such conjunction)."""
    try:
        tree = ast.parse(expression.text, mode="eval").body
    except SyntaxError:
        return [expression.text]
    if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And):
        return [part for value in tree.values for part in _conjuncts(_Text(ast.unparse(value)))]
    return [expression.text]


@dataclass
class _Text:
    text: str


class _Counter:
    def __init__(self, template: Template, nice: bool, samples: int, seed: int = 0):
        self.template = template
        self.samples, self.seed = samples, seed
        self.variables = {v.name: v for v in template.variables}
        self.position = {v.name: i for i, v in enumerate(template.variables)}
        self.draws = [v.name for v in template.variables if v.is_draw]
        self.work = self.checks = 0
        self.work_limit, self.checks_limit = WORK_LIMIT, CHECKS_LIMIT
        self._scopes: dict[str, frozenset[str]] = {}
        self.supports: dict[Any, Any] = {}
        self._keep: list = []  # the distributions whose ids are keys of self.supports
        self.collision = False  # a value of a draw the note shows printed like another
        self.computed_values: dict[tuple, Any] = {}
        self._guesses: dict[str, int] = {}
        self._input_names: dict[str, tuple[str, ...]] = {}
        self._fast_values: dict[tuple[str, Any], Any] = {}
        self._orders: dict[tuple[str, ...], list[str]] = {}  # (name, keys of the draws it reads): its value
        self.chars: set[str] = set()  # every character a value of the note prints
        self.checks_of: list[_Check] = []
        self.parents: dict[str, _Check | None] = {}  # a draw that depends on others: the draws its arguments read
        for name in self.draws:
            variable = self.variables[name]
            if variable.fixed is None:
                names = self._names(variable.expression)
                self.parents[name] = _Check(self._scope_of(names), self._computed_for(names), _always)
        for variable in template.variables:
            if not variable.is_draw:
                self.checks_of.append(self._check({variable.name}, _always))
        known = set(self.variables)
        for constraint in template.constraints + (template.nice if nice else []):
            for text in _conjuncts(constraint.expression):
                expression = parse(text, known, where="constraint") if text != constraint.expression.text else constraint.expression
                self.checks_of.append(self._check(self._names(expression), lambda env, fast, e=expression: _evaluate(e, env, fast)[0], reads=True))
        if template.kind == "multichoice":
            names = {a.name for a in template.answers}
            for mistake in template.mistakes:
                names |= self._names(mistake.expression)
            self.checks_of.append(self._check(names, self._enough_distractors))

    # -- structure

    def _names(self, expression) -> set[str]:
        return {n for n in expression.names if n in self.variables}

    def _scope_of(self, names: set[str]) -> tuple[str, ...]:
        scope: set[str] = set()
        for name in names:
            scope |= self._draw_scope(name)
        return tuple(sorted(scope, key=self.position.__getitem__))

    def _draw_scope(self, name: str) -> frozenset[str]:
        known = self._scopes.get(name)
        if known is None:
            variable = self.variables[name]
            if variable.is_draw:
                known = frozenset([name])
            else:
                known = frozenset().union(*(self._draw_scope(n) for n in self._names(variable.expression)))
            self._scopes[name] = known
        return known

    def _computed_for(self, names: set[str]) -> list[Variable]:
        """The computed values needed to work out ``names``, in the template's order."""
        needed: set[str] = set()
        todo = [n for n in names if not self.variables[n].is_draw]
        while todo:
            name = todo.pop()
            if name in needed:
                continue
            needed.add(name)
            todo += [n for n in self._names(self.variables[name].expression) if not self.variables[n].is_draw]
        return [v for v in self.template.variables if v.name in needed]

    def _check(self, names: set[str], test: Callable[[dict[str, Any]], bool], reads: bool = False) -> _Check:
        return _Check(self._scope_of(names), self._computed_for(names), test, tuple(sorted(names)) if reads else None)

    def _enough_distractors(self, env: dict[str, Any], fast: dict[str, Any]) -> bool:
        template = self.template
        answers = _make_answers(template, env)
        mistakes, _ = _make_mistakes(template, env, answers, {}, fast)
        return len([m for m in mistakes if m.answer == answers[0].spec.name]) >= template.option_count - 1

    def groups(self) -> list[list[str]]:
        """The independent groups of draws, each in the template's order."""
        parent = {name: name for name in self.draws}

        def find(name: str) -> str:
            while parent[name] != name:
                parent[name] = parent[parent[name]]
                name = parent[name]
            return name

        links = [check.scope for check in self.checks_of] + [(name, *check.scope) for name, check in self.parents.items() if check]
        for scope in links:
            for other in scope[1:]:
                parent[find(other)] = find(scope[0])
        groups: dict[str, list[str]] = {}
        for name in self.draws:
            groups.setdefault(find(name), []).append(name)
        return list(groups.values())

    # -- values

    def _evaluated(self) -> None:
        self.checks += 1
        if self.checks > self.checks_limit:
            raise _TooBig

    def run(
        self, computed: list[Variable], values: dict[str, Any], keys: dict[str, Any], test: Callable[[dict[str, Any]], Any], reads: tuple[str, ...] | None = None,
        keep: bool = False,
    ) -> bool:
        """``test`` over the draws and the computed values it needs; False when one cannot be computed.

        A computed value is worked out once per combination of the values it reads (whichever
        check needs it), and so is a test that names the variables it reads (``reads``). With
        ``keep``, ``test`` is given the values (``dict.update`` keeps them) and the draw is valid.
        """
        env = dict(values)
        value_keys = dict(keys)
        fast_env = {name: self._fast(name, keys[name], value) for name, value in values.items()}
        for variable in computed:
            by_draws = (variable.name, tuple(keys[n] for n in self._draw_scope(variable.name)))
            known = self.computed_values.get(by_draws)
            if known is None:
                by_values = ("values", variable.name, tuple(value_keys[n] for n in self._inputs(variable)))
                known = self.computed_values.get(by_values)
                if known is None:
                    self._evaluated()
                    try:
                        value, fast = _evaluate(variable.expression, env, fast_env)
                        if _finite(value):
                            check_size(value)
                            known = (value, _key(value), fast)
                        else:
                            known = (_FAILED, None, None)
                    except _ERRORS:
                        known = (_FAILED, None, None)
                    self.computed_values[by_values] = known
                self.computed_values[by_draws] = known
            if known[0] is _FAILED:
                return False
            env[variable.name], value_keys[variable.name], fast_env[variable.name] = known
        if test is _always:
            return True
        if reads is not None:
            by_values = ("test", id(test), tuple(value_keys[n] for n in reads))
            known = self.computed_values.get(by_values)
            if known is not None:
                return known
        self._evaluated()
        try:
            holds = bool(test(env, fast_env)) if not keep else (test(env, fast_env) or True)
        except _ERRORS:
            holds = False
        if reads is not None:
            self.computed_values[by_values] = holds  # the test is a check's, kept while the counter is
        return holds

    def _fast(self, name: str, key: Any, value: Any) -> Any:
        """A draw's value in the fast form (see generate._evaluate), made once per value."""
        known = self._fast_values.get((name, key), _FAILED)
        if known is _FAILED:
            known = self._fast_values[(name, key)] = to_fast(value)
        return known

    def _inputs(self, variable: Variable) -> tuple[str, ...]:
        known = self._input_names.get(variable.name)
        if known is None:
            known = self._input_names[variable.name] = tuple(sorted(self._names(variable.expression)))
        return known

    def support(self, name: str, values: dict[str, Any], keys: dict[str, Any]) -> list[tuple[Any, Any]]:
        """The distinct values of a draw, given the values of the draws its arguments read: (key, value) pairs."""
        distribution = self.distribution(name, values, keys)
        if distribution is None:
            return []
        known = self.supports.get(id(distribution))
        if known is None:
            if distribution.size() > SUPPORT_LIMIT:
                raise _TooBig
            self.work += distribution.size()
            unique: dict[Any, Any] = {}
            for value in distribution.support():
                unique.setdefault(_key(value), value)
            known = self.supports[id(distribution)] = list(unique.items())
            self._keep.append(distribution)  # its id stays its own while it is a key
        if name in self.template.note_names and self.variables[name].fixed is None and not self._distribution_prints_apart(name, distribution):
            self.collision = True
        return known

    def distribution(self, name: str, values: dict[str, Any], keys: dict[str, Any]) -> Distribution | None:
        variable = self.variables[name]
        if variable.fixed is not None:
            return variable.fixed
        check = self.parents[name]
        key = (name, tuple(keys[n] for n in check.scope))
        known = self.supports.get(key, False)
        if known is False:
            env = {n: values[n] for n in check.scope}
            try:
                for computed in check.computed:
                    env[computed.name] = computed.expression.evaluate(env)
                known = variable.expression.evaluate(env)
                if not isinstance(known, Distribution):
                    known = None
            except _ERRORS:
                known = None
            self.supports[key] = known
        return known

    # -- counting

    def count(self) -> Count:
        note_names = set(self.template.note_names)
        results = [self._count_group(group, note_names) for group in self.groups()]
        if not self._note_tells_apart():
            return self._walk_notes()
        if all(isinstance(r, Count) and r.exact for r in results):
            return Count(math.prod(r.value for r in results))
        if any(isinstance(r, Count) and r.method == "lower bound" for r in results):
            return Count(math.prod(r.value if isinstance(r, Count) else r.found for r in results), "lower bound")
        estimated = [r for r in results if isinstance(r, _Sample)]
        z = _z(CONFIDENCE, len(estimated))  # each interval at 1 - 5 %/k: all k hold together at 95 % at least (Bonferroni)
        parts = [r.interval(z) if isinstance(r, _Sample) else (r.value, r.value, r.value) for r in results]
        return Count(math.prod(p[0] for p in parts), "estimate", math.prod(p[1] for p in parts), math.prod(p[2] for p in parts), CONFIDENCE, self.samples)

    def _count_group(self, group: list[str], note_names: set[str]) -> Count | _Sample:
        self.work = self.checks = 0
        self.checks_limit = CHECKS_LIMIT
        shown = [n for n in group if n in note_names]
        computed_shown = [n for n in self.template.note_names if not self.variables[n].is_draw and self._draw_scope(n) & set(group)]
        left_out = [n for n in group if n not in note_names]
        if not shown and not computed_shown:
            return self._any_valid(group)
        if computed_shown or not all(self._revealed(n, shown) for n in left_out) or not all(self._prints_apart(n) for n in shown):
            return self._walk_group(group, shown + computed_shown)
        self.collision = False
        try:
            if self._too_big(group):
                raise _TooBig
            count = self._valid_draws(group)
        except _TooBig:
            sample = self._estimate(group)
            return sample if sample is not None and not self.collision else self._walk_group(group, shown)
        return Count(count) if not self.collision else self._walk_group(group, shown)

    def _order(self, group: list[str]) -> list[str]:
        """An order of the draws (each after those its arguments read) that keeps few values pending."""
        known = self._orders.get(tuple(group))
        if known is not None:
            return known
        placed: list[str] = []
        remaining = list(group)
        scopes = [c.scope for c in self.checks_of if set(c.scope) & set(group)]
        for name, check in self.parents.items():
            if check is not None and name in group:
                scopes.append((*check.scope, name))

        def pending(names: list[str]) -> float:
            done = set(names)
            needed = {n for scope in scopes if not set(scope) <= done for n in scope if n in done}
            return sum(math.log(self._size_guess(n)) for n in needed)

        while remaining:
            ready = [n for n in remaining if self.parents.get(n) is None or set(self.parents[n].scope) <= set(placed)]
            best = min(ready, key=lambda n: (pending(placed + [n]), self.position[n]))
            placed.append(best)
            remaining.remove(best)
        self._orders[tuple(group)] = placed
        return placed

    def _size_guess(self, name: str) -> int:
        """The number of values of a draw (for a draw that depends on others: the most over its arguments' values, when few)."""
        fixed = self.variables[name].fixed
        if fixed is not None:
            return max(fixed.size(), 1)
        known = self._guesses.get(name)
        if known is None:
            known = 10**9
            parents = self.parents[name].scope
            if all(self.variables[p].fixed is not None and self.variables[p].fixed.size() <= 2000 for p in parents):
                supports = [self.support(p, {}, {}) for p in parents]
                combinations = itertools.product(*supports)
                if math.prod(len(s) for s in supports) > 2000:
                    combinations = itertools.islice(combinations, 1)  # one of them: a choice of a list has its length whatever the values
                sizes = []
                for combination in combinations:
                    keys = {p: k for p, (k, _) in zip(parents, combination)}
                    values = {p: v for p, (_, v) in zip(parents, combination)}
                    distribution = self.distribution(name, values, keys)
                    sizes.append(distribution.size() if distribution is not None else 0)
                known = max(max(sizes, default=1), 1)
            self._guesses[name] = known
        return known

    def _too_big(self, group: list[str]) -> bool:
        """Whether counting a group would surely pass its bounds by far (each check over every combination of its values)."""
        order = self._order(group)
        checks, pending = self._plan(order)
        work = sum(math.prod(self._size_guess(n) for n in (pending[i - 1] if i else ())) * self._size_guess(name) for i, name in enumerate(order))
        evaluations = sum(math.prod(self._size_guess(n) for n in check.scope) for at in checks for check in at)
        return work > 20 * WORK_LIMIT or evaluations > 20 * CHECKS_LIMIT

    def _plan(self, order: list[str]) -> tuple[list[list[_Check]], list[tuple[str, ...]]]:
        """The checks to make after each draw, and the draws still needed after each."""
        at = {name: i for i, name in enumerate(order)}
        checks: list[list[_Check]] = [[] for _ in order]
        last_use: dict[str, int] = {}
        for check in self.checks_of:
            if check.scope and check.scope[0] in at:
                where = max(at[n] for n in check.scope)
                checks[where].append(check)
                for n in check.scope:
                    last_use[n] = max(last_use.get(n, -1), where)
        for name in order:
            check = self.parents.get(name)
            if check is not None:
                for n in check.scope:
                    last_use[n] = max(last_use.get(n, -1), at[name])
        pending = [tuple(n for n in order[: i + 1] if last_use.get(n, -1) > i) for i in range(len(order))]
        return checks, pending

    def _valid_draws(self, group: list[str]) -> int:
        """The number of valid draws of a group, by dynamic programming over its draws."""
        order = self._order(group)
        checks, pending = self._plan(order)
        states: dict[tuple, int] = {(): 1}
        names: tuple[str, ...] = ()
        store: dict[tuple[str, Any], Any] = {}  # (draw, key): its value
        for i, name in enumerate(order):
            following: dict[tuple, int] = {}
            keep = pending[i]
            for state, ways in states.items():
                keys = dict(zip(names, state))
                values = {n: store[(n, k)] for n, k in keys.items()}
                for key, value in self.support(name, values, keys):
                    self.work += 1
                    if self.work > self.work_limit:
                        raise _TooBig
                    keys[name], values[name] = key, value
                    if all(check.holds(values, keys, self) for check in checks[i]):
                        store[(name, key)] = value
                        after = tuple(keys[n] for n in keep)
                        following[after] = following.get(after, 0) + ways
            states, names = following, keep
        return sum(states.values())

    def _assignments(self, group: list[str], limit_work: bool = True) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Every valid draw of a group (values and keys), depth first."""
        order = self._order(group)
        checks, _ = self._plan(order)
        values: dict[str, Any] = {}
        keys: dict[str, Any] = {}

        def walk(i: int) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
            if i == len(order):
                yield values, keys
                return
            name = order[i]
            for key, value in self.support(name, values, keys):
                self.work += 1
                if limit_work and self.work > self.work_limit:
                    raise _TooBig
                keys[name], values[name] = key, value
                if all(check.holds(values, keys, self) for check in checks[i]):
                    yield from walk(i + 1)
            values.pop(name, None)
            keys.pop(name, None)

        return walk(0)

    def _any_valid(self, group: list[str]) -> Count:
        """A group the note does not show: it counts once if any of its draws is valid."""
        try:
            for _ in self._assignments(group):
                return Count(1)
            return Count(0)
        except _TooBig:
            return Count(1, "lower bound")

    def _walk_group(self, group: list[str], shown: list[str]) -> Count:
        """A group whose note parts are collected one valid draw at a time."""
        parts: set[tuple] = set()
        try:
            computed = self._computed_for({n for n in shown if not self.variables[n].is_draw})
            env: dict[str, Any] = {}
            for values, keys in self._assignments(group):
                env.clear()
                if not self.run(computed, values, keys, lambda known, fast: env.update(known), keep=True):
                    continue
                texts = tuple(self._text(n, env[n]) for n in shown)
                for text in texts:
                    self.chars.update(text)
                parts.add(texts)
        except _TooBig:
            return Count(max(len(parts), 1), "lower bound")
        return Count(len(parts))

    def _walk_notes(self) -> Count:
        """The notes themselves, one valid draw of the whole template at a time (a note that may not tell draws apart)."""
        notes: set[str] = set()
        self.work = self.checks = 0
        try:
            computed = self._computed_for({n for n in self.template.note_names if not self.variables[n].is_draw})
            env: dict[str, Any] = {}
            for values, keys in self._assignments(self.draws):
                env.clear()
                if self.run(computed, values, keys, lambda known, fast: env.update(known), keep=True):
                    try:
                        notes.add(_note(self.template, _context(self.template, env, self.template.note_names)))
                    except _ERRORS:
                        continue
        except _TooBig:
            return Count(max(len(notes), 1), "lower bound")
        return Count(len(notes))

    # -- does the note tell draws apart?

    def _text(self, name: str, value: Any) -> str:
        return _context(self.template, {name: value}, {name})[name]

    def _prints_apart(self, name: str) -> bool:
        """Whether different values of a draw print differently (a draw that depends on others: checked as its values are listed)."""
        distribution = self.variables[name].fixed
        return distribution is None or self._distribution_prints_apart(name, distribution)

    def _distribution_prints_apart(self, name: str, distribution: Distribution) -> bool:
        """Whether the distinct values of a distribution print differently (for a vector or matrix: its entries)."""
        grid = distribution.element if isinstance(distribution, ArrayOf) else distribution
        if not isinstance(grid, Grid):
            return False
        key = ("prints apart", name, id(grid), getattr(distribution, "shape", None))
        known = self.supports.get(key)
        if known is None:
            values = self._distinct(grid)
            if isinstance(distribution, ArrayOf) and any(is_array(v) or isinstance(v, (str, list)) for v in values):
                known = False
            else:
                texts = [self._text(name, v) for v in values]
                for text in texts:
                    self.chars.update(text)
                if isinstance(distribution, ArrayOf):
                    sample = np.empty(math.prod(distribution.shape), dtype=object)
                    sample[:] = [values[0]] * sample.size
                    self.chars.update(self._text(name, sample.reshape(distribution.shape)))
                known = len(set(texts)) == len(texts)
            self.supports[key] = known
        return known

    def _revealed(self, name: str, shown: list[str]) -> bool:
        """Whether a draw the note leaves out is known from one it shows: the length of a vector or matrix it prints."""
        for other in shown:
            root = self.variables[other].expression.root
            if isinstance(root, Call) and root.function in ("vector", "matrix"):
                dimensions = root.args[:1] if root.function == "vector" else root.args[:2]
                if any(self._sets_dimension(arg, name) for arg in dimensions):
                    return True
        return False

    def _sets_dimension(self, argument, name: str) -> bool:
        """Whether a length argument (``n``, ``n - 1``) reads only ``name`` and differs for each of its values."""
        if isinstance(argument, Name):
            return argument.name == name
        fixed = self.variables[name].fixed
        if argument.names() & set(self.variables) != {name} or not isinstance(fixed, Grid):
            return False
        try:
            evaluate = argument.compile()
            lengths = [evaluate({name: value}) for value in self._distinct(fixed)]
        except _ERRORS:
            return False
        return len(set(lengths)) == len(lengths)

    def _note_tells_apart(self) -> bool:
        """Whether the note prints each of its values, in a fixed text, with a character between two values that no value prints.

        Checked by rendering the note with a marker for each value, twice with different markers: the
        same fixed text around them both times means the note prints its values as they are.
        """
        names = self.template.note_names
        if not names:
            return True

        def pieces(tag: str) -> tuple[list[str], list[int]] | None:
            context = {n: f"\x00{tag}{i}\x00" for i, n in enumerate(names)}
            try:
                text = _note(self.template, context)
            except _ERRORS:
                return None
            parts = text.split("\x00")
            if len(parts) % 2 == 0:
                return None
            literals, order = parts[0::2], parts[1::2]
            try:
                return literals, [int(p[1:]) if p[:1] == tag else -1 for p in order]
            except ValueError:
                return None

        first, second = pieces("a"), pieces("b")
        if first is None or second is None or first != second or -1 in first[1] or set(first[1]) != set(range(len(names))):
            return False
        literals = first[0]
        return all(set(between) - self.chars for between in literals[1:-1])

    # -- estimating

    def _estimate(self, group: list[str]) -> _Sample | None:
        """Knuth's estimator of the valid draws of a group: the weights of ``samples`` random draws (None: none was valid)."""
        order = self._order(group)
        checks, _ = self._plan(order)
        rng = np.random.default_rng([self.seed, zlib.crc32(f"{self.template.id}:{' '.join(group)}".encode())])
        self.checks_limit = math.inf  # sampling is bounded by its number of samples
        weights: list[int] = []
        found: set[tuple] = set()
        parents = {n for check in self.parents.values() if check is not None for n in check.scope}
        for _ in range(self.samples):
            values: dict[str, Any] = {}  # the draws, then the computed values, of this sample
            fast: dict[str, Any] = {}
            keys: dict[str, Any] = {}  # of the draws that other draws' arguments read
            weight = 1
            for i, name in enumerate(order):
                distribution = self.distribution(name, values, keys)
                drawn = self._draw(name, distribution, rng)
                if drawn is None:
                    weight = 0
                    break
                size, value = drawn
                weight *= size
                values[name], fast[name] = value, to_fast(value)
                if name in parents:
                    keys[name] = _key(value)
                if not all(self._holds_once(check, values, fast) for check in checks[i]):
                    weight = 0
                    break
            weights.append(weight)
            if weight:
                found.add(tuple(_key(values[n]) for n in order))
        return _Sample(weights, len(found)) if found else None

    def _holds_once(self, check: _Check, env: dict[str, Any], fast: dict[str, Any]) -> bool:
        """A check over one random draw: its computed values worked out into ``env`` (once per draw), nothing remembered across draws."""
        for variable in check.computed:
            if variable.name not in env:
                try:
                    value, quick = _evaluate(variable.expression, env, fast)
                    if not _finite(value):
                        return False
                    check_size(value)
                except _ERRORS:
                    return False
                env[variable.name], fast[variable.name] = value, quick
        if check.test is _always:
            return True
        try:
            return bool(check.test(env, fast))
        except _ERRORS:
            return False

    def _draw(self, name: str, distribution: Distribution | None, rng: np.random.Generator) -> tuple[int, Any] | None:
        """(the number of distinct values, one of them uniformly), or None for no distribution."""
        if distribution is None:
            return None
        if name in self.template.note_names and self.variables[name].fixed is None and not self._distribution_prints_apart(name, distribution):
            self.collision = True
        if isinstance(distribution, Grid):
            values = self._distinct(distribution)
            return len(values), values[int(rng.integers(0, len(values)))]
        if isinstance(distribution, ArrayOf) and isinstance(distribution.element, Grid):
            values = self._distinct(distribution.element)
            count = math.prod(distribution.shape)
            out = np.empty(count, dtype=object)
            out[:] = [values[int(i)] for i in rng.integers(0, len(values), size=count)]
            return len(values) ** count, out.reshape(distribution.shape)
        return distribution.size(), distribution.sample(rng)

    def _distinct(self, grid: Grid) -> list[Any]:
        known = self.supports.get(("distinct", id(grid)))
        if known is None:
            known = self.supports[("distinct", id(grid))] = list({_key(v): v for v in grid.values}.values())
            self._keep.append(grid)
        return known


@dataclass
class _Sample:
    """The weights of the random draws of one group (0 for a draw that is not valid), and how many distinct valid draws they found."""

    weights: list[int]
    found: int

    def interval(self, z: float) -> tuple[int, int, int]:
        """(estimate, low, high) of the number of valid draws; the low end is never below the distinct draws found."""
        weights, n = self.weights, len(self.weights)
        mean = sum(weights) / n
        positive = [w for w in weights if w]
        if len(set(positive)) == 1:  # every valid draw weighs the same: the share of valid draws is a proportion
            low, high = _wilson(len(positive), n, z)
            low, high = low * positive[0], high * positive[0]
        else:
            half = z * math.sqrt(sum((w - mean) ** 2 for w in weights) / (n - 1) / n)
            low, high = mean - half, mean + half
        estimate = max(round(mean), self.found)
        return estimate, max(math.floor(low), self.found), max(math.ceil(high), estimate)


def _z(confidence: float, estimates: int) -> float:
    if estimates <= 1 and confidence == CONFIDENCE:
        return _Z
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - (1 - confidence) / (2 * estimates))


def _wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)
