"""Planner benchmark: exact optimal-plan graphs for Robotouille's default layout and
generated layouts of each task.

For each task (`--tasks paper`: the paper's four; `all`: the ten synchronous tasks; or names
separated by commas), solves
the default layout and `--layouts` generated layouts (seeds 0..N-1) with the A* planner,
each search capped at `--max-states` generated states, and prints how many finished, the
median and max seconds of those that did. Baseline, measured in the same run: the same search
without a heuristic (breadth-first) on the first `--baseline` layouts, capped at `--cap`
states (a capped run counts as "did not finish"). Last two columns: the recipe expert's
whole plan on the same layouts (A* seconds / recipe seconds, summed over the layouts) and its
mean plan length against the optimal, where it handles the task. Asserts nothing about time.

    python benchmarks/bench_planner.py [--tasks all|paper|NAME,...] [--layouts 20] [--baseline 3]
        [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

from stgrpo.expert.heuristic import AssemblyHeuristic
from stgrpo.expert.planner import solve
from stgrpo.expert.recipe import recipe_plan
from stgrpo.kitchen import World
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.search import SearchLimitError
from stgrpo.kitchen.tasks import PAPER_TASKS, TASKS, get_task


def timed(world: World, heuristic, cap: int) -> tuple[float, int] | None:
    """(seconds, optimal length) of one search, or None if it hit `cap` states."""
    start = time.perf_counter()
    try:
        length = solve(world, heuristic=heuristic, max_states=cap).length
    except SearchLimitError:
        return None
    return time.perf_counter() - start, length


def recipe_columns(worlds: list[World], seconds: float, optimal_steps: int) -> str:
    """A*/recipe seconds and recipe/optimal steps, or dashes where the expert cannot cook it."""
    start = time.perf_counter()
    try:
        recipe_steps = sum(len(recipe_plan(w, 400)) for w in worlds)
    except (RuntimeError, ValueError, KeyError, NotImplementedError):
        return f"{'-':>10s} {'-':>20s}"
    recipe_seconds = time.perf_counter() - start
    return f"{seconds / recipe_seconds:9.0f}x {recipe_steps / optimal_steps:20.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks", default="all", help="paper, all, or task names separated by commas"
    )
    parser.add_argument("--layouts", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=3)
    parser.add_argument("--cap", type=int, default=300_000)
    # 100k generated states cover every plan of the paper's tasks and keep `--tasks all` to
    # minutes where searches do not finish yet (they count as not solved)
    parser.add_argument("--max-states", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="paper tasks, 2 layouts (tests)")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.layouts, args.baseline, args.cap = "paper", 2, 1, 20_000
    tasks = {"paper": PAPER_TASKS, "all": tuple(TASKS)}.get(args.tasks) or args.tasks.split(",")
    for task in tasks:
        try:
            get_task(task)  # an unknown name fails here, before any search
        except KeyError as error:
            parser.error(f"--tasks: {error.args[0]}")
    print(
        f"{'task':28s} {'solved':>7s} {'median s':>9s} {'max s':>8s} "
        f"{'BFS/A* (same layouts)':>24s} {'A*/recipe':>10s} {'recipe/optimal steps':>21s}"
    )
    for task in tasks:
        layouts = [get_task(task).default_layout]
        layouts += [generate_layout(task, seed) for seed in range(args.layouts)]
        worlds = [World.from_layout(layout) for layout in layouts]
        searches = [timed(w, AssemblyHeuristic(w), args.max_states) for w in worlds]
        done = [(w, s) for w, s in zip(worlds, searches, strict=True) if s is not None]
        if not done:
            print(
                f"{task:28s} {0:>3d}/{len(worlds):<3d} (every search hit {args.max_states} states)"
            )
            continue
        fast = [seconds for _, (seconds, _) in done]
        pairs = []
        for world, (seconds, _) in done[: args.baseline]:
            slow = timed(world, None, args.cap)
            pairs.append(f"{slow[0] / seconds:.0f}x" if slow is not None else f">{args.cap} states")
        solved_worlds = [w for w, _ in done]
        optimal_steps = sum(length for _, (_, length) in done)
        print(
            f"{task:28s} {len(done):>3d}/{len(worlds):<3d} {statistics.median(fast):9.3f} "
            f"{max(fast):8.2f} {', '.join(pairs):>24s} "
            f"{recipe_columns(solved_worlds, sum(fast), optimal_steps)}"
        )


if __name__ == "__main__":
    main()
