"""The `datasets` stage: single-turn SFT and RL datasets of one task from its trajectories.

    python -m stgrpo.stages.datasets task=burger [data.reward_mode=optimal data.val_fraction=0.1]
    python -m stgrpo.stages.datasets task=burger prompt.template=react-dish-v5 \
        data.feedback_share=0.3
    python -m stgrpo.stages.datasets task=burger data.recoveries_in=[rl]  # expert.recoveries > 0

reads `{results_dir}/trajectories/{data.expert}/{task}.jsonl` and writes
`{results_dir}/datasets/{task}/{sft,rl}_{train,val}.parquet` (verl's schemas) and
`manifest.json` (row counts, file hashes, layouts per split, the prompt template and its hash).
"""

from __future__ import annotations

import logging

from omegaconf import DictConfig, ListConfig

from stgrpo import paths
from stgrpo.config import ConfigError, StageError, require, run_cli, stage_root, to_yaml
from stgrpo.data.datasets import RL_SCHEMA, SFT_SCHEMA, rows, split_layouts, write_parquet
from stgrpo.data.prompts import TEMPLATES, template_hash, template_option
from stgrpo.data.reward import MODES
from stgrpo.expert.trajectories import read_trajectories
from stgrpo.io import sha256_file, write_json, write_text
from stgrpo.kitchen.tasks import TASKS

log = logging.getLogger("stgrpo.data")


def main(cfg: DictConfig) -> None:
    task = require(cfg, "task", str, choices=sorted(TASKS))
    template = require(cfg, "prompt.template", str, choices=sorted(TEMPLATES))
    reward_mode = require(cfg, "data.reward_mode", str, choices=MODES)
    expert = require(cfg, "data.expert", str)
    fraction = require(cfg, "data.val_fraction", (float, int))
    if not 0 <= fraction < 1:
        raise ConfigError(f"config key 'data.val_fraction' must lie in [0, 1), got {fraction}")
    feedback_share = require(cfg, "data.feedback_share", (float, int))
    if not 0 <= feedback_share <= 1:
        raise ConfigError(
            f"config key 'data.feedback_share' must lie in [0, 1], got {feedback_share}"
        )
    if feedback_share and template_option(template, "feedback") == "none":
        raise ConfigError(
            f"config key 'data.feedback_share' is {feedback_share}, but prompt template "
            f"{template!r} shows no rejected actions (use one with feedback, e.g. react-dish-v5)"
        )
    recoveries_in = list(require(cfg, "data.recoveries_in", ListConfig))
    unknown = sorted(set(recoveries_in) - {"sft", "rl"})
    if unknown:
        raise ConfigError(
            f"config key 'data.recoveries_in' may hold only 'sft' and 'rl', got {unknown}"
        )
    source = paths.trajectories(stage_root(cfg, "trajectories"), expert, task)
    records = read_trajectories(source)
    if not records:
        raise StageError(f"{source}: no steps")
    other = sorted({r["task"] for r in records} - {task})
    if other:
        raise StageError(f"{source}: holds steps of other tasks {other}")
    val_layouts = split_layouts([r["layout"] for r in records], fraction, cfg.seed)
    # recovery steps (expert.recoveries) go only to the train files named in
    # data.recoveries_in: validation measures the expert's own path, with or without them
    plain = [r for r in records if not r.get("recovery")]
    recovery = [r for r in records if r.get("recovery") and r["layout"] not in val_layouts]
    parts = {
        "train": [r for r in plain if r["layout"] not in val_layouts],
        "val": [r for r in plain if r["layout"] in val_layouts],
    }
    out = paths.datasets(stage_root(cfg, "datasets"), task)
    manifest = {
        "task": task,
        "source": str(source),
        "source_sha256": sha256_file(source),
        "template": template,
        "template_hash": template_hash(template),
        "reward_mode": reward_mode,
        "feedback_share": feedback_share,
        "recovery_steps": {k: len(recovery) if k in recoveries_in else 0 for k in ("sft", "rl")},
        "files": {},
        "layouts": {},
    }
    for split, part in parts.items():
        # validation rows stay plain, so single-step accuracy means the same with feedback
        share = feedback_share if split == "train" else 0.0
        sft, rl = rows(part, task, template, reward_mode, share, cfg.seed)
        if split == "train" and recovery and recoveries_in:
            both = rows(part + recovery, task, template, reward_mode, share, cfg.seed)
            sft, rl = (
                (both[0] if "sft" in recoveries_in else sft),
                (both[1] if "rl" in recoveries_in else rl),
            )
        for kind, table_rows, schema in (("sft", sft, SFT_SCHEMA), ("rl", rl, RL_SCHEMA)):
            name = f"{kind}_{split}.parquet"
            digest = write_parquet(out / name, table_rows, schema)
            manifest["files"][name] = {"rows": len(table_rows), "sha256": digest}
        manifest["layouts"][split] = sorted({r["layout"] for r in part})
    write_text(out / "config.yaml", to_yaml(cfg))
    write_json(out / "manifest.json", manifest)  # last: it marks the stage done
    log.info(
        "%s: %d train / %d val steps (%d / %d layouts)",
        task,
        len(parts["train"]),
        len(parts["val"]),
        len(manifest["layouts"]["train"]),
        len(manifest["layouts"]["val"]),
    )


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
