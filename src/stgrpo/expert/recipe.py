"""The recipe expert: a short, fixed procedure a cook would follow, with its reasoning spelled
out, for dishes that are stacks on tables: every synchronous task, the paper's four, the
lettuce and tomato sandwiches and burgers, and the two-dish tasks (one dish after the other).

Where the optimal planner finds the shortest plan (whose choices can look arbitrary: it may
park a bun on a patty because that saves a step), this expert always does the same thing in
the same situation, so each decision is a few lookups a small model can learn:

1. The dish in progress, its finished layers and the next layer are read off the state
   (kitchen.dish.DishReader); a finished dish is never touched again.
2. Holding something: a next layer goes onto the dish (the base onto the first empty
   table); a next layer that still needs cooking or cutting goes onto a free stove or
   board; anything else is put away on the first empty table (else any empty station;
   with none empty, onto the stack the dish needs least, never a stove or board a layer
   still needs, nor the stack to fetch from next).
3. Hands free: anything on top of the dish's finished part comes off; else the next layer
   is fetched (a ready one first, else one to process), anything on top of it first; a
   layer alone on its stove or board is cooked or cut there first, and waited for while it
   cooks; with every stove or board taken, the first is cleared.

Its thought says all of it: "Dish at table2, 1 done, top bottombun1. Next: patty. I need
patty1 at table4. I am at table2." The plans are not minimal (it waits while a patty cooks), and
`recipe_trajectory` records the planner's optimal actions where a state is on a minimal plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from stgrpo.kitchen.dish import DishReader, NotARecipeError, Reading, read_recipe, read_recipes
from stgrpo.kitchen.domain import BIT
from stgrpo.kitchen.rules import apply
from stgrpo.kitchen.state import NOTHING, WAIT, Action, State
from stgrpo.kitchen.text import aim_thought
from stgrpo.kitchen.world import World

__all__ = [
    "Decision",
    "NotARecipeError",
    "RecipeExpert",
    "read_recipe",
    "read_recipes",
    "recipe_plan",
]

_PROCESS = {BIT["iscooked"]: ("stove", "cook"), BIT["iscut"]: ("board", "cut")}


@dataclass(frozen=True)
class Decision:
    action: Action
    progress: str  # the dish's reading (DishReader.situation): "Dish at table2, ... Next: patty."
    aim_thought: str = ""  # the aim and the robot's place (kitchen.text.aim_thought); "" when
    # the dish is done

    @property
    def thought(self) -> str:
        """The whole reasoning: the dish's progress, the aim, where the robot is."""
        return f"{self.progress} {self.aim_thought}" if self.aim_thought else self.progress


class RecipeExpert(DishReader):
    """Decides from the dish's reading (kitchen.dish.DishReader)."""

    def decide(self, state: State) -> Decision:
        reading = self.read(state)
        where, dish, done, wanted = self.situation(state, reading)
        if not wanted:
            return Decision(WAIT, where)
        if state.held != NOTHING:
            target, aim = self._put_held(state, reading, dish, done, wanted)
        else:
            target, aim = self._get(state, reading, dish, done, wanted)
        return Decision(target, where, aim_thought(self.world, state, aim))

    def _go_then(self, state: State, station: int, action: Action) -> Action:
        return action if state.robot == station else Action("move", state.robot, station)

    def _put_held(self, state, reading: Reading, dish, done, wanted):
        names, stations = self.world.item_names, self.world.station_names
        held = state.held
        stacks = state.stacks
        if len(stacks[dish]) == done and any(self.fits(state, held, layer) for layer in wanted):
            if done == 0:
                return (
                    self._go_then(state, dish, Action("place", held, dish)),
                    f"I put {names[held]} on {stations[dish]}.",
                )
            top = stacks[dish][-1]
            return (
                self._go_then(state, dish, Action("stack", held, top)),
                f"I put {names[held]} on {names[top]} at {stations[dish]}.",
            )
        station = None
        for layer in wanted:  # a layer still to cook or cut goes to a free stove or board
            missing = layer.needs & ~state.flags[held]
            if self.world.item_kinds[held] == layer.kind and missing in _PROCESS:
                station = self._empty(state, (_PROCESS[missing][0],))
                break
        if station is None:
            station = self._empty(state, ("table",), avoid=(dish, *reading.closed))
        if station is None:  # nowhere empty: onto a stack the dish needs least
            recipe = reading.recipe
            needed = {recipe.layers[i].kind for i in reading.remaining}
            kinds = self.world.item_kinds
            # a stove or board a pending layer must still be processed on stays clear
            processing = {
                _PROCESS[layer.needs][0]
                for layer in (recipe.layers[i] for i in reading.remaining)
                if layer.needs in _PROCESS
            }

            def burden(s: int) -> tuple[bool, int, bool, int, int]:
                ready = sum(any(self.fits(state, i, layer) for layer in wanted) for i in stacks[s])
                return (
                    self.world.station_kinds[s] in processing,
                    ready,
                    bool({kinds[i] for i in stacks[s]} & needed),
                    len(stacks[s]),
                    s,
                )

            fetching = self._next_item_station(state, reading, dish, done, wanted)
            closed = (dish, *reading.closed)  # a finished dish is never built on
            others = [s for s in range(self.world.n_stations) if s not in closed and stacks[s]]
            station = min([s for s in others if s != fetching] or others, key=burden)
            top = stacks[station][-1]
            return (
                self._go_then(state, station, Action("stack", held, top)),
                f"I put {names[held]} on {names[top]} at {stations[station]}.",
            )
        return (
            self._go_then(state, station, Action("place", held, station)),
            f"I put {names[held]} on {stations[station]}.",
        )

    def _get(self, state, reading: Reading, dish, done, wanted):
        names, stations = self.world.item_names, self.world.station_names
        stacks = state.stacks
        if len(stacks[dish]) > done:
            return self._fetch(state, stacks[dish][-1])
        where = {item: s for s, stack in enumerate(stacks) for item in stack}
        candidates = self._candidates(state, reading, dish, done)
        for item in candidates:  # a ready item first, the least buried of any next layer
            if any(self.fits(state, item, layer) for layer in wanted):
                return self._fetch(state, item)
        to_process = [  # else one to cook or cut: (item, station kind, verb)
            (item, *_PROCESS[layer.needs & ~state.flags[item]])
            for layer in wanted
            for item in candidates
            if self.world.item_kinds[item] == layer.kind
            and layer.needs & ~state.flags[item] in _PROCESS
        ]
        for item, kind, verb in to_process:  # one alone on its stove or board first
            station = where[item]
            if self.world.station_kinds[station] == kind and stacks[station] == (item,):
                if state.flags[item] & BIT["iscooking"]:
                    return WAIT, f"I wait for {names[item]} to cook."
                return (
                    self._go_then(state, station, Action(verb, item, station)),
                    f"I {verb} {names[item]} at {stations[station]}.",
                )
        for item, kind, _ in to_process:
            if self._empty(state, (kind,)) is not None:
                return self._fetch(state, item)
            # every stove or board is taken: clear the first one (what is on it is put away)
            taken = [s for s in range(self.world.n_stations) if self.world.station_kinds[s] == kind]
            if taken:
                return self._fetch(state, stacks[taken[0]][-1])
        raise RuntimeError("the recipe expert found nothing to do")  # goal unreachable

    def _candidates(self, state: State, reading: Reading, dish: int, done: int) -> list[int]:
        """Items on stations outside the dish's finished part and the finished dishes, the
        least buried first (fewest items above), then by station and item order: the order
        `_get` fetches in."""
        stacks = state.stacks
        in_dish = set(stacks[dish][:done]).union(*(stacks[s] for s in reading.closed))
        rank = {
            item: (len(stack) - 1 - k, s, item)
            for s, stack in enumerate(stacks)
            for k, item in enumerate(stack)
            if item not in in_dish
        }
        return sorted(rank, key=rank.__getitem__)

    def _next_item_station(
        self, state: State, reading: Reading, dish: int, done: int, wanted
    ) -> int | None:
        """The station of the item `_get` would fetch next, a ready one or else one still
        to cook or cut (not to be buried)."""
        candidates = self._candidates(state, reading, dish, done)
        ready = [i for i in candidates if any(self.fits(state, i, layer) for layer in wanted)]
        to_process = [
            i
            for layer in wanted
            for i in candidates
            if self.world.item_kinds[i] == layer.kind and layer.needs & ~state.flags[i] in _PROCESS
        ]
        item = next(iter(ready + to_process), None)
        return (
            None
            if item is None
            else next(s for s, stack in enumerate(state.stacks) if item in stack)
        )

    def _fetch(self, state: State, item: int):
        names, stations = self.world.item_names, self.world.station_names
        station = next(s for s, stack in enumerate(state.stacks) if item in stack)
        stack = state.stacks[station]
        top = stack[-1]
        if len(stack) == 1:
            action = Action("pick", top, station)
        else:
            action = Action("unstack", top, stack[-2])
        return (
            self._go_then(state, station, action),
            f"I need {names[top]} at {stations[station]}.",
        )

    def _empty(self, state: State, kinds: tuple[str, ...], avoid: tuple[int, ...] = ()):
        for s in range(self.world.n_stations):
            if s not in avoid and not state.stacks[s] and self.world.station_kinds[s] in kinds:
                return s
        if kinds == ("table",):
            return next(
                (
                    s
                    for s in range(self.world.n_stations)
                    if s not in avoid
                    and not state.stacks[s]
                    and self.world.station_kinds[s] not in ("stove", "board", "fryer")
                ),
                None,
            )
        return None


def recipe_plan(world: World, max_steps: int) -> list[tuple[State, Decision]]:
    """The recipe expert's plan from the world's initial state.

    Args:
        world: The compiled layout.
        max_steps: The most steps allowed.

    Returns:
        (state, decision) per step, the state being the one decided in, until the goal
        holds; [] if it holds at the start.

    Raises:
        RuntimeError: The goal does not hold after `max_steps` steps.
    """
    expert = RecipeExpert(world)
    state, steps = world.initial, []
    while not world.goal_reached(state):
        if len(steps) >= max_steps:
            raise RuntimeError(f"the recipe expert did not finish within {max_steps} steps")
        decision = expert.decide(state)
        steps.append((state, decision))
        state = apply(world, state, decision.action)
    return steps
