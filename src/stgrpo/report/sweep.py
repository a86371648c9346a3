"""A sweep's summary (the `sweep` stage): one row per point, task and trained stage.

`collect` reads each point's evaluations (`{results_dir}/sweep/{sweep}/{point}/evaluate/...`) and
training summaries into one frame; `plot` draws SR with 95% intervals against the grid's
first key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from stgrpo.config import ConfigError, StageError, checkpoint_dir, require
from stgrpo.evaluate import eval_dir
from stgrpo.report.figures import _pyplot, save
from stgrpo.workflow import (
    own_task_evaluations,
    point_root,
    sweep_points,
    sweep_tasks,
    touched_stages,
)


def collect(cfg: DictConfig) -> pd.DataFrame:
    sweep = cfg.get("sweep")
    if not sweep:
        raise ConfigError("config key 'sweep' is missing: name a sweep (sweep=grpo_lr_kl)")
    root = require(cfg, "results_dir", str)
    touched = touched_stages(list(sweep.grid))
    evaluations = own_task_evaluations(
        sweep_tasks(sweep, cfg.tasks), [s for s in cfg.workflow.stages if s in touched]
    )
    rows = []
    for point in sweep_points(sweep):
        folder = point_root(root, sweep.name, point)
        # the point's stage folders, as the workflow sets them (paths.* of touched stages)
        point_cfg = OmegaConf.merge(
            cfg, OmegaConf.from_dotlist([f"paths.{stage}={folder}" for stage in sorted(touched)])
        )
        values = dict(o.split("=", 1) for o in point)
        for evaluation in evaluations:
            task, stage = evaluation.task, evaluation.checkpoint[1]
            path = eval_dir(point_cfg, evaluation.model_id, task) / "metrics.json"
            if not path.is_file():
                raise StageError(f"{path} not found: the sweep point has not run")
            metrics = json.loads(path.read_text())
            summary = checkpoint_dir(point_cfg, stage, task) / "summary.json"
            after = (
                json.loads(summary.read_text()).get("validation_after") or {}
                if summary.is_file()
                else {}
            )
            rows.append(
                {
                    **values,
                    "task": task,
                    "stage": stage,
                    "n": metrics["n"],
                    "sr": metrics["sr"],
                    "sr_lo": metrics["sr_ci"][0],
                    "sr_hi": metrics["sr_ci"][1],
                    "asat": metrics["asat"],
                    "asst": metrics["asst"],
                    "val_accuracy": after.get("accuracy"),
                    "point": Path(folder).name,
                }
            )
    return pd.DataFrame(rows)


def plot(frame: pd.DataFrame, keys: list[str], stem: Path) -> None:
    plt = _pyplot()
    groups = list(frame.groupby(["task", "stage"], sort=False))
    fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 3.6), squeeze=False)
    first, rest = keys[0], keys[1:]
    for ax, ((task, stage), part) in zip(axes[0], groups, strict=True):
        lines = part.groupby(rest, sort=False) if rest else [((), part)]
        for label, line in lines:
            x = list(range(len(line)))
            ax.errorbar(
                x,
                line.sr,
                yerr=[line.sr - line.sr_lo, line.sr_hi - line.sr],
                marker="o",
                capsize=3,
                label=", ".join(f"{k}={v}" for k, v in zip(rest, _tuple(label), strict=True))
                or None,
            )
            ax.set_xticks(x, list(line[first]))
        ax.set(
            xlabel=first,
            ylabel="success rate",
            ylim=(-0.02, 1.02),
            title=f"{task.replace('_', ' ')} ({stage})",
        )
        if rest:
            ax.legend(fontsize=7)
    fig.tight_layout()
    save(fig, stem)


def _tuple(label) -> tuple:
    return label if isinstance(label, tuple) else (label,)
