"""The task registry: Robotouille's goals, defaults, budgets and optimal plan lengths."""

from __future__ import annotations

import pytest

from stgrpo.kitchen import KitchenEnv, World
from stgrpo.kitchen.search import shortest_plan
from stgrpo.kitchen.tasks import PAPER_TASKS, TASKS, get_task, parse_goal
from stgrpo.kitchen.text import ActionVocabulary


def test_paper_tasks_and_timeouts():
    assert [TASKS[n].title for n in PAPER_TASKS] == [
        "Cheese Sandwich",
        "Burger",
        "Cheese Burger",
        "Double Cheese Burger",
    ]
    assert [TASKS[n].timeout for n in PAPER_TASKS] == [15, 15, 23, 35]  # the paper's budgets


@pytest.mark.parametrize(
    ("name", "optimal"),
    [
        ("cheese_sandwich", 8),
        ("burger", 8),
        ("cheeseburger", 15),
        ("double_cheeseburger", 23),
        ("lettuce_sandwich", 14),
    ],
)
def test_default_layout_optimal_plan_lengths(name, optimal):
    """Exact search on Robotouille's default files gives 8, 8, 15, 23 (docs/kitchen.md, Tasks)."""
    world = World.from_layout(TASKS[name].default_layout)
    plan = shortest_plan(world)
    assert len(plan) == optimal
    env = KitchenEnv(world)
    env.reset()
    vocabulary = ActionVocabulary(world)
    for number, action in enumerate(plan, start=1):
        _, reward, done, info = env.step(vocabulary.text(action))
        assert done == (number == optimal) and reward == float(done)
    assert info["success"]


def test_unknown_task_is_named():
    with pytest.raises(KeyError, match="unknown task 'pizza'; expected one of"):
        get_task("pizza")


def test_parse_goal():
    (literal,) = parse_goal("atop(cheese#3, bread#a)")
    assert literal.predicate == "atop" and literal.args == ("cheese", "bread")
    assert literal.ids == (3, "a")
    with pytest.raises(ValueError, match="no goal literal"):
        parse_goal("nonsense")
