"""Recovery episodes (expert.recoveries): the recipe expert finishes from a state a random
slip put it in; the trajectories and datasets stages keep them apart from the plain steps."""

from __future__ import annotations

import json
import random

import pytest

from stgrpo.config import ConfigError, compose
from stgrpo.expert.recipe import recipe_plan
from stgrpo.expert.trajectories import read_trajectories, recovery_episodes, recovery_trajectory
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.tasks import PAPER_TASKS
from stgrpo.kitchen.text import compact_state
from stgrpo.kitchen.world import World
from stgrpo.stages import layouts as layouts_stage
from stgrpo.stages.datasets import main as datasets_main
from stgrpo.stages.trajectories import main as expert_main


@pytest.mark.parametrize("task", PAPER_TASKS)
def test_a_recovery_starts_off_the_plan_and_labels_each_state_with_a_valid_action(task):
    off_path = 0
    for seed in range(40):
        world = World.from_layout(generate_layout(task, seed))
        on_plan = {compact_state(world, state) for state, _ in recipe_plan(world, 200)}
        steps = recovery_trajectory(world, random.Random(seed), slips=2)
        if not steps:
            continue
        assert [s.step for s in steps] == list(range(len(steps)))
        off_path += steps[0].state not in on_plan
        for step in steps:
            assert step.action in step.valid_actions and step.thought.startswith("Dish")
    assert off_path >= 20  # most slips leave the expert's own path


def test_recovery_episodes_are_seeded():
    layout = generate_layout("burger", 4)
    first = recovery_episodes((layout, "0:h", 3, 1))
    assert first == recovery_episodes((layout, "0:h", 3, 1))
    assert first != recovery_episodes((layout, "1:h", 3, 1))
    assert 1 <= len(first) <= 3


def _config(tmp_path, *overrides):
    return compose(
        [
            f"results_dir={tmp_path}",
            "task=burger",
            "expert=recipe",
            "layouts.train.count=12",
            "layouts.train.solve=false",
            "layouts.test.count=2",
            *overrides,
        ]
    )


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    root = tmp_path_factory.mktemp("recovered")
    cfg = _config(root, "expert.recoveries=2")
    layouts_stage.main(cfg)
    expert_main(cfg)
    return root


def test_the_stage_appends_marked_recovery_episodes_that_reach_the_goal(recovered, tmp_path):
    records = read_trajectories(recovered / "trajectories/recipe/burger.jsonl")
    plain = [r for r in records if not r.get("recovery")]
    extra = [r for r in records if r.get("recovery")]
    assert extra and records[: len(plain)] == plain  # appended after the plain episodes
    assert min(r["episode"] for r in extra) == max(r["episode"] for r in plain) + 1
    summary = json.loads((recovered / "trajectories/recipe/burger.summary.json").read_text())
    assert summary["kept"] == 12 and summary["recovery_steps"] == len(extra)
    # without recoveries the plain records are the same bytes
    cfg = _config(tmp_path)
    layouts_stage.main(cfg)
    expert_main(cfg)
    lines = (recovered / "trajectories/recipe/burger.jsonl").read_text().splitlines()
    again = (tmp_path / "trajectories/recipe/burger.jsonl").read_text().splitlines()
    assert lines[: len(again)] == again and len(again) == len(plain)


def test_recovery_rows_go_only_to_the_named_train_files(recovered, tmp_path):
    def manifest(*overrides):
        out = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
        datasets_main(
            _config(recovered, f"paths.datasets={out}", "data.val_fraction=0.25", *overrides)
        )
        return json.loads((out / "datasets/burger/manifest.json").read_text())

    both, rl_only, none = (
        manifest(),
        manifest("data.recoveries_in=[rl]"),
        manifest("data.recoveries_in=[]"),
    )
    steps = both["recovery_steps"]["sft"]
    assert steps > 0 and rl_only["recovery_steps"] == {"sft": 0, "rl": steps}
    files = {name: m["files"] for name, m in (("both", both), ("rl", rl_only), ("none", none))}
    assert files["rl"]["sft_train.parquet"] == files["none"]["sft_train.parquet"]
    assert files["rl"]["rl_train.parquet"] == files["both"]["rl_train.parquet"]
    assert files["both"]["sft_train.parquet"]["rows"] == (
        files["none"]["sft_train.parquet"]["rows"] + steps
    )
    for split in ("sft_val.parquet", "rl_val.parquet"):  # validation stays the plain path
        assert files["both"][split] == files["none"][split]


def test_bad_recovery_settings_stop_before_any_work(recovered, tmp_path):
    with pytest.raises(ConfigError, match=r"'expert\.recoveries' must be at least 0, got -1"):
        expert_main(_config(tmp_path, "expert.recoveries=-1"))
    with pytest.raises(ConfigError, match=r"'expert\.slips' must be at least 1, got 0"):
        expert_main(_config(tmp_path, "expert.slips=0"))
    assert not (tmp_path / "trajectories").exists()
    with pytest.raises(ConfigError, match=r"'data.recoveries_in' may hold only .* got \['val'\]"):
        datasets_main(_config(recovered, f"paths.datasets={tmp_path}", "data.recoveries_in=[val]"))
    assert not (tmp_path / "datasets").exists()
