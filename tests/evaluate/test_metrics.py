"""Metric definitions: SR with Wilson intervals, ASAT counting timeouts, ASST over successes."""

from __future__ import annotations

import pytest

from stgrpo.evaluate.metrics import bootstrap_interval, summarise_episodes, wilson_interval


def _episode(success, steps, optimal=8, invalid=0):
    return {"success": success, "steps": steps, "optimal_steps": optimal, "invalid": invalid}


def test_paper_definitions_on_a_small_panel():
    episodes = [
        _episode(True, 8),
        _episode(True, 10),
        _episode(False, 15, invalid=3),
        _episode(False, 15),
    ]
    m = summarise_episodes(episodes)
    assert m["n"] == 4 and m["successes"] == 2 and m["sr"] == 0.5
    assert m["asat"] == (8 + 10 + 15 + 15) / 4  # timeouts count as the timeout
    assert m["asst"] == 9.0  # successes only
    assert m["invalid_rate"] == 3 / 48
    assert m["steps_to_optimal"] == pytest.approx((8 / 8 + 10 / 8) / 2)
    low, high = m["sr_ci"]
    assert 0 < low < 0.5 < high < 1


def test_no_success_gives_no_asst():
    m = summarise_episodes([_episode(False, 15)] * 3)
    assert m["sr"] == 0.0 and m["asst"] is None and m["asst_ci"] is None
    assert m["sr_ci"][0] == 0.0 and m["sr_ci"][1] > 0.3  # 0/3 is far from certain


@pytest.mark.parametrize(
    "k, n, low, high", [(7, 10, 0.3968, 0.8922), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0)]
)
def test_wilson_interval_matches_known_values(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=1e-4)


def test_bootstrap_interval_brackets_the_mean_and_is_seeded():
    values = [8.0, 10.0, 12.0, 15.0, 9.0]
    low, high = bootstrap_interval(values, seed=1)
    assert low <= sum(values) / len(values) <= high
    assert bootstrap_interval(values, seed=1) == (low, high)
    assert bootstrap_interval([5.0] * 4) == (5.0, 5.0)
