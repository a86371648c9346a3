"""Bad input at every stage's command line, on a copy of a finished `ci` run: each is one
line on stderr naming the file or key and what was expected, exit status 2, no traceback,
and nothing written (the run's files are exactly as before)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
TASK = "cheese_sandwich"
EVAL = ["stgrpo.stages.evaluate", "experiment=ci", f"task={TASK}"]
SFT = ["stgrpo.stages.sft", "experiment=ci", f"task={TASK}"]


@pytest.fixture
def run_copy(ci_run, tmp_path) -> Path:
    shutil.copytree(
        ci_run / "results",
        tmp_path / "results",
        ignore=shutil.ignore_patterns("logs", "benchmarks"),
    )
    return tmp_path


def garble_line(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([lines[0], '{"seed": 3, "grid": [\n', *lines[1:]]))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def empty(path: Path) -> None:
    path.write_text("")


def tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


CASES = {
    "corrupt layout file": (
        f"layouts/{TASK}/test.jsonl",
        garble_line,
        [*EVAL, "eval.policy=planner"],
        f"layouts/{TASK}/test.jsonl:2",
    ),
    "empty test panel": (
        f"layouts/{TASK}/test.jsonl",
        empty,
        [*EVAL, "eval.policy=planner"],
        f"layouts/{TASK}/test.jsonl",
    ),
    "corrupt trajectory file": (
        f"trajectories/planner/{TASK}.jsonl",
        garble_line,
        ["stgrpo.stages.datasets", "experiment=ci", f"task={TASK}"],
        f"trajectories/planner/{TASK}.jsonl:2",
    ),
    "truncated parquet": (
        f"datasets/{TASK}/sft_train.parquet",
        truncate,
        SFT,
        f"datasets/{TASK}/sft_train.parquet",
    ),
    "truncated checkpoint": (
        f"grpo/{TASK}/model.safetensors",
        truncate,
        [*EVAL, "eval.policy=checkpoint", "eval.stage=grpo"],
        f"grpo/{TASK}",
    ),
    "truncated SFT checkpoint for GRPO": (
        f"sft/{TASK}/model.safetensors",
        truncate,
        ["stgrpo.stages.grpo", "experiment=ci", f"task={TASK}"],
        f"sft/{TASK}/model.safetensors",
    ),
    "unknown model name": (None, None, [*EVAL, "eval.policy=base", "model=gpt-9"], "gpt-9"),
    "malformed override": (None, None, [*SFT, "sft.lr=[1,"], "sft.lr=[1,"),
    "unknown key": (None, None, [*SFT, "sft.learning_rate=1e-4"], "learning_rate"),
    "wrong type": (None, None, [*SFT, "sft.max_steps=many"], "sft.max_steps"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_one_clear_line_and_writes_nothing(run_copy, name):
    relative, damage, command, named = CASES[name]
    results = run_copy / "results/ci"
    if relative:
        damage: Callable[[Path], None]
        damage(results / relative)
    before = tree(run_copy)
    run = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=run_copy,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 2, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and named in errors[0], run.stderr[-2000:]
    assert tree(run_copy) == before
