"""The `layouts` stage: train and test layouts of one task, each with its optimal length.

    python -m stgrpo.stages.layouts task=burger [layouts.train.count=100 ...]

writes `{results_dir}/layouts/{task}/train.jsonl` and `test.jsonl` with `{split}.meta.json`
(stgrpo.expert.layouts says how each split is drawn and checked).
"""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig

from stgrpo import paths
from stgrpo.config import ConfigError, StageError, require, run_cli, stage_root
from stgrpo.expert.layouts import ON_UNSOLVABLE, SPLITS, SplitSpec, build_split, write_split
from stgrpo.kitchen.tasks import TASKS, get_task

log = logging.getLogger("stgrpo.layouts")


def main(cfg: DictConfig) -> None:
    task = require(cfg, "task", str, choices=sorted(TASKS))
    specs = {split: split_spec(cfg, split) for split in SPLITS}
    max_states = require(cfg, "layouts.max_states", int, minimum=1)
    on_unsolvable = require(cfg, "layouts.on_unsolvable", str, choices=ON_UNSOLVABLE)
    workers = require(cfg, "layouts.workers", int, minimum=1)
    for spec in specs.values():
        missing = [f for f in spec.files if not Path(f).is_file()]
        if missing:
            raise ConfigError(f"layouts: Robotouille file(s) not found: {missing}")
    directory = paths.layouts(stage_root(cfg, "layouts"), task)
    built = {}
    exclude: set[str] = set()
    for split in SPLITS:  # train first: test excludes every train hash
        built[split] = build_split(task, specs[split], exclude, max_states, on_unsolvable, workers)
        exclude |= {layout.content_hash for layout in built[split][0]}
        if not built[split][0]:
            raise StageError(f"layouts: the {split} split of {task} is empty")
    for split in SPLITS:  # written only once both are complete
        write_split(directory, split, *built[split])
        log.info(
            "%s %s: %d layouts, mean optimal %.1f steps",
            task,
            split,
            len(built[split][0]),
            _mean(built[split][1]),
        )


def split_spec(cfg: DictConfig, split: str) -> SplitSpec:
    """`layouts.{split}` as a checked SplitSpec (errors name the key)."""
    key = f"layouts.{split}"
    within = cfg.layouts[split].get("within_timeout", False)
    solve = cfg.layouts[split].get("solve", True)
    for name, value in (("within_timeout", within), ("solve", solve)):
        if not isinstance(value, bool):
            raise ConfigError(f"config key '{key}.{name}' must be true or false, got {value!r}")
    if not solve and within:
        raise ConfigError(
            f"config key '{key}.solve' must be true with {key}.within_timeout "
            f"(optimal lengths are needed), got false"
        )
    return SplitSpec(
        count=require(cfg, f"{key}.count", int, minimum=0),
        first_seed=require(cfg, f"{key}.first_seed", int, minimum=0),
        files=tuple(cfg.layouts[split].get("files") or ()),
        include_default=bool(cfg.layouts[split].get("include_default", False)),
        max_optimal=get_task(cfg.task).timeout if within else None,
        solve=solve,
    )


def _mean(values: list[int | None]) -> float:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else float("nan")


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
