"""Exact optimal planning: minimal plan lengths and every optimal next action.

Two exact answers to the same question, with different costs:

* `OptimalPlanner` answers state by state: a state's distance to the goal (one A* search
  that stops at its first goal) and all its optimal actions (one bounded search per
  successor, to test whether it is one step closer). Searches share what they learn:
  exact distances along every plan found and lower bounds from every search, so the
  searches of a trajectory's later states reuse the earlier ones' work. The stages use it.
* `solve(world)` builds the whole optimal-plan graph at once. It costs in proportion to
  that graph, which is huge when the goal allows many orders (items merely *at* a table,
  two dishes): the reference the tests and the benchmark compare with.

`solve(world)` runs A* from the initial state with an admissible heuristic and keeps
expanding until every state with f = g + h <= d* (the optimal length) is expanded. Those
states contain every state on every optimal plan, each with its exact distance from the
start. Marking the optimal-plan graph backwards from the goal states at depth d* then gives,
for every state on some optimal plan, its distance to the goal (d* - g) and the set of all
actions that begin an optimal plan from it (Remark 2.1: the expert policy is not unique).
Following any of those actions stays on an optimal plan, so one search serves a whole
trajectory, whatever the tie-breaking.

With `heuristic=None` the same search is breadth-first (the slow, independent reference).
Searches are bounded by `max_states`; past it, SearchLimitError says so.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

from stgrpo.kitchen.rules import successors
from stgrpo.kitchen.search import SearchLimitError
from stgrpo.kitchen.state import Action, State
from stgrpo.kitchen.world import World

Heuristic = Callable[[State], int]


class UnsolvableError(RuntimeError):
    """No action sequence reaches the goal from the start state."""


class OptimalPlanner:
    """Exact distances to the goal and every optimal action, state by state.

    A state's distance comes from an A* search that stops at its first goal (the first
    goal it takes from the queue is at minimal depth, the heuristic being admissible).
    Ties in f go to the deeper state, then the newest, so the search dives along a plan
    rather than widening over the many equivalent ones. Every search leaves three tables
    the next ones read:

    * exact distances of the states on the plan it found;
    * lower bounds: a search from `root` that finds distance d (or none within a limit k,
      so d > k) shows d(x) >= d - g(x) for every state x it reached at depth g(x), since
      d(root) <= g(x) + d(x);
    * what each heuristic call learnt of a state's value: equal to, at most or at least a
      number (a trajectory's searches meet the same states again: on two-dish tasks 15-35%
      of the calls were repeats).

    An action is optimal when its successor is one step closer: `actions` runs one search
    per successor, bounded by the state's distance minus one. Those searches start from
    the bound every successor has (d(child) >= d(state) - 1) and carry it down the tree
    (pathmax: d(child) >= d(parent) - 1), so they expand only the states with f equal to
    the limit.

    Args:
        world: The compiled layout.
        heuristic: A lower bound on a state's steps to the goal (admissible, as for
            `solve`); None: 0 everywhere.
        max_states: The most distinct states one search may generate.
    """

    def __init__(
        self, world: World, heuristic: Heuristic | None = None, max_states: int = 2_000_000
    ):
        self.world = world
        self.heuristic = heuristic or (lambda state: 0)
        # A heuristic with a `bounded(state, floor, cap)` method (as `AssemblyHeuristic`)
        # may stop once the value is known to be at most `floor` or above `cap`.
        self._bounded = getattr(heuristic, "bounded", None) or (
            lambda state, floor, cap: self.heuristic(state)
        )
        self.max_states = max_states
        self._exact: dict[State, int] = {}
        self._lower: dict[State, int] = {}
        # What is known of the heuristic's value per state, (low, high): the searches of one
        # trajectory meet the same states again, and the heuristic costs far more than a
        # lookup.
        self._heuristic: dict[State, tuple[int, int | None]] = {}
        self.expanded = 0  # states expanded by all searches so far (a cost measure)

    def distance(self, state: State) -> int:
        """The minimal number of steps from `state` to the goal (0 where it holds).

        Raises:
            SearchLimitError: A search generated more than `max_states` states.
            UnsolvableError: No action sequence reaches the goal from `state`.
        """
        found = self._search(state, limit=None, lower=0)
        if found is None:
            raise UnsolvableError("the goal cannot be reached from this state")
        return found

    def actions(self, state: State) -> tuple[Action, ...]:
        """All actions that begin a minimal plan from `state`, in the rules' order; `()` at
        a goal state. Raises as `distance` does."""
        to_go = self.distance(state)
        if to_go == 0:
            return ()
        return tuple(
            action
            for action, child in successors(self.world, state)
            if self._search(child, limit=to_go - 1, lower=to_go - 1) is not None
        )

    def _bound(self, state: State, floor: int, cap: int | None) -> int:
        """A lower bound on the distance of `state`, at least `floor`, exact up to the
        heuristic where it lies in (floor, cap]: above `cap` the search prunes the state
        anyway, so any value above it serves."""
        known = self._exact.get(state)
        if known is not None:
            return known
        floor = max(floor, self._lower.get(state, 0))
        # a state at least one step from the goal is not a goal: the check (a search over
        # the goal's bindings) is left to the states whose bound allows it
        if floor <= 0 and self.world.goal_reached(state):
            return 0
        return max(self._estimate(state, floor, cap), floor)

    def _estimate(self, state: State, floor: int, cap: int | None) -> int:
        """The heuristic's value where (floor, cap] needs it, from what earlier calls
        learnt of it (an interval: low <= h <= high) when that is enough."""
        low, high = self._heuristic.get(state, (0, None))
        if low == high or (high is not None and high <= floor):
            return high
        if cap is not None and low > cap:
            return low
        value = self._bounded(state, floor, cap)
        if cap is not None and value > cap:
            low = max(low, value)
        elif value <= floor:
            high = value if high is None else min(high, value)
        else:
            low = high = value
        self._heuristic[state] = (low, high)
        return value

    def _search(self, root: State, limit: int | None, lower: int) -> int | None:
        """The distance of `root` if it is at most `limit` (None: no limit), else None.
        `lower` is a bound on it known from elsewhere."""
        known = self._exact.get(root)
        if known is not None:
            return known if limit is None or known <= limit else None
        start_bound = self._bound(root, lower, limit)
        if limit is not None and start_bound > limit:
            return None
        best_g, parent, bound = {root: 0}, {root: None}, {root: start_bound}
        closed: set[State] = set()
        frontier = [(start_bound, 0, 0, root)]
        counter, found = 0, None
        while frontier:
            _, negative_g, _, state = heapq.heappop(frontier)
            g = -negative_g
            if g > best_g[state] or state in closed:
                continue  # stale entry
            rest = self._exact.get(state)
            if rest is None and bound[state] == 0 and self.world.goal_reached(state):
                rest = 0  # (a goal's bound is 0, and a bound above 0 rules the goal out)
            if rest is not None:  # its f is exact and no queued f is smaller: minimal
                found = (g + rest, state)
                break
            closed.add(state)
            self.expanded += 1
            for _, child in successors(self.world, state):
                child_g = g + 1
                if child_g >= best_g.get(child, child_g + 1):
                    continue
                best_g[child] = child_g
                # pathmax (d(child) >= d(state) - 1), and a child met again by a shorter
                # path keeps the bound it had
                floor = max(bound[state] - 1, bound.get(child, 0))
                cap = None if limit is None else limit - child_g
                child_bound = bound[child] = self._bound(child, floor, cap)
                if limit is not None and child_g + child_bound > limit:
                    continue
                parent[child] = state
                closed.discard(child)  # reopen if it was expanded with a worse g
                counter += 1
                heapq.heappush(frontier, (child_g + child_bound, -child_g, -counter, child))
            if len(best_g) > self.max_states:
                raise SearchLimitError(
                    f"search stopped after {self.max_states} states without reaching the goal"
                )
        self._learn(best_g, found[0] if found else (None if limit is None else limit + 1))
        if found is None:
            return None
        length, state = found
        while state is not None:  # the plan found: each state's distance is now exact
            self._exact[state] = length - best_g[state]
            state = parent[state]
        return length

    def _learn(self, best_g: dict[State, int], root_lower: int | None) -> None:
        """d(root) >= root_lower, so d(x) >= root_lower - g(x) for every state reached."""
        if root_lower is None:
            return
        lower = self._lower
        for state, g in best_g.items():
            if root_lower - g > lower.get(state, 0):
                lower[state] = root_lower - g


@dataclass(frozen=True)
class Solution:
    """The optimal-plan graph of one search.

    Attributes:
        start: The state searched from.
        length: d*, the minimal number of steps from `start` to the goal (0 if it holds).
        optimal_actions: Every state on some optimal plan -> the actions that begin an
            optimal plan from it (`()` at the goal states).
        steps_to_go: The same states -> their distance to the goal.
        expanded: States the search expanded (a cost measure).
    """

    start: State
    length: int  # d*: minimal number of steps from `start` to the goal
    optimal_actions: dict[State, tuple[Action, ...]]  # on-optimal-plan state -> its actions
    steps_to_go: dict[State, int]
    expanded: int  # states expanded by the search (a cost measure)

    def actions(self, state: State) -> tuple[Action, ...]:
        """All actions that start a minimal plan from `state`.

        Args:
            state: A state on an optimal plan from `start`.

        Returns:
            The actions, in the order the rules generate them; `()` at a goal state.

        Raises:
            KeyError: `state` is not on an optimal plan from `start`.
        """
        try:
            return self.optimal_actions[state]
        except KeyError:
            raise KeyError("state is not on an optimal plan from this solution's start") from None


def solve(
    world: World,
    start: State | None = None,
    heuristic: Heuristic | None = None,
    max_states: int = 2_000_000,
) -> Solution:
    """The exact optimal-plan graph from `start` (see the module docstring).

    Args:
        world: The compiled layout.
        start: The state to plan from; None: the world's initial state.
        heuristic: A lower bound on a state's steps to the goal; it must be admissible
            (never above the true distance), or the length and action sets may be wrong.
            None: 0 everywhere (breadth-first).
        max_states: The most distinct states the search may generate (checked after each
            expansion).

    Returns:
        The `Solution`; a `start` where the goal holds gives length 0.

    Raises:
        SearchLimitError: More than `max_states` states were generated before every optimal
            plan was covered.
        UnsolvableError: No action sequence reaches the goal from `start`.
    """
    start = world.initial if start is None else start
    h = heuristic or (lambda state: 0)
    best_g: dict[State, int] = {start: 0}
    edges: dict[State, list[tuple[Action, State]]] = {}
    goals: list[State] = []
    counter = 0
    frontier = [(h(start), 0, counter, start)]
    length: int | None = None
    while frontier:
        f, g, _, state = heapq.heappop(frontier)
        if length is not None and f > length:
            break
        if g > best_g[state] or state in edges:
            continue  # stale entry, or already expanded with this g
        if world.goal_reached(state):
            if length is None:
                length = g
            if g == length:
                goals.append(state)
            edges[state] = []
            continue  # plans end at the goal
        children = successors(world, state)
        edges[state] = children
        for _, child in children:
            child_g = g + 1
            if child_g < best_g.get(child, child_g + 1):
                best_g[child] = child_g
                edges.pop(child, None)  # reopen if it was expanded with a worse g
                counter += 1
                heapq.heappush(frontier, (child_g + h(child), child_g, counter, child))
        if len(best_g) > max_states:
            raise SearchLimitError(
                f"search stopped after {max_states} states without covering all optimal plans"
            )
    if length is None:
        raise UnsolvableError("the goal cannot be reached from the start state")
    return _mark_optimal(start, length, best_g, edges, goals)


def _mark_optimal(start, length, best_g, edges, goals) -> Solution:
    to_go = {goal: 0 for goal in goals}
    optimal: dict[State, tuple[Action, ...]] = {goal: () for goal in goals}
    by_depth = sorted((best_g[s], s) for s in edges if best_g[s] < length)
    for g, state in reversed(by_depth):
        chosen = tuple(
            action
            for action, child in edges[state]
            if best_g.get(child) == g + 1 and to_go.get(child) == length - g - 1
        )
        if chosen:
            optimal[state] = chosen
            to_go[state] = length - g
    return Solution(start, length, optimal, to_go, len(edges))
