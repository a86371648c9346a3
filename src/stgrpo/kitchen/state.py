"""Immutable, hashable kitchen states and actions: copying a state costs nothing.

Objects are referred to by index into the World's tables (stations and items in
Robotouille's object order). A State is a plain tuple, so it can be a dict key or a set
member during search, and two equal states always have equal hashes.
"""

from __future__ import annotations

from typing import NamedTuple

NOTHING = -1  # `held` when the robot's hands are empty


class Timer(NamedTuple):
    """One active timed effect, as in Robotouille's list of special effects.

    kind: "cook" / "fry" (a conditional "item stays on this station" wrapping a delayed
    effect), "cut" (a repetitive effect counting cuts) or "fryable" (the conditional that
    makes a cut item fryable). `count` is elapsed ticks or cuts; `done` marks an effect that
    finished but is still listed (Robotouille removes it on its next pass).
    """

    kind: str
    item: int
    station: int
    count: int
    done: bool


class State(NamedTuple):
    robot: int  # index of the station the robot is at
    held: int  # index of the held item, or NOTHING
    stacks: tuple[tuple[int, ...], ...]  # per station, its items from bottom to top
    flags: tuple[int, ...]  # per item, property bits (see domain.BIT)
    timers: tuple[Timer, ...]  # active timed effects, in Robotouille's list order


class Action(NamedTuple):
    """A grounded action. `a`/`b` are indices whose meaning depends on `kind`:

    move: from station a to station b; pick/place/cook/cut/fry: item a at station b;
    stack: held item a onto item b; unstack: item a off item b; wait: unused (-1, -1).
    """

    kind: str
    a: int = -1
    b: int = -1


WAIT = Action("wait")
