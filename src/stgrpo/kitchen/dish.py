"""The dish a one-stack recipe builds, read off a kitchen state: which table holds it, how
many of its layers are done, and which layer the recipe needs next.

`read_recipe(goal)` turns a goal's literals into the stack they describe (the paper's four
tasks and the lettuce and tomato sandwiches and burgers; a two-dish goal raises
`NotARecipeError`). `DishReader(world).situation(state)` is the reading in words ("Dish at
table2, 1 done, top bottombun1. Next: patty."): a function of the state and the goal only,
which the recipe expert decides from and which a prompt template may show as the dish's
progress (`progress_text`).

1. The dish is the table whose stack starts with the recipe's base and follows the recipe
   furthest (ties: the first table); with none yet, the base is the next layer and the dish
   goes on `base_table` (the first empty table, else the one with the fewest items).
2. The layers between the base and the top go in any order when the goal says so (`item_at`
   literals), else in the goal's `atop` order.
"""

from __future__ import annotations

from dataclasses import dataclass

from stgrpo.kitchen.domain import BIT
from stgrpo.kitchen.state import State
from stgrpo.kitchen.world import World

_NEEDS = {"iscooked": BIT["iscooked"], "iscut": BIT["iscut"], "isfried": BIT["isfried"]}


class NotARecipeError(ValueError):
    """The task's goal is not one stack the recipe expert can build."""


@dataclass(frozen=True)
class Layer:
    kind: str
    needs: int  # property bits the item must have (cooked, cut)


@dataclass(frozen=True)
class Recipe:
    layers: tuple[Layer, ...]  # bottom to top
    ordered: bool  # False: the layers between the base and the top go in any order


def read_recipe(goal) -> Recipe:
    """The stack a goal describes: an `item_on` base, then an `atop` chain (ordered) or
    `item_at` items with a `clear` one on top (any order in between)."""
    needs: dict = {}
    for literal in goal:
        if literal.predicate in _NEEDS:
            needs[literal.ids[0]] = needs.get(literal.ids[0], 0) | _NEEDS[literal.predicate]
    kinds: dict = {}  # an id binds the kind it is first used with, as compiling a goal does
    for literal in goal:  # (Robotouille's lettuce sandwich reuses the lettuce's id as cheese)
        for kind, ident in zip(literal.args, literal.ids, strict=True):
            kinds.setdefault(ident, kind)
    bases = [literal for literal in goal if literal.predicate == "item_on"]
    if len(bases) != 1 or bases[0].args[1] != "table":
        raise NotARecipeError("the recipe expert builds one dish on a table")
    base, table = bases[0].ids
    above = {lit.ids[1]: lit.ids[0] for lit in goal if lit.predicate == "atop"}
    if above:
        order, ordered = [base], True
        while order[-1] in above:
            order.append(above[order[-1]])
    else:
        tops = [lit.ids[0] for lit in goal if lit.predicate == "clear"]
        middle = [
            lit.ids[0]
            for lit in goal
            if lit.predicate == "item_at" and lit.ids[1] == table and lit.ids[0] not in tops
        ]
        order, ordered = [base, *middle, *tops], False
    items = {
        ident
        for lit in goal
        for ident, kind in zip(lit.ids, lit.args, strict=True)
        if kind != "table"
    }
    if set(order) != items or len(order) != len(set(order)):
        raise NotARecipeError("the recipe expert builds one dish on a table")
    return Recipe(tuple(Layer(kinds[i], needs.get(i, 0)) for i in order), ordered)


class DishReader:
    """Reads the dish of a one-stack recipe off a state (raises NotARecipeError otherwise)."""

    def __init__(self, world: World):
        self.world = world
        self.recipe = read_recipe(world.layout.goal)
        kinds = world.station_kinds
        self.tables = [s for s in range(world.n_stations) if kinds[s] == "table"]

    def fits(self, state: State, item: int, layer: Layer) -> bool:
        return (
            self.world.item_kinds[item] == layer.kind
            and state.flags[item] & layer.needs == layer.needs
        )

    def progress(self, state: State, station: int) -> tuple[int, list[int]]:
        """(items of the station's stack that follow the recipe, layers still to add)."""
        layers = self.recipe.layers
        stack = state.stacks[station]
        if not stack or not self.fits(state, stack[0], layers[0]):
            return 0, list(range(len(layers)))
        remaining = list(range(1, len(layers)))
        done = 1
        for item in stack[1:]:
            match = next(
                (i for i in self.next_layers(remaining) if self.fits(state, item, layers[i])), None
            )
            if match is None:
                break
            remaining.remove(match)
            done += 1
        return done, remaining

    def next_layers(self, remaining: list[int]) -> list[int]:
        if not remaining or self.recipe.ordered or len(remaining) == 1:
            return remaining[:1]
        top = len(self.recipe.layers) - 1
        return [i for i in remaining if i != top]

    def dish(self, state: State) -> tuple[int | None, int, list[int]]:
        best = (None, 0, list(range(len(self.recipe.layers))))
        for table in self.tables:
            done, remaining = self.progress(state, table)
            if done > best[1]:
                best = (table, done, remaining)
        return best

    def base_table(self, state: State) -> int:
        """Where a new dish goes: the first empty table, else the table with the fewest
        items (cleared first)."""
        return min(self.tables, key=lambda s: (len(state.stacks[s]), s))

    def situation(self, state: State) -> tuple[str, int, int, list[Layer]]:
        """(the thought's first sentences, dish station, its finished layers, next layers):
        "Dish at table2, 1 done, top bottombun1. Next: patty." A new dish goes on
        `base_table`."""
        names, stations = self.world.item_names, self.world.station_names
        dish, done, remaining = self.dish(state)
        wanted = [self.recipe.layers[i] for i in self.next_layers(remaining)]
        if dish is None:
            wanted = [self.recipe.layers[0]]
            dish = self.base_table(state)
            where = f"Dish: none, base at {stations[dish]}."
        else:
            top = names[state.stacks[dish][done - 1]]
            where = f"Dish at {stations[dish]}, {done} done, top {top}."
        if not wanted:
            return f"{where} The dish is done.", dish, done, wanted
        return (
            f"{where} Next: {' or '.join(sorted({layer.kind for layer in wanted}))}.",
            dish,
            done,
            wanted,
        )


def progress_text(world: World, state: State) -> str:
    """The dish's progress in words (`DishReader.situation`), or "" for a goal that is not
    one stack (a two-dish task)."""
    try:
        return DishReader(world).situation(state)[0]
    except NotARecipeError:
        return ""
