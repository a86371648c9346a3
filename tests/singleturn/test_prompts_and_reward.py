"""The ReAct prompt and the verifiable reward."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stgrpo.data.prompts import (
    TEMPLATES,
    build_messages,
    format_response,
    indent_lines,
    mark_here,
    match_action,
    parse_response,
    split_observation,
    template_hash,
    template_option,
)
from stgrpo.data.reward import (
    TRL_REWARD_PARTS,
    TRL_REWARD_WEIGHTS,
    compute_score,
    reward_hash,
    score,
    trl_reward,
)
from stgrpo.expert.trajectories import expert_trajectory
from stgrpo.io import code_hash
from stgrpo.kitchen import World
from stgrpo.kitchen.tasks import TASKS

STEP = expert_trajectory(World.from_layout(TASKS["burger"].default_layout), tie_break="first")[0]


def test_prompt_has_instructions_state_goal_and_numbered_actions():
    for template in TEMPLATES:
        *system, user = build_messages(
            STEP.observation,
            STEP.valid_actions,
            template,
            STEP.state,
            STEP.recipe,
            STEP.items,
            STEP.progress,
        )
        if TEMPLATES[template]["system"]:  # the CPU-scale dish template has none
            assert system[0]["role"] == "system" and "Thought:" in system[0]["content"]
            assert "Action:" in system[0]["content"]
        else:
            assert system == [] and user["role"] == "user"
        state, goal = split_observation(STEP.observation)
        if template_option(template, "goal") == "recipe":
            assert f"Recipe: {STEP.recipe}\n" in user["content"]
        else:
            assert f"Goal: {goal}" in user["content"]
        shown = {
            "observation": state,
            "compact": STEP.state,
            "items": indent_lines(STEP.items, template_option(template, "indent")),
        }
        if template_option(template, "here") == "marked":  # react-dish-v7
            shown["items"] = mark_here(shown["items"], STEP.items)
        assert shown[TEMPLATES[template]["state"]] in user["content"]
        numbered = template_option(template, "actions") == "numbered"
        if "{actions}" not in TEMPLATES[template]["user"]:  # react-dish-v3: no action list
            assert not any(f"\n{a}\n" in user["content"] + "\n" for a in STEP.valid_actions)
            continue
        for number, action in enumerate(STEP.valid_actions, 1):
            line = f"{number}. {action}" if numbered else action
            assert f"\n{line}\n" in user["content"] + "\n"


def test_template_hash_is_stable_and_distinguishes_templates():
    hashes = {template_hash(name) for name in TEMPLATES}
    assert len(hashes) == len(TEMPLATES)
    assert template_hash("react-v1") == template_hash("react-v1")
    with pytest.raises(ValueError, match="unknown prompt template"):
        template_hash("nope")


def test_code_hash_follows_the_code_not_its_comments_docstrings_or_layout():
    code = 'def f(x):\n    """Doc."""\n    return x + 1  # one\n'
    same = 'def f(x):\n  """Other words."""\n\n  # a note\n  return x + \\\n    1\n'
    assert code_hash(code) == code_hash(same) == code_hash("def f(x):\n    return x + 1\n")
    assert code_hash(code) != code_hash(code.replace("x + 1", "x + 2"))
    assert code_hash(code) != code_hash(code.replace("x + 1", "'x' + 1"))


def test_reward_hash_moves_with_the_answer_parser_it_scores_with(monkeypatch):
    import stgrpo.data.reward as reward

    before = reward_hash()
    source = reward.parser_source()
    monkeypatch.setattr(reward, "parser_source", lambda: source + "\n# a comment\n")
    assert reward_hash() == before
    monkeypatch.setattr(reward, "parser_source", lambda: source.replace(".lower()", ""))
    assert reward_hash() != before
    with pytest.raises(ValueError, match="needs the compact state"):
        build_messages(STEP.observation, STEP.valid_actions, "react-compact-v1")


def test_parse_and_match():
    reply = "Thought: go get it.\nAction:  move ROBOT1 from table1 to   table2 "
    parsed = parse_response(reply)
    assert parsed.well_formed and parsed.thought == "go get it."
    assert (
        match_action(parsed.action, ["Move robot1 from table1 to table2"])
        == "Move robot1 from table1 to table2"
    )
    assert parse_response("Action: a\nAction: b").action is None  # several: no action
    assert not parse_response("Action: a").well_formed  # no thought
    assert not parse_response("Thought: x\nAction: a\nObservation: y").well_formed


EXPERT = STEP.action
OTHER_OPTIMAL = "Move robot1 from table1 to table2"
WRONG = "Do nothing"


@pytest.mark.parametrize(
    "response, mode, expected",
    [
        (format_response("t", EXPERT), "expert", 1.0),
        (format_response("t", EXPERT), "optimal", 1.0),
        (format_response("t", WRONG), "expert", 0.1),
        (format_response("t", OTHER_OPTIMAL), "expert", 0.1),
        (format_response("t", OTHER_OPTIMAL), "optimal", 1.0),
        (f"Action: {EXPERT}", "expert", 0.9),  # right action, no ReAct format
        ("garbage", "expert", 0.0),
        (f"Thought: t\nAction: {EXPERT}\nAction: {WRONG}", "expert", 0.0),
    ],
)
def test_reward_cases(response, mode, expected):
    optimal = [EXPERT, OTHER_OPTIMAL]
    assert score(response, EXPERT, optimal, mode) == expected
    extra = {"optimal_actions": optimal, "reward_mode": mode}
    assert compute_score("stgrpo/burger", response, EXPERT, extra) == expected
    chat = [{"role": "assistant", "content": response}]
    assert trl_reward([chat, response], [EXPERT, EXPERT], [extra, extra]) == [expected] * 2
    # TRL's two logged parts (format, action), weighted, add up to the same score
    parts = [part([chat], [EXPERT], [extra])[0] for part in TRL_REWARD_PARTS]
    assert all(p in (0.0, 1.0) for p in parts)
    assert sum(w * p for w, p in zip(TRL_REWARD_WEIGHTS, parts, strict=True)) == expected


def test_mode_keyword_wins_and_bad_mode_is_named():
    extra = {"optimal_actions": [EXPERT, OTHER_OPTIMAL], "reward_mode": "expert"}
    reply = format_response("t", OTHER_OPTIMAL)
    assert compute_score("s", reply, EXPERT, extra, mode="optimal") == 1.0
    with pytest.raises(ValueError, match="reward mode must be one of"):
        compute_score("s", reply, EXPERT, {"reward_mode": "lenient"})


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["expert", "optimal"]))
def test_any_text_scores_in_the_four_values_and_never_raises(text, mode):
    value = score(text, EXPERT, [EXPERT], mode)
    assert value in (0.0, 0.1, 0.9, 1.0)
    parse_response(text)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1),
    st.text(alphabet=" \t", max_size=5),
)
def test_wrapped_expert_actions_are_found(thought, pad):
    thought = " ".join(thought.replace("Action", "").split()) or "x"
    reply = f"Thought: {thought}\nAction:{pad}{EXPERT.upper()}{pad}"
    assert score(reply, EXPERT, mode="expert") >= 0.9
