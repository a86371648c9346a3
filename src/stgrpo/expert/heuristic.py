"""An admissible heuristic for kitchen goals: a lower bound on the steps still needed.

For each way of binding the goal's item ids to objects (precomputed per kitchen) and each
plausible station for the goal's station ids, it counts actions that any plan must still
take, then keeps the smallest count:

* a goal item is *well placed* when its own location literals hold and no misplaced goal
  item lies below it; a station that must receive a goal item directly on its floor, which
  is not there now, counts as misplaced from the floor up (it must be emptied first);
* every other goal item must be taken, carried by a move of its own and put (3 steps; 1
  to put a held one, 4 when its floor must first be emptied, which needs free hands); one
  misplaced on its own destination must be parked elsewhere and brought back (6 steps);
* a floor station not yet fixed ("elsewhere": one holding no goal item) must be emptied
  first, 3 steps per item on the emptiest candidate; with no candidate the choice is out;
* an item that must still be cooked, cut or fried needs its processing actions (the rest
  of its cuts, or one Cook/Fry unless its timer runs) and, unless it already sits on the
  right station, 3 steps to get there, then 3 more to reach its place in the dish; one
  on the only station of that kind, above items that must leave it first, is parked (3
  more, and a second take): they cannot leave while it is held; so is a held one when
  every station of that kind holds items;
* processing needs the item alone on its station, so the cheapest station of that kind
  must first lose every item on it not counted yet (3 steps each), and a goal item there
  with no processing left that must end above an item waiting for that processing is put
  down twice (3 more, and a second take): the station the first waiting item is carried
  onto is emptied before any of them is processed;
* a goal item that must end clear is placed only if every goal item of its stack already
  lies below it; otherwise it is moved (6 steps when it stands on its own destination);
* a goal item above one that must still be taken and must be in place before it (one it
  ends above, or the one that must lie on its station's floor) is *parked*: it is put
  down before that one leaves, so it is taken, carried and put once more (3 steps; a
  held one is put, taken, carried and put: 4), the second carry's station unknown (it
  may be a move the extra-move count below needs);
* so is one of two goal items whose orders cross, each to be taken before the other's
  next put (X lies above an item Y needs first, on the floor or the only processing
  station that item needs first, or on Y's own station, and the other way round): a
  single arm puts whichever it takes first down before the other's take (pairs sharing
  no item);
* a non-goal item above a misplaced goal item, above an item that must end clear, or on an
  item that must receive another goal item directly on top, must be taken, carried away
  and put (3 steps);
* a held item no other count puts (not a goal item, say) is put before any take (1 step);
* consecutive carries into one destination need a move out of it in between; moves out
  that carry no counted item are extra, as is a first move with empty hands when nothing
  to take is at the robot's station (the larger of these two counts is added).

* the first take of every item some plan must take needs an action just before it that
  none of the above counts (a move with empty hands, a wait), unless it is the plan's
  first action (a take of a top item at the robot's station); one taken right after its
  own cutting, cooking or frying needs that action before its first processing step
  instead; so does the second take of every item put down twice, and the take of an
  item still to Cook or Fry (a timer of 2 ticks or more) off its station, which waits
  for the timer;
* separately, a goal item still to cook or fry needs its timer's remaining ticks, one per
  step, then 3 steps to its place: the bound is the larger of the two.

Moves while holding different items are different moves, and each action above is a
distinct action of any plan, so the count never exceeds the true distance (tests check
it against breadth-first search and against exact distances on every reachable state of
small kitchens).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from operator import itemgetter

import numpy as np

from stgrpo.kitchen.domain import BIT, COOKED, CUT, FRIED, ITEM_KINDS
from stgrpo.kitchen.goal import ON_STATION, Literal, Term, View
from stgrpo.kitchen.state import NOTHING, State
from stgrpo.kitchen.world import World

_PROCESS_STATION = {COOKED: "stove", CUT: "board", FRIED: "fryer"}
ELSEWHERE = -1  # a destination station not yet fixed: one that now holds no goal item
IMPOSSIBLE = 1 << 20  # the cost of a station choice that no state can realise
_RANKINGS_KEPT = 100_000  # station-choice rankings kept per heuristic (see `_choices`)
_ARRAYS_FROM = 16  # bindings from which the floors are summed as arrays (see `_Floors`)
_STATION_BIT = {station: bit for bit, station in _PROCESS_STATION.items()}


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
    """The admissible heuristic of the module docstring, for `planner.solve`.

    Each (item binding, station choice) of the goal is compiled once, when a state first
    asks for its count, so each call is lookups; construction lists the combinations and
    compiles the cheap per-binding floors.

    Args:
        world: The compiled layout whose goal it bounds.
        symmetry: Compile one (binding, choice) of each pair that a swap of two
            interchangeable dishes maps onto each other (same values, half the work);
            False compiles them all (the reference tests compare with).
    """

    def __init__(self, world: World, symmetry: bool = True):
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
            g.has_location = g.below is not None or g.on_station is not None or bool(g.at_station)
        for g in self.items:
            g.destination = _destination_term(g, items)
        item_vars = sorted({g.term.index for g in self.items if g.term.is_variable})
        self.station_vars = sorted(
            {
                t.index
                for g in self.items
                for t in [g.on_station, *g.at_station]
                if t is not None and t.is_variable
            }
        )
        self.station_kind = {v: goal.variables[v].kind for v in self.station_vars}
        self.remaining_cuts = world.cuts_needed
        by_kind: dict[str, list[int]] = defaultdict(list)
        for index, kind in enumerate(world.station_kinds):
            by_kind[kind].append(index)
        self.stations_of_kind = dict(by_kind)  # kind -> its stations; absent: none
        # Every (item binding, station assignment) is compiled the first time a state asks
        # for it: the per-state work is then plain lookups, and a layout with spare items
        # (thousands of bindings) pays only for those counted. A station variable is
        # assigned a station of its kind or ELSEWHERE.
        station_options = [
            [ELSEWHERE, *self.stations_of_kind.get(self.station_kind[v], [])]
            for v in self.station_vars
        ]
        choices = self._distinct(itertools.product(*station_options))
        # A goal with two interchangeable dishes (tasks 7 and 8) maps onto itself by a swap
        # of their ids; a (binding, choice) and its swapped twin count the same, so only the
        # smaller of the two is kept.
        swap = _goal_symmetry(goal, self.station_vars) if symmetry else None
        self.bindings = []  # per binding: (goal objects, {station choice: scenario})
        bindings, kept_choices = [], []
        for binding in _item_bindings(goal.variables, item_vars):
            kept = _kept_choices(swap, binding, self.station_vars, choices) if swap else choices
            if kept:  # a binding whose every choice has its twin kept counts nothing
                bindings.append(binding)
                kept_choices.append(kept)
        placed_after = [_placed_after(self.items, binding) for binding in bindings]
        for binding, after, kept in zip(bindings, placed_after, kept_choices, strict=True):
            goal_objects = tuple(_object(g.term, binding) for g in self.items)
            self.bindings.append((goal_objects, _Scenarios(self, binding, after, kept)))
        self._floors = _Floors(self, bindings, placed_after)
        self._last_key = self._last_view = self._last_processing = None
        self._least, self._ranked, self._choice_lists = [], [], {}
        self._rankings: dict[tuple, list] = {}  # see `_choices`
        self._leader = None  # the scenario of the last value found
        # every (goal object, property bits) a scenario may ask about
        self.processed = sorted(
            {
                (_object(g.term, binding), g.bits)
                for binding in bindings
                for g in self.items
                if g.bits
            }
        )

    def __call__(self, state: State) -> int:
        """A lower bound on the steps from `state` to the goal.

        Args:
            state: A state of the world given at construction.

        Returns:
            The smallest count over the bindings and station choices, never above the
            true distance (so 0 at a goal state). The order the scenarios are tried in
            is a speed-up; the value does not depend on it.
        """
        return self.bounded(state, floor=-1, cap=None)

    def bounded(self, state: State, floor: int, cap: int | None) -> int:
        """The bound of `__call__` where only its part above `floor` and up to `cap`
        matters: a search that already knows the state's distance is at least `floor`, and
        prunes it when it is above `cap`, needs no more.

        Returns:
            The bound h itself when floor < h <= cap; otherwise a value on the same side
            of that range: at most `floor` and `cap` (some scenario's count, so h <= it)
            once one count is that low, or above `cap` (a lower bound on h) once every
            count is.
        """
        # The state without the robot's station: a search evaluates the moves out of a state
        # one after the other, and everything but the robot's part of the count is theirs
        # in common (kept by each scenario for the next call with the same key). The view
        # is kept too: its item places are the same (scenarios never read its robot).
        key = (state.held, state.stacks, state.flags, state.timers)
        if key != self._last_key:
            self._prepare(state, key)
        view, processing, ranked = self._last_view, self._last_processing, self._ranked
        above_cap = 1 << 30 if cap is None else cap + 1
        best, stop = None, above_cap  # the least count so far, and where a count may stop
        skipped = []  # floors that ended a list: every scenario left uncounted is above one
        leader = self._leader

        def count(scenario) -> bool:
            """Count `scenario`; True when the value is then known."""
            nonlocal best, stop
            cost = scenario.cost(state, view, processing, key, stop)
            if best is None or cost < best:
                self._leader = scenario
                best = cost  # a scenario's whole count unless it is above the cap
                stop = min(best, above_cap)
                return best == 0 or (best <= floor and best < above_cap)
            return False

        # The scenario that gave the last call's value first: a search evaluates a state's
        # successors together, which mostly rank alike, and a low first count lets the
        # others stop early. Then by floor, lowest first, binding by binding: a floor that
        # reaches the stop ends its list, since every later one is at least as high.
        if leader is not None and count(leader):
            return best
        for binding_floor, index in ranked:
            if binding_floor >= stop:
                skipped.append(binding_floor)
                break
            scenarios = self.bindings[index][1]
            base, listed = self._choices(index)
            for relative, choice in listed:
                scenario_floor = base + relative
                if scenario_floor >= stop:
                    skipped.append(scenario_floor)
                    break
                scenario = scenarios[choice]  # compiled here, the first time it is counted
                if scenario is not leader and count(scenario):
                    return best
        if not skipped:
            return 0 if best is None else best  # no plausible scenario: nothing to bound
        # a skipped scenario's count is at least its floor, which may lie below a count
        # stopped above the cap
        return min(skipped) if best is None else min(best, *skipped)

    def _prepare(self, state: State, key) -> None:
        """What every call with this `key` shares: the view, the processing left, and the
        bindings ranked by floor (their station choices follow on demand)."""
        view = View(state, self.n_items)
        cuts = self.remaining_cuts
        self._last_processing = {
            (obj, bits): _processing_actions(cuts, state, bits, obj) for obj, bits in self.processed
        }
        self._least = self._floors.least(state, view, self._last_processing)
        self._ranked = self._least.ranked()
        self._last_key, self._last_view, self._choice_lists = key, view, {}

    def _choices(self, index: int) -> tuple[int, list]:
        """(base, [(floor - base, station choice)]) for binding `index`'s plausible station
        choices in the state prepared, lowest floor first.

        The ranking depends only on the options, the gaps and the floor entries, which
        recur from state to state: it is kept per binding under those (at most
        `_RANKINGS_KEPT` rankings, then they are listed afresh)."""
        listed = self._choice_lists.get(index)
        if listed is None:
            goal_objects, scenarios = self.bindings[index]
            total, gaps, entries, _ = self._least[index]
            options = self._station_options(self._last_view, goal_objects)
            key = (index, options, gaps, tuple(entries))
            ranking = self._rankings.get(key)
            if ranking is None:
                if len(self._rankings) >= _RANKINGS_KEPT:
                    self._rankings.clear()
                relative = (0, gaps, entries, 0)  # `_choice_floor` is total + the rest
                ranking = sorted(
                    (
                        (_choice_floor(relative, choice), choice)
                        for choice in itertools.product(*options)
                        if choice in scenarios
                    ),
                    key=itemgetter(0),
                )
                self._rankings[key] = ranking
            listed = self._choice_lists[index] = (total, ranking)
        return listed

    def _station_options(self, view: View, goal_objects) -> tuple[tuple[int, ...], ...]:
        """Per station id, its plausible stations: where a goal item now stands on a station
        of the right kind, or ELSEWHERE (a station holding no goal item)."""
        kinds = self.world.station_kinds
        where = view.where
        options = []
        for var in self.station_vars:
            kind = self.station_kind[var]
            seen = {where[o] for o in goal_objects if where[o] >= 0 and kinds[where[o]] == kind}
            options.append((ELSEWHERE, *sorted(seen)))
        return tuple(options)

    def _station_choices(self, view: View, goal_objects, scenarios) -> list[tuple[int, ...]]:
        """The plausible station choices of one binding (see `_station_options`) that it
        compiles: their stations are distinct, and one of each swapped pair."""
        options = self._station_options(view, goal_objects)
        return [c for c in itertools.product(*options) if c in scenarios]

    def _distinct(self, choices) -> list[tuple[int, ...]]:
        """The choices that give station ids of one kind distinct stations, as the goal's
        binding does (ELSEWHERE may repeat: each is some station holding no goal item)."""
        kinds = [self.station_kind[v] for v in self.station_vars]
        kept = []
        for choice in choices:
            fixed = [(kind, s) for kind, s in zip(kinds, choice, strict=True) if s != ELSEWHERE]
            if len(set(fixed)) == len(fixed):
                kept.append(choice)
        return kept


class _Scenarios:
    """One item binding's scenarios by station choice, each compiled when first asked for."""

    def __init__(self, heuristic: AssemblyHeuristic, binding, placed_after, choices):
        self._heuristic, self._binding = heuristic, binding
        self._placed_after = placed_after
        self._order, self._kept = tuple(choices), frozenset(choices)
        self._compiled: dict[tuple, _Scenario] = {}

    def __contains__(self, choice) -> bool:
        return choice in self._kept

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, choice) -> _Scenario:
        scenario = self._compiled.get(choice)
        if scenario is None:
            if choice not in self._kept:
                raise KeyError(choice)
            stations = dict(zip(self._heuristic.station_vars, choice, strict=True))
            scenario = _Scenario(self._heuristic, self._binding, stations, self._placed_after)
            self._compiled[choice] = scenario
        return scenario


class _Scenario:
    """The bound for one item binding and one station assignment."""

    def __init__(self, heuristic: AssemblyHeuristic, binding, stations, placed_after):
        def station(term: Term | None):
            if term is None:
                return None
            return stations[term.index] if term.is_variable else term.index

        world = heuristic.world
        self.world = world
        # the robot-free part of its count for the key of the last state (an int: it
        # stopped early, a lower bound)
        self._key, self._part = None, None
        self._least = 0  # the smallest count its part allows at any robot station
        self.stations_of_kind = heuristic.stations_of_kind
        # object -> (bits, has_location, destination, on_station, at_stations, under,
        #            clear, process station kind)
        self.goal_of = {}
        self.under = {}  # object -> the object it must sit on
        # Goal items that must end cooked or fried: (object, those bits, process station
        # kind, steps after it), read by `_timer_bound`.
        self.timed = []
        self.floor = []  # (object, station) pairs for goal items that must sit on a floor
        # Per goal floor left ELSEWHERE: the stations it may be (it must be emptied first).
        self.open_floors = []
        for g in heuristic.items:
            obj = _object(g.term, binding)
            under = None if g.below is None else _object(g.below, binding)
            if under is not None:
                self.under[obj] = under
            on_station = station(g.on_station)
            if on_station is not None and on_station != ELSEWHERE:
                self.floor.append((obj, on_station))
            elif on_station == ELSEWHERE:
                kind = heuristic.station_kind[g.on_station.index]
                self.open_floors.append(heuristic.stations_of_kind.get(kind, []))
            if g.bits & (COOKED | FRIED):
                self.timed.append(_timed_entry(heuristic, g, obj, station(g.destination)))
            self.goal_of[obj] = (
                g.bits,
                g.has_location,
                station(g.destination),
                on_station,
                tuple(station(t) for t in g.at_station),
                under,
                g.clear,
                g.process_station,
            )
        self.placed_after = placed_after  # the binding's, shared by its scenarios
        self.floor_at = {station: obj for obj, station in self.floor}  # read by `_crossed`
        # a goal item that must end clear -> the goal items that must end below it
        self.must_cover = {
            obj: below
            for obj, below in self.placed_after.items()
            if below and self.goal_of[obj][6]  # entry 6: it must end clear
        }

    def cost(self, state: State, view: View, processing, key, bound: int) -> int:
        """Stops early once it reaches `bound` (the min so far, or just above the caller's
        cap), returning a count of at least `bound`: costs only add up.

        `processing`: (object, bits) -> the processing actions it still needs; `key`: the
        state without the robot's station, under which the robot-free part is kept."""
        part = self._part if key == self._key else None
        if part is not None and self._least >= bound:
            return self._least  # whatever the robot's station, it cannot be the minimum
        if isinstance(part, int):
            part = None  # it stopped below this bound last time: count it in full
        if part is None:
            part = self._robot_free(state, view, processing, bound)
            self._key, self._part = key, part
            self._least = part if isinstance(part, int) else _least_with_robot(part)
        if isinstance(part, int):
            return part
        return self._with_robot(part, state, state.robot)

    def _with_robot(self, part, state: State, robot: int) -> int:
        """The count from its robot-free part: the held item's carry out of the robot's
        station, the extra moves, the first-take gaps and the timers."""
        cost, carried_in, carried_out, credit, gaps, take_stations, timer, pstation, goal = part[:9]
        into = out_of = None
        if pstation is not None and self.world.station_kinds[robot] != pstation:
            cost += 1  # the held item's carry to its processing station
            out_of = robot
        elif goal is not None and robot != goal:
            cost += 1  # the held item's carry to its place
            into, out_of = goal, robot
        held = state.held
        first_move = held == NOTHING and bool(take_stations) and robot not in take_stations
        # Consecutive carries into a station need a move out of it in between (and one
        # first if the robot stands there); moves out that carry nothing counted are extra.
        extra = 0
        for station, carries in carried_in.items():
            outs = carries + (station == into) - 1 + (station == robot)
            extra += max(0, outs - carried_out.get(station, 0) - (station == out_of))
        extra = max(0, extra - credit)
        if held == NOTHING and robot in part[9]:
            gaps -= 1  # the plan's first action may be the take of that gap's item, right here
        return max(cost + max(int(first_move), extra, gaps), timer)

    def _robot_free(self, state: State, view: View, processing, bound: int):
        """Everything of the count that does not depend on the robot's station, as the
        tuple `_with_robot` reads, or a lower bound (an int) once it reaches `bound`."""
        world, goal_of, under, must_cover = self.world, self.goal_of, self.under, self.must_cover
        where, below, held = view.where, view.below, state.held
        kinds = world.station_kinds
        cost = 0
        held_pstation = held_goal = None  # the held item's carry, decided by the robot
        must_move: set[int] = set()  # goal items that must be taken from where they are
        to_take: set[int] = set()  # every item some plan must still pick up
        carried_in: dict[int, int] = defaultdict(int)  # destination -> carries into it
        carried_out: dict[int, int] = defaultdict(int)  # station -> counted carries out
        # station kind -> goal items that must be carried onto one to be processed there
        to_process: dict[str, set[int]] = defaultdict(set)
        parked: set[int] = set()  # goal items put down once before their place, counted
        # goal items counted as taken again after a put (parked, or moved off their own
        # destination and back): each such take needs an uncounted action just before it
        retaken: set[int] = set()
        placed_after = self.placed_after
        # A station that must receive a goal item directly on its floor, which is not there
        # now, must first be emptied: everything on it is taken off.
        cleared = {
            station
            for obj, station in self.floor
            if where[obj] != station or below[obj] != ON_STATION
        }
        # A floor left ELSEWHERE is a station holding no goal item now, emptied first (its
        # items taken, carried off, put; each carry is a move out of it). None left: this
        # choice is impossible.
        if self.open_floors:
            occupied = {where[o] for o in goal_of}
            for candidates in self.open_floors:
                sizes = [len(state.stacks[s]) for s in candidates if s not in occupied]
                if not sizes:
                    return IMPOSSIBLE
                cost += 3 * min(sizes)
                carried_out[ELSEWHERE] += min(sizes)
        for here, stack in enumerate(state.stacks):
            if cost >= bound:
                return cost
            bad_below = here in cleared
            taken_below: set[int] = set()  # goal items lower in this stack that must be taken
            for position, obj in enumerate(stack):
                entry = goal_of.get(obj)
                if entry is None:
                    continue
                bits, has_location, goal_station, on_station, at_stations, _, _, pstation = entry
                process = bits and processing[obj, bits]
                placed = (
                    has_location
                    and not bad_below
                    and (
                        (obj not in under or below[obj] == under[obj])
                        and (
                            on_station is None or (below[obj] == ON_STATION and here == on_station)
                        )
                        and (not at_stations or all(here == s for s in at_stations))
                    )
                    # one that must end clear must already cover every goal item of its stack
                    and (obj not in must_cover or must_cover[obj] <= set(stack[:position]))
                )
                if process:
                    cost += process
                    if not (below[obj] == ON_STATION and kinds[here] == pstation):
                        must_move.add(obj)
                        to_process[pstation].add(obj)
                        cost += 3  # take it, carry it to the station, put it there
                        carried_out[here] += 1
                        if self.stations_of_kind.get(pstation) == [here]:
                            # On the only such station, above what must leave it first:
                            # those cannot leave while it is held, so it is put down
                            # elsewhere before it comes back (parked).
                            cost += 3
                            parked.add(obj)
                            retaken.add(obj)
                    if has_location:
                        cost += 3  # then take it, carry it, put it in place
                        to_take.add(obj)
                        if goal_station is not None:
                            carried_in[goal_station] += 1
                elif has_location and not placed:
                    must_move.add(obj)
                    if here == goal_station:
                        # It cannot go back on the stack it came from unchanged: park it
                        # elsewhere and bring it back (take, carry, put; take, carry, put).
                        cost += 6
                        carried_out[here] += 1
                        carried_in[here] += 1
                        retaken.add(obj)
                    else:
                        cost += 3  # take, carry, put
                        carried_out[here] += 1
                        if goal_station is not None:
                            carried_in[goal_station] += 1
                        if taken_below and not placed_after[obj].isdisjoint(taken_below):
                            # It lies above an item that must reach its place first, so it
                            # is put down before that one leaves, not in its place: parked
                            # (one more take, carry and put; the carry's station unknown).
                            cost += 3
                            parked.add(obj)
                            retaken.add(obj)
                if obj in must_move:
                    taken_below.add(obj)
                if obj in must_move or (has_location and not placed):
                    bad_below = True
        # a held item whose put nothing counts: it must be put before any take
        loose = held != NOTHING
        if held != NOTHING and held in goal_of:
            bits, has_location, goal_station, _, _, _, _, pstation = goal_of[held]
            process = bits and processing[held, bits]
            loose = not (has_location or process)
            if process:
                cost += process + 1  # put it there, after a carry unless it is there
                to_process[pstation].add(held)
                if _all_occupied(state, self.stations_of_kind.get(pstation)):
                    # One must be emptied first, which needs free hands: put it down, later
                    # take it, carry it and put it there (parked).
                    cost += 3
                    parked.add(held)
                    retaken.add(held)
                else:
                    held_pstation = pstation
                if has_location:
                    cost += 3
                    if goal_station is not None:
                        carried_in[goal_station] += 1
            elif has_location and goal_station in cleared and state.stacks[goal_station]:
                # Its floor must be emptied first, which needs free hands: put it down
                # elsewhere, then take it, carry it and put it.
                cost += 4
                carried_in[goal_station] += 1
                retaken.add(held)
            elif has_location and not must_move.isdisjoint(placed_after[held]):
                # An item that must reach its place first has still to be taken, which
                # needs free hands: put it down (parked), later take, carry and put it.
                cost += 4
                if goal_station is not None:
                    carried_in[goal_station] += 1
                parked.add(held)
                retaken.add(held)
            elif has_location:
                cost += 1  # put it, after a carry unless it is there
                if goal_station not in (None, ELSEWHERE):
                    held_goal = goal_station
        if cost >= bound:
            return cost  # the rest only adds: this choice cannot be the minimum
        # Non-goal items must get out of the way (taken, carried off, put) when they lie
        # above a goal item that must move, must end clear, or must receive another goal
        # item directly on top; a clear goal item under placed goal items needs one of
        # those moved.
        free_top = {under[o] for o in under if below[o] != under[o]}
        for here, stack in enumerate(state.stacks):
            blocked = here in cleared
            last = len(stack) - 1
            for position, obj in enumerate(stack):
                entry = goal_of.get(obj)
                if entry is None:
                    if blocked:
                        cost += 3
                        to_take.add(obj)
                        carried_out[here] += 1
                    continue
                top = position == last
                clear = entry[6]
                if obj in must_move or (clear and not top) or (obj in free_top and not top):
                    if (
                        clear
                        and not top
                        and obj not in must_move
                        and not blocked
                        and all(o in goal_of and o not in must_move for o in stack[position + 1 :])
                    ):
                        cost += 3
                        carried_out[here] += 1
                    blocked = True
        to_take |= must_move
        # carries counted twice below, or of a parked item, that may be moves `extra` needs
        credit = len(parked)
        second_takes = 0  # of the items put down twice there: each needs a gap, as `retaken`
        twice = set(retaken)  # items whose count already puts them down twice
        for kind, pending in to_process.items():
            steps, carries, doubled = self._occupied_station(
                state, kind, pending, to_take, carried_out, twice, processing
            )
            cost += steps
            credit += carries
            second_takes += doubled
        if cost < bound:
            crossed = self._crossed(state, where, to_take, twice, to_process, processing, cleared)
            cost += 3 * crossed
            credit += crossed  # the second carry's station is unknown, as a parked item's
            second_takes += crossed
        if loose and to_take:
            cost += 1  # its put: neither a move, a wait nor a processing step (see below)
        gaps, gap_tops = self._first_take_gaps(state, where, to_take)
        return (
            cost,
            carried_in,
            carried_out,
            credit,
            gaps + len(retaken) + second_takes + self._takes_after_timers(state),
            {where[o] for o in to_take},
            self._timer_bound(state, where, kinds),
            held_pstation,
            held_goal,
            gap_tops,
        )

    def _occupied_station(
        self,
        state: State,
        kind: str,
        pending: set[int],
        to_take: set[int],
        carried_out,
        twice: set[int],
        processing,
    ) -> tuple[int, int, int]:
        """(steps, second carries, second takes) to free a `kind` station for the `pending`
        goal items, which must be carried onto one to be processed there.

        Processing needs the item alone on the station, so every item on the station used
        first must leave it before: each one not counted yet (not in `to_take`) costs a
        take, a carry out and a put. A goal item there with no processing of its own left
        that must end above a pending item cannot go to its place yet: on the station the
        first pending item is carried onto, it leaves before any pending item is processed,
        so it is put down elsewhere and later taken, carried and put again, 3 more steps and
        a second take. The cheapest station of the kind is taken (any may be that first
        one); when it is the only one, its items join `to_take`, since every plan must take
        them. `twice`: the items counted as put down twice, which gains those counted
        here."""
        options = self.stations_of_kind.get(kind, [])
        goal_of, placed_after = self.goal_of, self.placed_after
        costs, doubles, doubled = [], [], []
        for station in options:
            stack = state.stacks[station]
            double = 0
            for o in stack:
                entry = goal_of.get(o)
                if entry is None or o in twice or (entry[0] and processing[o, entry[0]]):
                    continue  # its own processing puts it down elsewhere anyway
                after = placed_after[o]
                if not after.isdisjoint(pending):
                    double += 1
                    doubled.append(o)
            costs.append(sum(o not in to_take for o in stack) + double)
            doubles.append(double)
        fewest = min(costs, default=0)  # no such station: the goal is out of reach anyway
        if not fewest:
            return 0, 0, 0
        # Which station is used is unknown: each may count its first carries as moves out of
        # it, which only lowers the `extra` moves counted later.
        for station, count, double in zip(options, costs, doubles, strict=True):
            carried_out[station] += count - double
        if len(options) == 1:
            to_take.update(state.stacks[options[0]])
        twice.update(doubled)  # any station's: fewer items left for `_crossed` only lowers it
        return 3 * fewest, max(doubles), min(doubles)

    def _crossed(self, state: State, where, to_take, twice, to_process, processing, cleared) -> int:
        """Pairs of goal items each of which must be taken before the other's next put after
        its take: a single arm puts whichever it takes first down before the other's take,
        so one of them is put down somewhere else first, then taken, carried and put again
        (3 more steps and a second take). Counted over pairs that share no item.

        Each item here lies on a station, every plan takes it, and its count puts it down
        once after that take: onto its processing station (one *pending*), or in its place
        (one with no processing left: *straight*). X must be taken before Y's next put when:
        * X lies above an item A that must be taken (T(X) < T(A)), or on the floor A must
          lie on (X leaves first), or on the only station of A's pending processing, and
          A is Y or (Y straight) must be in place before Y;
        * Y is straight and X lies on Y's station (Y's put there waits for X's take)."""
        goal_of, kinds, placed_after = self.goal_of, self.world.station_kinds, self.placed_after
        pending_all = set().union(*to_process.values()) if to_process else set()
        floors = self.floor_at
        items = []  # (item, straight, its station, what it precedes: finals, firsts)
        for here, stack in enumerate(state.stacks):
            kind = kinds[here]
            single = self.stations_of_kind[kind] == [here]
            pending_here = to_process.get(kind, set()) if single else set()
            floor = floors.get(here) if here in cleared else None
            below: list[int] = []  # goal items lower in this stack that must be taken
            for x in stack:
                entry = goal_of.get(x)
                if entry is None or x not in to_take:
                    continue
                if x not in twice:
                    left = entry[0] and processing[x, entry[0]]
                    if x in pending_all or (entry[1] and not left):
                        firsts = set(below) | (pending_here - {x})
                        finals = firsts | ({floor} if floor not in (None, x) else set())
                        items.append((x, x not in pending_all, here, finals, firsts))
                below.append(x)
        if len(items) < 2:
            return 0

        def precedes(x, y) -> bool:
            _, _, here, finals, firsts = x
            obj, straight = y[0], y[1]
            if not straight:
                return obj in firsts
            after = placed_after[obj]
            return here == goal_of[obj][2] or any(a == obj or a in after for a in finals)

        used: set[int] = set()
        crossed = 0
        for i, x in enumerate(items):
            for y in items[i + 1 :]:
                if x[0] in used or y[0] in used:
                    continue
                if precedes(x, y) and precedes(y, x):
                    used.update((x[0], y[0]))
                    crossed += 1
        return crossed

    def _first_take_gaps(self, state: State, where, to_take: set[int]) -> tuple[int, set[int]]:
        """Uncounted actions the first takes force: one for each item some plan must take,
        and the stations whose top item is one of them.

        The first take of an item on a station needs empty hands there, so the action just
        before it is a move with empty hands or a wait (neither counted above), the item's
        own cut, cook or fry, or nothing (the plan's first action, at the robot's station): a
        put cannot precede it (it would put that item, which is not held) and every counted
        move carries something. An item taken right after its own processing lies alone on
        that station from its first processing step on, and that step needs empty hands
        there too: unless a plan puts it there (after a take of its own), the action before
        that step is again a move with empty hands, a wait or nothing. So each item some
        plan must take gets a distinct uncounted action, just before its first take or its
        first processing step, less one for the start when the plan begins with such a take
        or step: at the robot's station, of its top item. A plan that begins by taking any
        other item begins with an action no count includes."""
        stacks = state.stacks
        return len(to_take), {where[o] for o in to_take if stacks[where[o]][-1] == o}

    def _takes_after_timers(self, state: State) -> int:
        """Goal items still to Cook or Fry (not started) that must then be taken to their
        place: the take waits for the timer, so the action just before it is not the Cook
        or Fry step (whose own tick finishes only a 1-tick timer) but a move with empty
        hands or a wait, as for a first take; one such uncounted action each."""
        timers, flags, later = state.timers, state.flags, 0
        for obj, timed_bits, _, after in self.timed:
            missing = timed_bits & ~flags[obj]
            if not (after and missing):
                continue
            bit = FRIED if missing & FRIED else COOKED  # frying is the later step
            kind = "fry" if bit == FRIED else "cook"
            ticks = self.world.fry_ticks[obj] if bit == FRIED else self.world.cook_ticks[obj]
            started = any(t.item == obj and t.kind == kind and not t.done for t in timers)
            later += ticks > 1 and not started
        return later

    def _timer_bound(self, state: State, where, kinds) -> int:
        """Steps a goal item's cooking or frying still forces on its own: every step ticks a
        timer at most once, so the ticks left (the Cook or Fry step itself included, after
        3 steps to carry it onto its stove, 1 to put it there if held) come before taking
        it off, carrying it and putting it in place (3, when its place is elsewhere)."""
        bound = 0
        for obj, timed_bits, pstation, after in self.timed:
            missing = timed_bits & ~state.flags[obj]
            if not missing:
                continue
            bit = FRIED if missing & FRIED else COOKED  # frying is the later step
            ticks = self.world.fry_ticks[obj] if bit == FRIED else self.world.cook_ticks[obj]
            kind = "fry" if bit == FRIED else "cook"
            counted = max(
                (t.count for t in state.timers if t.item == obj and t.kind == kind and not t.done),
                default=None,
            )
            if counted is None:  # not started: it must first get onto its station
                if where[obj] >= 0:
                    left = ticks + (0 if kinds[where[obj]] == pstation else 3)
                else:
                    left = ticks + 1  # held: at least put it down there
            else:
                left = ticks - counted
            bound = max(bound, left + after)
        return bound


class _Floors:
    """Lower bounds on the `_Scenario` counts, far cheaper than one count, for skipping the
    scenarios that cannot be the minimum.

    Each goal item costs what the count charges it on its own (processing, its carries,
    its first-take gap), with an optimistic "in place": what lies below it, any station it
    names and, for one that must end clear, the goal items it must cover, nothing lower in
    its stack checked. The station choice changes two things for a goal item placed by a
    station id (on that station's floor, or beside the goal item that must lie there): it
    is in place only if the id is given the station where that floor item lies, and one
    not in place on the very station the id is given must be parked and brought back (6
    steps and a second take, not 3). A `_Scenario` count adds only to these; one gap less
    for the plan's start.

    A goal item's part depends on its object, the objects below it and it must cover and
    the floor item of the station id placing it, not on the rest of the binding: each such
    part is counted once per state and summed per binding."""

    def __init__(self, heuristic: AssemblyHeuristic, bindings, placed_after_of):
        self.kinds = heuristic.world.station_kinds
        self.stations_of_kind = heuristic.stations_of_kind
        self.var_kinds = [heuristic.station_kind[v] for v in heuristic.station_vars]
        index = {v: i for i, v in enumerate(heuristic.station_vars)}
        self.parts = []  # distinct goal-item parts (see `_part`)
        seen: dict[tuple, int] = {}
        self.bindings = []  # per binding: its part ids
        self.part_of = []  # per binding: goal object -> its part id
        for binding, placed_after in zip(bindings, placed_after_of, strict=True):
            floor_of = {
                g.on_station.index: _object(g.term, binding)
                for g in heuristic.items
                if g.on_station is not None and g.on_station.is_variable
            }
            ids = []
            for g in heuristic.items:
                obj = _object(g.term, binding)
                terms = [t for t in (g.on_station, *g.at_station) if t is not None]
                variables = [t.index for t in terms if t.is_variable]
                placing = anchor = None
                station_kinds = tuple(heuristic.station_kind[v] for v in variables)
                if len(variables) == 1 and variables[0] in floor_of:
                    placing, station_kinds = index[variables[0]], ()
                    anchor = floor_of[variables[0]]
                part = (
                    obj,
                    g.bits,
                    g.has_location,
                    None if g.below is None else _object(g.below, binding),
                    g.on_station is not None,
                    tuple(t.index for t in terms if not t.is_variable),
                    station_kinds,
                    placed_after[obj] if g.clear else frozenset(),
                    g.process_station,
                    placing,
                    anchor,
                )
                ids.append(seen.setdefault(part, len(seen)))
                if ids[-1] == len(self.parts):
                    self.parts.append(part)
            self.bindings.append(tuple(ids))
            self.part_of.append({self.parts[i][0]: i for i in ids})
        # each part's item-level key (what `_item` reads) and the rest (what `_part` reads)
        item_ids: dict[tuple, int] = {}
        self._relations = []
        for (
            obj,
            bits,
            has_location,
            under,
            on_floor,
            fixed,
            kinds,
            cover,
            pstation,
            placing,
            anchor,
        ) in self.parts:
            key = (obj, bits, has_location, on_floor, fixed, kinds, pstation)
            index = item_ids.setdefault(key, len(item_ids))
            self._relations.append((index, (obj, under, cover, placing, anchor)))
        self._items = list(item_ids)
        # items outside some binding's goal items: above a goal item that must move, one
        # of those is taken, carried off and put (3 steps and its first take's gap)
        self.spare = frozenset(
            o
            for o in range(heuristic.world.n_items)
            if any(o not in part_of for part_of in self.part_of)
        )
        # the same as arrays, summed per state for all bindings at once: per binding its
        # part ids, and per (binding, object) the object's part id (len(parts): none)
        self._ids = np.array(self.bindings, dtype=np.intp).reshape(len(self.bindings), -1)
        self._obj_part = np.full(
            (len(self.bindings), heuristic.world.n_items), len(self.parts), dtype=np.intp
        )
        for row, part_of in zip(self._obj_part, self.part_of, strict=True):
            for obj, part in part_of.items():
                row[obj] = part
        # per binding, the goal items that must lie directly on another and that other
        on = [(g.term, g.below) for g in heuristic.items if g.below is not None]
        self.on_pairs = [
            [(_object(a, binding), _object(u, binding)) for a, u in on] for binding in bindings
        ]
        self.placed_after_of = placed_after_of
        self._on, self._under = (
            np.array(
                [[_object(pair[side], binding) for pair in on] for binding in bindings],
                dtype=np.intp,
            ).reshape(len(bindings), len(on))
            for side in (0, 1)
        )
        # processing kinds with one station: what lies there leaves before any processing
        self.single = {
            kind: stations[0]
            for kind, stations in heuristic.stations_of_kind.items()
            if kind in _STATION_BIT and len(stations) == 1
        }
        # `_columns`' rows: part value -> row, row 0 all zeros ("no part")
        self._row_of: dict[tuple, int] = {}
        self._rows = [[0] * (5 + len(self.single) + 2 * len(self.var_kinds))]
        self._table = None
        # per (binding, goal object o, object b): b is among the goal items placed before o
        self.goal_objects = frozenset(o for part_of in self.part_of for o in part_of)
        n = heuristic.world.n_items
        self._after = np.zeros((len(self.bindings), n, n), dtype=bool)
        for row, placed_after in zip(self._after, placed_after_of, strict=True):
            for obj, before in placed_after.items():
                row[obj, list(before)] = True

    def least(self, state: State, view: View, processing) -> _FloorTable:
        """Every binding's floor in `state` (see `_FloorTable`)."""
        parts, pairs = self.inputs(state, view, processing)
        sums = self._as_arrays if len(self.bindings) >= _ARRAYS_FROM else self._per_binding
        return _FloorTable(parts, self.bindings, *sums(state, view, parts, pairs))

    def inputs(self, state: State, view: View, processing) -> tuple[list, list]:
        """What both ways of summing the floors read: every part's value (see `_part`) and
        (upper, lower) for every two items of one stack, grouped by the upper one."""
        items = [self._item(state, view, processing, item) for item in self._items]
        parts = [self._part(state, view, items[i], relations) for i, relations in self._relations]
        pairs = [
            (stack[k], b) for stack in state.stacks for k in range(1, len(stack)) for b in stack[:k]
        ]
        return parts, pairs

    def _per_binding(self, state, view, parts, pairs) -> tuple[list, list, list]:
        """(steps, gaps, least floor) per binding, binding by binding (few bindings)."""
        below = view.below
        single = [
            (kind, [o for o in state.stacks[station] if o in self.spare])
            for kind, station in self.single.items()
        ]
        uppers: dict[int, list[int]] = defaultdict(list)
        for o, b in pairs:
            uppers[o].append(b)
        held, placed = state.held, [b for stack in state.stacks for b in stack]
        totals, all_gaps, leasts = [], [], []
        for ids, part_of, placed_after, on in zip(
            self.bindings, self.part_of, self.placed_after_of, self.on_pairs, strict=True
        ):
            total = gaps = 0
            by_id = [[0, 0] for _ in self.var_kinds]  # entries applying with the floor item's
            for i in ids:
                steps, gap, entry, *_, anchored = parts[i]
                total += steps
                gaps += gap
                if anchored:
                    by_id[entry[0]][0] += entry[2]
                    by_id[entry[0]][1] += entry[3]
            fewer_steps = sum(min(0, steps) for steps, _ in by_id)
            fewer_gaps = sum(min(0, more) for _, more in by_id)

            def moves(b, part_of=part_of):
                return b in part_of and parts[part_of[b]][3]

            free_top = {u for a, u in on if below[a] != u}
            hits = set()
            for o, lower in uppers.items():
                if o in part_of:
                    park = parts[part_of[o]][4]
                    if park and any(b in placed_after[o] and moves(b) for b in lower):
                        total += park[0]
                        gaps += park[1]
                elif o in self.spare and any(moves(b) or b in free_top for b in lower):
                    hits.add(o)
            if held in part_of:  # a held goal item is parked as one above those it waits for
                park = parts[part_of[held]][4]
                if park and any(b in placed_after[held] and moves(b) for b in placed):
                    total += park[0]
                    gaps += park[1]
            for kind, on_it in single:
                if any(parts[i][5] == kind for i in ids):
                    hits.update(o for o in on_it if o not in part_of)
            total += 3 * len(hits)
            gaps += len(hits)
            totals.append(total)
            all_gaps.append(gaps)
            leasts.append(total + fewer_steps + max(0, gaps + fewer_gaps - 1))
        return totals, all_gaps, leasts

    def _as_arrays(self, state, view, parts, pairs):
        """(steps, gaps, least floor) per binding, as arrays summed for all bindings at once
        (many bindings): the same values as `_per_binding`."""
        columns = self._columns(parts)  # see `_row`; a last row of zeros for "no part"
        sums = columns[self._ids].sum(axis=1)
        total, gaps = sums[:, 0], sums[:, 1]
        moves = columns[:, 2].astype(bool)
        parked = [(o, b) for o, b in pairs if o in self.goal_objects]
        if state.held in self.goal_objects:  # parked as one above those it waits for
            parked += [(state.held, b) for stack in state.stacks for b in stack]
        if parked:
            # a goal item above one that must move and be in place before it is parked,
            # whatever lies between them
            lower = [b for _, b in parked]
            upper, hit = self._any_below(
                parked,
                self._after[:, [o for o, _ in parked], lower] & moves[self._obj_part[:, lower]],
            )
            part = self._obj_part[:, upper]
            total = total + (columns[part, 3] * hit).sum(axis=1)
            gaps = gaps + (columns[part, 4] * hit).sum(axis=1)
        if self.spare:
            extra = self._spare_items(state, view, columns, moves, pairs)
            total, gaps = total + 3 * extra, gaps + extra
        # per station id, what its entries take off with its floor item's station, if less
        by_id = np.minimum(0, sums[:, 5 + len(self.single) :])
        fewer_steps, fewer_gaps = by_id[:, 0::2].sum(axis=1), by_id[:, 1::2].sum(axis=1)
        return total, gaps, total + fewer_steps + np.maximum(0, gaps + fewer_gaps - 1)

    def _columns(self, parts) -> np.ndarray:
        """`_as_arrays`'s table of the parts' values, one row per part and a last row of
        zeros. The few distinct values recur from state to state: each one's row is made
        once."""
        index = self._row_of
        ids = []
        for value in parts:
            row = index.get(value)
            if row is None:
                row = index[value] = len(self._rows)
                self._rows.append(self._row(value))
                self._table = None
            ids.append(row)
        ids.append(0)
        if self._table is None:
            self._table = np.array(self._rows, dtype=np.int64)
        return self._table[ids]

    def _row(self, value) -> list[int]:
        """A part's value as `_as_arrays` sums it: steps, gap, whether it must move, what a
        park adds to it (steps, gaps), per kind with one station whether it must be carried
        onto it, and per station id the entry that applies with its floor item's station."""
        steps, gap, entry, moves, park, carry_to, anchored = value
        by_id = [0, 0] * len(self.var_kinds)
        if anchored:
            by_id[2 * entry[0]], by_id[2 * entry[0] + 1] = entry[2], entry[3]
        return [
            steps,
            gap,
            moves,
            *(park or (0, 0)),
            *(carry_to == kind for kind in self.single),
            *by_id,
        ]

    @staticmethod
    def _any_below(pairs, per_pair):
        """(the upper items of `pairs`, per binding and upper item whether `per_pair` holds
        for some pair of it): `pairs` come grouped by their upper item."""
        starts = [i for i, (o, _) in enumerate(pairs) if i == 0 or pairs[i - 1][0] != o]
        return [pairs[i][0] for i in starts], np.logical_or.reduceat(per_pair, starts, axis=1)

    def _spare_items(self, state, view, columns, moves, pairs):
        """Per binding, the spare items it must move out of the way, each a take, carry, put
        and gap in its count: one above a goal item that must move or must receive another
        goal item directly on top, or one on the only station of a kind that some goal item
        must be carried onto to be processed."""
        spare, obj_part, none = self.spare, self._obj_part, len(self.parts)
        extra = np.zeros(len(self.bindings), dtype=np.int64)
        hits = {}  # spare item -> per binding, whether it is counted above
        spare_pairs = [(o, b) for o, b in pairs if o in spare]
        if spare_pairs:
            # per (binding, object): a goal item that must move, or whose item on top is not there
            blocking = moves[obj_part]
            rows = np.arange(len(self.bindings))[:, None]
            below = np.array(view.below, dtype=np.intp)
            blocking[rows, self._under] |= below[self._on] != self._under
            upper, hit = self._any_below(spare_pairs, blocking[:, [b for _, b in spare_pairs]])
            hit &= obj_part[:, upper] == none
            extra += hit.sum(axis=1)
            hits = {o: hit[:, i] for i, o in enumerate(upper)}
        for j, station in enumerate(self.single.values()):
            on_it = [o for o in state.stacks[station] if o in spare]
            if not on_it:
                continue
            pending = columns[self._ids, 5 + j].any(axis=1)
            for o in on_it:
                hit = pending & (obj_part[:, o] == none)
                if o in hits:
                    hit &= ~hits[o]
                extra += hit
        return extra

    def _item(self, state, view, processing, item) -> tuple:
        """A goal item's part as far as it does not depend on the items it must lie on or
        cover or on its station id: the whole part (see `_part`) where those do not matter,
        else (its station, its gap, whether the station literals of its own hold)."""
        obj, bits, has_location, on_floor, fixed, station_kinds, pstation = item
        kinds, where, below = self.kinds, view.where, view.below
        process = bits and processing[obj, bits]
        here = where[obj]
        if here < 0:  # held
            if process:
                parked = _all_occupied(state, self.stations_of_kind.get(pstation))  # see the count
                steps = process + 1 + 3 * has_location + 3 * parked
                return steps, int(parked), None, False, None, pstation, False
            # parked: put down, later taken, carried and put (3 more steps and a second take)
            park = (3, 1) if has_location else None
            return int(has_location), 0, None, False, park, None, False
        steps = parked = 0
        if process:
            on_its_station = below[obj] == ON_STATION and kinds[here] == pstation
            # above what must leave the only such station first: parked (see the count)
            parked = not on_its_station and self.single.get(pstation) == here
            steps = process + 3 * (not on_its_station) + 3 * has_location + 3 * parked
            if on_its_station and not has_location:
                return steps, 0, None, False, None, None, False
        elif not has_location:
            return 0, 0, None, False, None, None, False
        gap = 1 + parked  # before its first take or processing step, and its second take
        if process:
            carry_to = None if on_its_station else pstation
            return steps, gap, None, not on_its_station, None, carry_to, False
        own = (
            (not on_floor or below[obj] == ON_STATION)
            and (not fixed or all(here == s for s in fixed))
            and (not station_kinds or all(kinds[here] == k for k in station_kinds))
        )
        return here, gap, own

    def _part(self, state, view, item, relations) -> tuple:
        """(steps, gap, how a station choice changes them or None, whether it must be taken
        from where it lies whatever the choice, what a park adds to it as (steps, gaps) or
        None where the floors count none, the station kind it must be carried onto to be
        processed or None, whether its station-choice entry applies exactly when its id is
        given the station where that id's floor item lies) for one goal item, from its
        `_item` value."""
        if len(item) == 7:
            return item
        here, gap, placed = item
        obj, under, cover, placing, anchor = relations
        below = view.below
        if placed and cover:
            stack = state.stacks[here]
            placed = cover <= set(stack[: stack.index(obj)])
        placed = placed and (under is None or below[obj] == under)
        if placing is not None and self.kinds[here] != self.var_kinds[placing]:
            return 3, gap, None, True, None, None, False  # no choice gives its id this station
        if placing is None:  # parked: 6 steps and two gaps in all
            if placed:
                return 0, 0, None, False, (6, 2), None, False
            return 3, gap, None, True, (3, 1), None, False
        anchored = view.where[anchor] == here  # the entry applies with the floor item's station
        if placed and below[anchor] == ON_STATION and anchored:
            # in place if the id is given `here`
            return 3, gap, (placing, here, -3, -gap), False, None, None, True
        # parked and brought back if it is
        return 3, gap, (placing, here, 3, 1), True, None, None, anchored


class _FloorTable:
    """One state's floors, per binding: `least[i]` is the least floor of binding i's
    station choices (an array, for ranking them), and `table[i]` is (steps, gaps,
    [(station id index, station, more steps, more gaps)], least floor), the entries
    applying where a choice gives that id that station, as `_choice_floor` reads it."""

    def __init__(self, parts, bindings, total, gaps, least):
        self._parts, self._bindings = parts, bindings
        self._total, self._gaps, self.least = total, gaps, least

    def __len__(self) -> int:
        return len(self._bindings)

    def ranked(self) -> list[tuple[int, int]]:
        """(least floor, binding index) for every binding, lowest first, ties by index."""
        least = self.least
        if isinstance(least, list):
            return sorted((value, i) for i, value in enumerate(least))
        order = np.argsort(least, kind="stable")
        return list(zip(least[order].tolist(), order.tolist(), strict=True))

    def __getitem__(self, index: int) -> tuple[int, int, list, int]:
        entries = [
            self._parts[i][2] for i in self._bindings[index] if self._parts[i][2] is not None
        ]
        least = int(self.least[index])
        return int(self._total[index]), int(self._gaps[index]), entries, least


def _all_occupied(state: State, stations) -> bool:
    """Whether there are such stations and every one holds an item."""
    return bool(stations) and all(state.stacks[s] for s in stations)


def _choice_floor(least, choice) -> int:
    """The floor of one station choice from one of `_Floors.least`'s entries."""
    total, gaps, entries, _ = least
    for placing, station, steps, more in entries:
        if choice[placing] == station:
            total += steps
            gaps += more
    return total + max(0, gaps - 1)


def _least_with_robot(part) -> int:
    """The smallest count `_Scenario._with_robot` can make of `part` at any robot station:
    its robot-dependent terms add at least nothing and take off at most one gap."""
    cost, gaps, timer = part[0], part[4], part[6]
    return max(cost + max(0, gaps - 1), timer)


def _timed_entry(heuristic: AssemblyHeuristic, g: _ItemGoal, obj: int, destination):
    """`_Scenario.timed`'s entry for a goal item that must end cooked or fried: the steps
    after it are 3 (take it off, carry it, put it) unless its place is unknown or on the
    station it is processed on."""
    world = heuristic.world
    if destination == ELSEWHERE:
        destination_kind = heuristic.station_kind[g.destination.index]
    else:
        destination_kind = None if destination is None else world.station_kinds[destination]
    after = 3 * (g.has_location and destination_kind not in (None, g.process_station))
    return obj, g.bits & (COOKED | FRIED), g.process_station, after


def _placed_after(items: list[_ItemGoal], binding) -> dict[int, frozenset[int]]:
    """Goal object -> the goal objects that must be in their place before it is: those it
    ends above (its `atop` chain), the one that must lie on its station's floor (nothing
    else may lie there first), and, for one that must end clear, every other goal item on
    the same station (it is the top of that stack)."""
    objects = {g.term: _object(g.term, binding) for g in items}
    by_term = {g.term: g for g in items}
    after: dict[int, frozenset[int]] = {}
    for g in items:
        below, seen = set(), set()
        link = g.below
        while link is not None and link not in seen:
            seen.add(link)
            below.add(objects[link])
            link = by_term[link].below if link in by_term else None
        if g.clear and g.destination is not None:
            below |= {
                objects[o.term] for o in items if o is not g and o.destination == g.destination
            }
        if g.destination is not None:  # the item on its station's floor comes first
            below |= {
                objects[o.term]
                for o in items
                if o is not g and o.on_station is not None and o.on_station == g.destination
            }
        after[objects[g.term]] = frozenset(below)
    return after


def _goal_symmetry(goal, station_vars: list[int]) -> dict[int, int] | None:
    """A permutation of the goal's variables that swaps its two station ids and maps the
    goal's literals onto themselves (two interchangeable dishes), or None."""
    if len(station_vars) != 2:
        return None
    a, b = station_vars
    variables = goal.variables
    if variables[a].kind != variables[b].kind:
        return None
    literals = set(goal.literals)
    others = [v for v in range(len(variables)) if v not in (a, b)]

    def image(mapping, literal):
        terms = []
        for t in literal.terms:
            if t.is_variable:
                if t.index not in mapping:
                    return None
                terms.append(Term(True, mapping[t.index]))
            else:
                terms.append(t)
        return Literal(literal.predicate, tuple(terms))

    def consistent(mapping) -> bool:
        images = (image(mapping, literal) for literal in goal.literals)
        return all(i is None or i in literals for i in images)

    def extend(mapping, rest):
        if not rest:
            return mapping
        v, rest = rest[0], rest[1:]
        for w in others:
            if w not in mapping.values() and variables[w].kind == variables[v].kind:
                mapping[v] = w
                if consistent(mapping) and extend(mapping, rest) is not None:
                    return mapping
                del mapping[v]
        return None

    return extend({a: b, b: a}, others)


def _kept_choices(swap: dict[int, int], binding, station_vars, choices) -> list:
    """The choices whose (binding, choice) has a key no larger than the one `swap` maps it
    to (one of each swapped pair is kept). Keys compare by binding first, so the choice
    decides only for a binding that the swap maps onto itself."""
    own = tuple(sorted(binding.items()))
    swapped = tuple(sorted((v, binding[swap[v]]) for v in binding))
    if own != swapped:
        return list(choices) if own < swapped else []
    kept = []
    for choice in choices:
        stations = dict(zip(station_vars, choice, strict=True))
        if not _swapped_key(swap, binding, stations) < _key(binding, stations):
            kept.append(choice)
    return kept


def _key(binding: dict[int, int], stations: dict[int, int]) -> tuple:
    return tuple(sorted(binding.items())), tuple(sorted(stations.items()))


def _swapped_key(swap: dict[int, int], binding, stations) -> tuple:
    """The key of the (binding, choice) that `swap` maps this one to: each id takes what its
    image had."""
    return (
        tuple(sorted((v, binding[swap[v]]) for v in binding)),
        tuple(sorted((v, stations[swap[v]]) for v in stations)),
    )


def _object(term: Term, binding: dict[int, int]) -> int:
    """The object a goal term names under `binding` (variables bound, constants as is)."""
    return binding[term.index] if term.is_variable else term.index


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
        [
            dict(zip(vs, objects, strict=True))
            for objects in itertools.permutations(variables[vs[0]].candidates, len(vs))
        ]
        for vs in by_kind.values()
    ]
    bindings = []
    for parts in itertools.product(*per_kind):
        merged: dict[int, int] = {}
        for part in parts:
            merged.update(part)
        bindings.append(merged)
    return bindings


def _processing_actions(remaining_cuts, state: State, bits: int, obj: int) -> int:
    """Cook / Cut / Fry actions `obj` still needs for `bits` (0 if it has them)."""
    missing = bits & ~state.flags[obj]
    if not missing:
        return 0
    actions = 0
    if missing & CUT:
        done = max(
            (t.count for t in state.timers if t.kind == "cut" and t.item == obj and not t.done),
            default=0,
        )
        actions += remaining_cuts[obj] - done
    for bit, kind in ((COOKED, "cook"), (FRIED, "fry")):
        if missing & bit and not any(
            t.item == obj and t.kind == kind and not t.done for t in state.timers
        ):
            actions += 1
    return actions
