"""The dishes a recipe goal builds, read off a kitchen state: which table holds the dish in
progress, how many of its layers are done, and which layer the recipe needs next.

`read_recipes(goal)` turns a goal's literals into the stacks they describe, one per table
id: one for the paper's four tasks and the lettuce and tomato sandwiches and burgers, two
for Robotouille's two-dish tasks. `DishReader(world).situation(state)` is the reading in
words ("Dish at table2, 1 done, top bottombun1. Next: patty."): a function of the state
and the goal only, which the recipe expert decides from and which a prompt template may
show as the dish's progress (`progress_text`).

1. Dishes are built one after the other, in the goal's order. The dish of a recipe is the
   table, among those not holding a finished earlier dish, whose stack starts with the
   recipe's base and follows the recipe furthest (ties: the first table); with none yet,
   the base is the next layer and the dish goes on `base_table` (the first empty such
   table, else the one with the fewest items).
2. The layers between the base and the top go in any order when the goal says so
   (`item_at` literals), else in the goal's `atop` order.
3. A finished earlier dish is named first ("Dishes done: table2. Dish at table5, ..."),
   so its items are not taken for the next dish's layers; one-dish goals never show it.
"""

from __future__ import annotations

from dataclasses import dataclass

from stgrpo.kitchen.domain import BIT
from stgrpo.kitchen.state import State
from stgrpo.kitchen.world import World

_NEEDS = {"iscooked": BIT["iscooked"], "iscut": BIT["iscut"], "isfried": BIT["isfried"]}
DONE_PREFIX = "Dishes done: "  # the reading's first words once an earlier dish is finished


class NotARecipeError(ValueError):
    """The task's goal is not stacks on tables the recipe expert can build."""


@dataclass(frozen=True)
class Layer:
    kind: str
    needs: int  # property bits the item must have (cooked, cut)


@dataclass(frozen=True)
class Recipe:
    layers: tuple[Layer, ...]  # bottom to top
    ordered: bool  # False: the layers between the base and the top go in any order


@dataclass(frozen=True)
class Reading:
    """The dish in progress in one state."""

    recipe: Recipe  # the first recipe whose dish is not finished (the last one once all are)
    dish: int | None  # its table; None: not started
    done: int  # its finished layers, bottom up
    remaining: list[int]  # indices of its layers still to add
    closed: tuple[int, ...]  # tables holding the finished earlier dishes


def read_recipes(goal) -> tuple[Recipe, ...]:
    """The stacks a goal describes, one per `item_on(base, table)` literal in goal order:
    the base, then an `atop` chain (ordered) or the `item_at` items of that table with a
    `clear` one on top (any order in between)."""
    needs: dict = {}
    for literal in goal:
        if literal.predicate in _NEEDS:
            needs[literal.ids[0]] = needs.get(literal.ids[0], 0) | _NEEDS[literal.predicate]
    kinds: dict = {}  # an id binds the kind it is first used with, as compiling a goal does
    for literal in goal:  # (Robotouille's lettuce sandwich reuses the lettuce's id as cheese)
        for kind, ident in zip(literal.args, literal.ids, strict=True):
            kinds.setdefault(ident, kind)
    bases = [literal for literal in goal if literal.predicate == "item_on"]
    tables = [base.ids[1] for base in bases]
    if not bases or any(b.args[1] != "table" for b in bases) or len(set(tables)) != len(tables):
        raise NotARecipeError("the recipe expert builds dishes on tables, one per table")
    orders = [_layer_order(goal, *base.ids) for base in bases]
    items = {
        ident
        for lit in goal
        for ident, kind in zip(lit.ids, lit.args, strict=True)
        if kind != "table"
    }
    flat = [ident for order in orders for ident in order]
    if set(flat) != items or len(flat) != len(set(flat)):
        raise NotARecipeError("the recipe expert builds dishes on tables, one per table")
    ordered = _is_chain(goal)
    return tuple(
        Recipe(tuple(Layer(kinds[i], needs.get(i, 0)) for i in order), ordered) for order in orders
    )


def read_recipe(goal) -> Recipe:
    """The one stack a one-dish goal describes (`read_recipes`)."""
    recipes = read_recipes(goal)
    if len(recipes) != 1:
        raise NotARecipeError(f"the goal has {len(recipes)} dishes, not one")
    return recipes[0]


def _is_chain(goal) -> bool:
    return any(literal.predicate == "atop" for literal in goal)


def _layer_order(goal, base, table) -> list:
    """The ids of one dish, bottom first: its `atop` chain from `base`, else `base`, its
    `item_at(., table)` items, then its `clear` ones."""
    above = {lit.ids[1]: lit.ids[0] for lit in goal if lit.predicate == "atop"}
    if above:
        order = [base]
        while order[-1] in above and above[order[-1]] not in order:
            order.append(above[order[-1]])
        return order
    at_table = [lit.ids[0] for lit in goal if lit.predicate == "item_at" and lit.ids[1] == table]
    clear = {lit.ids[0] for lit in goal if lit.predicate == "clear"}
    middle = [i for i in at_table if i not in clear and i != base]
    return [base, *middle, *[i for i in at_table if i in clear]]


class DishReader:
    """Reads the dish in progress off a state (raises NotARecipeError for other goals)."""

    def __init__(self, world: World):
        self.world = world
        self.recipes = read_recipes(world.layout.goal)
        kinds = world.station_kinds
        self.tables = [s for s in range(world.n_stations) if kinds[s] == "table"]

    def fits(self, state: State, item: int, layer: Layer) -> bool:
        return (
            self.world.item_kinds[item] == layer.kind
            and state.flags[item] & layer.needs == layer.needs
        )

    def progress(self, state: State, station: int, recipe: Recipe) -> tuple[int, list[int]]:
        """(items of the station's stack that follow the recipe, layers still to add)."""
        layers = recipe.layers
        stack = state.stacks[station]
        if not stack or not self.fits(state, stack[0], layers[0]):
            return 0, list(range(len(layers)))
        remaining = list(range(1, len(layers)))
        done = 1
        for item in stack[1:]:
            match = next(
                (i for i in next_layers(recipe, remaining) if self.fits(state, item, layers[i])),
                None,
            )
            if match is None:
                break
            remaining.remove(match)
            done += 1
        return done, remaining

    def read(self, state: State) -> Reading:
        """The first recipe whose dish is not finished (the last one once all are), on the
        tables the finished ones leave free."""
        closed: list[int] = []
        for recipe in self.recipes[:-1]:
            reading = self._read_dish(state, recipe, tuple(closed))
            if reading.remaining:
                return reading
            closed.append(reading.dish)
        return self._read_dish(state, self.recipes[-1], tuple(closed))

    def _read_dish(self, state: State, recipe: Recipe, closed: tuple[int, ...]) -> Reading:
        """The recipe's dish: the open table whose stack follows it furthest."""
        dish, done, remaining = None, 0, list(range(len(recipe.layers)))
        for table in self.tables:
            if table not in closed:
                table_done, table_remaining = self.progress(state, table, recipe)
                if table_done > done:
                    dish, done, remaining = table, table_done, table_remaining
        return Reading(recipe, dish, done, remaining, closed)

    def base_table(self, state: State, closed: tuple[int, ...] = ()) -> int:
        """Where a new dish goes: the first empty table not holding a finished dish, else
        the one with the fewest items (cleared first)."""
        open_tables = [s for s in self.tables if s not in closed]
        return min(open_tables, key=lambda s: (len(state.stacks[s]), s))

    def situation(
        self, state: State, reading: Reading | None = None
    ) -> tuple[str, int, int, list[Layer]]:
        """(the thought's first sentences, dish station, its finished layers, next layers):
        "Dish at table2, 1 done, top bottombun1. Next: patty." A new dish goes on
        `base_table`. `reading`: the state's `read`, if the caller has it already."""
        names, stations = self.world.item_names, self.world.station_names
        reading = self.read(state) if reading is None else reading
        recipe, dish, done = reading.recipe, reading.dish, reading.done
        wanted = [recipe.layers[i] for i in next_layers(recipe, reading.remaining)]
        if dish is None:
            wanted = [recipe.layers[0]]
            dish = self.base_table(state, reading.closed)
            where = f"Dish: none, base at {stations[dish]}."
        else:
            top = names[state.stacks[dish][done - 1]]
            where = f"Dish at {stations[dish]}, {done} done, top {top}."
        if reading.closed:
            where = f"{DONE_PREFIX}{', '.join(stations[s] for s in reading.closed)}. {where}"
        if not wanted:
            return f"{where} The dish is done.", dish, done, wanted
        return (
            f"{where} Next: {' or '.join(sorted({layer.kind for layer in wanted}))}.",
            dish,
            done,
            wanted,
        )


def next_layers(recipe: Recipe, remaining: list[int]) -> list[int]:
    """The layers that may go on next: the first remaining one of an ordered recipe, else
    any remaining one but the top (the top only last)."""
    if not remaining or recipe.ordered or len(remaining) == 1:
        return remaining[:1]
    top = len(recipe.layers) - 1
    return [i for i in remaining if i != top]


def progress_text(world: World, state: State) -> str:
    """The dish's progress in words (`DishReader.situation`), or "" for a goal the recipe
    reader cannot read."""
    try:
        return DishReader(world).situation(state)[0]
    except NotARecipeError:
        return ""
