"""The benchmarks run and print their ratios (timings themselves are never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_kitchen_benchmark_prints_ratios():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_kitchen.py"), "--quick", "--steps", "10"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    assert "ratio successor generation (baseline / stgrpo):" in result.stdout
    assert "ratio agent-facing step    (baseline / stgrpo):" in result.stdout
    assert "baseline " in result.stdout


def test_planner_benchmark_runs():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_planner.py"), "--quick"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["task", "median", "s"]
    assert [line.split()[0] for line in lines[1:]] == [
        "cheese_sandwich", "burger", "cheeseburger", "double_cheeseburger"]


def test_inference_benchmark_prints_ratios():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_inference.py"), "--quick"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    assert "hf one at a time (baseline)" in result.stdout
    assert "hf batched" in result.stdout and "x" in result.stdout.split("hf batched")[1]


def test_training_benchmark_prints_its_table_and_ratio():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_training.py"), "--quick", "--tasks",
         "cheese_sandwich"],
        capture_output=True, text=True, check=True, timeout=600,
    )
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("task"))
    assert "after grpo" in lines[header]
    assert lines[header + 1].split()[0] == "cheese_sandwich"
    assert "baseline sft steps/s" in result.stdout
    assert "ratio sft steps/s, train.threads=1 / baseline:" in result.stdout


def test_eval_benchmark_prints_its_ratio_and_same_episodes():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_eval.py"), "--quick"],
        capture_output=True, text=True, check=True, timeout=600,
    )
    assert "hf one episode at a time (baseline)" in result.stdout
    assert "hf lock-step batched" in result.stdout and "(same episodes)" in result.stdout
