"""Breadth-first search over kitchen states: shortest plans and solvability checks.

States are immutable tuples, so search needs no copying; this is the baseline exact search
that the expert's planner builds on (and the workload of the environment benchmark).
"""

from __future__ import annotations

from collections import deque

from stgrpo.kitchen.rules import successors
from stgrpo.kitchen.state import Action, State
from stgrpo.kitchen.world import World


class SearchLimitError(RuntimeError):
    """The search visited its maximum number of states without reaching the goal."""


def shortest_plan(
    world: World, start: State | None = None, max_states: int = 2_000_000
) -> list[Action] | None:
    """A shortest action sequence to the goal, by breadth-first search.

    Args:
        world: The compiled layout.
        start: The state to plan from; None: the world's initial state.
        max_states: The most distinct states the search may visit.

    Returns:
        The actions, first to last: one shortest plan (the first found), [] when the goal
        holds at `start`, None when it is unreachable.

    Raises:
        SearchLimitError: `max_states` states were visited before the goal was reached.
    """
    start = world.initial if start is None else start
    if world.goal_reached(start):
        return []
    parent: dict[State, tuple[State, Action] | None] = {start: None}
    frontier = deque([start])
    while frontier:
        state = frontier.popleft()
        for action, child in successors(world, state):
            if child in parent:
                continue
            parent[child] = (state, action)
            if world.goal_reached(child):
                return _unwind(parent, child)
            if len(parent) >= max_states:
                raise SearchLimitError(f"no plan found within {max_states} states")
            frontier.append(child)
    return None


def _unwind(parent, state: State) -> list[Action]:
    plan = []
    while parent[state] is not None:
        state, action = parent[state]
        plan.append(action)
    return plan[::-1]
