"""Where a training stage writes, and how a killed run resumes without mixing runs.

    {stage}/{task}/                      the finished Hugging Face checkpoint (declared output)
        config.json, model.safetensors, tokenizer files ...
        metrics.jsonl, metrics.csv       one row per logged step (loss, reward, KL, val_*)
        summary.json                     engine, steps, wall time, validation before/after,
                                         the run's fingerprint, inputs
        config.yaml                      the resolved config
        curve.png                        the learning curve
    {stage}/{task}.partial/              the engine's resumable checkpoints while it runs

A run's fingerprint hashes everything that decides its result (stage settings, model,
prompt, seed, input dataset, initial checkpoint). A restarted job resumes from the last
complete checkpoint of `.partial/` only if the fingerprints match; otherwise it starts clean.
The finished folder appears in one rename, so it is either absent or complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from stgrpo.io import write_json, write_jsonl

RUN_FILE = "run.json"
COMPLETE = ".complete"  # written into an engine checkpoint once it is fully saved


def fingerprint(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class RunFolder:
    def __init__(self, final: Path, run_fingerprint: str):
        self.final = Path(final)
        self.work = self.final.with_name(self.final.name + ".partial")
        self.fingerprint = run_fingerprint

    def prepare(self) -> bool:
        """Make the work folder; True if it holds the same run (resume), else start clean."""
        record = self.work / RUN_FILE
        if record.is_file():
            try:
                same = json.loads(record.read_text())["fingerprint"] == self.fingerprint
            except (ValueError, KeyError):
                same = False
            if same:
                return True
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        write_json(record, {"fingerprint": self.fingerprint})
        return False

    def latest_checkpoint(self, pattern: str = "checkpoint-*") -> Path | None:
        """The newest engine checkpoint marked complete (half-saved ones are ignored)."""
        done = [p for p in self.work.glob(pattern) if (p / COMPLETE).is_file()]
        return max(done, key=lambda p: int(p.name.rsplit("-", 1)[-1]), default=None)

    def finish(self, write: Callable[[Path], None], keep_work: bool = False) -> None:
        """Have `write(folder)` fill a temporary folder, then rename it to the final one."""
        tmp = self.final.with_name(f".{self.final.name}.tmp-{os.getpid()}")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        try:
            write(tmp)
            if self.final.exists():
                shutil.rmtree(self.final)
            os.replace(tmp, self.final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if not keep_work:
            shutil.rmtree(self.work, ignore_errors=True)


def mark_complete(checkpoint: Path) -> None:
    (Path(checkpoint) / COMPLETE).write_text("")


# Engine log keys -> our metric names (anything else keeps its own name).
METRIC_NAMES = {
    "learning_rate": "lr",
    "reward": "reward_mean",
    "reward_std": "reward_std",
    "rewards/format_reward/mean": "format_rate",
    "rewards/action_reward/mean": "accuracy",
    "completions/mean_length": "completion_length",
    "mean_token_accuracy": "token_accuracy",
    # verl
    "train/loss": "loss",
    "train/lr": "lr",
    "val/loss": "val_loss",
    "critic/score/mean": "reward_mean",
    "actor/kl_loss": "kl",
    "actor/pg_loss": "loss",
    "actor/lr": "lr",
    "response_length/mean": "completion_length",
}
SUMMARY_KEYS = (
    "train_runtime",
    "train_samples_per_second",
    "train_steps_per_second",
    "train_loss",
    "total_flos",
)


def metric_rows(history: list[dict]) -> list[dict]:
    """One row per step: the engine's log entries merged (later entries win), renamed."""
    rows: dict[int, dict] = {}
    for entry in history:
        if "step" not in entry or any(key in entry for key in SUMMARY_KEYS):
            continue
        row = rows.setdefault(int(entry["step"]), {"step": int(entry["step"])})
        for key, value in entry.items():
            if isinstance(value, (int, float)) and key != "step":
                row[METRIC_NAMES.get(key, key)] = value
    return [rows[step] for step in sorted(rows)]


def write_metrics(folder: Path, rows: list[dict]) -> None:
    import pandas as pd

    write_jsonl(folder / "metrics.jsonl", rows)
    columns = ["step", *sorted({key for row in rows for key in row} - {"step"})]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "metrics.csv", index=False)


def plot_curve(rows: list[dict], stage: str, title: str, path: Path) -> None:
    """Training signal (SFT loss; GRPO reward mean +- std) and validation accuracy by step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    signal = "loss" if stage == "sft" else "reward_mean"
    points = [(r["step"], r[signal]) for r in rows if signal in r]
    if points:
        steps, values = zip(*points, strict=True)
        left.plot(steps, values, label=signal)
        if signal == "reward_mean":
            spread = [r.get("reward_std", 0.0) for r in rows if signal in r]
            left.fill_between(
                steps,
                [v - s for v, s in zip(values, spread, strict=True)],
                [v + s for v, s in zip(values, spread, strict=True)],
                alpha=0.2,
            )
    left.set(xlabel="step", ylabel=signal, title=f"{title}: training")
    for key in ("val_accuracy", "val_optimal_accuracy", "val_format_rate"):
        points = [(r["step"], r[key]) for r in rows if key in r]
        if points:
            right.plot(*zip(*points, strict=True), marker="o", label=key.removeprefix("val_"))
    right.set(
        xlabel="step",
        ylabel="single-turn validation",
        ylim=(-0.02, 1.02),
        title=f"{title}: validation",
    )
    right.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
