"""Environment benchmark: search successors and agent-facing steps, as ratios to a baseline.

Measures, on the same episode for both engines:
  * successor generation (state copy + step + goal test: what exact search does per edge);
  * the agent-facing step (action string in; observation text and valid actions out);
  * state copies per second.
Baseline: the real Robotouille package when importable (set ROBOTOUILLE_REPO, see
stgrpo.kitchen.robotouille_adapter); otherwise "naive-deepcopy", this engine driven the
way Robotouille's BFS drives its own (deep-copy the state before every step).
Prints ratios measured in this run; asserts nothing about time.

    python benchmarks/bench_kitchen.py [--quick] [--task double_cheeseburger]
"""

from __future__ import annotations

import argparse
import copy
import random
import time
from collections.abc import Callable

from stgrpo.kitchen import KitchenEnv, World
from stgrpo.kitchen.robotouille_adapter import RobotouilleAdapterEnv, robotouille_available
from stgrpo.kitchen.rules import apply, valid_actions
from stgrpo.kitchen.tasks import get_task


def mean_seconds(work: Callable[[], int], budget: float) -> float:
    """Seconds per unit of work: repeat `work` (returning units done) for about `budget` s."""
    units, start = 0, time.perf_counter()
    while True:
        units += work()
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return elapsed / units


def random_episode(world: World, steps: int, seed: int) -> list[str]:
    """A fixed random walk (action strings) to replay on every engine."""
    env, rng = KitchenEnv(world), random.Random(seed)
    _, info = env.reset()
    texts = []
    for _ in range(steps):
        texts.append(rng.choice(info["valid_actions"]))
        _, _, done, info = env.step(texts[-1])
        if done:
            break
    return texts


def ours(world: World, episode: list[str], budget: float) -> dict[str, float]:
    env = KitchenEnv(world)
    env.reset()
    states = [env.state]
    for text in episode:
        env.step(text)
        states.append(env.state)

    def successors() -> int:
        count = 0
        for state in states:
            for action in valid_actions(world, state):
                world.goal_reached(apply(world, state, action))  # immutable: no copy needed
                count += 1
        return count

    def naive_successors() -> int:
        count = 0
        for state in states:
            for action in valid_actions(world, state):
                world.goal_reached(apply(world, copy.deepcopy(state), action))
                count += 1
        return count

    def agent_steps() -> int:
        env.reset()
        for text in episode:
            env.step(text)
            env.observation  # noqa: B018 - the text is part of the agent-facing step
        return len(episode)

    def naive_agent_steps() -> int:
        env.reset()
        for text in episode:
            copy.deepcopy(env.state)
            env.step(text)
            env.observation  # noqa: B018
        return len(episode)

    def copies() -> int:
        for state in states:
            state._replace(timers=state.timers)
        return len(states)

    return {
        "successor": mean_seconds(successors, budget),
        "agent_step": mean_seconds(agent_steps, budget),
        "copy": mean_seconds(copies, budget),
        "naive_successor": mean_seconds(naive_successors, budget),
        "naive_agent_step": mean_seconds(naive_agent_steps, budget),
    }


def robotouille(world: World, episode: list[str], budget: float) -> dict[str, float]:
    env = RobotouilleAdapterEnv()
    layout = world.layout

    def agent_steps() -> int:
        env.reset(layout)
        for text in episode:
            env.step(text)
        return len(episode)

    def copies() -> int:
        env.reset(layout)
        for text in episode:
            env.copy_state()
            env.step(text)
        return len(episode)

    step = mean_seconds(agent_steps, budget)
    copy_and_step = mean_seconds(copies, budget)
    state_copy = max(copy_and_step - step, 1e-9)
    # A search successor costs one state copy plus one transition of that copy.
    return {"agent_step": step, "copy": state_copy, "successor": state_copy + step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="double_cheeseburger")
    parser.add_argument("--steps", type=int, default=40, help="length of the replayed episode")
    parser.add_argument("--quick", action="store_true", help="short timing budget (for tests)")
    args = parser.parse_args()
    budget = 0.05 if args.quick else 1.0

    world = World.from_layout(get_task(args.task).default_layout)
    episode = random_episode(world, args.steps, seed=0)
    mine = ours(world, episode, budget)
    print(f"task {args.task} (default layout), episode of {len(episode)} steps")
    print(f"  stgrpo: successor {mine['successor'] * 1e6:8.1f} us   "
          f"agent step {mine['agent_step'] * 1e6:8.1f} us   "
          f"state copy {mine['copy'] * 1e6:6.2f} us "
          f"({1 / mine['copy']:,.0f} copies/s, {1 / mine['agent_step']:,.0f} steps/s)")
    if robotouille_available():
        base, name = robotouille(world, episode, budget), "robotouille"
    else:
        base = {"successor": mine["naive_successor"], "agent_step": mine["naive_agent_step"],
                "copy": mine["naive_successor"] - mine["successor"]}
        name = "naive-deepcopy (robotouille not importable; set ROBOTOUILLE_REPO)"
    print(f"  baseline {name}: successor {base['successor'] * 1e6:.1f} us, "
          f"agent step {base['agent_step'] * 1e6:.1f} us, state copy {base['copy'] * 1e6:.1f} us")
    print(f"  ratio successor generation (baseline / stgrpo): "
          f"{base['successor'] / mine['successor']:8.1f}x   (target >= 100x vs robotouille)")
    print(f"  ratio agent-facing step    (baseline / stgrpo): "
          f"{base['agent_step'] / mine['agent_step']:8.1f}x   (target >= 10x vs robotouille)")


if __name__ == "__main__":
    main()
