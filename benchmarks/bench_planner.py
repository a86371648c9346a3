"""Planner benchmark: what the trajectories stage asks of the exact planner, per layout.

For each task (`--tasks paper`: the paper's four; `all`: the ten synchronous tasks; or names
separated by commas) and each of its layouts (Robotouille's default, then `--layouts`
generated ones, seeds 0..N-1), times one *plan*: a fresh `OptimalPlanner` (heuristic
compiled included) giving the optimal length and every optimal-action set along a minimal
trajectory (first optimal action at each step), each search capped at `--max-states`
states. Prints how many finished, the median and max seconds of those that did, and how
many of them took over 1 s.

Baselines, measured in the same run on the `--baseline` layouts the planner took longest on,
each capped at `--cap` states (a capped run prints `>cap`):
* whole graph: `solve` with the same heuristic, building every minimal plan at once (the
  planner before it answered state by state);
* BFS: `solve` without a heuristic (breadth-first).

Last two columns: the recipe expert's whole plan on the same layouts (planner seconds /
recipe seconds, summed over the layouts) and its mean plan length against the optimal,
where it handles the task. Asserts nothing about time.

    python benchmarks/bench_planner.py [--tasks all|paper|NAME,...] [--layouts 20] [--baseline 3]
        [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

from stgrpo.expert.heuristic import AssemblyHeuristic
from stgrpo.expert.planner import OptimalPlanner, solve
from stgrpo.expert.recipe import recipe_plan
from stgrpo.kitchen import World
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.rules import apply
from stgrpo.kitchen.search import SearchLimitError
from stgrpo.kitchen.tasks import PAPER_TASKS, TASKS, get_task


def planned(world: World, cap: int) -> tuple[float, int] | None:
    """(seconds, optimal length) of one plan with its optimal-action sets, or None if a
    search hit `cap` states."""
    start = time.perf_counter()
    try:
        planner = OptimalPlanner(world, AssemblyHeuristic(world), cap)
        length, state = planner.distance(world.initial), world.initial
        while actions := planner.actions(state):
            state = apply(world, state, actions[0])
    except SearchLimitError:
        return None
    return time.perf_counter() - start, length


def whole_graph(world: World, with_heuristic: bool, cap: int) -> float | None:
    """Seconds of one `solve` (the heuristic compiled included), or None past `cap`."""
    start = time.perf_counter()
    try:
        solve(world, heuristic=AssemblyHeuristic(world) if with_heuristic else None, max_states=cap)
    except SearchLimitError:
        return None
    return time.perf_counter() - start


def ratio(baseline: float | None, seconds: float, cap: int) -> str:
    return f"{baseline / seconds:.1f}x" if baseline is not None else f">{cap}"


def recipe_columns(worlds: list[World], seconds: float, optimal_steps: int) -> str:
    """planner/recipe seconds and recipe/optimal steps, or dashes where the expert cannot
    cook it."""
    start = time.perf_counter()
    try:
        recipe_steps = sum(len(recipe_plan(w, 400)) for w in worlds)
    except (RuntimeError, ValueError, KeyError, NotImplementedError):
        return f"{'-':>15s} {'-':>20s}"
    recipe_seconds = time.perf_counter() - start
    return f"{seconds / recipe_seconds:14.0f}x {recipe_steps / optimal_steps:20.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks", default="all", help="paper, all, or task names separated by commas"
    )
    parser.add_argument("--layouts", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=3)
    parser.add_argument("--cap", type=int, default=300_000)
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
        f"{'task':55s} {'planned':>7s} {'median s':>9s} {'max s':>8s} {'over 1 s':>8s} "
        f"{'whole graph/planner':>20s} {'BFS/planner':>14s} {'planner/recipe':>15s} "
        f"{'recipe/optimal steps':>20s}"
    )
    for task in tasks:
        layouts = [get_task(task).default_layout]
        layouts += [generate_layout(task, seed) for seed in range(args.layouts)]
        worlds = [World.from_layout(layout) for layout in layouts]
        plans = [planned(w, args.max_states) for w in worlds]
        done = [(w, p) for w, p in zip(worlds, plans, strict=True) if p is not None]
        if not done:
            print(f"{task:55s} {0:>3d}/{len(worlds):<3d} (every search hit {args.max_states})")
            continue
        seconds = [s for _, (s, _) in done]
        graph, bfs = [], []
        slowest = sorted(done, key=lambda pair: -pair[1][0])[: args.baseline]
        for world, (fast, _) in slowest:
            graph.append(ratio(whole_graph(world, True, args.cap), fast, args.cap))
            bfs.append(ratio(whole_graph(world, False, args.cap), fast, args.cap))
        optimal_steps = sum(length for _, (_, length) in done)
        print(
            f"{task:55s} {len(done):>3d}/{len(worlds):<3d} {statistics.median(seconds):9.3f} "
            f"{max(seconds):8.2f} {sum(s > 1 for s in seconds):8d} "
            f"{','.join(graph):>20s} {','.join(bfs):>14s} "
            f"{recipe_columns([w for w, _ in done], sum(seconds), optimal_steps)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
