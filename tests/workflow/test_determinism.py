"""Same config and seed, same bytes: a second run of the `ci` experiment's data stages
writes byte-identical layouts, trajectories and datasets, and a trained checkpoint's greedy
evaluation is identical across runs and batch sizes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflow.runner import file_snapshot, snakemake

pytestmark = pytest.mark.slow
DATA_STAGES = ("layouts", "trajectories", "datasets")


def test_a_second_run_writes_byte_identical_data(ci_run, tmp_path):
    again = snakemake(
        tmp_path, "--cores", "2", "--until", "datasets", "--config", "experiment=ci", timeout=600
    )
    assert again.returncode == 0, again.stderr[-3000:]
    for stage in DATA_STAGES:
        first = file_snapshot(ci_run / "results/ci" / stage, Path.read_bytes)
        second = file_snapshot(tmp_path / "results/ci" / stage, Path.read_bytes)
        assert first and first.keys() == second.keys(), stage
        changed = [name for name in first if first[name] != second[name]]
        assert not changed, f"{stage}: {changed}"


@pytest.mark.parametrize("batch_size", [1, 3])
def test_greedy_evaluation_is_identical_across_runs_and_batch_sizes(ci_run, batch_size):
    task = "cheese_sandwich"
    out = f"eval-batch{batch_size}"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "stgrpo.stages.evaluate",
            "experiment=ci",
            f"task={task}",
            "eval.policy=checkpoint",
            f"eval.train_task={task}",
            "eval.stage=grpo",
            f"paths.evaluate={out}",
            f"+eval.backend_options.batch_size={batch_size}",
        ],
        cwd=ci_run,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    episodes = f"evaluate/{task}-grpo/{task}/episodes.jsonl"
    assert (ci_run / out / episodes).read_bytes() == (ci_run / "results/ci" / episodes).read_bytes()
