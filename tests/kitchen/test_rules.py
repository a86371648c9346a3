"""Transition semantics, including Robotouille's timer rules and quirks."""

from __future__ import annotations

import random

from stgrpo.kitchen import KitchenEnv, World
from stgrpo.kitchen.rules import _advance_timers, apply, valid_actions
from stgrpo.kitchen.text import ActionVocabulary

from .conftest import Driver, make_layout


def _on_stove(driver, patty, table, stove):
    """Carry `patty` from `table` onto `stove` and start cooking it."""
    here = driver.env.world.station_names[driver.env.state.robot]
    if here != table:
        driver(f"Move robot1 from {here} to {table}")
    driver(f"Pick up {patty} from {table} using robot1")
    driver(f"Move robot1 from {table} to {stove}")
    driver(f"Place {patty} on {stove} using robot1")
    driver(f"Cook {patty} on {stove} using robot1")


def test_cooking_finishes_cook_time_steps_after_the_cook_step(two_stoves):
    # table1=(0,0) holds patty1, table2=(0,1) patty2, stove1=(2,0), stove2=(2,1)
    driver = Driver(two_stoves)
    _on_stove(driver, "patty1", "table1", "stove1")
    assert driver.has("patty1", "iscooking") and not driver.has("patty1", "iscooked")
    driver("Do nothing")("Do nothing")
    assert not driver.has("patty1", "iscooked")
    driver("Do nothing")  # third step after the Cook step
    assert driver.has("patty1", "iscooked") and not driver.has("patty1", "iscooking")


def test_cook_is_not_valid_while_cooking_and_valid_again_when_cooked(two_stoves):
    driver = Driver(two_stoves)
    _on_stove(driver, "patty1", "table1", "stove1")
    assert "Cook patty1 on stove1 using robot1" not in driver.env.valid_actions
    driver("Do nothing")("Do nothing")("Do nothing")
    assert "Cook patty1 on stove1 using robot1" in driver.env.valid_actions


def test_taking_the_item_off_pauses_and_putting_it_back_resumes(two_stoves):
    driver = Driver(two_stoves)
    _on_stove(driver, "patty1", "table1", "stove1")  # tick 1
    driver("Pick up patty1 from stove1 using robot1")  # paused, no longer cooking
    assert not driver.has("patty1", "iscooking")
    driver("Do nothing")("Do nothing")
    driver("Place patty1 on stove1 using robot1")  # resumes without a Cook action: tick 2
    assert driver.has("patty1", "iscooking")
    driver("Do nothing")  # tick 3
    assert not driver.has("patty1", "iscooked")
    driver("Do nothing")  # tick 4
    assert driver.has("patty1", "iscooked")


def test_finished_timer_makes_the_next_one_skip_a_tick():
    """Robotouille removes finished timers while iterating, so the next one misses a tick:
    cook patty1 at step 1 and patty2 at step 3, and patty2 is cooked at step 7, not 6."""
    layout = make_layout(
        stations=[("stove", 0, 1), ("stove", 2, 1)],
        items=[("patty", 0, 1, 0, "iscookable"), ("patty", 2, 1, 0, "iscookable")],
        robot=(1, 1, -1, 0),
        goal="iscooked(patty#1) iscooked(patty#2)",
        width=3,
        height=3,
    )
    driver = Driver(layout)
    driver("Cook patty1 on stove1 using robot1")  # step 1
    driver("Move robot1 from stove1 to stove2")  # step 2
    driver("Cook patty2 on stove2 using robot1")  # step 3
    driver("Do nothing")  # step 4: patty1 done and removed; patty2's tick is skipped
    assert driver.has("patty1", "iscooked")
    driver("Do nothing")("Do nothing")  # steps 5, 6
    assert not driver.has("patty2", "iscooked")
    driver("Do nothing")  # step 7
    assert driver.has("patty2", "iscooked")


def test_cutting_needs_repeated_cuts_with_other_actions_between():
    layout = make_layout(
        stations=[("board", 0, 1), ("table", 2, 1)],
        items=[("lettuce", 0, 1, 0, "iscuttable")],
        robot=(1, 1, -1, 0),
        goal="iscut(lettuce#1)",
        width=3,
        height=3,
    )
    driver = Driver(layout)
    driver("Cut lettuce1 on board1 using robot1")("Move robot1 from board1 to table1")
    driver("Move robot1 from table1 to board1")("Cut lettuce1 on board1 using robot1")
    assert not driver.has("lettuce1", "iscut")
    _, reward, done, info = driver.env.step("Cut lettuce1 on board1 using robot1")
    assert driver.has("lettuce1", "iscut") and done and reward == 1.0 and info["success"]
    assert "Cut lettuce1 on board1 using robot1" in info["valid_actions"]  # re-cut stays valid


def test_cut_potato_becomes_fryable_in_the_same_step_then_fries():
    layout = make_layout(
        stations=[("board", 0, 1), ("fryer", 2, 1)],
        items=[("potato", 0, 1, 0, "iscuttable", "isfryableifcut")],
        robot=(1, 1, -1, 0),
        goal="isfried(potato#1)",
        config={"num_cuts": {"potato": 2}, "fry_time": {"default": 1}},
        width=3,
        height=3,
    )
    driver = Driver(layout)
    driver("Cut potato1 on board1 using robot1")
    assert not driver.has("potato1", "isfryable")
    driver("Cut potato1 on board1 using robot1")  # num_cuts 2 from the config
    assert driver.has("potato1", "iscut") and driver.has("potato1", "isfryable")
    driver("Pick up potato1 from board1 using robot1")("Move robot1 from board1 to fryer1")
    driver("Place potato1 on fryer1 using robot1")("Fry potato1 on fryer1 using robot1")
    assert not driver.has("potato1", "isfried")
    driver("Do nothing")  # fry_time 1
    assert driver.has("potato1", "isfried") and driver.env.success


def test_stacking_rules():
    layout = make_layout(
        stations=[("table", 0, 1), ("table", 2, 1)],
        items=[("bottombun", 0, 1, 0), ("topbun", 0, 1, 1), ("cheese", 2, 1, 0)],
        robot=(1, 1, -1, 0),
        goal="atop(cheese#1, bottombun#2)",
        width=3,
        height=3,
    )
    env = KitchenEnv(layout)
    _, info = env.reset()
    # a stack can only be taken from the top; no pick-up from a stack
    assert info["valid_actions"] == [
        "Move robot1 from table1 to table2",
        "Unstack topbun1 from bottombun1 using robot1",
        "Do nothing",
    ]
    _, _, _, info = env.step("Unstack topbun1 from bottombun1 using robot1")
    assert "Stack topbun1 on top of bottombun1 using robot1" in info["valid_actions"]
    assert not any(a.startswith("Place") for a in info["valid_actions"])  # station not empty


def test_invalid_action_changes_nothing_and_counts_a_step(two_stoves):
    env = KitchenEnv(two_stoves)
    observation, _ = env.reset()
    state = env.state
    bad_actions = [
        "",
        "Do  nothing",
        " Do nothing",
        "do nothing",
        "Do nothing\n",
        "Cook patty1 on stove1 using robot1",
        "move robot1",
        None,
        3,
    ]
    for bad in bad_actions:
        obs, reward, done, info = env.step(bad)
        assert info["invalid"] and obs == observation and env.state == state
        assert reward == 0.0 and not done
    assert env.steps == len(bad_actions)
    _, _, _, info = env.step("Do nothing")
    assert not info["invalid"] and info["steps"] == len(bad_actions) + 1


def test_max_steps_truncates(two_stoves):
    env = KitchenEnv(two_stoves, max_steps=2)
    env.reset()
    assert env.step("Do nothing")[2] is False
    _, _, done, info = env.step("Do nothing")
    assert done and info["truncated"] and not info["success"]


def test_every_valid_action_string_parses_back(two_stoves):
    world = World.from_layout(two_stoves)
    vocabulary = ActionVocabulary(world)
    for action in valid_actions(world, world.initial):
        assert vocabulary.parse(vocabulary.text(action)) == action


def test_a_step_that_leaves_every_timer_idle_skips_the_timer_update_with_the_same_successor():
    # a cut lettuce keeps a "fryable" timer that never fires, and `apply` skips the timer
    # pass when every timer is idle like that: along a random walk through cutting, frying
    # and cooking, every successor must be the full pass's
    layout = make_layout(
        stations=[("board", 0, 1), ("table", 1, 1), ("fryer", 2, 1), ("stove", 1, 0)],
        items=[
            ("lettuce", 0, 1, 0, "iscuttable"),
            ("potato", 1, 1, 0, "iscuttable", "isfryableifcut"),
            ("patty", 1, 1, 1, "iscookable"),
        ],
        robot=(0, 2, 0, -1),
        goal="isfried(potato#1)",
        config={"num_cuts": {"lettuce": 2, "potato": 2}, "fry_time": {"default": 2}},
        width=3,
        height=3,
    )
    world = World.from_layout(layout)
    rng, state, skipped = random.Random(0), world.initial, 0
    for _ in range(3000):
        for action in valid_actions(world, state):
            full = apply(world, state, action)
            flags, timers = _advance_timers(world, full.stacks, state.flags, state.timers, action)
            assert full == full._replace(flags=flags, timers=timers)
            skipped += (
                action.kind not in ("cook", "cut", "fry") and full.timers == state.timers != ()
            )
        state = apply(world, state, rng.choice(valid_actions(world, state)))
    assert skipped > 100  # the walk met idle timers often
