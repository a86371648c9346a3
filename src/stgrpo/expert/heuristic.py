"""An admissible heuristic for kitchen goals: a lower bound on the steps still needed.

For each way of binding the goal's item ids to objects (precomputed per kitchen) and each
plausible station for the goal's station ids, it counts actions that any plan must still
take, then keeps the smallest count:

* a goal item is *well placed* when its own location literals hold and no misplaced goal
  item lies below it; a station that must receive a goal item directly on its floor, which
  is not there now, counts as misplaced from the floor up (it must be emptied first);
* every other goal item must be taken, carried by a move of its own and put (3 steps; 1
  to put a held one); one misplaced on its own destination must be parked elsewhere and
  brought back (6 steps);
* an item that must still be cooked, cut or fried needs its processing actions (the rest
  of its cuts, or one Cook/Fry unless its timer runs) and, unless it already sits on the
  right station, 3 steps to get there, then 3 more to reach its place in the dish;
* a non-goal item above a misplaced goal item, above an item that must end clear, or on an
  item that must receive another goal item directly on top, must be taken, carried away
  and put (3 steps);
* consecutive carries into one destination need a move out of it in between; moves out
  that carry no counted item are extra, as is a first move with empty hands when nothing
  to take is at the robot's station (the larger of these two counts is added).

Moves while holding different items are different moves, and each action above is a
distinct action of any plan, so the count never exceeds the true distance (tests check
it against breadth-first search). Timers are not counted (waiting is left to the search),
which keeps the bound admissible but weaker on cooking tasks.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from stgrpo.kitchen.domain import BIT, COOKED, CUT, FRIED, ITEM_KINDS
from stgrpo.kitchen.goal import ON_STATION, Term, View
from stgrpo.kitchen.state import NOTHING, State
from stgrpo.kitchen.world import World

_PROCESS_STATION = {COOKED: "stove", CUT: "board", FRIED: "fryer"}
ELSEWHERE = -1  # a destination station not yet fixed: one that now holds no goal item


class _ItemGoal:
    """Everything the goal says about one item term."""

    def __init__(self, term: Term):
        self.term = term
        self.below: Term | None = None  # atop(self, below)
        self.on_station: Term | None = None  # item_on(self, station)
        self.at_station: list[Term] = []  # item_at(self, station)
        self.clear = False
        self.bits = 0  # property bits required
        self.has_location = False  # set once all literals are read
        self.destination: Term | None = None  # the station term it ends on, if any

    @property
    def process_station(self) -> str | None:
        """The station of its last processing step (frying comes after cutting)."""
        for bit in (FRIED, COOKED, CUT):
            if self.bits & bit:
                return _PROCESS_STATION[bit]
        return None


class AssemblyHeuristic:
    def __init__(self, world: World):
        self.world = world
        goal = world.goal
        self.n_items = world.n_items
        items: dict[Term, _ItemGoal] = {}

        def entry(term: Term) -> _ItemGoal:
            return items.setdefault(term, _ItemGoal(term))

        for literal in goal.literals:
            first = literal.terms[0]
            if literal.predicate in BIT and literal.predicate not in ("iscooking",):
                entry(first).bits |= BIT[literal.predicate]
            elif literal.predicate == "atop":
                entry(first).below = literal.terms[1]
                entry(literal.terms[1])
            elif literal.predicate == "item_on":
                entry(first).on_station = literal.terms[1]
            elif literal.predicate == "item_at":
                entry(first).at_station.append(literal.terms[1])
            elif literal.predicate == "clear":
                entry(first).clear = True
        self.items = list(items.values())
        for g in self.items:
            g.has_location = g.below is not None or g.on_station is not None or bool(
                g.at_station)
        for g in self.items:
            g.destination = _destination_term(g, items)
        item_vars = sorted({g.term.index for g in self.items if g.term.is_variable})
        self.station_vars = sorted({t.index for g in self.items
                                    for t in [g.on_station, *g.at_station]
                                    if t is not None and t.is_variable})
        self.station_kind = {v: goal.variables[v].kind for v in self.station_vars}
        self.remaining_cuts = world.cuts_needed
        # Per binding: object -> its goal entry, and object -> the object it must sit on.
        self.prepared = []
        for binding in _item_bindings(goal.variables, item_vars):
            goal_objects = {self._object(g.term, binding): g for g in self.items}
            under = {obj: self._object(g.below, binding)
                     for obj, g in goal_objects.items() if g.below is not None}
            self.prepared.append((goal_objects, under))
        self._last_best = 0

    def __call__(self, state: State) -> int:
        view = View(state, self.n_items)
        best = None
        # Start with the binding that was best last time: neighbouring states (a search
        # evaluates a state's successors together) usually share it, and a low first value
        # lets the other bindings stop early.
        first = self._last_best
        order = [*self.prepared[first:], *self.prepared[:first]]
        for offset, (goal_objects, under) in enumerate(order):
            for stations in self._station_choices(view, goal_objects):
                cost = self._cost(state, view, goal_objects, under, stations, best)
                if best is None or cost < best:
                    best = cost
                    self._last_best = (first + offset) % len(self.prepared)
                    if best == 0:
                        return 0
        return best if best is not None else 0

    # ---- one binding -------------------------------------------------------------------
    def _station_choices(self, view: View, goal_objects):
        """Plausible stations for the goal's station ids: where a goal item now stands on a
        station of the right kind, or None ("elsewhere": a station holding no goal item)."""
        if not self.station_vars:
            yield {}
            return
        kinds = self.world.station_kinds
        where = view.where
        options = []
        for var in self.station_vars:
            seen = {where[o] for o in goal_objects if where[o] >= 0
                    and kinds[where[o]] == self.station_kind[var]}
            options.append([None, *sorted(seen)])
        for choice in itertools.product(*options):
            yield dict(zip(self.station_vars, choice, strict=True))

    @staticmethod
    def _object(term: Term, binding: dict[int, int]) -> int:
        return binding[term.index] if term.is_variable else term.index

    def _station(self, term: Term, stations) -> int | None:
        return stations[term.index] if term.is_variable else term.index

    def _cost(self, state: State, view: View, goal_objects, under, stations,
              bound: int | None = None) -> int:
        """The bound for one binding; stops early once it reaches `bound` (a min so far)."""
        world, where, held, robot = self.world, view.where, state.held, view.robot
        cost = 0
        must_move: set[int] = set()  # goal items that must be taken from where they are
        to_take: set[int] = set()  # every item some plan must still pick up
        carried_in: dict[int, int] = defaultdict(int)  # destination -> carries into it
        carried_out: dict[int, int] = defaultdict(int)  # station -> counted carries out
        # A station that must receive a goal item directly on its floor, which is not there
        # now, must first be emptied: everything on it is taken off.
        cleared = set()
        for obj, g in goal_objects.items():
            if g.on_station is not None:
                station = self._station(g.on_station, stations)
                if station is not None and not (
                        where[obj] == station and view.below[obj] == ON_STATION):
                    cleared.add(station)
        for station_index, stack in enumerate(state.stacks):
            if bound is not None and cost >= bound:
                return cost  # costs only add up: this choice cannot be the minimum
            bad_below = station_index in cleared
            for obj in stack:
                g = goal_objects.get(obj)
                if g is None:
                    continue
                here = where[obj]
                goal_station = self._destination(g, stations)
                process = g.bits and self._processing(state, g, obj)
                placed = g.has_location and not bad_below and \
                    self._located(g, obj, view, under, stations)
                if process:
                    cost += process
                    if not self._on_process_station(g, obj, view):
                        must_move.add(obj)
                        cost += 3  # take it, carry it to the station, put it there
                        carried_out[here] += 1
                    if g.has_location:
                        cost += 3  # then take it, carry it, put it in place
                        to_take.add(obj)
                        if goal_station is not None:
                            carried_in[goal_station] += 1
                elif g.has_location and not placed:
                    must_move.add(obj)
                    if here == goal_station:
                        # It cannot go back on the stack it came from unchanged: park it
                        # elsewhere and bring it back (take, carry, put; take, carry, put).
                        cost += 6
                        carried_out[here] += 1
                        carried_in[here] += 1
                    else:
                        cost += 3  # take, carry, put
                        carried_out[here] += 1
                        if goal_station is not None:
                            carried_in[goal_station] += 1
                if obj in must_move or (g.has_location and not placed):
                    bad_below = True
        if held != NOTHING and held in goal_objects:
            g = goal_objects[held]
            goal_station = self._destination(g, stations)
            process = self._processing(state, g, held)
            if process:
                kind = world.station_kinds[robot]
                cost += process + 1 + (kind != g.process_station)  # put (after a carry)
                if g.has_location:
                    cost += 3
                    if goal_station is not None:
                        carried_in[goal_station] += 1
            elif g.has_location:
                cost += 1  # put it
                if goal_station not in (None, ELSEWHERE) and robot != goal_station:
                    cost += 1
                    carried_in[goal_station] += 1
        if bound is not None and cost >= bound:
            return cost  # the rest only adds: this choice cannot be the minimum
        # Non-goal items must get out of the way (taken, carried off, put) when they lie
        # above a goal item that must move, must end clear, or must receive another goal
        # item directly on top; a clear goal item under placed goal items needs one of
        # those moved.
        free_top = {under[o] for o in under if view.below[o] != under[o]}
        for station_index, stack in enumerate(state.stacks):
            blocked = station_index in cleared
            for position, obj in enumerate(stack):
                g = goal_objects.get(obj)
                if g is None:
                    if blocked:
                        cost += 3
                        to_take.add(obj)
                        carried_out[where[obj]] += 1
                    continue
                top = position == len(stack) - 1
                if obj in must_move or (g.clear and not top) or (obj in free_top and not top):
                    if g.clear and not top and obj not in must_move and not blocked and all(
                            o in goal_objects and o not in must_move
                            for o in stack[position + 1:]):
                        cost += 3
                        carried_out[where[obj]] += 1
                    blocked = True
        to_take |= must_move
        first_move = held == NOTHING and bool(to_take) and all(
            where[o] != robot for o in to_take)
        # Consecutive carries into a station need a move out of it in between (and one
        # first if the robot stands there); moves out that carry nothing counted are extra.
        extra = 0
        for station, carries in carried_in.items():
            outs = carries - 1 + (robot == station)
            extra += max(0, outs - carried_out.get(station, 0))
        return cost + max(int(first_move), extra)

    def _destination(self, g: _ItemGoal, stations) -> int | None:
        """The station the goal puts this item on: an index, ELSEWHERE (a station now
        holding no goal item), or None when the goal gives the item no place."""
        if g.destination is None:
            return None
        station = self._station(g.destination, stations)
        return ELSEWHERE if station is None else station

    def _on_process_station(self, g: _ItemGoal, obj: int, view: View) -> bool:
        station = view.where[obj]
        return (station >= 0 and view.below[obj] == ON_STATION
                and self.world.station_kinds[station] == g.process_station)

    def _located(self, g: _ItemGoal, obj: int, view: View, under, stations) -> bool:
        """Whether its location literals hold now (with the chosen stations)."""
        where = view.where[obj]
        if g.below is not None and view.below[obj] != under[obj]:
            return False
        if g.on_station is not None:
            station = self._station(g.on_station, stations)
            if view.below[obj] != ON_STATION or station is None or where != station:
                return False
        for term in g.at_station:
            station = self._station(term, stations)
            if station is None or where != station:
                return False
        return True

    def _processing(self, state: State, g: _ItemGoal, obj: int) -> int:
        """Cook / Cut / Fry actions `obj` still needs (0 if it has its properties)."""
        missing = g.bits & ~state.flags[obj]
        actions = 0
        if missing & CUT:
            done = max((t.count for t in state.timers
                        if t.kind == "cut" and t.item == obj and not t.done), default=0)
            actions += self.remaining_cuts[obj] - done
        for bit, kind in ((COOKED, "cook"), (FRIED, "fry")):
            if missing & bit and not any(t.item == obj and t.kind == kind and not t.done
                                         for t in state.timers):
                actions += 1
        return actions


def _destination_term(g: _ItemGoal, items: dict[Term, _ItemGoal]) -> Term | None:
    """Follow atop(...) links down to the item that names a station."""
    seen = set()
    while g is not None and id(g) not in seen:
        seen.add(id(g))
        if g.on_station is not None:
            return g.on_station
        if g.at_station:
            return g.at_station[0]
        g = items.get(g.below) if g.below is not None else None
    return None


def _item_bindings(variables, item_vars: list[int]) -> list[dict[int, int]]:
    """Every injective (per kind) assignment of the goal's item variables."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for v in item_vars:
        if variables[v].kind in ITEM_KINDS:
            by_kind[variables[v].kind].append(v)
    per_kind = [
        [dict(zip(vs, objects, strict=True))
         for objects in itertools.permutations(variables[vs[0]].candidates, len(vs))]
        for vs in by_kind.values()
    ]
    bindings = []
    for parts in itertools.product(*per_kind):
        merged: dict[int, int] = {}
        for part in parts:
            merged.update(part)
        bindings.append(merged)
    return bindings
