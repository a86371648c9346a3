"""Training benchmark at the `tiny` CPU settings, per task: SFT and GRPO steps/s, wall time,
and single-turn validation accuracy before SFT, after SFT and after GRPO.

Runs the real stages (layouts -> planner trajectories -> datasets -> tiny model -> sft ->
grpo) in a temporary results folder (or `--keep DIR`), with the config's `sft=tiny` and
`grpo=tiny` settings plus any Hydra overrides given after `--`. Baseline, measured in the
same run: SFT steps/s with torch's default thread count against `train.threads=1` (the
setting the tiny configs use on 2 cores). Asserts nothing about time.

    python benchmarks/bench_training.py [--tasks burger ...] [--layouts 100] [--quick]
                                        [-- sft.max_steps=200 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from stgrpo.config import compose
from stgrpo.kitchen.tasks import PAPER_TASKS
from stgrpo.stages import layouts as layouts_stage
from stgrpo.stages.datasets import main as datasets_main
from stgrpo.stages.model import main as tiny_main
from stgrpo.stages.trajectories import main as expert_main
from stgrpo.train.stage import run_stage

QUICK = [
    "sft.max_steps=6",
    "grpo.max_steps=2",
    "grpo.val_every=0",
    "train.val_max_prompts=8",
    "train.val_max_tokens=24",
]


def summary(root: Path, task: str, stage: str) -> dict:
    return json.loads((root / stage / task / "summary.json").read_text())


def accuracy(validation: dict | None) -> str:
    return "-" if not validation else f"{validation['accuracy']:.3f}"


def run_task(root: Path, task: str, overrides: list[str]) -> dict:
    cfg = compose([f"results_dir={root}", f"task={task}", *overrides])
    start = time.perf_counter()
    layouts_stage.main(cfg)
    expert_main(cfg)
    datasets_main(cfg)
    data_seconds = time.perf_counter() - start
    run_stage(cfg, "sft")
    run_stage(cfg, "grpo")
    sft, grpo = summary(root, task, "sft"), summary(root, task, "grpo")
    return {
        "task": task,
        "data_s": data_seconds,
        "sft": sft,
        "grpo": grpo,
        "wall_s": time.perf_counter() - start,
    }


def thread_baseline(root: Path, task: str, overrides: list[str], steps: int) -> tuple[float, float]:
    """SFT steps/s with torch's default threads (baseline) and with one thread (ours)."""
    rates = []
    for threads in (os.cpu_count() or 1, 1):
        run_stage(
            compose(
                [
                    f"results_dir={root}",
                    f"task={task}",
                    *overrides,
                    f"sft.max_steps={steps}",
                    "sft.val_every=0",
                    "train.val_max_prompts=1",
                    f"train.threads={threads}",
                ]
            ),
            "sft",
        )
        rates.append(summary(root, task, "sft")["steps_per_second"])
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(PAPER_TASKS))
    parser.add_argument("--layouts", type=int, default=100, help="train layouts per task")
    parser.add_argument("--quick", action="store_true", help="a few steps (smoke run)")
    parser.add_argument("--keep", type=Path, help="results folder to keep (default: temp)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for every stage")
    args = parser.parse_args()
    layouts = 4 if args.quick else args.layouts
    overrides = [
        "prompt.template=react-compact-v1",
        f"layouts.train.count={layouts}",
        "layouts.test.count=1",
        "layouts.workers=2",
        *(QUICK if args.quick else []),
        *args.overrides,
    ]
    with tempfile.TemporaryDirectory() as scratch:
        root = (args.keep or Path(scratch)).resolve()
        tiny_main(compose([f"results_dir={root}", *overrides]))
        results = [run_task(root, task, overrides) for task in args.tasks]
        baseline, ours = thread_baseline(root, args.tasks[0], overrides, 6 if args.quick else 30)

    print(
        f"{'task':<20} {'sft steps/s':>11} {'grpo steps/s':>12} {'wall s':>7} "
        f"{'acc before':>10} {'after sft':>9} {'after grpo':>10}"
    )
    for r in results:
        sft, grpo = r["sft"], r["grpo"]
        print(
            f"{r['task']:<20} {sft['steps_per_second']:>11.2f} {grpo['steps_per_second']:>12.2f} "
            f"{r['wall_s']:>7.0f} {accuracy(sft['validation_before']):>10} "
            f"{accuracy(sft['validation_after']):>9} {accuracy(grpo['validation_after']):>10}"
        )
    print(f"baseline sft steps/s with torch's default {os.cpu_count()} threads: {baseline:.2f}")
    print(f"ratio sft steps/s, train.threads=1 / baseline: {ours / baseline:.2f}x")


if __name__ == "__main__":
    main()
