"""The recipe expert: a fixed procedure for one-stack dishes that always finishes, with valid
actions and thoughts that name what it does."""

import pytest

from stgrpo.expert.recipe import (
    NotARecipeError,
    RecipeExpert,
    read_recipe,
    read_recipes,
    recipe_plan,
)
from stgrpo.expert.trajectories import recipe_trajectory
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.rules import valid_actions
from stgrpo.kitchen.tasks import PAPER_TASKS, TASKS
from stgrpo.kitchen.text import ActionVocabulary, item_state
from stgrpo.kitchen.world import World


def test_recipes_of_the_paper_tasks():
    burger = read_recipe(TASKS["burger"].goal)
    assert [layer.kind for layer in burger.layers] == ["bottombun", "patty", "topbun"]
    assert burger.ordered and burger.layers[1].needs  # the patty must be cooked
    cheeseburger = read_recipe(TASKS["cheeseburger"].goal)
    assert not cheeseburger.ordered and cheeseburger.layers[-1].kind == "topbun"
    assert len(read_recipe(TASKS["double_cheeseburger"].goal).layers) == 6
    with pytest.raises(NotARecipeError, match="2 dishes"):
        read_recipe(TASKS["two_lettuce_chicken_sandwich"].goal)


def test_a_two_dish_goal_is_two_recipes_in_goal_order():
    sandwich, burger = read_recipes(
        TASKS["onion_cheese_burger_and_lettuce_tomato_chicken_sandwich"].goal
    )
    assert [layer.kind for layer in sandwich.layers] == [
        "bread",
        "lettuce",
        "chicken",
        "tomato",
        "bread",
    ]
    assert [layer.kind for layer in burger.layers][::4] == ["bottombun", "topbun"]
    assert not sandwich.ordered and all(layer.needs for layer in burger.layers[1:3])
    first, second = read_recipes(TASKS["two_lettuce_chicken_sandwich"].goal)
    assert first == second


def test_an_id_keeps_the_kind_it_is_first_used_with():
    # Robotouille's lettuce sandwich names the lettuce's id 3 "cheese" in its last literal
    sandwich = read_recipe(TASKS["lettuce_sandwich"].goal)
    assert [layer.kind for layer in sandwich.layers] == ["bread", "lettuce", "bread"]
    assert sandwich.layers[1].needs  # cut


# every synchronous task: the paper's four, the lettuce and tomato ones, the two-dish ones
TWO_DISH_TASKS = (
    "two_lettuce_chicken_sandwich",
    "two_lettuce_tomato_burger",
    "onion_cheese_burger_and_lettuce_tomato_chicken_sandwich",
)
ALL_TASKS = (
    *PAPER_TASKS,
    "lettuce_sandwich",
    "lettuce_tomato_sandwich",
    "lettuce_tomato_cheeseburger",
    *TWO_DISH_TASKS,
)


@pytest.mark.parametrize("task", ALL_TASKS)
def test_the_recipe_expert_always_finishes_with_valid_actions(task):
    worlds = [World.from_layout(TASKS[task].default_layout)]
    worlds += [World.from_layout(generate_layout(task, seed)) for seed in range(150)]
    for index, world in enumerate(worlds):  # 0: the default layout, then seeds 0, 1, ...
        steps = recipe_plan(world, max_steps=200)
        assert steps, (task, index)
        for state, decision in steps:
            assert decision.action in valid_actions(world, state), (task, index)


@pytest.mark.parametrize("task", TWO_DISH_TASKS)
def test_a_finished_dish_is_never_touched_again(task):
    for seed in range(40):
        world = World.from_layout(generate_layout(task, seed))
        expert = RecipeExpert(world)
        finished: dict[int, tuple[int, ...]] = {}  # table -> its stack when it was finished
        for state, _ in recipe_plan(world, max_steps=200):
            for table in expert.read(state).closed:
                finished.setdefault(table, state.stacks[table])
            for table, stack in finished.items():
                assert state.stacks[table] == stack, (task, seed)
        assert len(finished) == 1, (task, seed)  # the first dish, finished before the second


def test_trajectories_reach_the_goal_and_name_their_places():
    world = World.from_layout(generate_layout("cheeseburger", 3))
    steps = recipe_trajectory(world)
    env = KitchenEnv(world)
    env.reset()
    for step in steps:
        assert step.thought == step.lookup_thought and step.thought.startswith("Dish")
        assert step.items == item_state(world, env.state)
        env.step(step.action)
    assert env.success


def test_the_dish_is_read_from_the_stack():
    world = World.from_layout(generate_layout("burger", 3))
    expert, vocabulary = RecipeExpert(world), ActionVocabulary(world)
    state, decision = recipe_plan(world, 50)[-1]  # the last step: the top bun goes on
    text, dish, done, wanted = expert.situation(state)
    assert done == 2 and [layer.kind for layer in wanted] == ["topbun"]
    assert text.startswith(f"Dish at {world.station_names[dish]}, 2 done")
    assert vocabulary.text(decision.action).startswith("Stack topbun")
