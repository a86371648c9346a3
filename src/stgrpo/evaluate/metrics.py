"""The paper's multi-turn metrics, with how sure each number is.

Per (model, eval task), over episodes:
* SR: share of episodes that reach the goal within the turn limit, with a Wilson 95%
  interval (exact enough at n = 10 and never outside [0, 1]);
* ASAT: mean turns over all episodes (a timed-out episode counts its limit);
* ASST: mean turns over successful episodes only (None, shown "-", when there are none);
  ASAT and ASST get seeded percentile-bootstrap 95% intervals;
* invalid-action rate (wasted turns / all turns), mean optimal length, and the mean ratio
  of turns to the optimal length over successes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, no rounding dust
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def bootstrap_interval(
    values: Sequence[float], seed: int = 0, resamples: int = 2000, level: float = 0.95
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean (None for no values)."""
    if not values:
        return None
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    tail = (1 - level) / 2
    return (means[int(tail * (resamples - 1))], means[int((1 - tail) * (resamples - 1))])


def summarise_episodes(episodes: Sequence[dict], seed: int = 0) -> dict:
    """Metrics of episode records {success, steps, optimal_steps, invalid}."""
    n = len(episodes)
    wins = [e for e in episodes if e["success"]]
    steps = [float(e["steps"]) for e in episodes]
    win_steps = [float(e["steps"]) for e in wins]
    turns = sum(e["steps"] for e in episodes)
    optimal = [e["optimal_steps"] for e in episodes if e.get("optimal_steps")]
    ratios = [e["steps"] / e["optimal_steps"] for e in wins if e.get("optimal_steps")]
    sr_low, sr_high = wilson_interval(len(wins), n)
    return {
        "n": n,
        "successes": len(wins),
        "sr": len(wins) / n if n else None,
        "sr_ci": [sr_low, sr_high],
        "asat": sum(steps) / n if n else None,
        "asat_ci": _list(bootstrap_interval(steps, seed)),
        "asst": sum(win_steps) / len(wins) if wins else None,
        "asst_ci": _list(bootstrap_interval(win_steps, seed)),
        "invalid_rate": sum(e["invalid"] for e in episodes) / turns if turns else 0.0,
        "mean_optimal_steps": sum(optimal) / len(optimal) if optimal else None,
        "steps_to_optimal": sum(ratios) / len(ratios) if ratios else None,
    }


def _list(interval):
    return list(interval) if interval is not None else None
