"""The LLM expert (rejection sampling) with a scripted policy behind the inference interface."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from stgrpo.config import ConfigError, compose
from stgrpo.data.prompts import split_observation
from stgrpo.expert.trajectories import expert_trajectory
from stgrpo.kitchen import World
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.generate import generate_layout
from stgrpo.models.inference import Sampling
from stgrpo.stages.trajectories import llm_trajectories


class ScriptedPolicy:
    """Answers like a noisy expert: the planner's action for states on a known minimal
    plan with probability `skill`, otherwise a random valid action or, rarely, nonsense."""

    def __init__(self, layouts, skill=0.85):
        self.plan = {}
        for layout in layouts:
            for step in expert_trajectory(World.from_layout(layout), tie_break="first"):
                self.plan[split_observation(step.observation)[0]] = step.action
        self.skill = skill
        self.calls = 0

    def generate(self, chats, sampling: Sampling):
        self.calls += 1
        rng = random.Random(sampling.seed)
        replies = []
        for chat in chats:
            user = chat[-1]["content"]
            state = user.split("\n\nGoal: ")[0]
            actions = re.findall(r"^\d+\. (.+)$", user, flags=re.MULTILINE)
            draw = rng.random()
            if state in self.plan and draw < self.skill:
                action = self.plan[state]
            elif draw > 0.97:
                replies.append("I am not sure what to do.")
                continue
            else:
                action = rng.choice(actions)
            replies.append(f"Thought: step {len(replies)}.\nAction:  {action.upper()} ")
        return replies


def layouts(task="cheese_sandwich", n=3):
    return [(generate_layout(task, seed), None) for seed in range(n)]


def config(*overrides):
    return compose(
        [
            "expert=llm",
            "task=cheese_sandwich",
            "expert.target=6",
            "expert.max_attempts=60",
            "expert.batch_size=8",
            "expert.max_steps=20",
            *overrides,
        ]
    )


def test_rejection_sampling_keeps_only_successes_that_replay():
    pool = layouts()
    policy = ScriptedPolicy([lay for lay, _ in pool])
    records, summary = llm_trajectories(config(), "cheese_sandwich", pool, backend=policy)
    assert summary["kept"] == 6 and 6 <= summary["attempts"] <= 60
    assert summary["success_rate"] == 6 / summary["attempts"] < 1  # some episodes fail
    by_hash = {lay.content_hash: lay for lay, _ in pool}
    for episode in range(6):
        steps = [r for r in records if r["episode"] == episode]
        env = KitchenEnv(by_hash[steps[0]["layout"]], max_steps=20)
        observation, _ = env.reset()
        for step in steps:
            assert step["observation"] == observation
            assert step["action"] in step["valid_actions"]  # matched back to exact text
            observation, *_ = env.step(step["action"])
        assert env.success
        # optimal sets are exact: following one costs one step of the remaining distance
        for step, following in itertools.pairwise(steps):
            if step["action"] in step["optimal_actions"]:
                assert following["steps_to_go"] == step["steps_to_go"] - 1
        assert steps[-1]["steps_to_go"] == 1
        assert steps[-1]["action"] in steps[-1]["optimal_actions"]
    assert summary["mean_length"] >= summary["max_length"] / 2 > 0


def test_attempt_cap_bounds_the_work_and_same_seed_same_records():
    pool = layouts()
    hopeless = ScriptedPolicy([lay for lay, _ in pool], skill=0.0)
    cfg = config("expert.max_attempts=10", "expert.max_steps=4")
    records, summary = llm_trajectories(cfg, "cheese_sandwich", pool, backend=hopeless)
    assert summary["attempts"] == 10 and summary["kept"] == 0 and records == []
    assert hopeless.calls == 2 * 4  # two waves (8 + 2 episodes), four turns each
    again = [
        llm_trajectories(
            config(), "cheese_sandwich", pool, backend=ScriptedPolicy([lay for lay, _ in pool])
        )[0]
        for _ in range(2)
    ]
    assert again[0] == again[1]


@pytest.mark.parametrize(
    "override, key",
    [
        ("expert.target=0", "expert.target"),
        ("expert.max_steps=-2", "expert.max_steps"),
        ("expert.sampling.top_p=0", "expert.sampling"),
        ("expert.template=nope", "expert.template"),
        ("expert.backend=nope", "expert.backend"),
    ],
)
def test_bad_llm_expert_config_names_the_key(override, key):
    with pytest.raises(ConfigError, match=key):
        llm_trajectories(config(override), "cheese_sandwich", layouts(n=1))
