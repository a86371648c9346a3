"""Evaluation: batched multi-turn rollouts, the paper's metrics with intervals, baselines."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from stgrpo import paths
from stgrpo.config import stage_root


def eval_dir(cfg: DictConfig, model_id: str, task: str) -> Path:
    """`{paths.evaluate}/evaluate/{model_id}/{task}`: one evaluation's files."""
    return paths.evaluation(stage_root(cfg, "evaluate"), model_id, task)
