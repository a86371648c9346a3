"""Rendering and the kitchen command line."""

from __future__ import annotations

import json

import pytest

from stgrpo.kitchen import World, read_layouts
from stgrpo.kitchen.cli import main, parse_seeds
from stgrpo.kitchen.render import render_episode, render_state
from stgrpo.kitchen.rules import apply
from stgrpo.kitchen.search import shortest_plan
from stgrpo.kitchen.tasks import TASKS

PNG = b"\x89PNG\r\n\x1a\n"


def test_render_state_and_episode(tmp_path):
    world = World.from_layout(TASKS["burger"].default_layout)
    states = [world.initial]
    for action in shortest_plan(world):
        states.append(apply(world, states[-1], action))
    render_state(world, states[-1], tmp_path / "state.png", title="done")
    render_episode(world, states, tmp_path / "strip.png")
    render_episode(world, states[:3], tmp_path / "episode.gif")
    assert (tmp_path / "state.png").read_bytes().startswith(PNG)
    assert (tmp_path / "strip.png").read_bytes().startswith(PNG)
    assert (tmp_path / "episode.gif").read_bytes()[:6] in (b"GIF89a", b"GIF87a")


def test_parse_seeds():
    assert parse_seeds("0-3,7,9-10") == [0, 1, 2, 3, 7, 9, 10]


def test_cli_generate_show_render(tmp_path, capsys):
    out = tmp_path / "burger.jsonl"
    assert main(["generate", "--task", "burger", "--seeds", "0-9", "--out", str(out)]) == 0
    layouts = list(read_layouts(out))
    assert [layout.seed for layout in layouts] == list(range(10))
    excluded = tmp_path / "more.jsonl"
    assert (
        main(
            [
                "generate",
                "--task",
                "burger",
                "--seeds",
                "5-14",
                "--exclude",
                str(out),
                "--out",
                str(excluded),
            ]
        )
        == 0
    )
    assert [layout.seed for layout in read_layouts(excluded)] == list(range(10, 15))

    capsys.readouterr()
    assert main(["show", "--layouts", str(out), "--index", "3", "--solve"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("Station ") and "Shortest plan (" in shown

    assert main(["render", "--task", "burger", "--solve", "--out", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").read_bytes().startswith(PNG)
    actions = tmp_path / "actions.txt"
    actions.write_text("Move robot1 from table1 to table3\nFly to the moon\n")
    assert (
        main(
            [
                "render",
                "--task",
                "burger",
                "--actions",
                str(actions),
                "--out",
                str(tmp_path / "a.png"),
            ]
        )
        == 2
    )
    assert "'Fly to the moon'" in capsys.readouterr().err


def test_cli_play_from_stdin(monkeypatch, capsys):
    moves = iter(["Move robot1 from table1 to table3", "3", "not an action", "q"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(moves))
    assert main(["play", "--task", "burger"]) == 0
    printed = capsys.readouterr().out
    assert "'not an action' is not a valid action here" in printed
    assert "robot1 is holding patty1" in printed


def test_cli_play_to_the_goal(monkeypatch, capsys):
    world = World.from_layout(TASKS["burger"].default_layout)
    from stgrpo.kitchen.text import ActionVocabulary

    vocabulary = ActionVocabulary(world)
    moves = iter(vocabulary.text(a) for a in shortest_plan(world))
    monkeypatch.setattr("builtins.input", lambda prompt="": next(moves))
    assert main(["play", "--task", "burger"]) == 0
    assert "Goal reached after 8 steps." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "--layouts", "/nonexistent.jsonl"], "no such file"),
        (["show", "--robotouille", "/nonexistent.json"], "no such file"),
        (["show", "--layouts", "EMPTY", "--index", "5"], "has no layout at index 5"),
    ],
)
def test_cli_errors_are_one_clear_line(tmp_path, capsys, argv, message):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    argv = [str(empty) if a == "EMPTY" else a for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_generate_to_stdout(capsys):
    assert main(["generate", "--task", "cheeseburger", "--seeds", "1-2"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["seed"] for r in records] == [1, 2] and all(len(r["hash"]) == 16 for r in records)


def test_cli_impossible_goal_names_the_file(tmp_path, capsys):
    data = TASKS["burger"].default_layout.to_robotouille_json()
    data["items"] = [item for item in data["items"] if item["name"] != "patty"]
    path = tmp_path / "no_patty.json"
    path.write_text(json.dumps(data))
    assert main(["show", "--robotouille", str(path)]) == 2
    assert f"{path}: goal: needs a patty (id 3) but the layout has none" in capsys.readouterr().err
