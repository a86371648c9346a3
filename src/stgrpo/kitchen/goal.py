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

    __slots__ = ("below", "held", "robot", "stacks", "top", "where")

    def __init__(self, state: State, n_items: int):
        where = [NOTHING] * n_items
        below = [NOTHING] * n_items
        top = [False] * n_items
        for station, stack in enumerate(state.stacks):
            previous = ON_STATION
            for item in stack:
                where[item] = station
                below[item] = previous
                previous = item
            if stack:
                top[stack[-1]] = True
        self.where, self.below, self.top = where, below, top
        self.held, self.robot, self.stacks = state.held, state.robot, state.stacks


def _relation(predicate: str, state: State, view: View, args: tuple[int, ...]) -> bool:
    if predicate == "atop":
        return view.below[args[0]] == args[1]
    if predicate == "item_on":
        return view.where[args[0]] == args[1] and view.below[args[0]] == ON_STATION
    if predicate == "item_at":
        return view.where[args[0]] == args[1]
    if predicate == "clear":
        return view.top[args[0]]
    if predicate == "loc":
        return view.robot == args[1]
    if predicate == "has_item":
        return view.held == args[1]
    if predicate == "nothing":
        return view.held == NOTHING
    if predicate == "station_empty":
        return not view.stacks[args[0]]
    if predicate == "vacant":
        return view.robot != args[0]
    raise AssertionError(predicate)


def evaluate(predicate: str, state: State, view: View, args: tuple[int, ...]) -> bool:
    """Truth of one grounded predicate (object indices) in a state."""
    bit = BIT.get(predicate)
    if bit is not None:
        return bool(state.flags[args[0]] & bit)
    return _relation(predicate, state, view, args)


@dataclass(frozen=True)
class Goal:
    variables: tuple[Variable, ...]
    literals: tuple[Literal, ...]
    n_items: int
    # For each variable (in binding order), the literals that become checkable once it is
    # bound; `ground` holds literals without variables.
    ground: tuple[Literal, ...]
    checks: tuple[tuple[Literal, ...], ...]
    distinct_from: tuple[tuple[int, ...], ...]  # earlier variables of the same kind

    # ---- evaluation --------------------------------------------------------------------
    def holds(self, state: State) -> bool:
        view = View(state, self.n_items)
        for literal in self.ground:
            if not evaluate(literal.predicate, state, view, self._args(literal, ())):
                return False
        return self._extend(state, view, [])

    def _extend(self, state: State, view: View, binding: list[int]) -> bool:
        depth = len(binding)
        if depth == len(self.variables):
            return True
        for candidate in self.variables[depth].candidates:
            if any(binding[other] == candidate for other in self.distinct_from[depth]):
                continue
            binding.append(candidate)
            if all(evaluate(lit.predicate, state, view, self._args(lit, binding))
                   for lit in self.checks[depth]) and self._extend(state, view, binding):
                return True
            binding.pop()
        return False

    @staticmethod
    def _args(literal: Literal, binding) -> tuple[int, ...]:
        return tuple(binding[t.index] if t.is_variable else t.index for t in literal.terms)

    def bindings(self, state: State) -> list[dict[str, int]]:
        """Every assignment of variables that makes the goal true (for tests and tools)."""
        found: list[dict[str, int]] = []
        view = View(state, self.n_items)
        if not all(evaluate(lit.predicate, state, view, self._args(lit, ()))
                   for lit in self.ground):
            return found

        def walk(binding: list[int]) -> None:
            depth = len(binding)
            if depth == len(self.variables):
                found.append({v.ident: b for v, b in zip(self.variables, binding, strict=True)})
                return
            for candidate in self.variables[depth].candidates:
                if any(binding[o] == candidate for o in self.distinct_from[depth]):
                    continue
                binding.append(candidate)
                if all(evaluate(lit.predicate, state, view, self._args(lit, binding))
                       for lit in self.checks[depth]):
                    walk(binding)
                binding.pop()

        walk([])
        return found

    # ---- compilation -------------------------------------------------------------------
    @classmethod
    def compile(cls, world: World) -> Goal:
        source = "goal"
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
            Literal(lit.predicate, tuple(_term(world, lit, k, var_index, source)
                                         for k in range(len(lit.args))))
            for lit in literals_in
        )
        goal = cls._order(variables, literals, world.n_items)
        _check_achievable(world, goal, literals_in)
        return goal

    @classmethod
    def _order(cls, variables, literals, n_items) -> Goal:
        ground, checks = [], [[] for _ in variables]
        for literal in literals:
            var_positions = [t.index for t in literal.terms if t.is_variable]
            if var_positions:
                checks[max(var_positions)].append(literal)
            else:
                ground.append(literal)
        distinct = tuple(
            tuple(j for j in range(i) if variables[j].kind == variables[i].kind)
            for i in range(len(variables))
        )
        return cls(tuple(variables), literals, n_items, tuple(ground),
                   tuple(tuple(c) for c in checks), distinct)


def _objects_of_kind(world: World, kind: str) -> tuple[int, ...]:
    if kind == "robot":
        return (0,)
    kinds = world.station_kinds if kind in STATION_KINDS else world.item_kinds
    return tuple(i for i, k in enumerate(kinds) if k == kind)


def _signature(predicate: str) -> tuple[str, ...]:
    return ("item",) if predicate in PROPERTIES else RELATIONS[predicate]


def _term(world: World, literal: GoalLiteral, position: int, var_index, source) -> Term:
    ident = literal.ids[position]
    if is_variable(ident):
        return Term(True, var_index[str(ident)])
    expected = _signature(literal.predicate)[position]
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
        fryable = flags & FRYABLE or (
            flags & FRYABLE_IF_CUT and _can_acquire(world, item, CUT)
        )
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
                f"goal: {literal.predicate}({named}) can never hold: no candidate item has it "
                f"or can get it with the stations in the layout"
            )
