"""What GRPO adds to SFT: the SR gain, paired by layout, with a 95% interval.

Each task's SFT model and its SFT+GRPO model play the same test panel, so each layout gives
a pair of outcomes (success 1 or 0). Per task, the gain is the mean of the paired
differences; over tasks, the mean of the per-task gains (every task weighs the same). The
interval is a seeded percentile bootstrap that resamples layouts within each task (a
stratified, paired bootstrap): it keeps each layout's two outcomes together, so the layout's
own difficulty cancels out. With several episodes per layout, a layout's outcome is its
success rate.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd

from stgrpo.config import StageError

RESAMPLES = 10_000


def layout_outcomes(path: Path) -> dict[str, float]:
    """Success rate per layout of one evaluation's `episodes.jsonl`."""
    if not path.is_file():
        raise StageError(f"{path} not found: the evaluation has not run")
    wins: dict[str, list[bool]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            episode = json.loads(line)
            wins.setdefault(episode["layout"], []).append(bool(episode["success"]))
    return {layout: sum(w) / len(w) for layout, w in wins.items()}


def paired_differences(
    before: dict[str, float], after: dict[str, float], source: str
) -> list[float]:
    """after - before per layout; both evaluations must cover the same layouts."""
    if set(before) != set(after):
        raise StageError(f"{source}: the two evaluations played different layouts")
    return [after[layout] - before[layout] for layout in sorted(before)]


def gain_table(
    differences: dict[str, list[float]], seed: int, resamples: int = RESAMPLES
) -> pd.DataFrame:
    """Per task and over all tasks ("mean"): pairs, gain and its bootstrap 95% interval."""
    rng = random.Random(seed)
    tasks = list(differences)
    draws = {task: [] for task in tasks}
    means = []
    for _ in range(resamples):
        per_task = []
        for task in tasks:
            values = differences[task]
            sample = [values[rng.randrange(len(values))] for _ in values]
            per_task.append(sum(sample) / len(sample))
            draws[task].append(per_task[-1])
        means.append(sum(per_task) / len(per_task))
    rows = [_row(task, differences[task], draws[task]) for task in tasks]
    pooled = [value for values in differences.values() for value in values]
    # The mean weighs every task the same, so it is not the pooled pairs' mean.
    overall = sum(row["gain"] for row in rows) / len(rows)
    rows.append({**_row("mean", pooled, means), "gain": overall})
    return pd.DataFrame(rows)


def _row(task: str, values: list[float], draws: list[float]) -> dict:
    ordered = sorted(draws)
    low = ordered[int(0.025 * (len(ordered) - 1))]
    high = ordered[round(0.975 * (len(ordered) - 1))]
    return {
        "task": task,
        "pairs": len(values),
        "gain": sum(values) / len(values) if values else None,
        "gain_lo": low,
        "gain_hi": high,
        "better": sum(v > 0 for v in values),
        "worse": sum(v < 0 for v in values),
    }
