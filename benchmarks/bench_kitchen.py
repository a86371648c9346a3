"""Environment benchmark: search successors and agent-facing steps, as ratios to baselines.

Measures, on the same replayed episode:
  * successor generation: valid actions of a state, then for each one a state copy, the
    transition and the goal test (what exact search does per edge; no observation text);
  * the agent-facing step: action string in, observation text and valid actions out
    (only the steps are timed: each replay starts with an untimed reset);
  * state copies per second.
Baselines, each measured in this run:
  * "stgrpo + deepcopy": this engine with `copy.deepcopy` of the state before every step,
    the way Robotouille's own BFS drives its env (always printed);
  * the real Robotouille package, only when it is importable (set ROBOTOUILLE_REPO, see
    stgrpo.kitchen.robotouille_adapter); otherwise the benchmark says that comparison is skipped.
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


def mean_step_seconds(
    reset: Callable[[], object], step: Callable[[str], object], episode: list[str], budget: float
) -> float:
    """Seconds per step, replaying `episode` until about `budget` s of steps were timed.

    Each replay needs a reset, which is not a step: it runs outside the timed region.
    """
    timed, steps = 0.0, 0
    while timed < budget:
        reset()
        start = time.perf_counter()
        for text in episode:
            step(text)
        timed += time.perf_counter() - start
        steps += len(episode)
    return timed / steps


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

    def successors(copy_state: Callable) -> Callable[[], int]:
        def work() -> int:
            count = 0
            for state in states:
                for action in valid_actions(world, state):
                    world.goal_reached(apply(world, copy_state(state), action))
                    count += 1
            return count

        return work

    def agent_step(text: str) -> None:
        env.step(text)
        env.observation  # noqa: B018 - the text is part of the agent-facing step

    def deepcopy_agent_step(text: str) -> None:
        copy.deepcopy(env.state)
        agent_step(text)

    def copies() -> int:
        for state in states:
            state._replace(timers=state.timers)
        return len(states)

    return {
        # States are immutable: search needs no copy before a transition.
        "successor": mean_seconds(successors(lambda state: state), budget),
        "agent_step": mean_step_seconds(env.reset, agent_step, episode, budget),
        "copy": mean_seconds(copies, budget),
        "deepcopy_successor": mean_seconds(successors(copy.deepcopy), budget),
        "deepcopy_agent_step": mean_step_seconds(env.reset, deepcopy_agent_step, episode, budget),
    }


def robotouille(world: World, episode: list[str], budget: float) -> dict[str, float]:
    env = RobotouilleAdapterEnv()
    layout = world.layout
    env.reset(layout)
    states = [env.copy_state()]
    for text in episode:
        env.step(text)
        states.append(env.copy_state())

    def successors() -> int:
        # Robotouille's own successor, below its env: `get_valid_actions` (no strings), then a
        # deep copy of the State and `State.step`, which applies the action, ticks the timers
        # and tests the goal. `RobotouilleEnv.step` would also build the observation text.
        count = 0
        for state in states:
            for action, arg_dicts in state.get_valid_actions().items():
                for args in arg_dicts:
                    # One deepcopy of all three keeps the action's objects those of the copy.
                    child, child_action, child_args = copy.deepcopy((state, action, args))
                    child.step([(child_action, child_args)])
                    count += 1
        return count

    def copies() -> int:
        for state in states:
            copy.deepcopy(state)
        return len(states)

    return {
        "successor": mean_seconds(successors, budget),
        "agent_step": mean_step_seconds(lambda: env.reset(layout), env.step, episode, budget),
        "copy": mean_seconds(copies, budget),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="double_cheeseburger")
    parser.add_argument("--steps", type=int, default=40, help="length of the replayed episode")
    parser.add_argument("--quick", action="store_true", help="short timing budget (for tests)")
    args = parser.parse_args()
    budget = 0.05 if args.quick else 1.0

    world = World.from_layout(get_task(args.task).default_layout)
    episode = random_episode(world, args.steps, seed=0)
    if not episode:
        parser.error("the episode is empty; pass --steps 1 or more")
    mine = ours(world, episode, budget)
    print(f"task {args.task} (default layout), episode of {len(episode)} steps")
    print(
        f"  stgrpo: successor {mine['successor'] * 1e6:8.1f} us   "
        f"agent step {mine['agent_step'] * 1e6:8.1f} us   "
        f"state copy {mine['copy'] * 1e6:6.2f} us "
        f"({1 / mine['copy']:,.0f} copies/s, {1 / mine['agent_step']:,.0f} steps/s)"
    )
    print(
        f"  stgrpo + deepcopy (this engine, deep-copying the state before every step): "
        f"successor {mine['deepcopy_successor'] * 1e6:.1f} us, "
        f"agent step {mine['deepcopy_agent_step'] * 1e6:.1f} us"
    )
    print(
        f"  ratio successor generation (stgrpo + deepcopy / stgrpo): "
        f"{mine['deepcopy_successor'] / mine['successor']:8.1f}x"
    )
    print(
        f"  ratio agent-facing step    (stgrpo + deepcopy / stgrpo): "
        f"{mine['deepcopy_agent_step'] / mine['agent_step']:8.1f}x"
    )
    if not robotouille_available():
        print(
            "  robotouille: not importable here (set ROBOTOUILLE_REPO to a Robotouille checkout "
            "with its runtime deps, see stgrpo.kitchen.robotouille_adapter); comparison skipped"
        )
        return
    base = robotouille(world, episode, budget)
    print(
        f"  robotouille: successor {base['successor'] * 1e6:.1f} us "
        f"(State deepcopy + State.step, no observation text), "
        f"agent step {base['agent_step'] * 1e6:.1f} us, state copy {base['copy'] * 1e6:.1f} us"
    )
    print(
        f"  ratio successor generation (robotouille / stgrpo): "
        f"{base['successor'] / mine['successor']:8.1f}x   (target >= 100x)"
    )
    print(
        f"  ratio agent-facing step    (robotouille / stgrpo): "
        f"{base['agent_step'] / mine['agent_step']:8.1f}x   (target >= 10x)"
    )


if __name__ == "__main__":
    main()
