"""The lock-step rollout engine shared by the LLM expert and evaluation."""

from __future__ import annotations

from stgrpo.data.prompts import format_response
from stgrpo.expert.trajectories import expert_trajectory
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.world import World
from stgrpo.rollout import play, start_episode


class Scripted:
    """Replies from a per-episode script; records how many episodes each turn asked for."""

    def __init__(self, scripts):
        self.scripts, self.calls = scripts, []

    def replies(self, episodes, turn):
        self.calls.append(len(episodes))
        return [self.scripts[id(e)].pop(0) if self.scripts[id(e)] else "garbage" for e in episodes]


def test_episodes_advance_together_and_garbage_wastes_turns():
    layout = generate_layout("cheese_sandwich", 3)
    plan = [s.action for s in expert_trajectory(World.from_layout(layout), seed=0)]
    solver, wasteful = start_episode(layout), start_episode(layout, max_steps=4)
    scripts = {
        id(solver): ["no action here", *[format_response("t", a) for a in plan]],
        id(wasteful): [],
    }
    policy = Scripted(scripts)
    play([solver, wasteful], policy)
    assert solver.env.success and solver.env.steps == len(plan) + 1 and solver.invalid == 1
    assert [s["action"] for s in solver.steps] == plan
    assert not wasteful.env.success and wasteful.env.steps == 4 and wasteful.invalid == 4
    # both live for 4 turns, then only the solver: one batched call per turn
    assert policy.calls == [2] * 4 + [1] * (len(plan) + 1 - 4)
