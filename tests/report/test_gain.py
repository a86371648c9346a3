"""GRPO's paired SR gain over SFT: differences by layout, stratified bootstrap interval."""

import json

import pytest

from stgrpo.config import StageError
from stgrpo.report.gain import gain_table, layout_outcomes, paired_differences


def _episodes(path, outcomes):
    path.write_text(
        "".join(json.dumps({"layout": layout, "success": won}) + "\n" for layout, won in outcomes)
    )
    return path


def test_outcomes_are_success_rates_per_layout(tmp_path):
    path = _episodes(tmp_path / "e.jsonl", [("a", True), ("a", False), ("b", True)])
    assert layout_outcomes(path) == {"a": 0.5, "b": 1.0}


def test_differences_pair_layouts_and_refuse_different_panels():
    assert paired_differences({"a": 0.0, "b": 1.0}, {"b": 1.0, "a": 1.0}, "x") == [1.0, 0.0]
    with pytest.raises(StageError, match="different layouts"):
        paired_differences({"a": 0.0}, {"b": 1.0}, "x")


def test_gain_and_interval():
    table = gain_table({"t1": [1.0] * 10, "t2": [0.0] * 10}, seed=0, resamples=200)
    rows = table.set_index("task")
    assert rows.loc["t1", "gain"] == 1.0 and rows.loc["t1", "gain_lo"] == 1.0
    assert rows.loc["mean", "gain"] == 0.5 and rows.loc["mean", "pairs"] == 20
    assert rows.loc["mean", "gain_lo"] == rows.loc["mean", "gain_hi"] == 0.5
    assert rows.loc["mean", "better"] == 10 and rows.loc["mean", "worse"] == 0
    unequal = gain_table({"t1": [1.0] * 2, "t2": [0.0] * 8}, seed=0, resamples=50)
    assert unequal.set_index("task").loc["mean", "gain"] == 0.5  # tasks weigh the same
    mixed = gain_table({"t": [1.0] * 6 + [0.0] * 10 + [-1.0] * 4}, seed=0, resamples=2000)
    row = mixed.set_index("task").loc["t"]
    assert row.gain == pytest.approx(0.1)
    assert row.gain_lo < 0.1 < row.gain_hi and row.better == 6 and row.worse == 4
    again = gain_table({"t": [1.0] * 6 + [0.0] * 10 + [-1.0] * 4}, seed=0, resamples=2000)
    assert again.equals(mixed)  # seeded
