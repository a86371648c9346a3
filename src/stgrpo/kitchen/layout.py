"""Kitchen layouts: Robotouille's environment-JSON format, validated, hashed, stored as JSON lines.

A layout is the initial kitchen of one episode: grid size, stations, where each item starts
(station and stack level, or in the robot's hand), the robot's start, the goal and the timer
config. Its serialised form *is* Robotouille's environment JSON, so any layout can be fed to
the real package, and any Robotouille file loads here. Loading validates everything and
fails with an error naming the file, the key and what was expected.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stgrpo.io import read_jsonl, write_jsonl
from stgrpo.kitchen.domain import ITEM_KINDS, PROPERTIES, RELATIONS, ROBOT_KIND, STATION_KINDS

CONFIG_KEYS = ("cook_time", "fry_time", "num_cuts")


class LayoutError(ValueError):
    """A layout (file or dict) that does not describe a valid kitchen."""


@dataclass(frozen=True)
class StationSpec:
    kind: str
    x: int
    y: int
    id: str | int | None = None


@dataclass(frozen=True)
class ItemSpec:
    kind: str
    x: int
    y: int
    level: int = 0
    predicates: tuple[str, ...] = ()
    id: str | int | None = None


@dataclass(frozen=True)
class RobotSpec:
    """The robot stands on (x, y) and works at the station it faces, (x + dx, y + dy)."""

    x: int
    y: int
    dx: int
    dy: int

    @property
    def facing(self) -> tuple[int, int]:
        return (self.x + self.dx, self.y + self.dy)


@dataclass(frozen=True)
class GoalLiteral:
    """One goal predicate. A numeric id is a variable over objects of that kind (distinct ids
    of one kind bind distinct objects); a string id names the item whose JSON `id` matches."""

    predicate: str
    args: tuple[str, ...]
    ids: tuple[str | int, ...]


@dataclass(frozen=True, eq=True)
class Layout:
    width: int
    height: int
    stations: tuple[StationSpec, ...]
    items: tuple[ItemSpec, ...]
    robot: RobotSpec
    goal: tuple[GoalLiteral, ...]
    goal_description: str
    config: Mapping[str, Mapping[str, int]] = field(default_factory=dict, hash=False)
    task: str | None = field(default=None, compare=False)
    seed: int | None = field(default=None, compare=False)

    # ---- serialisation -------------------------------------------------------------------
    def to_robotouille_json(self) -> dict[str, Any]:
        """This layout as a Robotouille environment-JSON dict (loadable by the real package)."""
        items = []
        for item in self.items:
            entry: dict[str, Any] = {
                "name": item.kind,
                "x": item.x,
                "y": item.y,
                "stack-level": item.level,
            }
            if item.predicates:
                entry["predicates"] = list(item.predicates)
            items.append(_with_id(entry, item.id))
        return {
            "version": "1.0.0",
            "width": self.width,
            "height": self.height,
            "config": {key: dict(value) for key, value in self.config.items()},
            "stations": [
                _with_id({"name": s.kind, "x": s.x, "y": s.y}, s.id) for s in self.stations
            ],
            "items": items,
            "players": [
                {
                    "name": ROBOT_KIND,
                    "x": self.robot.x,
                    "y": self.robot.y,
                    "direction": [self.robot.dx, self.robot.dy],
                }
            ],
            "goal_description": self.goal_description,
            "goal": [
                {"predicate": g.predicate, "args": list(g.args), "ids": list(g.ids)}
                for g in self.goal
            ],
        }

    def canonical_json(self) -> str:
        return json.dumps(self.to_robotouille_json(), sort_keys=True, separators=(",", ":"))

    @property
    def content_hash(self) -> str:
        """Hash of the kitchen itself (not its task name or seed): equal kitchens, equal hash."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def to_record(self) -> dict[str, Any]:
        """One JSON-lines record: task, seed, content hash and the Robotouille-format layout."""
        return {
            "task": self.task,
            "seed": self.seed,
            "hash": self.content_hash,
            "layout": self.to_robotouille_json(),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any], source: str = "<record>") -> Layout:
        if not isinstance(record, Mapping) or "layout" not in record:
            raise LayoutError(f"{source}: expected an object with a 'layout' key")
        layout = from_robotouille_json(record["layout"], source=source)
        layout = replace(layout, task=record.get("task"), seed=record.get("seed"))
        expected = record.get("hash")
        if expected is not None and expected != layout.content_hash:
            raise LayoutError(
                f"{source}: 'hash' is {expected} but the layout hashes to {layout.content_hash}"
            )
        return layout


def _with_id(entry: dict[str, Any], ident: str | int | None) -> dict[str, Any]:
    if ident is not None:
        entry["id"] = ident
    return entry


# ---- loading and validation -------------------------------------------------------------


def load_robotouille_file(path: str | os.PathLike) -> Layout:
    """Load one Robotouille environment JSON file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayoutError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise LayoutError(f"{path}: not valid JSON ({exc})") from None
    return from_robotouille_json(data, source=str(path))


def from_robotouille_json(data: Any, source: str = "<layout>") -> Layout:
    """Validate a Robotouille environment-JSON dict and turn it into a Layout."""
    check = _Checker(source)
    check.that(isinstance(data, Mapping), "expected a JSON object at the top level")
    for key in ("width", "height", "stations", "players", "goal", "goal_description"):
        check.that(key in data, f"missing required key '{key}'")
    for key in ("containers", "meals"):
        check.that(
            not data.get(key),
            f"'{key}' are not supported by this engine (soups need containers and meals)",
        )
    width = check.integer(data["width"], "width", minimum=1)
    height = check.integer(data["height"], "height", minimum=1)
    stations = tuple(
        _station(check, entry, f"stations[{i}]", width, height)
        for i, entry in enumerate(check.listing(data["stations"], "stations"))
    )
    check.that(len(stations) > 0, "'stations' is empty: a kitchen needs at least one station")
    items = tuple(
        _item(check, entry, f"items[{i}]", width, height)
        for i, entry in enumerate(check.listing(data.get("items", []), "items"))
    )
    robot = _robot(check, check.listing(data["players"], "players"), width, height)
    goal = tuple(
        _goal_literal(check, entry, f"goal[{i}]")
        for i, entry in enumerate(check.listing(data["goal"], "goal"))
    )
    check.that(len(goal) > 0, "'goal' is empty")
    description = data["goal_description"]
    check.that(
        isinstance(description, str) and description.strip() != "",
        "'goal_description' must be a non-empty string",
    )
    config = _config(check, data.get("config", {}))
    layout = Layout(width, height, stations, items, robot, goal, description, config)
    _check_placement(check, layout)
    return layout


class _Checker:
    """Raises LayoutError messages that always start with the source name."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, message: str):
        raise LayoutError(f"{self.source}: {message}")

    def that(self, condition: bool, message: str) -> None:
        if not condition:
            self.fail(message)

    def integer(self, value: Any, key: str, minimum: int | None = None) -> int:
        self.that(
            isinstance(value, int) and not isinstance(value, bool),
            f"'{key}' must be an integer, got {value!r}",
        )
        if minimum is not None:
            self.that(value >= minimum, f"'{key}' must be >= {minimum}, got {value}")
        return value

    def listing(self, value: Any, key: str) -> list:
        self.that(isinstance(value, list), f"'{key}' must be a list, got {type(value).__name__}")
        return value

    def entry(self, value: Any, key: str, required: tuple[str, ...]) -> Mapping:
        self.that(isinstance(value, Mapping), f"'{key}' must be an object")
        for name in required:
            self.that(name in value, f"'{key}' is missing '{name}'")
        return value

    def cell(self, entry: Mapping, key: str, width: int, height: int) -> tuple[int, int]:
        x = self.integer(entry["x"], f"{key}.x")
        y = self.integer(entry["y"], f"{key}.y")
        self.that(
            0 <= x < width and 0 <= y < height,
            f"'{key}' at ({x}, {y}) lies outside the {width}x{height} grid",
        )
        return x, y


def _kind(check: _Checker, name: Any, key: str, kinds: Mapping[str, str], what: str) -> str:
    check.that(isinstance(name, str), f"'{key}.name' must be a string")
    if name == what:
        check.fail(
            f"'{key}.name' is the wildcard '{what}': wildcards are not supported "
            f"(Robotouille resolves them with an unseeded random choice)"
        )
    check.that(
        name in kinds,
        f"'{key}.name' is an unknown {what} '{name}'; expected one of {sorted(kinds)}",
    )
    return name


def _station(check, entry, key, width, height) -> StationSpec:
    entry = check.entry(entry, key, ("name", "x", "y"))
    kind = _kind(check, entry["name"], key, STATION_KINDS, "station")
    return StationSpec(kind, *check.cell(entry, key, width, height), _ident(check, entry, key))


def _item(check, entry, key, width, height) -> ItemSpec:
    entry = check.entry(entry, key, ("name", "x", "y"))
    kind = _kind(check, entry["name"], key, ITEM_KINDS, "item")
    x, y = check.cell(entry, key, width, height)
    level = check.integer(entry.get("stack-level", 0), f"{key}.stack-level", minimum=0)
    predicates = entry.get("predicates", [])
    check.that(isinstance(predicates, list), f"'{key}.predicates' must be a list")
    for name in predicates:
        check.that(
            name in PROPERTIES,
            f"'{key}.predicates' has unknown predicate {name!r}; "
            f"expected some of {list(PROPERTIES)}",
        )
    return ItemSpec(kind, x, y, level, tuple(predicates), _ident(check, entry, key))


def _ident(check, entry, key) -> str | int | None:
    ident = entry.get("id")
    check.that(
        ident is None or (isinstance(ident, (str, int)) and not isinstance(ident, bool)),
        f"'{key}.id' must be a string or an integer",
    )
    return ident


def is_variable(ident: str | int) -> bool:
    """Robotouille's rule: a goal id whose text is all digits is a variable."""
    return str(ident).isdigit()


def _robot(check, players, width, height) -> RobotSpec:
    check.that(
        len(players) == 1,
        f"'players' must hold exactly one robot, got {len(players)} "
        f"(multi-agent kitchens are not supported)",
    )
    entry = check.entry(players[0], "players[0]", ("name", "x", "y", "direction"))
    check.that(
        entry["name"] == ROBOT_KIND,
        f"'players[0].name' must be '{ROBOT_KIND}', got {entry['name']!r}",
    )
    x, y = check.cell(entry, "players[0]", width, height)
    direction = entry["direction"]
    check.that(
        isinstance(direction, list)
        and len(direction) == 2
        and all(isinstance(v, int) for v in direction)
        and abs(direction[0]) + abs(direction[1]) == 1,
        f"'players[0].direction' must be one of [0,1], [0,-1], [1,0], [-1,0]; got {direction!r}",
    )
    return RobotSpec(x, y, direction[0], direction[1])


def _goal_literal(check, entry, key) -> GoalLiteral:
    entry = check.entry(entry, key, ("predicate", "args", "ids"))
    predicate = entry["predicate"]
    signature = ("item",) if predicate in PROPERTIES else RELATIONS.get(predicate)
    check.that(
        signature is not None,
        f"'{key}.predicate' is unknown: {predicate!r}; expected one of "
        f"{sorted([*PROPERTIES, *RELATIONS])}",
    )
    args, ids = entry["args"], entry["ids"]
    check.that(
        isinstance(args, list) and isinstance(ids, list) and len(args) == len(ids),
        f"'{key}.args' and '{key}.ids' must be lists of equal length",
    )
    check.that(
        len(args) == len(signature),
        f"'{key}': {predicate} takes {len(signature)} argument(s), got {len(args)}",
    )
    allowed = {"item": ITEM_KINDS, "station": STATION_KINDS, "player": {ROBOT_KIND: ""}}
    for position, (kind, ident, expected) in enumerate(zip(args, ids, signature, strict=True)):
        check.that(
            isinstance(ident, (str, int)) and not isinstance(ident, bool),
            f"'{key}.ids[{position}]' must be an integer or a string",
        )
        # A named object (string id) may be given by its type alone ("item", "station").
        wildcard = kind == expected and not is_variable(ident)
        check.that(
            kind in allowed[expected] or wildcard,
            f"'{key}.args[{position}]' must be a {expected} kind, got {kind!r}",
        )
    return GoalLiteral(predicate, tuple(args), tuple(ids))


def _config(check, config) -> dict[str, dict[str, int]]:
    check.that(isinstance(config, Mapping), "'config' must be an object")
    result: dict[str, dict[str, int]] = {}
    for key, per_kind in config.items():
        check.that(key in CONFIG_KEYS, f"'config.{key}' is unknown; expected some of {CONFIG_KEYS}")
        check.that(isinstance(per_kind, Mapping), f"'config.{key}' must map item kinds to integers")
        for kind, value in per_kind.items():
            check.that(
                kind == "default" or kind in ITEM_KINDS,
                f"'config.{key}.{kind}' names an unknown item kind",
            )
            check.integer(value, f"config.{key}.{kind}", minimum=1)
        result[key] = dict(per_kind)
    return result


def _check_placement(check: _Checker, layout: Layout) -> None:
    cells: dict[tuple[int, int], int] = {}
    for i, station in enumerate(layout.stations):
        cell = (station.x, station.y)
        check.that(
            cell not in cells,
            f"'stations[{i}]' and 'stations[{cells.get(cell)}]' share cell {cell}",
        )
        cells[cell] = i
    robot = layout.robot
    check.that(
        (robot.x, robot.y) not in cells, f"the robot stands on a station at ({robot.x}, {robot.y})"
    )
    check.that(
        robot.facing in cells,
        f"the robot at ({robot.x}, {robot.y}) faces {robot.facing}, which is not a station",
    )
    held = [i for i, it in enumerate(layout.items) if (it.x, it.y) == (robot.x, robot.y)]
    check.that(len(held) <= 1, f"items {held} all start in the robot's hand; it holds one at most")
    for i, item in enumerate(layout.items):
        check.that(
            (item.x, item.y) in cells or i in held,
            f"'items[{i}]' ({item.kind}) at ({item.x}, {item.y}) is neither on a station "
            f"nor in the robot's hand",
        )


# ---- JSON lines --------------------------------------------------------------------------


def write_layouts(
    path: str | os.PathLike,
    layouts: Iterable[Layout],
    annotations: Iterable[Mapping[str, Any]] | None = None,
) -> None:
    """Write layouts as JSON lines, atomically (one record per line, keys sorted).

    `annotations`, one mapping per layout, adds fields to its record (optimal_steps ...)."""
    layouts = list(layouts)
    extras = [{}] * len(layouts) if annotations is None else list(annotations)
    if len(extras) != len(layouts):
        raise ValueError(f"{len(extras)} annotations for {len(layouts)} layouts")
    write_jsonl(
        path,
        ({**layout.to_record(), **extra} for layout, extra in zip(layouts, extras, strict=True)),
    )


def read_layout_records(path: str | os.PathLike) -> Iterator[tuple[Layout, dict[str, Any]]]:
    """Each layout of a JSON-lines file with its whole record (annotations included)."""
    path = Path(path)
    if not path.exists():
        raise LayoutError(f"{path}: no such file")
    for source, record in read_jsonl(path, LayoutError):
        yield Layout.from_record(record, source=source), record


def read_layouts(path: str | os.PathLike) -> Iterator[Layout]:
    for layout, _ in read_layout_records(path):
        yield layout
