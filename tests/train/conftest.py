"""A small run folder for training tests: cheese-sandwich layouts, planner trajectories and
datasets (compact prompts), with the session's tiny model as `model.path`."""

from __future__ import annotations

import pytest

from stgrpo.config import compose
from tests.pipeline import build_datasets

# a handful of steps, a batch the tiny model trains on quickly
FAST = [
    "sft.batch_size=4",
    "sft.micro_batch_size=4",
    "sft.max_steps=4",
    "sft.save_every=2",
    "sft.log_every=1",
    "grpo.batch_size=2",
    "grpo.n=2",
    "grpo.micro_batch_size=4",
    "grpo.max_steps=2",
    "grpo.save_every=1",
    "grpo.log_every=1",
    "grpo.val_every=1",
    "grpo.max_response_length=16",
    "train.val_max_prompts=6",
    "train.val_max_tokens=16",
]


@pytest.fixture(scope="session")
def run_overrides(tmp_path_factory, tiny_model):
    """Overrides naming a results folder with datasets for cheese_sandwich built."""
    root = tmp_path_factory.mktemp("train-run")
    base = [
        f"results_dir={root}",
        "task=cheese_sandwich",
        "prompt.template=react-compact-v1",
        "layouts.train.count=6",
        "layouts.test.count=1",
        f"model.path={tiny_model}",
    ]
    cfg = compose(base)
    build_datasets(cfg)
    return base


@pytest.fixture
def fresh_run(run_overrides, tmp_path):
    """The same inputs, with checkpoints written under a fresh results folder per test."""
    import shutil
    from pathlib import Path

    source = Path(run_overrides[0].split("=", 1)[1])
    shutil.copytree(source / "datasets", tmp_path / "datasets")
    return [f"results_dir={tmp_path}", *run_overrides[1:], *FAST]
