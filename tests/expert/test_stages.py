"""The `layouts` and `expert` stages: files, splits, determinism and bad input."""

from __future__ import annotations

import json

import pytest

from stgrpo.config import ConfigError, StageError, compose
from stgrpo.expert.layouts import panel_hash
from stgrpo.expert.trajectories import read_trajectories
from stgrpo.kitchen import World
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.layout import LayoutError, read_layout_records
from stgrpo.kitchen.tasks import get_task
from stgrpo.stages import layouts as layouts_stage
from stgrpo.stages.trajectories import main as expert_main


def config(tmp_path, *overrides, task="cheese_sandwich"):
    return compose(
        [
            f"results_dir={tmp_path}",
            f"task={task}",
            "layouts.train.count=4",
            "layouts.test.count=3",
            *overrides,
        ]
    )


def files_of(root):
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    cfg = config(root)
    layouts_stage.main(cfg)
    expert_main(cfg)
    return root, cfg


def test_splits_are_disjoint_annotated_and_start_with_the_default(built):
    root, _ = built
    train = list(read_layout_records(root / "layouts/cheese_sandwich/train.jsonl"))
    test = list(read_layout_records(root / "layouts/cheese_sandwich/test.jsonl"))
    assert len(train) == 4 and len(test) == 4  # 3 generated + Robotouille's default
    assert test[0][0].content_hash == get_task("cheese_sandwich").default_layout.content_hash
    assert not {lay.content_hash for lay, _ in train} & {lay.content_hash for lay, _ in test}
    from stgrpo.expert.heuristic import AssemblyHeuristic
    from stgrpo.expert.planner import solve

    for layout, record in train + test:
        world = World.from_layout(layout)
        assert record["optimal_steps"] == solve(world, heuristic=AssemblyHeuristic(world)).length
    meta = json.loads((root / "layouts/cheese_sandwich/test.meta.json").read_text())
    assert meta["panel_hash"] == panel_hash([lay for lay, _ in test])


def test_planner_trajectories_replay_and_summary_adds_up(built):
    root, _ = built
    records = read_trajectories(root / "trajectories/planner/cheese_sandwich.jsonl")
    summary = json.loads((root / "trajectories/planner/cheese_sandwich.summary.json").read_text())
    layouts = {
        lay.content_hash: (lay, rec)
        for lay, rec in read_layout_records(root / "layouts/cheese_sandwich/train.jsonl")
    }
    episodes = sorted({r["episode"] for r in records})
    assert episodes == list(range(4)) and summary["kept"] == summary["attempts"] == 4
    for episode in episodes:
        steps = [r for r in records if r["episode"] == episode]
        layout, layout_record = layouts[steps[0]["layout"]]
        env = KitchenEnv(layout)
        observation, _ = env.reset()
        for step in steps:
            assert step["observation"] == observation
            assert step["action"] in step["optimal_actions"]
            observation, _, _done, _ = env.step(step["action"])
        assert env.success and len(steps) == layout_record["optimal_steps"]
    assert summary["gap_to_optimal"] == 0.0
    assert summary["mean_length"] == len(records) / 4


def test_same_config_same_bytes_and_workers_do_not_matter(built, tmp_path):
    root, _ = built
    cfg = config(tmp_path, "layouts.workers=2")
    layouts_stage.main(cfg)
    expert_main(cfg)
    first, again = files_of(root), files_of(tmp_path)
    first.pop("trajectories/planner/cheese_sandwich.config.yaml")
    again.pop("trajectories/planner/cheese_sandwich.config.yaml")
    assert first == again


def test_unsolvable_layouts_are_named_then_fail_or_skip(tmp_path):
    cfg = config(tmp_path, "layouts.max_states=3", task="burger")
    with pytest.raises(StageError, match=r"layout burger/seed=0/hash=\w{16}: search stopped"):
        layouts_stage.main(cfg)
    assert not (tmp_path / "layouts").exists()  # nothing half-written
    skip = config(tmp_path, "layouts.max_states=3", "layouts.on_unsolvable=skip", task="burger")
    with pytest.raises(StageError, match="only 0 of 4 new burger layouts"):
        layouts_stage.main(skip)  # every layout skipped: the generator gives up, bounded


def test_expert_stage_skips_a_layout_beyond_its_search_limit(built, tmp_path):
    root, _ = built
    (tmp_path / "layouts").symlink_to(root / "layouts")
    fail = config(tmp_path, "expert.max_states=3")
    with pytest.raises(StageError, match=r"layout \w{16} \(seed \d+\): search stopped"):
        expert_main(fail)
    skip = config(tmp_path, "expert.max_states=3", "layouts.on_unsolvable=skip")
    with pytest.raises(StageError, match="no trajectory of cheese_sandwich was kept"):
        expert_main(skip)
    assert not (tmp_path / "trajectories").exists()


def test_corrupt_inputs_name_file_and_line(built, tmp_path):
    root, _ = built
    bad = tmp_path / "layouts" / "cheese_sandwich"
    bad.mkdir(parents=True)
    lines = (root / "layouts/cheese_sandwich/train.jsonl").read_text().splitlines()
    (bad / "train.jsonl").write_text(lines[0] + "\n" + lines[1][:50] + "\n")
    with pytest.raises(LayoutError, match=r"train.jsonl:2: not valid JSON"):
        expert_main(config(tmp_path))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"episode": 0}\n')
    with pytest.raises(StageError, match=r"broken.jsonl:1: missing keys"):
        read_trajectories(broken)


def test_robotouille_files_join_train_and_leave_the_test_panel(examples_dir, tmp_path):
    default_file = examples_dir / f"{get_task('cheese_sandwich').robotouille_example}.json"
    cfg = config(tmp_path, f"layouts.train.files=[{default_file}]", "layouts.train.count=1")
    layouts_stage.main(cfg)
    train = list(read_layout_records(tmp_path / "layouts/cheese_sandwich/train.jsonl"))
    test = list(read_layout_records(tmp_path / "layouts/cheese_sandwich/test.jsonl"))
    assert len(train) == 2 and train[0][1]["optimal_steps"] == 8  # Robotouille's file
    assert train[0][0].task == "cheese_sandwich"
    assert train[0][0].content_hash not in {lay.content_hash for lay, _ in test}
    assert len(test) == 3  # the default is the train file: only generated layouts remain
    missing = config(tmp_path, "layouts.train.files=[/nonexistent.json]")
    with pytest.raises(ConfigError, match="not found"):
        layouts_stage.main(missing)


def test_the_test_panel_keeps_only_layouts_an_optimal_agent_finishes_in_time(tmp_path):
    # burger: some generated layouts need more than the paper's 15 turns
    cfg = config(tmp_path, "layouts.test.count=12", "layouts.train.count=2", task="burger")
    layouts_stage.main(cfg)
    folder = tmp_path / "layouts/burger"
    test = list(read_layout_records(folder / "test.jsonl"))
    assert len(test) == 13 and all(r["optimal_steps"] <= 15 for _, r in test)
    meta = json.loads((folder / "test.meta.json").read_text())
    assert meta["skipped_over_timeout"]  # these seeds do include longer layouts
    train_meta = json.loads((folder / "train.meta.json").read_text())
    assert train_meta["skipped_over_timeout"] == []  # train keeps long layouts


def test_recipe_expert_stage_writes_replayable_trajectories(built):
    root, _ = built
    cfg = config(root, "expert=recipe")
    expert_main(cfg)
    records = read_trajectories(root / "trajectories/recipe/cheese_sandwich.jsonl")
    layouts = {
        lay.content_hash: lay
        for lay, _ in read_layout_records(root / "layouts/cheese_sandwich/train.jsonl")
    }
    assert {r["layout"] for r in records} == set(layouts)
    for layout_hash, layout in layouts.items():
        steps = [r for r in records if r["layout"] == layout_hash]
        env = KitchenEnv(layout)
        env.reset()
        for record in steps:
            assert record["thought"].startswith("Dish")
            env.step(record["action"])
        assert env.success


def test_the_recipe_expert_cooks_a_two_dish_task_on_unsolved_layouts(tmp_path):
    # the exact planner is too slow for the two-dish tasks: neither split is solved
    cfg = config(
        tmp_path,
        "expert=recipe",
        "layouts.train.solve=false",
        "layouts.test.solve=false",
        "layouts.test.within_timeout=false",
        task="two_lettuce_chicken_sandwich",
    )
    layouts_stage.main(cfg)
    test = list(read_layout_records(tmp_path / "layouts/two_lettuce_chicken_sandwich/test.jsonl"))
    assert len(test) == 4 and {record["optimal_steps"] for _, record in test} == {None}
    expert_main(cfg)
    records = read_trajectories(tmp_path / "trajectories/recipe/two_lettuce_chicken_sandwich.jsonl")
    episodes = {}
    for record in records:
        episodes.setdefault(record["layout"], []).append(record)
    assert len(episodes) == 4
    layouts = {
        layout.content_hash: layout
        for layout, _ in read_layout_records(
            tmp_path / "layouts/two_lettuce_chicken_sandwich/train.jsonl"
        )
    }
    for digest, steps in episodes.items():
        env = KitchenEnv(World.from_layout(layouts[digest]))
        env.reset()
        for record in steps:
            assert record["thought"].startswith("Dish")
            env.step(record["action"])
        assert env.success
        assert steps[-1]["thought"].startswith("Dishes done: ")  # the second dish last


def test_train_layouts_unsolved_for_an_expert_that_needs_no_plans(built, tmp_path):
    cfg = config(tmp_path, "layouts.train.solve=false", "expert=recipe")
    layouts_stage.main(cfg)
    train = list(read_layout_records(tmp_path / "layouts/cheese_sandwich/train.jsonl"))
    solved = list(read_layout_records(built[0] / "layouts/cheese_sandwich/train.jsonl"))
    assert [lay.content_hash for lay, _ in train] == [lay.content_hash for lay, _ in solved]
    assert {record["optimal_steps"] for _, record in train} == {None}
    meta = json.loads((tmp_path / "layouts/cheese_sandwich/train.meta.json").read_text())
    assert meta["mean_optimal_steps"] is None
    expert_main(cfg)  # the recipe expert cooks them all the same
    assert read_trajectories(tmp_path / "trajectories/recipe/cheese_sandwich.jsonl")
    for bad in (
        ["layouts.test.solve=false"],
        ["layouts.train.solve=false", "layouts.train.within_timeout=true"],
        ["layouts.train.solve=no"],
    ):
        with pytest.raises(ConfigError, match=r"layouts\.(train|test)\.solve"):
            layouts_stage.main(config(tmp_path / "bad", *bad))
    assert not (tmp_path / "bad").exists()


def test_unsolved_train_layouts_get_their_lengths_from_the_planners_own_search(built, tmp_path):
    # layouts.train.solve=false with expert=planner: each train layout is searched once
    root, _ = built
    cfg = config(tmp_path, "layouts.train.solve=false")
    layouts_stage.main(cfg)
    expert_main(cfg)
    name = "trajectories/planner/cheese_sandwich.jsonl"
    assert (tmp_path / name).read_bytes() == (root / name).read_bytes()
    assert all(r["optimal_steps"] == r["turns"] for r in read_trajectories(tmp_path / name))
