"""Test helper: the stages upstream of training, run in-process in workflow order."""

from __future__ import annotations

from stgrpo.data.__main__ import main as datasets_main
from stgrpo.expert import layouts as layouts_stage
from stgrpo.expert.__main__ import main as expert_main


def build_datasets(cfg) -> None:
    """layouts -> planner trajectories -> single-turn datasets, for `cfg.task`."""
    layouts_stage.main(cfg)
    expert_main(cfg)
    datasets_main(cfg)
