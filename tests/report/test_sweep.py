"""The sweep summary reads each point's evaluations from the folders the workflow gives it."""

from __future__ import annotations

import json

import pytest

from stgrpo.config import StageError, compose
from stgrpo.report.sweep import collect


def test_the_summary_has_one_row_per_point_task_and_touched_stage(tmp_path):
    cfg = compose(["experiment=ci", "sweep=grpo_lr_kl", f"results_dir={tmp_path}"])
    with pytest.raises(StageError, match="the sweep point has not run"):
        collect(cfg)
    sweep = tmp_path / "sweep" / "grpo_lr_kl"
    for index, point in enumerate(
        sorted(
            p
            for p in [
                f"grpo.lr_{lr}__grpo.kl_coef_{kl}"
                for lr in ("1e-05", "3e-05", "0.0001")
                for kl in ("0.0", "0.04")
            ]
        )
    ):
        for task in ("cheese_sandwich", "burger"):
            folder = sweep / point / "evaluate" / f"{task}-grpo" / task
            folder.mkdir(parents=True)
            (folder / "metrics.json").write_text(
                json.dumps(
                    {"n": 4, "sr": index / 10, "sr_ci": [0.0, 1.0], "asat": 15.0, "asst": None}
                )
            )
    frame = collect(cfg)
    assert len(frame) == 6 * 2 and set(frame.stage) == {"grpo"}  # SFT is shared, not swept
    first = frame.iloc[0]
    assert (first["grpo.lr"], first["grpo.kl_coef"], first.task) == (
        "1e-05",
        "0.0",
        "cheese_sandwich",
    )
    assert first.point == "grpo.lr_1e-05__grpo.kl_coef_0.0"
