"""The `sweep_summary` stage: one row per sweep point, task and trained stage, and a plot.

    python -m stgrpo.stages.sweep_summary experiment=demo sweep=grpo_lr_kl

writes `{results_dir}/sweeps/{sweep}/summary.{csv,md}` and `summary.{png,pdf}`
(stgrpo.report.sweep reads the points' evaluations and training summaries).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from stgrpo.config import run_cli
from stgrpo.io import write_text
from stgrpo.report.sweep import collect, plot


def main(cfg: DictConfig) -> None:
    frame = collect(cfg)
    out = Path(cfg.results_dir) / "sweeps" / cfg.sweep.name
    plot(frame, list(cfg.sweep.grid), out / "summary")
    write_text(out / "summary.md", frame.to_markdown(index=False, disable_numparse=True) + "\n")
    write_text(out / "summary.csv", frame.to_csv(index=False))  # last: marks it done


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
