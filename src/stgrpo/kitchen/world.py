"""A World: the static part of one kitchen (names, kinds, timers, goal), compiled from a Layout.

Object order and naming follow Robotouille exactly: entities are sorted by (x, y) (stable, so
ties keep file order), numbered per kind from 1 in that order ("table1", "table2", "bread1"),
and a station's items are stacked by ascending stack level.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from stgrpo.kitchen.domain import (
    BIT,
    DEFAULT_COOK_TIME,
    DEFAULT_FRY_TIME,
    DEFAULT_NUM_CUTS,
    ROBOT_KIND,
)
from stgrpo.kitchen.goal import Goal
from stgrpo.kitchen.layout import Layout, from_robotouille_json
from stgrpo.kitchen.state import NOTHING, State


def _numbered(kinds: list[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    names = []
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
        names.append(f"{kind}{seen[kind]}")
    return tuple(names)


def _per_kind(layout: Layout, key: str, kind: str, default: int) -> int:
    table = layout.config.get(key, {})
    return int(table.get(kind, table.get("default", default)))


@dataclass(frozen=True, eq=False)
class World:
    layout: Layout
    station_kinds: tuple[str, ...]
    station_names: tuple[str, ...]
    station_cells: tuple[tuple[int, int], ...]
    station_ids: tuple[str | int | None, ...]
    item_kinds: tuple[str, ...]
    item_names: tuple[str, ...]
    item_ids: tuple[str | int | None, ...]
    cook_ticks: tuple[int, ...]  # per item: ticks on the stove, the Cook step included
    fry_ticks: tuple[int, ...]
    cuts_needed: tuple[int, ...]
    initial: State
    source: str = "layout"  # how error messages name this kitchen
    robot_name: str = f"{ROBOT_KIND}1"

    @classmethod
    def from_layout(cls, layout: Layout, source: str | None = None) -> World:
        """Compile a layout; raises LayoutError if it is not a valid, achievable kitchen.
        `source` names the layout in error messages (default: its task and seed)."""
        if source is None:
            source = f"layout (task {layout.task}, seed {layout.seed})"
        from_robotouille_json(layout.to_robotouille_json(), source=source)
        stations = sorted(layout.stations, key=lambda s: (s.x, s.y))
        items = sorted(layout.items, key=lambda it: (it.x, it.y))
        station_at = {(s.x, s.y): i for i, s in enumerate(stations)}
        stacks: list[list[int]] = [[] for _ in stations]
        held = NOTHING
        robot_cell = (layout.robot.x, layout.robot.y)
        for index in sorted(range(len(items)), key=lambda i: items[i].level):
            cell = (items[index].x, items[index].y)
            if cell == robot_cell:
                held = index
            else:
                stacks[station_at[cell]].append(index)
        flags = tuple(sum(BIT[name] for name in set(item.predicates)) for item in items)
        kinds = [it.kind for it in items]
        initial = State(
            robot=station_at[layout.robot.facing],
            held=held,
            stacks=tuple(tuple(stack) for stack in stacks),
            flags=flags,
            timers=(),
        )
        world = cls(
            layout=layout,
            station_kinds=tuple(s.kind for s in stations),
            station_names=_numbered([s.kind for s in stations]),
            station_cells=tuple((s.x, s.y) for s in stations),
            station_ids=tuple(s.id for s in stations),
            item_kinds=tuple(kinds),
            item_names=_numbered(kinds),
            item_ids=tuple(it.id for it in items),
            cook_ticks=tuple(
                _per_kind(layout, "cook_time", k, DEFAULT_COOK_TIME) + 1 for k in kinds
            ),
            fry_ticks=tuple(_per_kind(layout, "fry_time", k, DEFAULT_FRY_TIME) + 1 for k in kinds),
            cuts_needed=tuple(_per_kind(layout, "num_cuts", k, DEFAULT_NUM_CUTS) for k in kinds),
            initial=initial,
            source=source,
        )
        _ = world.goal  # compile now: a bad or impossible goal fails before any work starts
        return world

    @property
    def n_stations(self) -> int:
        return len(self.station_names)

    @property
    def n_items(self) -> int:
        return len(self.item_names)

    @cached_property
    def goal(self) -> Goal:
        return Goal.compile(self)

    def goal_reached(self, state: State) -> bool:
        return self.goal.holds(state)
