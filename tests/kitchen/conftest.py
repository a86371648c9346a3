"""Helpers to build small kitchens in tests."""

from __future__ import annotations

import pytest

from stgrpo.kitchen import KitchenEnv, World
from stgrpo.kitchen.layout import ItemSpec, Layout, RobotSpec, StationSpec
from stgrpo.kitchen.tasks import parse_goal


def make_layout(
    stations,
    items,
    robot=(1, 1, -1, 0),
    goal="iscooked(patty#1)",
    description="Test goal",
    config=None,
    width=4,
    height=4,
) -> Layout:
    """stations: [(kind, x, y)]; items: [(kind, x, y, level, *predicates)]."""
    return Layout(
        width=width,
        height=height,
        stations=tuple(StationSpec(*s) for s in stations),
        items=tuple(ItemSpec(k, x, y, level, tuple(p)) for k, x, y, level, *p in items),
        robot=RobotSpec(*robot),
        goal=parse_goal(goal),
        goal_description=description,
        config=config or {},
    )


class Driver:
    """A KitchenEnv that fails loudly when a scripted action is not valid."""

    def __init__(self, layout: Layout):
        self.env = KitchenEnv(layout)
        self.env.reset()

    def __call__(self, action: str):
        info = self.env.step(action)[3]
        assert not info["invalid"], f"{action!r} invalid; valid: {info['valid_actions']}"
        return self

    def has(self, item: str, prop: str) -> bool:
        world: World = self.env.world
        from stgrpo.kitchen.domain import BIT

        return bool(self.env.state.flags[world.item_names.index(item)] & BIT[prop])


@pytest.fixture
def two_stoves() -> Layout:
    """Robotouille's cook_patties kitchen: two raw patties on tables, two stoves."""
    return make_layout(
        stations=[("table", 0, 1), ("stove", 2, 1), ("table", 0, 0), ("stove", 2, 0)],
        items=[("patty", 0, 1, 0, "iscookable"), ("patty", 0, 0, 0, "iscookable")],
        robot=(1, 0, -1, 0),
        goal="iscooked(patty#1) iscooked(patty#2)",
        width=3,
        height=3,
    )
