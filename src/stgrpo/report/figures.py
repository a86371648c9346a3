"""The report's figures (matplotlib, each as PNG and PDF): SR per model and task with 95%
intervals, the train x eval SR heatmap, training curves, and steps-to-optimal distributions.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from stgrpo.config import checkpoint_dir
from stgrpo.evaluate import eval_dir
from stgrpo.io import atomic_open, read_jsonl


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, stem: Path) -> list[Path]:
    """`stem.png` and `stem.pdf`, each written atomically."""
    plt = _pyplot()
    paths = []
    for suffix in (".png", ".pdf"):
        path = stem.with_suffix(suffix)
        with atomic_open(path, "wb") as handle:
            # no creation date in the PDF: the same results give the same bytes
            fig.savefig(
                handle,
                format=suffix[1:],
                dpi=120,
                metadata={"CreationDate": None} if suffix == ".pdf" else {},
            )
        paths.append(path)
    plt.close(fig)
    return paths


def sr_bars(table1: pd.DataFrame, tasks: list[str], stem: Path) -> list[Path]:
    """Grouped bars: one group per task, one bar per Table 1 row, Wilson 95% intervals."""
    plt = _pyplot()
    rows = list(dict.fromkeys(table1.row))
    width = 0.8 / max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.8 * len(tasks) + 2), 3.8))
    for i, row in enumerate(rows):
        part = table1[table1.row == row].set_index("task").reindex(tasks)
        x = [t + (i - (len(rows) - 1) / 2) * width for t in range(len(tasks))]
        sr = part.sr.fillna(0).astype(float)
        errors = [
            (sr - part.sr_lo.fillna(0)).clip(lower=0),
            (part.sr_hi.fillna(0) - sr).clip(lower=0),
        ]
        ax.bar(x, sr, width, yerr=errors, capsize=2, label=row)
    ax.set_xticks(range(len(tasks)), [t.replace("_", " ") for t in tasks])
    ax.set(ylabel="success rate", ylim=(0, 1.05), title="Success rate per model (95% CI)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return save(fig, stem)


def sr_heatmap(matrix: pd.DataFrame, title: str, stem: Path) -> list[Path]:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.3 * len(matrix.columns) + 2.5, 1.0 * len(matrix) + 1.5))
    values = matrix.astype(float).to_numpy()
    image = ax.imshow(values, vmin=0, vmax=1, cmap="viridis")
    labels = [t.replace("_", " ") for t in matrix.columns]
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(matrix.index)), [t.replace("_", " ") for t in matrix.index])
    ax.set(xlabel="evaluated on", ylabel="trained on", title=title)
    for (i, j), value in pd.DataFrame(values).stack().items():
        ax.text(
            j,
            i,
            f"{value:.2f}",
            ha="center",
            va="center",
            color="white" if value < 0.5 else "black",
            fontsize=9,
        )
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return save(fig, stem)


def training_curves(cfg: DictConfig, stem: Path) -> list[Path]:
    """Per task: SFT loss and GRPO reward by step, from each checkpoint's metrics.csv."""
    plt = _pyplot()
    stages = [s for s in ("sft", "grpo") if s in cfg.workflow.stages]
    fig, axes = plt.subplots(
        1, max(len(stages), 1), figsize=(5 * max(len(stages), 1), 3.5), squeeze=False
    )
    signals = {"sft": "loss", "grpo": "reward_mean"}
    for ax, stage in zip(axes[0], stages, strict=False):
        for task in cfg.tasks:
            path = checkpoint_dir(cfg, stage, task) / "metrics.csv"
            if not path.is_file():
                continue
            rows = pd.read_csv(path)
            if signals[stage] in rows:
                rows = rows.dropna(subset=[signals[stage]])
                ax.plot(rows.step, rows[signals[stage]], label=task.replace("_", " "))
        ax.set(xlabel="step", ylabel=signals[stage], title=f"{stage.upper()}: {signals[stage]}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, stem)


def steps_to_optimal(cfg: DictConfig, table1: pd.DataFrame, stem: Path) -> list[Path]:
    """Distribution of steps / optimal steps over successful episodes, per model and task."""
    plt = _pyplot()
    tasks = list(cfg.tasks)
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.6 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        data, labels = [], []
        for _, record in table1[table1.task == task].iterrows():
            path = eval_dir(cfg, record.model_id, task) / "episodes.jsonl"
            ratios = [
                e["steps"] / e["optimal_steps"]
                for _, e in read_jsonl(path)
                if e["success"] and e.get("optimal_steps")
            ]
            if ratios:
                data.append(ratios)
                labels.append(record.row)
        if data:
            ax.boxplot(data, vert=False)
            ax.set_yticks(range(1, len(labels) + 1), labels, fontsize=7)
        else:
            ax.text(
                0.5, 0.5, "no successful episode", ha="center", va="center", transform=ax.transAxes
            )
        ax.axvline(1.0, color="grey", linestyle=":")
        ax.set(xlabel="steps / optimal steps", title=task.replace("_", " "))
    fig.tight_layout()
    return save(fig, stem)
