"""Procedural kitchens: for a task and an integer seed, a random but solvable layout.

In the spirit of Robotouille's procedural generator (which re-places every station and item
of the task file and adds random distractor stations and items): the task's own stations
and ingredients are kept, with their properties, and placed at random cells; distractor
stations (tables, stoves, boards, fryers, sinks) and distractor items (raw, uncut) are
added; items may land on each other, forming stacks, and one may start in the robot's hand.
Distractor items of a goal kind can stand in for the task's own, so plan lengths vary both
ways around the default's.

Solvable by construction: the task's ingredients are all present with their properties,
there are at least two stations (so any stack can be taken apart by moving its items onto
other stations), and the goal is checked for achievability when the World is compiled.
Deterministic: the random stream depends only on (task, seed), so the same seed gives a
byte-identical layout on any machine and Python version 3.11+.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from stgrpo.kitchen.domain import ITEM_KINDS
from stgrpo.kitchen.layout import ItemSpec, Layout, RobotSpec, StationSpec
from stgrpo.kitchen.tasks import Task, get_task
from stgrpo.kitchen.world import World

log = logging.getLogger(__name__)

# Natural properties of a distractor item: raw patties and chicken can be cooked, vegetables
# cut, potatoes cut then fried (as Robotouille's generator and example files set them).
NATURAL_PROPERTIES: dict[str, tuple[str, ...]] = {
    "patty": ("iscookable",),
    "chicken": ("iscookable",),
    "lettuce": ("iscuttable",),
    "tomato": ("iscuttable",),
    "onion": ("iscuttable",),
    "potato": ("iscuttable", "isfryableifcut"),
}
_DIRECTIONS = ((0, 1), (1, 0), (0, -1), (-1, 0))


@dataclass(frozen=True)
class GeneratorConfig:
    """How much a generated kitchen may differ from the task's default."""

    extra_stations: tuple[int, int] = (0, 4)  # inclusive range of distractor stations
    extra_items: tuple[int, int] = (0, 3)  # inclusive range of distractor items
    station_weights: dict[str, float] = field(
        default_factory=lambda: {
            "table": 4.0,
            "stove": 1.0,
            "board": 1.0,
            "fryer": 1.0,
            "sink": 1.0,
        }
    )
    stack_probability: float = 0.25  # an item lands on an occupied station
    held_probability: float = 0.05  # an item starts in the robot's hand
    width: int | None = None  # default: the task's grid
    height: int | None = None

    def __post_init__(self):
        for key in ("extra_stations", "extra_items"):
            low, high = getattr(self, key)
            if not 0 <= low <= high:
                raise ValueError(
                    f"GeneratorConfig.{key} must be (low, high) with "
                    f"0 <= low <= high, got {(low, high)}"
                )
        for key in ("stack_probability", "held_probability"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise ValueError(
                    f"GeneratorConfig.{key} must lie in [0, 1], got {getattr(self, key)}"
                )
        unknown = set(self.station_weights) - {"table", "stove", "board", "fryer", "sink"}
        if unknown or not any(w > 0 for w in self.station_weights.values()):
            raise ValueError(
                f"GeneratorConfig.station_weights must give positive weight to "
                f"some of table/stove/board/fryer/sink, got {self.station_weights}"
            )


def generate_layout(task: Task | str, seed: int, config: GeneratorConfig | None = None) -> Layout:
    """The layout of `task` for `seed` (an integer): deterministic and solvable."""
    task = get_task(task) if isinstance(task, str) else task
    config = config or GeneratorConfig()
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    rng = random.Random(f"stgrpo-layout/{task.name}/{seed}")
    # A draw whose goal already holds teaches nothing (a zero-length plan): draw again from
    # the same stream, so the seed still decides the layout.
    while True:
        layout = _draw(task, seed, config, rng)
        world = World.from_layout(layout)  # validates placement and goal achievability
        if not world.goal_reached(world.initial):
            return layout


def _draw(task: Task, seed: int, config: GeneratorConfig, rng: random.Random) -> Layout:
    base = task.default_layout
    width, height = config.width or base.width, config.height or base.height

    kinds = [s.kind for s in base.stations] + _draw_station_kinds(rng, config)
    cells = [(x, y) for x in range(width) for y in range(height)]
    if len(kinds) + 1 > len(cells):
        raise ValueError(f"{len(kinds)} stations and a robot do not fit a {width}x{height} grid")
    station_cells = rng.sample(cells, len(kinds))
    stations = tuple(StationSpec(k, x, y) for k, (x, y) in zip(kinds, station_cells, strict=True))
    robot = _place_robot(rng, cells, set(station_cells))

    items = [(it.kind, it.predicates) for it in base.items]
    for _ in range(rng.randint(*config.extra_items)):
        kind = rng.choice(sorted(ITEM_KINDS))
        items.append((kind, NATURAL_PROPERTIES.get(kind, ())))
    rng.shuffle(items)
    placed = _place_items(rng, items, station_cells, robot, config)

    layout = Layout(
        width=width,
        height=height,
        stations=stations,
        items=tuple(placed),
        robot=robot,
        goal=base.goal,
        goal_description=base.goal_description,
        config=base.config,
        task=task.name,
        seed=seed,
    )
    return layout


def _draw_station_kinds(rng: random.Random, config: GeneratorConfig) -> list[str]:
    names = sorted(config.station_weights)
    weights = [config.station_weights[n] for n in names]
    return rng.choices(names, weights, k=rng.randint(*config.extra_stations))


def _place_robot(rng, cells, station_cells: set) -> RobotSpec:
    spots = [
        (x, y, dx, dy)
        for x, y in cells
        if (x, y) not in station_cells
        for dx, dy in _DIRECTIONS
        if (x + dx, y + dy) in station_cells
    ]
    if not spots:
        raise ValueError("no free cell next to a station for the robot")
    return RobotSpec(*rng.choice(spots))


def _place_items(rng, items, station_cells, robot: RobotSpec, config) -> list[ItemSpec]:
    heights = {cell: 0 for cell in station_cells}
    hand_free = True
    placed = []
    for kind, predicates in items:
        if hand_free and rng.random() < config.held_probability:
            hand_free = False
            placed.append(ItemSpec(kind, robot.x, robot.y, 0, tuple(predicates)))
            continue
        empty = [c for c in station_cells if heights[c] == 0]
        pool = station_cells if not empty or rng.random() < config.stack_probability else empty
        x, y = rng.choice(pool)
        placed.append(ItemSpec(kind, x, y, heights[(x, y)], tuple(predicates)))
        heights[(x, y)] += 1
    return placed


def generate_layouts(
    task: Task | str,
    seeds: Iterable[int],
    config: GeneratorConfig | None = None,
    exclude_hashes: Iterable[str] = (),
) -> list[Layout]:
    """Layouts for many seeds, skipping any whose content hash is excluded or already seen
    (so a test split can be made disjoint from a training split by hash)."""
    seen = set(exclude_hashes)
    layouts = []
    for seed in seeds:
        layout = generate_layout(task, seed, config)
        if layout.content_hash in seen:
            log.info("seed %d repeats layout %s; skipped", seed, layout.content_hash)
            continue
        seen.add(layout.content_hash)
        layouts.append(layout)
    return layouts
