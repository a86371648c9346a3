"""Faults in the middle of the `ci` experiment, as a cluster produces them: a training job
killed (SIGKILL) and retried, a whole run stopped by SIGTERM (preemption) or SIGKILL (node
failure) and started again, and a job that fails on every attempt. Each resumed run ends
with the same tables as an uninterrupted run (the shared `ci_run`), and what had finished
before the fault is not recomputed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.workflow.runner import file_snapshot, snakemake, start_snakemake, table_files

pytestmark = pytest.mark.slow
TASK = "cheese_sandwich"
# one resumable checkpoint per step, so a kill lands between two of them (saving changes
# neither the data order nor the random state: the result equals the reference run's)
EVERY_STEP = "overrides=sft.save_every=1"


def stage_processes(workdir: Path, module: str, *words: str) -> list[psutil.Process]:
    """The running `python -m {module}` processes of the run in `workdir` whose command
    line holds every one of `words`."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = process.info["cmdline"] or []
        if (
            module in cmdline
            and process.info["cwd"] == str(workdir)
            and all(any(w in arg for arg in cmdline) for w in words)
        ):
            found.append(process)
    return found


def wait_until(
    condition: Callable[[], object], run: subprocess.Popen, what: str, timeout: float = 600
) -> object:
    """Poll `condition` until it returns something truthy; fail if the run ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if run.poll() is not None:
            pytest.fail(f"the run ended before {what}:\n{run.stdout.read()[-3000:]}")
        time.sleep(0.02)
    run.kill()
    pytest.fail(f"timed out waiting for {what}")


def sft_between_checkpoints(workdir: Path) -> list[psutil.Process]:
    """The SFT process of TASK once its first resumable checkpoint is complete."""
    partial = workdir / "results/ci/sft" / f"{TASK}.partial"
    if not (partial / "checkpoint-1" / ".complete").is_file():
        return []
    return stage_processes(workdir, "stgrpo.stages.sft", f"task={TASK}")


def finish(run: subprocess.Popen, timeout: float = 900) -> tuple[int, str]:
    output, _ = run.communicate(timeout=timeout)
    return run.returncode, output


def test_a_killed_training_job_is_retried_resumes_and_matches(ci_run, tmp_path):
    run = start_snakemake(
        tmp_path, "--cores", "2", "--retries", "1", "--config", "experiment=ci", EVERY_STEP
    )
    sft = wait_until(lambda: sft_between_checkpoints(tmp_path), run, "SFT's first checkpoint")
    for process in sft:
        process.send_signal(signal.SIGKILL)
    code, output = finish(run)
    assert code == 0, output[-3000:]
    assert "Error in rule sft" in output  # the failure is reported, then the job retried
    log = (tmp_path / "results/ci/logs/sft" / f"{TASK}.log").read_text()
    assert "resuming from" in log and "checkpoint-" in log
    assert table_files(tmp_path) == table_files(ci_run)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_stopped_run_resumes_without_redoing_finished_work(ci_run, tmp_path, stop):
    """SIGTERM to the whole run is what SLURM sends at preemption or at the time limit;
    SIGKILL is a node failure. Either way, starting the run again finishes it."""
    run = start_snakemake(tmp_path, "--cores", "2", "--config", "experiment=ci")
    evaluating = wait_until(
        lambda: stage_processes(
            tmp_path, "stgrpo.stages.evaluate", f"eval.train_task={TASK}", "eval.stage=grpo"
        ),
        run,
        f"the evaluation of {TASK}'s GRPO checkpoint",
    )
    assert evaluating
    os.killpg(run.pid, stop)
    assert finish(run, timeout=120)[0] != 0
    root = tmp_path / "results/ci"
    # everything this evaluation needed had finished: none of it may be recomputed
    finished = {
        folder: file_snapshot(root / folder)
        for folder in (
            "model",
            f"layouts/{TASK}",
            "trajectories",
            f"datasets/{TASK}",
            f"sft/{TASK}",
            f"grpo/{TASK}",
        )
    }
    assert all(finished.values()), [folder for folder, files in finished.items() if not files]
    again = snakemake(tmp_path, "--cores", "2", "--config", "experiment=ci", timeout=900)
    if stop == signal.SIGKILL:
        # a killed Snakemake cannot release its lock: the step documented in docs/workflow.md
        assert "--unlock" in again.stdout + again.stderr and again.returncode != 0
        assert snakemake(tmp_path, "--unlock", "--config", "experiment=ci").returncode == 0
        again = snakemake(tmp_path, "--cores", "2", "--config", "experiment=ci", timeout=900)
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert {folder: file_snapshot(root / folder) for folder in finished} == finished
    assert table_files(tmp_path) == table_files(ci_run)


def test_a_job_that_keeps_failing_is_retried_then_reported(tmp_path):
    """A dataset file truncated after it was written: SFT fails with a one-line error naming
    the file, on its first attempt and on its retry; Snakemake then stops with the job's
    log shown and leaves no checkpoint behind."""
    until = snakemake(
        tmp_path, "--cores", "2", "--until", "datasets", "--config", "experiment=ci", timeout=600
    )
    assert until.returncode == 0, until.stderr[-3000:]
    data = tmp_path / "results/ci/datasets" / TASK / "sft_train.parquet"
    data.write_bytes(data.read_bytes()[:100])
    run = snakemake(
        tmp_path,
        "--cores",
        "1",
        "--retries",
        "1",
        "--until",
        "sft",
        "--config",
        "experiment=ci",
        timeout=600,
    )
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert output.count("Error in rule sft") == 2, output[-3000:]  # first try and retry
    log = (tmp_path / "results/ci/logs/sft" / f"{TASK}.log").read_text()
    assert "sft_train.parquet" in log and "Traceback" not in log
    assert not (tmp_path / "results/ci/sft" / TASK).exists()
