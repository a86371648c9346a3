"""Transitions: which actions are valid, and what a step does (Robotouille's synchronous rules).

Facts reproduced from Robotouille's release branch (verified against the real package by
the conformance traces in tests/data):

* Move reaches any other station in one step (no adjacency), holding or not.
* Pick up takes an item that is alone on the robot's station; items in a stack come off the
  top with Unstack. Place needs an empty station; Stack puts the held item on the top of
  the station's stack. Cook/Cut/Fry need the item alone on the right station, hands empty.
* Cook and Fry start a timer: the item is done `cook_time` steps after the Cook step while
  it stays directly on that station; taking it off pauses the timer and putting it back on
  the same station resumes it (a new Cook elsewhere starts a fresh timer). Cut must be
  repeated `num_cuts` times, not necessarily in a row. Re-cooking or re-cutting stays valid.
* After the action, every active timer ticks once, in list order, with Robotouille's
  quirk: when a timer finishes and is removed, the one after it is not ticked that step.
"""

from __future__ import annotations

from stgrpo.kitchen.domain import (
    COOKABLE,
    COOKED,
    COOKING,
    CUT,
    CUTTABLE,
    FRIED,
    FRYABLE,
    FRYABLE_IF_CUT,
)
from stgrpo.kitchen.state import NOTHING, WAIT, Action, State, Timer
from stgrpo.kitchen.world import World

# Per action kind: (timer kinds it starts, in order; station kind it needs; property needed)
_PROCESS = {
    "cook": (("cook",), "stove", COOKABLE),
    "cut": (("cut", "fryable"), "board", CUTTABLE),
    "fry": (("fry",), "fryer", FRYABLE),
}


def valid_actions(world: World, state: State) -> list[Action]:
    """Valid actions in Robotouille's order: by action kind, then by object order."""
    here = state.robot
    stack = state.stacks[here]
    held = state.held
    actions = [Action("move", here, there) for there in range(world.n_stations) if there != here]
    if held == NOTHING:
        if len(stack) == 1:
            item = stack[0]
            actions.append(Action("pick", item, here))
            flags = state.flags[item]
            station_kind = world.station_kinds[here]
            if station_kind == "stove" and flags & COOKABLE and not flags & COOKING:
                actions.append(Action("cook", item, here))
            elif station_kind == "board" and flags & CUTTABLE:
                actions.append(Action("cut", item, here))
            elif station_kind == "fryer" and flags & FRYABLE:
                actions.append(Action("fry", item, here))
        elif len(stack) > 1:
            actions.append(Action("unstack", stack[-1], stack[-2]))
    elif stack:
        actions.append(Action("stack", held, stack[-1]))
    else:
        actions.append(Action("place", held, here))
    actions.append(WAIT)
    return actions


def apply(world: World, state: State, action: Action) -> State:
    """The successor of `state` under a *valid* `action` (check validity first)."""
    kind, a, b = action
    robot, held, stacks = state.robot, state.held, state.stacks
    if kind == "move":
        robot = b
    elif kind in ("pick", "place", "stack", "unstack"):
        here = state.robot
        if kind == "pick":
            held, new_stack = a, ()
        elif kind == "place":
            held, new_stack = NOTHING, (a,)
        elif kind == "stack":
            held, new_stack = NOTHING, (*stacks[here], a)
        else:
            held, new_stack = a, stacks[here][:-1]
        stacks = (*stacks[:here], new_stack, *stacks[here + 1 :])
    flags, timers = state.flags, state.timers
    if kind in _PROCESS or not all(_idle(t, flags) for t in timers):
        flags, timers = _advance_timers(world, stacks, flags, timers, action)
    return State(robot, held, stacks, flags, timers)


def _idle(timer: Timer, flags) -> bool:
    """Whether a passive update leaves `timer` and the flags as they are: a cut timer (it
    counts only when cut), or a "fryable" one whose item will not become fryable now and is
    not fryable (a cut lettuce's lasts forever and changes nothing)."""
    if timer.done:
        return False  # it is removed
    if timer.kind == "cut":
        return True
    if timer.kind == "fryable":
        f = flags[timer.item]
        return not (f & FRYABLE_IF_CUT and f & CUT) and not f & FRYABLE
    return False


def _advance_timers(world, stacks, flags, timers, action):
    flags = list(flags)
    timers = [list(t) for t in timers]
    if action.kind in _PROCESS:
        for timer_kind in _PROCESS[action.kind][0]:
            station = action.b if timer_kind in ("cook", "fry") else -1
            timer = next(
                (t for t in timers if t[0] == timer_kind and t[1] == action.a and t[2] == station),
                None,
            )
            if timer is None:
                timer = [timer_kind, action.a, station, 0, False]
                timers.append(timer)
            _update(world, stacks, flags, timer, active=True)
    position = 0
    while position < len(timers):  # Robotouille removes while iterating: the next is skipped
        timer = timers[position]
        _update(world, stacks, flags, timer, active=False)
        if timer[4]:
            timers.pop(position)
        position += 1
    return tuple(flags), tuple(Timer(*t) for t in timers)


def _update(world, stacks, flags, timer, active: bool) -> None:
    """One update of one timer, in place: Robotouille's conditional/delayed/repetitive rules."""
    kind, item, station, count, done = timer
    if done:
        return
    if kind == "cut":
        if active:
            timer[3] = count = count + 1
            if count == world.cuts_needed[item]:
                flags[item] |= CUT
                timer[4] = True
        return
    if kind == "fryable":
        if flags[item] & FRYABLE_IF_CUT and flags[item] & CUT:
            flags[item] |= FRYABLE
            timer[4] = True
        else:
            flags[item] &= ~FRYABLE
        return
    # cook / fry: a conditional on "the item is directly on this station" around a delay
    stack = stacks[station]
    in_place = bool(stack) and stack[0] == item
    if kind == "cook":
        if not in_place:
            flags[item] &= ~COOKING
            return
        flags[item] |= COOKING
    elif not in_place:
        return
    if active:
        return  # the delayed part counts passive ticks only
    timer[3] = count = count + 1
    ticks = world.cook_ticks[item] if kind == "cook" else world.fry_ticks[item]
    if count == ticks:
        if kind == "cook":
            flags[item] = (flags[item] | COOKED) & ~COOKING
        else:
            flags[item] |= FRIED
        timer[4] = True


def successors(world: World, state: State) -> list[tuple[Action, State]]:
    """Every valid action with its successor state (the search primitive)."""
    return [(action, apply(world, state, action)) for action in valid_actions(world, state)]
