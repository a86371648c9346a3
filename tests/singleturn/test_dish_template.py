"""The dish template: the dish's progress read off the state, aim thoughts, and training on the
prompt's tokens too."""

import re

import pytest

from stgrpo.config import ConfigError, compose
from stgrpo.data.datasets import rows
from stgrpo.data.prompts import build_messages, next_items
from stgrpo.expert.recipe import RecipeExpert, recipe_plan
from stgrpo.expert.trajectories import expert_trajectory, recipe_trajectory, step_record
from stgrpo.kitchen.dish import DishReader, progress_text
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.text import ActionVocabulary, item_state, recipe
from stgrpo.kitchen.world import World
from stgrpo.models.pretrain import PretrainSpec, drill_rows, pretraining_rows
from stgrpo.rollout import advance, start_episode
from stgrpo.train.settings import read_settings

TEMPLATE = "react-dish-v1"


def _user(step) -> str:
    messages = build_messages(
        step.observation,
        step.valid_actions,
        TEMPLATE,
        step.state,
        step.recipe,
        step.items,
        step.progress,
    )
    assert [m["role"] for m in messages] == ["user"]  # no system text
    return messages[0]["content"]


@pytest.mark.parametrize(
    "task", ["cheese_sandwich", "burger", "cheeseburger", "double_cheeseburger"]
)
def test_the_prompt_shows_the_dish_and_the_thought_only_the_aim(task):
    for seed in range(6):
        world = World.from_layout(generate_layout(task, seed))
        for step in recipe_trajectory(world):
            user = _user(step)
            assert user.startswith(f"Recipe: {recipe(world.layout.goal)}\n{step.progress}\n")
            assert step.progress.startswith("Dish") and "Next:" in step.progress
            assert step.lookup_thought == f"{step.progress} {step.aim_thought}"
            assert not step.aim_thought.startswith("Dish")
            here = step.aim_thought.rsplit("I am at ", 1)[1].rstrip(".")
            assert f"robot1 at {here}," in user
            for item, station in re.findall(r"I need (\w+) at (\w+)\.", step.aim_thought):
                assert f"\n{item} at {station}" in user  # the item's own line


def test_the_progress_follows_the_state():
    world = World.from_layout(generate_layout("burger", 3))
    reader, expert = DishReader(world), RecipeExpert(world)
    seen = []
    for state, decision in recipe_plan(world, 100):
        assert progress_text(world, state) == reader.situation(state)[0]
        assert decision.thought.startswith(progress_text(world, state))
        seen.append(reader.read(state).done)
    assert seen == sorted(seen) and seen[-1] == len(expert.recipes[0].layers) - 1


def test_a_two_dish_reading_names_the_finished_dish_and_hides_its_items():
    world = World.from_layout(
        generate_layout("onion_cheese_burger_and_lettuce_tomato_chicken_sandwich", 0)
    )
    reader = DishReader(world)
    assert progress_text(world, world.initial).startswith("Dish")  # the first dish first
    texts = [progress_text(world, state) for state, _ in recipe_plan(world, 200)]
    second = [text for text in texts if text.startswith("Dishes done: ")]
    assert second and texts[-len(second) :] == second  # once finished, the first stays done
    state = next(s for s, _ in recipe_plan(world, 200) if reader.read(s).closed)
    (table,) = reader.read(state).closed
    hidden = {world.item_names[i] for i in state.stacks[table]}
    shown = next_items(progress_text(world, state), item_state(world, state))
    assert hidden and not any(f" {name} " in shown for name in hidden)


def test_planner_steps_carry_the_dish_and_aim_too():
    world = World.from_layout(generate_layout("cheeseburger", 4))
    steps = expert_trajectory(world, seed=0, tie_break="first")
    assert steps[0].progress == progress_text(world, world.initial)
    for step in steps:
        assert step.lookup_thought == step.aim_thought  # the planner's thought has no dish part
        assert step.progress.startswith("Dish")


def test_dataset_rows_train_the_aim_thought():
    world = World.from_layout(generate_layout("burger", 2))
    records = [{**step_record(s), "layout": "h", "episode": 0} for s in recipe_trajectory(world)]
    sft, rl = rows(records, "burger", TEMPLATE, "expert")
    for row, record in zip(sft, records, strict=True):
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        assert row["messages"][1]["content"].startswith(f"Thought: {record['aim_thought']}\n")
    assert f"\n{records[0]['progress']}\n" in rl[0]["prompt"][0]["content"]


def test_episodes_show_the_progress_of_their_current_state():
    layout = generate_layout("burger", 5)
    episode = start_episode(layout)
    world = episode.env.world
    assert episode.progress == progress_text(world, world.initial)
    expert, vocabulary = RecipeExpert(world), ActionVocabulary(world)
    advance(episode, f"Thought: x\nAction: {vocabulary.text(expert.decide(world.initial).action)}")
    assert episode.progress == progress_text(world, episode.env.state)


def test_pretraining_rows_with_aim_thoughts():
    spec = PretrainSpec(steps=1, layouts=2, walk_steps=4, template=TEMPLATE, tasks=("burger",))
    for prompt, answer in pretraining_rows(spec, seed=0):
        assert [m["role"] for m in prompt] == ["user"]
        assert prompt[0]["content"].split("\n")[1].startswith("Dish")
        assert answer.startswith("Thought: I ") and " I am at " in answer


def test_drill_rows_ask_every_item_once_and_answer_from_its_line():
    spec = PretrainSpec(
        drill_steps=1, layouts=2, walk_steps=4, template=TEMPLATE, tasks=("cheeseburger",)
    )
    rows = list(drill_rows(spec, seed=0))
    assert rows == list(drill_rows(spec, seed=0)) and rows != list(drill_rows(spec, seed=1))
    for prompt, answer in rows:
        lines = prompt[0]["content"].split("\n")
        where = dict(line.split(",")[0].rstrip(".").split(" at ") for line in lines)
        asked = re.findall(r"I need (\w+) at (\w+)\.", answer)
        assert answer.startswith("Thought: I need ") and dict(asked) == where
        assert len(asked) == len(where) == len(lines)
    orders = {tuple(name for name, _ in re.findall(r"I need (\w+) at (\w+)", a)) for _, a in rows}
    assert len(orders) > 1  # the order is shuffled, not the lines' order


def _users(step, *templates) -> list[str]:
    """The step's user text under each template."""
    return [
        build_messages(
            step.observation,
            step.valid_actions,
            name,
            step.state,
            step.recipe,
            step.items,
            step.progress,
        )[0]["content"]
        for name in templates
    ]


def test_the_indented_template_differs_only_by_a_space_before_each_state_line():
    world = World.from_layout(generate_layout("cheeseburger", 3))
    step = recipe_trajectory(world)[2]
    plain, indented = _users(step, TEMPLATE, "react-dish-v2")
    state_lines = step.items.split("\n")
    assert indented == plain.replace(step.items, "\n".join(f" {line}" for line in state_lines))
    spec = PretrainSpec(
        drill_steps=1, layouts=1, walk_steps=2, template="react-dish-v2", tasks=("cheeseburger",)
    )
    prompt, _ = next(drill_rows(spec, seed=0))
    assert all(line.startswith(" ") for line in prompt[0]["content"].split("\n"))


def test_the_template_without_actions_is_the_indented_one_less_its_action_list():
    world = World.from_layout(generate_layout("cheeseburger", 3))
    step = recipe_trajectory(world)[2]
    indented, bare = _users(step, "react-dish-v2", "react-dish-v3")
    head, actions = indented.split("\nValid actions:\n")
    assert bare == head and actions and "Move robot1" not in bare


def test_drill_steps_are_checked():
    with pytest.raises(ConfigError, match=r"model\.pretrain\.drill_steps"):
        PretrainSpec(drill_steps=-1)


def test_prompt_loss_settings_are_checked():
    with pytest.raises(ConfigError, match=r"sft\.prompt_loss"):
        read_settings(compose(["task=burger", "sft.prompt_loss=yes"]), "sft")
    with pytest.raises(ConfigError, match=r"sft\.prompt_loss"):
        read_settings(compose(["task=burger", "sft=paper", "sft.prompt_loss=true"]), "sft")
    assert read_settings(compose(["task=burger", "sft.prompt_loss=true"]), "sft").prompt_loss
    with pytest.raises(ConfigError, match=r"model\.pretrain\.prompt_loss"):
        PretrainSpec(prompt_loss="no")


@pytest.mark.parametrize(
    "task", ["cheese_sandwich", "burger", "cheeseburger", "double_cheeseburger"]
)
def test_v4_progress_says_where_the_next_layers_items_are(task):
    for seed in range(8):
        world = World.from_layout(generate_layout(task, seed))
        reader, names = DishReader(world), world.item_names
        for state, _ in recipe_plan(world, 100):
            text, dish, done, wanted = reader.situation(state)
            kinds = {layer.kind for layer in wanted}
            finished = set(state.stacks[dish][:done])
            where = {i: world.station_names[s] for s, st in enumerate(state.stacks) for i in st}
            expected = {
                f"{names[i]} held" if i == state.held else f"{names[i]} at {where[i]}"
                for i in range(len(names))
                if world.item_kinds[i] in kinds
                and i not in finished
                and (i == state.held or i in where)
            }
            line = _user_v4(world, state).split("\n")[1]
            assert line.startswith(text)
            listed = line[len(text) :].strip().rstrip(".")
            assert set(listed.split(", ")) - {""} == expected, (task, seed, line)


def _user_v4(world, state) -> str:
    """The react-dish-v4 prompt of `state` (its goal and valid actions do not matter here:
    the observation only lends the goal)."""
    observation, info = KitchenEnv(world).reset()
    return build_messages(
        observation,
        info["valid_actions"],
        "react-dish-v4",
        None,
        recipe(world.layout.goal),
        item_state(world, state),
        progress_text(world, state),
    )[0]["content"]
