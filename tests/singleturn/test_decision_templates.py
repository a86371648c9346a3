"""Templates whose thoughts carry the act-or-move decision: react-dish-v6 states it in words,
react-dish-v7 marks the robot's station ("(here)") in the prompt and in the thought."""

import re

import pytest

from stgrpo.data.datasets import rows
from stgrpo.data.prompts import HERE, answer_thought, mark_here
from stgrpo.expert.trajectories import recipe_trajectory, step_record
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.world import World
from stgrpo.models.pretrain import PretrainSpec, pretraining_rows

PAPER_TASKS = ["cheese_sandwich", "burger", "cheeseburger", "double_cheeseburger"]


def _records(task: str, seed: int) -> list[dict]:
    world = World.from_layout(generate_layout(task, seed))
    return [{**step_record(s), "layout": "h", "episode": 0} for s in recipe_trajectory(world)]


def _answers(records: list[dict], template: str) -> list[tuple[str, str, str]]:
    """(user text, thought, action) of every SFT row."""
    sft, _ = rows(records, "t", template, "expert")
    out = []
    for row in sft:
        user, answer = row["messages"][0]["content"], row["messages"][1]["content"]
        thought, action = re.fullmatch(r"Thought: (.*)\nAction: (.*)", answer).groups()
        out.append((user, thought, action))
    return out


@pytest.mark.parametrize("task", PAPER_TASKS)
def test_v7_marks_exactly_the_aims_at_the_robots_station(task):
    for seed in range(5):
        for user, thought, action in _answers(_records(task, seed), "react-dish-v7"):
            robot = re.search(r"robot1 at (?P<station>\w+) \(here\), holding", user)["station"]
            assert all(m == robot for m in re.findall(r"(\w+) \(here\)", user))
            acts = not action.startswith("Move ") and action != "Do nothing"
            assert thought.endswith(HERE + ".") == acts, (thought, action)
            if acts:  # the aim's place is the robot's, marked as the prompt marks it
                assert thought.endswith(f"{robot}{HERE}.") and " I am at " not in thought
            else:
                assert thought.endswith(f" I am at {robot}.")


@pytest.mark.parametrize("task", PAPER_TASKS)
def test_v6_states_the_decision_its_action_takes(task):
    for user, thought, action in _answers(_records(task, 1), "react-dish-v6"):
        assert HERE not in user
        if action.startswith("Move "):
            assert thought.endswith(", so I go there.")
        elif action == "Do nothing":
            assert thought.endswith(", so I wait.")
        else:
            assert thought.endswith(", so I act here.")


def test_older_templates_keep_their_prompts_and_thoughts():
    records = _records("burger", 2)
    for (user4, thought4, _), record in zip(
        _answers(records, "react-dish-v4"), records, strict=True
    ):
        assert HERE not in user4 and thought4 == record["aim_thought"]
    v4, v6 = _answers(records, "react-dish-v4"), _answers(records, "react-dish-v6")
    assert [u for u, _, _ in v4] == [u for u, _, _ in v6]  # v6 changes only the thoughts
    thought = "I need cheese1 at table2. I am at table2."
    assert answer_thought(thought, "Pick up cheese1 from table2 using robot1", "react-dish-v1") == (
        thought
    )


def test_mark_here_matches_whole_station_names_only():
    items = "robot1 at table2, holding nothing.\nonion1 at table21.\nEmpty: table2, table3."
    assert mark_here(items, items) == (
        "robot1 at table2 (here), holding nothing.\nonion1 at table21.\n"
        "Empty: table2 (here), table3."
    )
    assert mark_here("Dish at table2.", "no robot line") == "Dish at table2."


def test_pretraining_rows_follow_the_templates_thoughts():
    spec = PretrainSpec(
        steps=1, layouts=2, walk_steps=6, template="react-dish-v7", tasks=("cheeseburger",)
    )
    pairs = list(pretraining_rows(spec, seed=0))
    assert any(answer.split("\n")[0].endswith(HERE + ".") for _, answer in pairs)
    for prompt, answer in pairs:
        thought, action = re.fullmatch(r"Thought: (.*)\nAction: (.*)", answer).groups()
        if thought.endswith(HERE + "."):
            assert not action.startswith("Move ")
        assert HERE in prompt[0]["content"]
