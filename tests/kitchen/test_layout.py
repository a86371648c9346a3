"""Loading Robotouille's environment files, validation errors, hashing and JSON lines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from stgrpo.kitchen import KitchenEnv, Layout, LayoutError, World
from stgrpo.kitchen.layout import (
    RobotSpec,
    from_robotouille_json,
    load_robotouille_file,
    read_layouts,
    write_layouts,
)
from stgrpo.kitchen.tasks import TASKS

from .conftest import make_layout


def _synchronous_files(examples_dir: Path) -> list[Path]:
    files = sorted((examples_dir / "synchronous").glob("*.json"))
    assert len(files) == 10
    return files


def test_every_synchronous_file_loads_and_round_trips(examples_dir):
    for path in _synchronous_files(examples_dir):
        layout = load_robotouille_file(path)
        again = from_robotouille_json(layout.to_robotouille_json())
        assert again == layout and again.content_hash == layout.content_hash
        raw = json.loads(path.read_text())
        assert layout.to_robotouille_json()["items"] == [
            {"stack-level": 0, **item} for item in raw["items"]
        ]
        observation, info = KitchenEnv(layout).reset()
        assert info["valid_actions"][-1] == "Do nothing"
        assert observation.endswith(f"Goal: {raw['goal_description']}")


def test_other_single_robot_examples_load_or_fail_clearly(examples_dir):
    """Every example either loads or is refused for a named, unsupported feature."""
    reasons = set()
    for path in sorted(examples_dir.rglob("*.json")):
        try:
            World.from_layout(load_robotouille_file(path))
        except LayoutError as error:
            message = str(error)
            assert message.startswith(str(path))
            reasons.add(
                next(r for r in ("containers", "wildcard", "exactly one robot") if r in message)
            )
    assert reasons == {"containers", "wildcard", "exactly one robot"}


def test_paper_default_layouts_equal_robotouille_files(examples_dir):
    for task in TASKS.values():
        loaded = load_robotouille_file(examples_dir / f"{task.robotouille_example}.json")
        assert task.default_layout == loaded, task.name
        assert task.default_layout.content_hash == loaded.content_hash


def test_jsonl_round_trip_and_atomic_write(tmp_path):
    layouts = [TASKS["burger"].default_layout, TASKS["cheeseburger"].default_layout]
    path = tmp_path / "layouts.jsonl"
    write_layouts(path, layouts)
    assert list(read_layouts(path)) == layouts
    assert [p.name for p in tmp_path.iterdir()] == ["layouts.jsonl"]  # no temp file left
    record = json.loads(path.read_text().splitlines()[0])
    assert set(record) == {"task", "seed", "hash", "layout"} and record["task"] == "burger"


def test_write_failure_leaves_no_file(tmp_path):
    def broken():
        yield TASKS["burger"].default_layout
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_layouts(tmp_path / "out.jsonl", broken())
    assert list(tmp_path.iterdir()) == []


def test_hash_ignores_task_and_seed_but_not_content():
    layout = TASKS["burger"].default_layout
    renamed = replace(layout, task="other", seed=99)
    assert renamed.content_hash == layout.content_hash
    moved = replace(layout, robot=RobotSpec(1, 3, 1, 0))  # starts facing the table at (2, 3)
    World.from_layout(moved)
    assert moved.content_hash != layout.content_hash


def _burger_json() -> dict:
    return TASKS["burger"].default_layout.to_robotouille_json()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["items"].__setitem__(0, {**d["items"][0], "name": "pizza"}),
            "'items[0].name' is an unknown item 'pizza'",
        ),
        (
            lambda d: d["stations"].__setitem__(0, {**d["stations"][0], "name": "oven"}),
            "'stations[0].name' is an unknown station 'oven'",
        ),
        (lambda d: d.pop("goal"), "missing required key 'goal'"),
        (lambda d: d.__setitem__("width", "5"), "'width' must be an integer"),
        (
            lambda d: d["items"].__setitem__(0, {**d["items"][0], "x": 9}),
            "'items[0]' at (9, 1) lies outside the 5x5 grid",
        ),
        (
            lambda d: d["items"].__setitem__(0, {**d["items"][0], "x": 4, "y": 4}),
            "'items[0]' (bottombun) at (4, 4) is neither on a station nor in the robot's hand",
        ),
        (lambda d: d["players"].append(dict(d["players"][0])), "exactly one robot"),
        (lambda d: d["players"][0].__setitem__("direction", [1, 1]), "'players[0].direction'"),
        (lambda d: d["players"][0].__setitem__("direction", [0, 1]), "which is not a station"),
        (
            lambda d: d.__setitem__("containers", [{"name": "pot", "x": 0, "y": 1}]),
            "'containers' are not supported",
        ),
        (
            lambda d: d["goal"][0].__setitem__("predicate", "on_fire"),
            "'goal[0].predicate' is unknown",
        ),
        (lambda d: d["goal"][0].__setitem__("args", ["bottombun"]), "equal length"),
        (
            lambda d: d["items"][2].__setitem__("predicates", ["isburnt"]),
            "unknown predicate 'isburnt'",
        ),
        (
            lambda d: d["config"].__setitem__("cook_time", {"patty": 0}),
            "'config.cook_time.patty' must be >= 1",
        ),
    ],
)
def test_malformed_layouts_name_what_is_wrong(edit, message):
    data = _burger_json()
    edit(data)
    with pytest.raises(
        LayoutError,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]"),
    ):
        from_robotouille_json(data, source="burger.json")


def test_bad_files_name_the_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(LayoutError, match=r"broken.json: not valid JSON"):
        load_robotouille_file(broken)
    with pytest.raises(LayoutError, match=r"missing.json: no such file"):
        load_robotouille_file(tmp_path / "missing.json")
    lines = tmp_path / "layouts.jsonl"
    lines.write_text(json.dumps(TASKS["burger"].default_layout.to_record()) + "\n{oops\n")
    with pytest.raises(LayoutError, match=r"layouts.jsonl:2: not valid JSON"):
        list(read_layouts(lines))


def test_tampered_record_hash_is_rejected(tmp_path):
    record = TASKS["burger"].default_layout.to_record()
    record["layout"]["items"][0]["x"] = 2
    record["layout"]["items"][0]["y"] = 3
    record["layout"]["items"][0]["stack-level"] = 1
    with pytest.raises(LayoutError, match="'hash' is"):
        Layout.from_record(record)


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        ("iscooked(patty#1) iscooked(patty#2)", "needs 2 distinct patty"),
        ("atop(cheese#1, patty#2)", "needs a cheese"),
        ("iscut(patty#1)", r"iscut\(patty#1\) can never hold"),
        ("iscooked(patty#1) item_on(patty#1, stove#2)", "needs a stove"),
        ("iscooked(patty#a)", "no item in the layout has that id"),
    ],
)
def test_unsolvable_goals_are_refused_before_any_work(goal, message):
    layout = make_layout(
        stations=[("table", 0, 1)], items=[("patty", 0, 1, 0, "iscookable")], goal=goal
    )
    with pytest.raises(LayoutError, match=message):
        World.from_layout(layout)


def test_goal_ids_bind_like_robotouille():
    """A numeric id shared by two kinds binds the kind that used it first (lettuce sandwich)."""
    from stgrpo.kitchen.rules import apply
    from stgrpo.kitchen.search import shortest_plan

    world = World.from_layout(TASKS["lettuce_sandwich"].default_layout)
    plan = shortest_plan(world)
    state = world.initial
    for action in plan:
        state = apply(world, state, action)
    (binding,) = world.goal.bindings(state)
    assert world.item_names[binding["3"]] == "lettuce1"
