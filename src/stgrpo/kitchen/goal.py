"""Goals: Robotouille's goal lists compiled into a small constraint problem over objects.

Robotouille expands a goal into a disjunction of conjunctions, one per assignment of
objects to the goal's numeric ids (all permutations). We keep the same meaning without the
blow-up: each numeric id is a variable, checked by backtracking. Its faithful details:

* a numeric id binds objects of the kind it is first used with (goal order); ids of one
  kind bind pairwise distinct objects, and a kind needs at least as many objects as it has
  ids (Robotouille's permutations are otherwise empty and the goal can never hold);
* a string id names the one station or item whose JSON `id` matches.

Compiling also rejects goals that no sequence of actions could satisfy (a missing kind, a
property no candidate can acquire), naming the literal and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from stgrpo.kitchen.domain import (
    BIT,
    COOKABLE,
    COOKED,
    COOKING,
    CUT,
    CUTTABLE,
    FRIED,
    FRYABLE,
    FRYABLE_IF_CUT,
    PROPERTIES,
    RELATIONS,
    STATION_KINDS,
)
from stgrpo.kitchen.layout import GoalLiteral, LayoutError, is_variable
from stgrpo.kitchen.state import NOTHING, State

if TYPE_CHECKING:
    from stgrpo.kitchen.world import World

ON_STATION = -2  # `below` of an item that sits directly on its station


class Variable(NamedTuple):
    ident: str  # the goal's numeric id, as text
    kind: str  # the kind it ranges over
    candidates: tuple[int, ...]  # object indices of that kind


class Term(NamedTuple):
    is_variable: bool
    index: int  # a Variable index, or an object index


class Literal(NamedTuple):
    predicate: str
    terms: tuple[Term, ...]


class View:
    """Where every item is in one state, computed once per goal check."""

    __slots__ = ("above", "below", "flags", "held", "robot", "stacks", "top", "where")

    def __init__(self, state: State, n_items: int):
        where = [NOTHING] * n_items
        below = [NOTHING] * n_items
        above = [NOTHING] * n_items
        top = [False] * n_items
        for station, stack in enumerate(state.stacks):
            previous = ON_STATION
            for item in stack:
                where[item] = station
                below[item] = previous
                if previous >= 0:
                    above[previous] = item
                previous = item
            if stack:
                top[stack[-1]] = True
        self.where, self.below, self.above, self.top = where, below, above, top
        self.held, self.robot, self.stacks, self.flags = (
            state.held,
            state.robot,
            state.stacks,
            state.flags,
        )


# Truth of a grounded predicate: test(view, first argument, second argument or -1).
_RELATION_TESTS = {
    "atop": lambda v, a, b: v.below[a] == b,
    "item_on": lambda v, a, b: v.below[a] == ON_STATION and v.where[a] == b,
    "item_at": lambda v, a, b: v.where[a] == b,
    "clear": lambda v, a, b: v.top[a],
    "loc": lambda v, a, b: v.robot == b,
    "has_item": lambda v, a, b: v.held == b,
    "nothing": lambda v, a, b: v.held == NOTHING,
    "station_empty": lambda v, a, b: not v.stacks[a],
    "vacant": lambda v, a, b: v.robot != a,
}

# Relations that pin one argument given the other: (predicate, position pinned) ->
# value(view, other argument), NOTHING when no object fits. Binding through these instead
# of trying every candidate makes a goal check a handful of list lookups.
_DERIVATIONS = {
    ("atop", 0): lambda v, lower: v.above[lower],
    ("atop", 1): lambda v, upper: v.below[upper] if v.below[upper] >= 0 else NOTHING,
    ("item_on", 0): lambda v, station: v.stacks[station][0] if v.stacks[station] else NOTHING,
    ("item_on", 1): lambda v, item: v.where[item] if v.below[item] == ON_STATION else NOTHING,
    ("item_at", 1): lambda v, item: v.where[item],
    ("loc", 1): lambda v, robot: v.robot,
    ("has_item", 1): lambda v, robot: v.held,
}


def tester(predicate: str):
    bit = BIT.get(predicate)
    if bit is not None:
        return lambda v, a, b: bool(v.flags[a] & bit)
    return _RELATION_TESTS[predicate]


def evaluate(predicate: str, state: State, view: View, args: tuple[int, ...]) -> bool:
    """Truth of one grounded predicate (object indices) in a state."""
    return tester(predicate)(view, args[0], args[1] if len(args) > 1 else -1)


# A compiled literal check: (test, first is variable, first index, second is var, second).
Check = tuple


class Step(NamedTuple):
    """Bind one variable: derived from a bound term through a relation, or enumerated."""

    variable: int
    derive: object  # a _DERIVATIONS function, or None to enumerate the candidates
    source: Term | None  # the bound term it is derived from
    allowed: frozenset[int]
    distinct_from: tuple[int, ...]  # bound variables of the same kind
    checks: tuple[Check, ...]  # literals fully bound once this variable is


@dataclass(frozen=True)
class Goal:
    variables: tuple[Variable, ...]
    literals: tuple[Literal, ...]
    n_items: int
    ground: tuple[Check, ...]  # literals without variables
    plan: tuple[Step, ...]  # the binding order, with the checks due at each step

    # ---- evaluation --------------------------------------------------------------------
    def holds(self, state: State) -> bool:
        return next(self._solutions(state), None) is not None

    def bindings(self, state: State) -> list[dict[str, int]]:
        """Every assignment of the goal's ids to objects that makes it true."""
        return [
            {v.ident: b for v, b in zip(self.variables, binding, strict=True)}
            for binding in self._solutions(state)
        ]

    def _solutions(self, state: State):
        view = View(state, self.n_items)
        if _passes(self.ground, view, ()):
            yield from self._extend(view, [NOTHING] * len(self.variables), 0)

    def _extend(self, view: View, binding: list[int], depth: int):
        if depth == len(self.plan):
            yield tuple(binding)
            return
        step = self.plan[depth]
        if step.derive is None:
            options = self.variables[step.variable].candidates
        else:
            source = binding[step.source.index] if step.source.is_variable else step.source.index
            value = step.derive(view, source)
            options = (value,) if value in step.allowed else ()
        for value in options:
            if any(binding[other] == value for other in step.distinct_from):
                continue
            binding[step.variable] = value
            if _passes(step.checks, view, binding):
                yield from self._extend(view, binding, depth + 1)
        binding[step.variable] = NOTHING

    # ---- compilation -------------------------------------------------------------------
    @classmethod
    def compile(cls, world: World) -> Goal:
        source = f"{world.source}: goal"
        literals_in = world.layout.goal
        ids_by_kind: dict[str, list[str]] = {}  # kinds in order of first use, ids in order
        for literal in literals_in:
            for kind, ident in zip(literal.args, literal.ids, strict=True):
                if is_variable(ident):
                    ids = ids_by_kind.setdefault(kind, [])
                    if str(ident) not in ids:
                        ids.append(str(ident))
        owner: dict[str, str] = {}  # numeric id -> kind it binds (first kind using it)
        for kind, ids in ids_by_kind.items():
            for ident in ids:
                owner.setdefault(ident, kind)
        for kind, ids in ids_by_kind.items():
            available = len(_objects_of_kind(world, kind))
            if available and available < len(ids):
                raise LayoutError(
                    f"{source}: needs {len(ids)} distinct {kind} (ids {', '.join(ids)}) "
                    f"but the layout has {available}"
                )
        variables: list[Variable] = []
        var_index: dict[str, int] = {}
        for ident, kind in owner.items():
            candidates = _objects_of_kind(world, kind)
            if not candidates:
                raise LayoutError(f"{source}: needs a {kind} (id {ident}) but the layout has none")
            var_index[ident] = len(variables)
            variables.append(Variable(ident, kind, candidates))
        literals = tuple(
            Literal(
                lit.predicate,
                tuple(_term(world, lit, k, var_index, source) for k in range(len(lit.args))),
            )
            for lit in literals_in
        )
        goal = cls._order(variables, literals, world.n_items)
        _check_achievable(world, goal, literals_in)
        return goal

    @classmethod
    def _order(cls, variables, literals, n_items) -> Goal:
        """Choose a binding order: derive a variable from a bound one whenever a relation
        pins it, else enumerate the variable with the fewest candidates."""
        bound: set[int] = set()
        scheduled: set[int] = set()  # literals already checked (or used to derive)
        plan = []
        while len(bound) < len(variables):
            variable, derive, source, via = _next_binding(variables, literals, bound)
            bound.add(variable)
            if via is not None:
                scheduled.add(via)
            due = [
                k
                for k, lit in enumerate(literals)
                if k not in scheduled and all(t.index in bound for t in lit.terms if t.is_variable)
            ]
            scheduled.update(due)
            plan.append(
                Step(
                    variable,
                    derive,
                    source,
                    frozenset(variables[variable].candidates),
                    tuple(
                        j
                        for j in bound
                        if j != variable and variables[j].kind == variables[variable].kind
                    ),
                    tuple(_compile_check(literals[k]) for k in due),
                )
            )
        ground = tuple(
            _compile_check(lit)
            for k, lit in enumerate(literals)
            if not any(t.is_variable for t in lit.terms)
        )
        return cls(tuple(variables), literals, n_items, ground, tuple(plan))


def _next_binding(variables, literals, bound):
    def known(term: Term) -> bool:
        return not term.is_variable or term.index in bound

    for k, literal in enumerate(literals):
        for position, term in enumerate(literal.terms):
            derive = _DERIVATIONS.get((literal.predicate, position))
            if derive is None or not term.is_variable or term.index in bound:
                continue
            source = literal.terms[1 - position] if len(literal.terms) == 2 else Term(False, 0)
            if known(source):
                return term.index, derive, source, k
    free = [j for j in range(len(variables)) if j not in bound]
    return min(free, key=lambda j: len(variables[j].candidates)), None, None, None


def _compile_check(literal: Literal) -> Check:
    first = literal.terms[0]
    second = literal.terms[1] if len(literal.terms) > 1 else Term(False, -1)
    return (
        tester(literal.predicate),
        first.is_variable,
        first.index,
        second.is_variable,
        second.index,
    )


def _passes(checks, view: View, binding) -> bool:
    for test, first_var, first, second_var, second in checks:
        if not test(
            view, binding[first] if first_var else first, binding[second] if second_var else second
        ):
            return False
    return True


def _objects_of_kind(world: World, kind: str) -> tuple[int, ...]:
    if kind == "robot":
        return (0,)
    kinds = world.station_kinds if kind in STATION_KINDS else world.item_kinds
    return tuple(i for i, k in enumerate(kinds) if k == kind)


def signature(predicate: str) -> tuple[str, ...]:
    return ("item",) if predicate in PROPERTIES else RELATIONS[predicate]


def _term(world: World, literal: GoalLiteral, position: int, var_index, source) -> Term:
    ident = literal.ids[position]
    if is_variable(ident):
        return Term(True, var_index[str(ident)])
    expected = signature(literal.predicate)[position]
    if expected == "player":
        return Term(False, 0)
    ids = world.station_ids if expected == "station" else world.item_ids
    matches = [i for i, own in enumerate(ids) if own is not None and str(own) == str(ident)]
    if not matches:
        raise LayoutError(
            f"{source}: {literal.predicate} names {expected} id {ident!r}, "
            f"but no {expected} in the layout has that id"
        )
    return Term(False, matches[0])


def _can_acquire(world: World, item: int, bit: int) -> bool:
    """Whether some action sequence can make property `bit` true for `item`."""
    flags = world.initial.flags[item]
    stations = set(world.station_kinds)
    if flags & bit:
        return True
    if bit in (COOKED, COOKING):
        return bool(flags & COOKABLE) and "stove" in stations
    if bit == CUT:
        return bool(flags & CUTTABLE) and "board" in stations
    if bit == FRIED:
        fryable = flags & FRYABLE or (flags & FRYABLE_IF_CUT and _can_acquire(world, item, CUT))
        return bool(fryable) and "fryer" in stations
    if bit == FRYABLE:
        return bool(flags & FRYABLE_IF_CUT) and _can_acquire(world, item, CUT)
    return False  # iscookable, iscuttable and isfryableifcut never change


def _check_achievable(world: World, goal: Goal, literals_in) -> None:
    """Reject property literals that no candidate object could ever satisfy."""
    for literal, original in zip(goal.literals, literals_in, strict=True):
        bit = BIT.get(literal.predicate)
        if bit is None:
            continue
        term = literal.terms[0]
        candidates = goal.variables[term.index].candidates if term.is_variable else (term.index,)
        if not any(_can_acquire(world, item, bit) for item in candidates):
            named = ", ".join(f"{k}#{i}" for k, i in zip(original.args, original.ids, strict=True))
            raise LayoutError(
                f"{world.source}: goal {literal.predicate}({named}) can never hold: "
                f"no candidate item has it or can get it with the stations in the layout"
            )
