"""The `sweep` stage: one row per sweep point, task and trained stage, and a plot.

    python -m stgrpo.stages.sweep experiment=demo sweep=grpo_lr_kl

writes `{results_dir}/sweep/{sweep}/summary.{csv,md}` and `summary.{png,pdf}`, beside the
points' own run folders (stgrpo.report.sweep reads their evaluations and training summaries).
"""

from __future__ import annotations

from omegaconf import DictConfig

from stgrpo import paths
from stgrpo.config import require, run_cli
from stgrpo.io import write_text
from stgrpo.report.sweep import collect, plot


def main(cfg: DictConfig) -> None:
    frame = collect(cfg)
    out = paths.sweep(require(cfg, "results_dir", str), cfg.sweep.name)
    plot(frame, list(cfg.sweep.grid), out / "summary")
    write_text(out / "summary.md", frame.to_markdown(index=False, disable_numparse=True) + "\n")
    write_text(out / "summary.csv", frame.to_csv(index=False))  # last: marks it done


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
