"""Planner benchmark: exact optimal-plan graphs for generated layouts of the paper's tasks.

For each task, solves `--layouts` generated layouts (seeds 0..N-1) with the A* planner and
prints the median and max seconds per layout. Baseline, measured in the same run: the same
search without a heuristic (breadth-first) on the first `--baseline` layouts, capped at
`--cap` states (a capped run counts as "did not finish"). Last two columns: the recipe
expert's whole plan on the same layouts (A* seconds / recipe seconds, summed over the
layouts) and its mean plan length against the optimal. Asserts nothing about time.

    python benchmarks/bench_planner.py [--layouts 20] [--baseline 3] [--quick]
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
from stgrpo.kitchen.tasks import PAPER_TASKS


def timed(world: World, heuristic, cap: int) -> tuple[float, int] | None:
    """(seconds, optimal length) of one search, or None if it hit `cap` states."""
    start = time.perf_counter()
    try:
        length = solve(world, heuristic=heuristic, max_states=cap).length
    except SearchLimitError:
        return None
    return time.perf_counter() - start, length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layouts", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=3)
    parser.add_argument("--cap", type=int, default=300_000)
    parser.add_argument("--quick", action="store_true", help="2 layouts, 1 baseline (tests)")
    args = parser.parse_args()
    if args.quick:
        args.layouts, args.baseline, args.cap = 2, 1, 20_000
    print(
        f"{'task':22s} {'median s':>9s} {'max s':>8s} {'BFS/A* (same layouts)':>24s} "
        f"{'A*/recipe':>10s} {'recipe/optimal steps':>21s}"
    )
    for task in PAPER_TASKS:
        worlds = [World.from_layout(generate_layout(task, seed)) for seed in range(args.layouts)]
        searches = [timed(w, AssemblyHeuristic(w), 2_000_000) for w in worlds]
        fast = [seconds for seconds, _ in searches]
        optimal_steps = sum(length for _, length in searches)
        start = time.perf_counter()
        recipe_steps = sum(len(recipe_plan(w, 200)) for w in worlds)
        recipe_seconds = time.perf_counter() - start
        pairs = []
        for world, seconds in zip(worlds[: args.baseline], fast, strict=False):
            slow = timed(world, None, args.cap)
            pairs.append(f"{slow[0] / seconds:.0f}x" if slow is not None else f">{args.cap} states")
        print(
            f"{task:22s} {statistics.median(fast):9.3f} {max(fast):8.2f} "
            f"{', '.join(pairs):>24s} {sum(fast) / recipe_seconds:9.0f}x "
            f"{recipe_steps / optimal_steps:20.2f}x"
        )


if __name__ == "__main__":
    main()
