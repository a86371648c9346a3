"""The lookup template: the goal as a recipe, lookup thoughts, and planner-free pretraining."""

import random
import re

import pytest

from stgrpo.config import ConfigError
from stgrpo.data.prompts import build_messages, parse_response, template_hash
from stgrpo.expert.trajectories import expert_trajectory
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.rules import valid_actions
from stgrpo.kitchen.tasks import TASKS
from stgrpo.kitchen.text import ActionVocabulary, recipe
from stgrpo.kitchen.world import World
from stgrpo.models.pretrain import PretrainSpec, pretraining_rows, random_subgoal

TEMPLATE = "react-lookup-v1"


def test_recipes_read_the_goal_literals():
    assert recipe(TASKS["cheese_sandwich"].goal) == (
        "bread A on a table; cheese on bread A; bread B on cheese"
    )
    assert recipe(TASKS["burger"].goal) == (
        "bottombun on a table; patty cooked on bottombun; topbun on patty"
    )
    # unordered goals say "with"; Robotouille's lettuce sandwich reuses id 3 for the lettuce
    assert recipe(TASKS["cheeseburger"].goal).startswith("bottombun on a table; cheese with")
    assert recipe(TASKS["lettuce_sandwich"].goal).endswith("bread B on lettuce")
    assert len({recipe(task.goal) for task in TASKS.values()}) == len(TASKS)


def test_older_templates_keep_their_text():
    # the lookup template's new options must not change what older templates render
    assert template_hash("react-v1") == "96391e4ca77f12a5"
    assert template_hash("react-compact-v1") == "f0f47b15a87e396a"
    step = expert_trajectory(World.from_layout(generate_layout("burger", 1)))[0]
    compact = build_messages(step.observation, step.valid_actions, "react-compact-v1", step.state)[
        1
    ]["content"]
    assert "1. " in compact and "Recipe:" not in compact


@pytest.mark.parametrize("task", ["cheese_sandwich", "double_cheeseburger"])
def test_lookup_thoughts_name_the_places_the_action_uses(task):
    for seed in range(5):
        world = World.from_layout(generate_layout(task, seed))
        for step in expert_trajectory(world, seed=seed, tie_break="first"):
            messages = build_messages(
                step.observation, step.valid_actions, TEMPLATE, step.state, step.recipe, step.items
            )
            user = messages[1]["content"]
            assert user.startswith(f"Recipe: {recipe(world.layout.goal)}\n")
            assert "\n1. " not in user  # actions are listed without numbers
            here = step.lookup_thought.rsplit("I am at ", 1)[1].rstrip(".")
            assert f"robot1 at {here}," in user
            for item, station in re.findall(r"I need (\w+) at (\w+)\.", step.lookup_thought):
                assert f"\n{item} at {station}" in user  # the thought copies the item's line
            if step.action.startswith("Move"):
                target = step.action.rsplit(" to ", 1)[1]
                assert f" {target}." in step.lookup_thought.split(" I am at ")[0]


def test_lookup_template_needs_the_recipe():
    step = expert_trajectory(World.from_layout(generate_layout("burger", 1)))[0]
    with pytest.raises(ValueError, match="recipe"):
        build_messages(step.observation, step.valid_actions, TEMPLATE, step.state, items=step.items)
    with pytest.raises(ValueError, match="item state"):
        build_messages(step.observation, step.valid_actions, TEMPLATE, step.state, step.recipe)


def test_random_subgoals_are_reachable_in_one_or_two_steps():
    rng = random.Random(0)
    for task in ("burger", "lettuce_tomato_sandwich"):
        world = World.from_layout(generate_layout(task, 3))
        env = KitchenEnv(world)
        env.reset()
        for _ in range(30):
            action, following = random_subgoal(world, env.state, rng)
            assert action in valid_actions(world, env.state)
            assert action.kind != "wait"
            if following is not None:
                assert action.kind == "move"
            env.step_action(action)


def test_pretraining_rows_are_seeded_and_well_formed():
    spec = PretrainSpec(steps=1, layouts=1, walk_steps=4, template=TEMPLATE)
    rows = list(pretraining_rows(spec, seed=0))
    assert rows == list(pretraining_rows(spec, seed=0))
    assert rows != list(pretraining_rows(spec, seed=1))
    assert 0 < len(rows) <= 4 * len(TASKS)
    for prompt, answer in rows:
        parsed = parse_response(answer)
        assert parsed.well_formed
        valid = prompt[1]["content"].split("Valid actions:\n", 1)[1].splitlines()
        assert parsed.action in {a.lower() for a in valid}


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("steps", -1, "model.pretrain.steps"),
        ("layouts", 0, "model.pretrain.layouts"),
        ("lr", 0, "model.pretrain.lr"),
        ("template", "react-v9", "model.pretrain.template"),
        ("template", "react-compact-v1", "lookup or aim thoughts"),
    ],
)
def test_pretraining_settings_are_checked(key, value, message):
    with pytest.raises(ConfigError, match=message):
        PretrainSpec(**{"steps": 10, key: value})


def test_action_vocabulary_round_trips_subgoal_actions():
    world = World.from_layout(generate_layout("cheeseburger", 2))
    vocabulary = ActionVocabulary(world)
    action, _ = random_subgoal(world, world.initial, random.Random(1))
    assert vocabulary.parse(vocabulary.text(action)) == action
