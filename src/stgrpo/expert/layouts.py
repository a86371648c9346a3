"""Train and test layouts of one task, each with its optimal length (the `layouts` stage).

`build_split` draws a split and `write_split` writes `{split}.jsonl`. Each split takes
generated layouts from consecutive seeds (skipping repeats) until it has `count`, plus any
Robotouille JSON `files`; the test split never contains a train layout (by content hash)
and, with `include_default`, starts with the task's default Robotouille layout when that is
not in train; with `within_timeout` (the test default), layouts whose optimal plan is longer
than the task's timeout are skipped, since not even an optimal agent could finish them. Every
record carries `optimal_steps` from the exact planner (null in a train split with `solve:
false`, for an expert that needs no exact plans, such as expert=recipe); a layout the
planner cannot solve within `max_states` is reported by task, seed and hash and then skipped
or fails the stage (`on_unsolvable`). The test file's `panel_hash` (in `{split}.meta.json`)
versions the panel.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from stgrpo.config import StageError
from stgrpo.expert.heuristic import AssemblyHeuristic
from stgrpo.expert.planner import OptimalPlanner, UnsolvableError
from stgrpo.io import write_json
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.layout import Layout, load_robotouille_file, write_layouts
from stgrpo.kitchen.search import SearchLimitError
from stgrpo.kitchen.tasks import get_task
from stgrpo.kitchen.world import World
from stgrpo.parallel import ordered_map

log = logging.getLogger(__name__)
SPLITS = ("train", "test")
ON_UNSOLVABLE = ("fail", "skip")


@dataclass(frozen=True)
class SplitSpec:
    count: int  # generated layouts wanted
    first_seed: int
    files: tuple[str, ...] = ()  # Robotouille JSON layouts added first
    include_default: bool = False  # the task's default layout first (test panels)
    max_optimal: int | None = None  # longer optimal plans are skipped (None: no limit)
    solve: bool = True  # False: no exact plans, `optimal_steps` is null (train splits only)


def optimal_steps(job: tuple[Layout, int]) -> int | str:
    """Minimal plan length of a layout, or why there is none (within `max_states`)."""
    layout, max_states = job
    world = World.from_layout(layout)
    try:
        return OptimalPlanner(world, AssemblyHeuristic(world), max_states).distance(world.initial)
    except (UnsolvableError, SearchLimitError) as exc:
        return str(exc)


def layout_id(layout: Layout) -> str:
    return f"{layout.task or '?'}/seed={layout.seed}/hash={layout.content_hash}"


def build_split(
    task: str,
    spec: SplitSpec,
    exclude: set[str],
    max_states: int,
    on_unsolvable: str,
    workers: int = 1,
) -> tuple[list[Layout], list[int], list[str], list[str]]:
    """(layouts, their optimal lengths, ids of skipped unsolvable layouts, ids of layouts
    skipped because their optimal plan is longer than `spec.max_optimal`)."""
    layouts, lengths, skipped, too_long = [], [], [], []
    seen = set(exclude)

    def plan(candidates: list[Layout]) -> int:
        """Solve candidates (in parallel), keep the usable ones; how many were kept."""
        if not spec.solve:  # an expert that needs no exact plans (expert=recipe)
            layouts.extend(candidates)
            lengths.extend([None] * len(candidates))
            return len(candidates)
        results = ordered_map(
            optimal_steps,
            [(lay, max_states) for lay in candidates],
            workers,
            desc=f"layouts {task}",
            unit="layout",
        )
        kept_now = 0
        for layout, result in zip(candidates, results, strict=True):
            if isinstance(result, str):
                reason = f"layout {layout_id(layout)}: {result}"
                if on_unsolvable == "fail":
                    raise StageError(reason)
                log.warning("skipped %s", reason)
                skipped.append(layout_id(layout))
            elif spec.max_optimal is not None and result > spec.max_optimal:
                too_long.append(layout_id(layout))  # even an optimal agent would time out
            else:
                layouts.append(layout)
                lengths.append(result)
                kept_now += 1
        return kept_now

    plan([lay for lay in _fixed_layouts(task, spec) if _new(lay, seen)])
    # Seeds are tried in order until `count` new layouts are kept; a bounded number of
    # seeds keeps a generator that only repeats itself from looping forever.
    seeds = iter(range(spec.first_seed, spec.first_seed + 10 * spec.count + 100))
    kept = 0
    while kept < spec.count:
        batch = []
        for seed in seeds:
            layout = generate_layout(task, seed)
            if _new(layout, seen):
                batch.append(layout)
                if len(batch) == spec.count - kept:
                    break
        if not batch:
            raise StageError(
                f"layouts: only {kept} of {spec.count} new {task} layouts from "
                f"seeds {spec.first_seed}..{spec.first_seed + 10 * spec.count + 99}"
            )
        kept += plan(batch)
    return layouts, lengths, skipped, too_long


def _new(layout: Layout, seen: set[str]) -> bool:
    if layout.content_hash in seen:
        return False
    seen.add(layout.content_hash)
    return True


def _fixed_layouts(task: str, spec: SplitSpec) -> Iterator[Layout]:
    if spec.include_default:
        yield replace(get_task(task).default_layout, task=task)
    for path in spec.files:
        yield replace(load_robotouille_file(path), task=task)


def panel_hash(layouts: list[Layout]) -> str:
    """Fingerprint of a split: its layouts' hashes, in order."""
    joined = "\n".join(layout.content_hash for layout in layouts)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def write_split(
    directory: Path,
    split: str,
    layouts: list[Layout],
    lengths: list[int | None],
    skipped: list[str],
    too_long: list[str],
) -> None:
    write_layouts(
        directory / f"{split}.jsonl",
        layouts,
        [{"optimal_steps": n, "split": split} for n in lengths],
    )
    known = [n for n in lengths if n is not None]
    meta = {
        "split": split,
        "layouts": len(layouts),
        "panel_hash": panel_hash(layouts),
        "mean_optimal_steps": sum(known) / len(known) if known else None,
        "skipped_unsolvable": skipped,
        "skipped_over_timeout": too_long,
    }
    write_json(directory / f"{split}.meta.json", meta)
