"""Test helper: the stages upstream of training, run in-process in workflow order."""

from __future__ import annotations

from stgrpo.stages import layouts as layouts_stage
from stgrpo.stages.datasets import main as datasets_main
from stgrpo.stages.trajectories import main as expert_main


def build_datasets(cfg) -> None:
    """layouts -> planner trajectories -> single-turn datasets, for `cfg.task`."""
    layouts_stage.main(cfg)
    expert_main(cfg)
    datasets_main(cfg)
