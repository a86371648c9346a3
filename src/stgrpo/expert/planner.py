"""Exact optimal planning: minimal plan length and every optimal next action, in one search.

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
