"""Invalid-action feedback (react-dish-v5): rejected actions in prompts, in training rows and
in episodes."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from stgrpo.config import ConfigError, compose
from stgrpo.data.datasets import rows
from stgrpo.data.feedback import kitchen_names, rejected_variants, sample_rejected
from stgrpo.data.prompts import MAX_REJECTED, REJECTED_HEADER, build_messages, format_response
from stgrpo.expert.recipe import RecipeExpert
from stgrpo.expert.trajectories import recipe_trajectory, step_record
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.text import ActionVocabulary
from stgrpo.kitchen.world import World
from stgrpo.models.inference import Sampling
from stgrpo.rollout import ChatPolicy, advance, start_episode
from stgrpo.stages.datasets import main as datasets_main

NAME = re.compile(r"\b[a-z]+\d+\b")


def _steps(task: str = "cheeseburger", seed: int = 3):
    return recipe_trajectory(World.from_layout(generate_layout(task, seed)))


def _user(step, template: str, rejected=()) -> str:
    return build_messages(
        step.observation,
        step.valid_actions,
        template,
        step.state,
        step.recipe,
        step.items,
        step.progress,
        rejected,
    )[-1]["content"]


@pytest.mark.parametrize("task", ["cheese_sandwich", "double_cheeseburger"])
def test_variants_swap_one_name_of_the_same_sort_and_are_never_valid(task):
    for step in _steps(task):
        stations, items = kitchen_names([*step.valid_actions, step.items])
        variants = rejected_variants([step.action], step.valid_actions, step.items)
        if not NAME.search(step.action.replace("robot1", "")):
            assert variants == []  # waiting names nothing to swap
        assert step.action not in variants
        for variant in variants:
            assert variant not in step.valid_actions
            ours, theirs = NAME.findall(step.action), NAME.findall(variant)
            changed = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
            assert len(changed) == 1
            ((a, b),) = changed
            assert (a in stations and b in stations) or (a in items and b in items)
        assert variants == sorted(set(variants))


def test_the_shortcut_error_is_among_the_variants():
    # the demo's commonest wasted turn: the item taken from the robot's own station, before
    # the move there; and the next action itself, too early
    steps = _steps()
    for step, following in itertools.pairwise(steps):
        take = re.fullmatch(r"Pick up (\w+) from (\w+) using robot1", following.action)
        here = re.search(r"robot1 at (\w+),", step.items)[1]
        if take and take[2] != here:
            variants = rejected_variants(
                [step.action, following.action], step.valid_actions, step.items
            )
            assert f"Pick up {take[1]} from {here} using robot1" in variants
            assert following.action in variants
            return
    pytest.fail("no move then pick-up in this trajectory")


def test_only_a_template_with_feedback_shows_the_last_rejected_actions():
    step = _steps()[2]
    tried = ["Move robot1 from table9 to table1", "Pick up a using robot1", "b", "c"]
    assert _user(step, "react-dish-v4", tried) == _user(step, "react-dish-v4")
    plain, shown = _user(step, "react-dish-v5"), _user(step, "react-dish-v5", tried)
    assert plain == _user(step, "react-dish-v4")  # nothing rejected: v4's very text
    assert shown == plain + REJECTED_HEADER + "; ".join(tried[-MAX_REJECTED:])


def _records(task="burger", seed=2):
    return [
        {**step_record(s), "layout": "h", "episode": 0}
        for s in recipe_trajectory(World.from_layout(generate_layout(task, seed)))
    ]


def test_feedback_rows_repeat_the_answer_and_are_seeded():
    records = _records()
    plain_sft, _ = rows(records, "burger", "react-dish-v5", "expert")
    assert len(plain_sft) == len(records)
    sft, rl = rows(records, "burger", "react-dish-v5", "expert", 0.5, seed=1)
    assert sft == rows(records, "burger", "react-dish-v5", "expert", 0.5, 1)[0]
    assert sft != rows(records, "burger", "react-dish-v5", "expert", 0.5, 2)[0]
    with_feedback = [r for r in sft if REJECTED_HEADER in r["messages"][0]["content"]]
    assert 0 < len(with_feedback) < len(records) and len(sft) == len(records) + len(with_feedback)
    assert [r["extra_info"]["index"] for r in rl] == list(range(len(rl)))
    plain = {r["step"]: r["messages"] for r in plain_sft}
    for row in with_feedback:
        user, answer = row["messages"]
        assert answer == plain[row["step"]][1]  # the expert's answer, unchanged
        named = user["content"].split(REJECTED_HEADER)[1].split("; ")
        assert 1 <= len(named) <= 2
        record = records[row["step"]]
        assert not set(named) & set(record["valid_actions"])
        assert user["content"].startswith(plain[row["step"]][0]["content"])


def test_sample_rejected_is_empty_without_variants():
    assert sample_rejected(["Do nothing"], ["Do nothing"], "", random.Random(0)) == []


def test_episodes_keep_the_rejected_actions_until_a_step_succeeds():
    layout = generate_layout("burger", 5)
    episode = start_episode(layout)
    world = episode.env.world
    good = ActionVocabulary(world).text(RecipeExpert(world).decide(world.initial).action)
    advance(episode, format_response("x", "Pick up patty9 from table1 using robot1"))
    advance(episode, "no action at all")  # wasted, but nothing to quote
    advance(episode, format_response("x", "pick  up patty9 from table1 using robot1"))
    advance(episode, format_response("x", "Cut lettuce9 on board9 using robot1"))
    assert episode.invalid == 4 and episode.rejected == [
        "Pick up patty9 from table1 using robot1",
        "pick up patty9 from table1 using robot1",
        "Cut lettuce9 on board9 using robot1",
    ]

    class Capture:
        def generate(self, chats, sampling):
            self.chats = chats
            return ["" for _ in chats]

    backend = Capture()
    ChatPolicy(backend, Sampling(), "react-dish-v5").replies([episode], 0)
    assert backend.chats[0][-1]["content"].endswith(REJECTED_HEADER + "; ".join(episode.rejected))
    advance(episode, format_response("x", good))
    assert episode.rejected == []


def test_bad_feedback_settings_stop_the_stage_before_any_work(tmp_path):
    for overrides, message in (
        (["data.feedback_share=1.5"], r"'data.feedback_share' must lie in \[0, 1\], got 1.5"),
        (
            ["data.feedback_share=0.3", "prompt.template=react-dish-v4"],
            r"'data.feedback_share' is 0.3, but prompt template 'react-dish-v4' shows no",
        ),
    ):
        cfg = compose([f"results_dir={tmp_path}", "task=burger", *overrides])
        with pytest.raises(ConfigError, match=message):
            datasets_main(cfg)
    assert not (tmp_path / "datasets").exists()
