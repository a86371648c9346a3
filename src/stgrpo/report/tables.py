"""Tables 1-4 from the evaluations on disk.

`collect` reads every evaluation's `metrics.json` into one tidy frame (`results.csv`, the
source of every table). Table 1: per task, the expert, the prompted baselines, SFT and
SFT+GRPO (and our references: planner, random). Tables 2-4: SR, ASAT and ASST of the
`workflow.matrix` stage trained on each task (rows) and evaluated on every task (columns).
Each also comes in a "vs paper" form beside the published values (`paper_results.csv`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from stgrpo.config import StageError
from stgrpo.evaluate import eval_dir
from stgrpo.workflow import Evaluation, evaluations

METRICS = ("sr", "asat", "asst")
MATRIX_TABLES = {2: "sr", 3: "asat", 4: "asst"}
PAPER_RESULTS = Path(__file__).with_name("paper_results.csv")
PAPER_TRAINED_MODEL = "qwen2.5-1.5b"  # the paper's SFT/GRPO model and its own base


def metrics_path(cfg: DictConfig, evaluation: Evaluation) -> Path:
    return eval_dir(cfg, evaluation.model_id, evaluation.task) / "metrics.json"


def role(evaluation: Evaluation) -> str:
    if evaluation.checkpoint:
        return evaluation.checkpoint[1]
    if evaluation.model:
        return "base"
    return "expert" if evaluation.model_id.startswith("expert-") else evaluation.model_id


def collect(cfg: DictConfig) -> pd.DataFrame:
    """One row per evaluation: who, where, and every metric with its interval."""
    rows = []
    for evaluation in evaluations(cfg):
        path = metrics_path(cfg, evaluation)
        if not path.is_file():
            raise StageError(
                f"{path} not found: the evaluation {evaluation.model_id} on "
                f"{evaluation.task} has not run"
            )
        metrics = json.loads(path.read_text())
        row = {
            "model_id": evaluation.model_id,
            "role": role(evaluation),
            "model": evaluation.model or (cfg.model.name if evaluation.checkpoint else ""),
            "train_task": evaluation.checkpoint[0] if evaluation.checkpoint else "",
            "task": evaluation.task,
        }
        for key in (
            "n",
            "successes",
            *METRICS,
            "invalid_rate",
            "mean_optimal_steps",
            "steps_to_optimal",
            "panel_hash",
        ):
            row[key] = metrics.get(key)
        for metric in METRICS:
            low, high = metrics.get(f"{metric}_ci") or (None, None)
            row[f"{metric}_lo"], row[f"{metric}_hi"] = low, high
        paper_panel = metrics.get("paper_panel") or {}
        for metric in METRICS:
            row[f"{metric}_first10"] = paper_panel.get(metric)
        rows.append(row)
    return pd.DataFrame(rows)


# -- Table 1 -------------------------------------------------------------------------------


def row_label(cfg: DictConfig, record) -> str:
    trained = cfg.model.name
    return {
        "expert": f"{cfg.expert.get('model', cfg.expert.name)} (expert)",
        "base": record["model"],
        "sft": f"{trained} (w/ SFT)",
        "grpo": f"{trained} (w/ SFT & GRPO)",
        "planner": (
            "optimal planner (expert)"
            if cfg.expert.kind == "planner"
            else "optimal planner (upper bound)"
        ),
        "random": "random valid action (lower bound)",
    }[record["role"]]


ROLE_ORDER = {"expert": 0, "planner": 1, "base": 2, "sft": 3, "grpo": 4, "random": 5}


def table1(cfg: DictConfig, results: pd.DataFrame) -> pd.DataFrame:
    """Per task: expert, baselines, SFT, SFT+GRPO (each trained on the task), references."""
    own = results[(results.train_task == "") | (results.train_task == results.task)].copy()
    own["row"] = [row_label(cfg, r) for _, r in own.iterrows()]
    own["order"] = own.role.map(ROLE_ORDER)
    own["task_order"] = own.task.map({t: i for i, t in enumerate(cfg.tasks)})
    own = own.sort_values(["task_order", "order"], kind="stable")
    columns = ["task", "row", "role", "model_id", "model", "train_task", "n"] + [
        f"{m}{s}" for m in METRICS for s in ("", "_lo", "_hi")
    ]
    return own[columns].reset_index(drop=True)


def matrix(cfg: DictConfig, results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Train task (rows) x eval task (columns) of the `workflow.matrix` stage."""
    stage = cfg.workflow.matrix
    cells = results[results.role == stage]
    table = cells.pivot(index="train_task", columns="task", values=metric)
    tasks = list(cfg.tasks)
    table = table.reindex(index=tasks, columns=tasks)
    table.index.name, table.columns.name = "train task", None
    return table


# -- paper values --------------------------------------------------------------------------


def paper_results() -> pd.DataFrame:
    return pd.read_csv(
        PAPER_RESULTS,
        comment="#",
        keep_default_na=False,
        na_values={"sr": [""], "asat": [""], "asst": [""]},
    )


def paper_value(paper: pd.DataFrame, cfg: DictConfig, record, metric: str):
    """The published value for our row, if the paper has one (the planner stands in for
    the paper's expert when it is the experiment's expert)."""
    role = record["role"]
    if role == "planner" and cfg.expert.kind == "planner":
        role = "expert"
    found = paper[(paper.role == role) & (paper.task == record["task"])]
    if role == "base":
        name = record["model"]
        if name not in set(paper.model):  # our trained model's own base stands in for the paper's
            name = PAPER_TRAINED_MODEL if name == cfg.model.name else None
        found = found[found.model == name]
    elif role in ("sft", "grpo"):
        found = found[found.train_task == record.get("train_task", record["task"])]
    elif role != "expert":
        return None
    return None if found.empty else _number(found.iloc[0][metric])


def table1_vs_paper(cfg: DictConfig, table: pd.DataFrame) -> pd.DataFrame:
    paper = paper_results()
    out = table[["task", "row"]].copy()
    for metric in METRICS:
        out[metric] = [cell(r, metric) for _, r in table.iterrows()]
        out[f"{metric} (paper)"] = [
            _fmt(paper_value(paper, cfg, r, metric), metric) for _, r in table.iterrows()
        ]
    return out


def matrix_vs_paper(cfg: DictConfig, results: pd.DataFrame, metric: str) -> pd.DataFrame:
    paper = paper_results()
    stage = cfg.workflow.matrix
    cells = results[results.role == stage].set_index(["train_task", "task"])
    tasks = list(cfg.tasks)
    rows = []
    for train in tasks:
        row = {"train task": train}
        for task in tasks:
            ours = cell(cells.loc[(train, task)], metric) if (train, task) in cells.index else "—"
            theirs = paper_value(
                paper, cfg, {"role": stage, "task": task, "train_task": train, "model": ""}, metric
            )
            row[task] = f"{ours} / {_fmt(theirs, metric)}"
        rows.append(row)
    return pd.DataFrame(rows)


# -- rendering -----------------------------------------------------------------------------


def cell(record, metric: str) -> str:
    """`0.30 [0.12, 0.54]`: the value and its 95% interval; `—` when undefined."""
    value = _number(record[metric])
    if value is None:
        return "—"
    low, high = _number(record[f"{metric}_lo"]), _number(record[f"{metric}_hi"])
    shown_as = metric.removesuffix("_gain")  # a gain prints like its metric
    text = _fmt(value, shown_as)
    return (
        text
        if low is None or high is None
        else (f"{text} [{_fmt(low, shown_as)}, {_fmt(high, shown_as)}]")
    )


def display(table: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as printed: one cell per metric with its interval (and GRPO's paired gain)."""
    out = table[["task", "row", "n"]].copy()
    for metric in METRICS:
        out[metric.upper()] = [cell(r, metric) for _, r in table.iterrows()]
    if "sr_gain" in table:
        out["SR gain over SFT"] = [
            cell(r, "sr_gain") if _number(r["sr_gain"]) is not None else ""
            for _, r in table.iterrows()
        ]
    return out


def with_gain(table: pd.DataFrame, gains: pd.DataFrame) -> pd.DataFrame:
    """Table 1 with the paired SR gain over SFT (and its interval) on the SFT+GRPO rows."""
    out = table.copy()
    by_task = gains.set_index("task")
    for column, source in (
        ("sr_gain", "gain"),
        ("sr_gain_lo", "gain_lo"),
        ("sr_gain_hi", "gain_hi"),
    ):
        out[column] = [
            by_task.loc[r.task, source] if r.role == "grpo" and r.task in by_task.index else None
            for r in out.itertuples()
        ]
    return out


def display_gain(gains: pd.DataFrame) -> pd.DataFrame:
    """The gain table as printed: `+0.10 [+0.02, +0.18]` per task and over tasks."""

    def signed(value) -> str:
        return f"{value:+.2f}"

    out = gains[["task", "pairs", "better", "worse"]].copy()
    out["SR gain [95%]"] = [
        f"{signed(r.gain)} [{signed(r.gain_lo)}, {signed(r.gain_hi)}]" for r in gains.itertuples()
    ]
    return out


def display_matrix(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    return table.apply(lambda column: column.map(lambda v: _fmt(_number(v), metric)))


def _number(value):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN: undefined


def _fmt(value, metric: str) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if metric == "sr" else f"{value:.1f}"
