"""The benchmarks run and print their ratios (timings themselves are never asserted)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from stgrpo.kitchen.robotouille_adapter import robotouille_available

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run_benchmark(script: str, *args: str, timeout: int = 300) -> str:
    """The benchmark's standard output (it must exit 0)."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    ).stdout


def test_kitchen_benchmark_prints_ratios():
    stdout = run_benchmark("bench_kitchen.py", "--quick", "--steps", "10")
    assert "ratio successor generation (stgrpo + deepcopy / stgrpo):" in stdout
    assert "ratio agent-facing step    (stgrpo + deepcopy / stgrpo):" in stdout
    if robotouille_available():
        assert "ratio successor generation (robotouille / stgrpo):" in stdout
        assert "ratio agent-facing step    (robotouille / stgrpo):" in stdout
    else:
        assert "robotouille: not importable here" in stdout


def test_kitchen_benchmark_claims_no_robotouille_ratio_without_it(monkeypatch, capsys):
    # Run in-process with Robotouille made unavailable, wherever the tests run.
    spec = importlib.util.spec_from_file_location("bench_kitchen", BENCHMARKS / "bench_kitchen.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(bench, "robotouille_available", lambda: False)
    monkeypatch.setattr(bench, "robotouille", None)  # calling it would fail the test
    monkeypatch.setattr(sys, "argv", ["bench_kitchen.py", "--quick", "--steps", "5"])
    bench.main()
    lines = capsys.readouterr().out.splitlines()
    mentions = [line for line in lines if "robotouille" in line.lower()]
    assert mentions == [line for line in mentions if "comparison skipped" in line]
    assert len(mentions) == 1
    assert any(line.startswith("  ratio successor generation (stgrpo + deepcopy") for line in lines)


def test_planner_benchmark_runs():
    stdout = run_benchmark("bench_planner.py", "--quick")
    lines = stdout.splitlines()
    assert lines[0].split()[:4] == ["task", "planned", "median", "s"]
    assert [line.split()[0] for line in lines[1:]] == [
        "cheese_sandwich",
        "burger",
        "cheeseburger",
        "double_cheeseburger",
    ]
    # the default layout and the two generated ones, each solved within the cap
    assert all(line.split()[1] == "3/3" for line in lines[1:])


def test_inference_benchmark_prints_ratios():
    stdout = run_benchmark("bench_inference.py", "--quick")
    assert "hf one at a time (baseline)" in stdout
    assert "hf batched" in stdout and "x" in stdout.split("hf batched")[1]


def test_training_benchmark_prints_its_table_and_ratio():
    stdout = run_benchmark(
        "bench_training.py", "--quick", "--tasks", "cheese_sandwich", timeout=600
    )
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("task"))
    assert "after grpo" in lines[header]
    assert lines[header + 1].split()[0] == "cheese_sandwich"
    assert "baseline sft steps/s" in stdout
    assert "ratio sft steps/s, train.threads=1 / baseline:" in stdout


def test_eval_benchmark_prints_its_ratio_and_same_episodes():
    stdout = run_benchmark("bench_eval.py", "--quick", timeout=600)
    assert "hf one episode at a time (baseline)" in stdout
    assert "hf lock-step batched" in stdout and "(same episodes)" in stdout


def test_planner_benchmark_takes_task_names_and_names_an_unknown_one():
    stdout = run_benchmark("bench_planner.py", "--tasks", "burger", "--layouts", "1")
    assert [line.split()[0] for line in stdout.splitlines()[1:]] == ["burger"]
    failed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_planner.py"), "--tasks", "burger,pizza"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 2 and not failed.stdout
    assert failed.stderr.splitlines()[-1].startswith("bench_planner.py: error: --tasks:")
    assert "'pizza'" in failed.stderr
