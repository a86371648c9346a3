"""One training stage (sft or grpo) of one task, whichever the engine: check everything,
resume or start clean, train, and write the finished checkpoint folder in one rename
(layout in stgrpo.train.outputs)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from stgrpo import paths
from stgrpo.config import ConfigError, StageError, checkpoint_dir, require, stage_root, to_yaml
from stgrpo.io import sha256_file, write_json, write_text
from stgrpo.train.outputs import RunFolder, fingerprint, metric_rows, plot_curve, write_metrics
from stgrpo.train.settings import StageSettings, read_settings
from stgrpo.train.validate import load_validation

log = logging.getLogger("stgrpo.train")

TRAIN_FILE = {"sft": "sft_train.parquet", "grpo": "rl_train.parquet"}
VAL_FILE = "rl_val.parquet"  # validation scores answers: it needs the RL rows' ground truth


def run_stage(cfg: DictConfig, stage: str) -> None:
    s = read_settings(cfg, stage)
    train_cfg = require(cfg, "train", DictConfig)
    _check_report_to(train_cfg)
    data = paths.datasets(stage_root(cfg, "datasets"), cfg.task)
    manifest = _dataset_manifest(data, stage)
    init, init_id = initial_model(cfg, s)
    if s.engine == "trl":
        from stgrpo.train import trl_engine as engine
    else:
        from stgrpo.train import verl_engine as engine
    engine.check(s)
    run_id = fingerprint(
        {
            "stage": asdict(s),
            "task": cfg.task,
            "seed": cfg.seed,
            "init": init_id,
            "model": OmegaConf.to_container(cfg.model, resolve=True),
            "prompt": OmegaConf.to_container(cfg.prompt, resolve=True),
            "dataset": manifest["files"],
            "validation": [train_cfg.val_max_prompts, train_cfg.val_max_tokens],
        }
    )
    folder = RunFolder(checkpoint_dir(cfg, stage), run_id)
    if s.engine == "verl" and train_cfg.dry_run:
        engine.print_plan(s, cfg, init, data, folder)
        return
    validation = load_validation(data / VAL_FILE, train_cfg.val_max_prompts, cfg.seed)
    resume = folder.prepare()
    log.info("%s (%s) on %s, %s from %s", stage, s.engine, cfg.task, cfg.model.name, init)
    started = time.time()
    trained = engine.train(s, cfg, init, data, folder, resume, validation)
    rows = metric_rows(trained.history)
    summary = {
        "stage": stage,
        "task": cfg.task,
        "engine": s.engine,
        "model": cfg.model.name,
        "init": init,
        "fingerprint": run_id,
        "steps": trained.steps,
        "train_seconds": round(trained.seconds, 3),
        "wall_seconds": round(time.time() - started, 3),
        "steps_per_second": round(trained.steps / trained.seconds, 4) if trained.seconds else None,
        "validation_before": _val(rows, first=True),
        "validation_after": _val(rows, first=False),
        "dataset_manifest": str(data / "manifest.json"),
        "train_rows": manifest["files"][TRAIN_FILE[stage]]["rows"],
    }

    def write(out: Path) -> None:
        trained.save(out)
        write_metrics(out, rows)
        plot_curve(rows, stage, f"{cfg.task} {stage}", out / "curve.png")
        write_text(out / "config.yaml", to_yaml(cfg))
        write_json(out / "summary.json", summary)

    folder.finish(write, keep_work=train_cfg.keep_checkpoints)
    after = summary["validation_after"] or {}
    log.info(
        "%s %s done: %d steps in %.0f s; single-turn validation accuracy %s -> %s",
        cfg.task,
        stage,
        trained.steps,
        trained.seconds,
        (summary["validation_before"] or {}).get("accuracy"),
        after.get("accuracy"),
    )


def initial_model(cfg: DictConfig, s: StageSettings) -> tuple[str, str]:
    """(path or hub name to start from, its identity for the run fingerprint)."""
    if s.stage == "grpo" and s.init == "sft":
        sft = checkpoint_dir(cfg, "sft")
        summary = sft / "summary.json"
        if not (sft / "config.json").is_file() or not summary.is_file():
            raise StageError(
                f"grpo.init=sft starts GRPO from the SFT checkpoint {sft}, which "
                f"does not exist or is unfinished: run the sft stage for task "
                f"{cfg.task} first, or set grpo.init=base"
            )
        check_weights(sft)
        return str(sft), json.loads(summary.read_text())["fingerprint"]
    path = require(cfg, "model.path", str)
    local = Path(path)
    if require(cfg, "model.kind", str, choices=["local", "hub"]) == "local" or local.exists():
        if not (local / "config.json").is_file():
            hint = " (build it: python -m stgrpo.stages.model)" if cfg.model.name == "tiny" else ""
            raise StageError(f"model.path {path}: no model there (no config.json){hint}")
        check_weights(local)
        return path, fingerprint(
            {
                "config": (local / "config.json").read_text(),
                "files": sorted((p.name, p.stat().st_size) for p in local.iterdir() if p.is_file()),
            }
        )
    return path, path


def check_weights(folder: Path) -> None:
    """Every safetensors file of a local checkpoint opens (a truncated or corrupt one is
    named now, not as a traceback from inside the trainer)."""
    from safetensors import SafetensorError, safe_open

    for weights in sorted(Path(folder).glob("*.safetensors")):
        try:
            with safe_open(str(weights), framework="pt"):
                pass
        except (OSError, SafetensorError) as exc:
            raise StageError(
                f"{weights} is not a readable checkpoint ({exc}): rerun the stage that wrote it"
            ) from None


def _dataset_manifest(data: Path, stage: str) -> dict:
    manifest = data / "manifest.json"
    if not manifest.is_file():
        raise StageError(f"{manifest} not found: run the datasets stage for this task first")
    content = json.loads(manifest.read_text())
    for name in (TRAIN_FILE[stage], VAL_FILE):
        if name not in content.get("files", {}) or not (data / name).is_file():
            raise StageError(f"{data / name} not found or not listed in {manifest}")
        if sha256_file(data / name) != content["files"][name]["sha256"]:  # truncated, edited
            raise StageError(
                f"{data / name} is not the file the datasets stage wrote (its "
                f"sha256 differs from {manifest}): rerun the datasets stage"
            )
    if not content["files"][TRAIN_FILE[stage]]["rows"]:
        raise StageError(f"{data / TRAIN_FILE[stage]} has no rows to train on")
    return content


def _check_report_to(train_cfg: DictConfig) -> None:
    import importlib.util

    targets = list(train_cfg.report_to or [])
    if any(t != "tensorboard" for t in targets):
        raise ConfigError(
            f"config key 'train.report_to' must be [] or [tensorboard], got {targets}"
        )
    if targets and importlib.util.find_spec("tensorboard") is None:
        raise ConfigError(
            "train.report_to=[tensorboard] needs the tensorboard package (pip install tensorboard)"
        )


def _val(rows: list[dict], first: bool) -> dict | None:
    found = [r for r in rows if "val_accuracy" in r]
    if not found:
        return None
    row = found[0] if first else found[-1]
    return {
        "step": row["step"],
        **{k.removeprefix("val_"): v for k, v in row.items() if k.startswith("val_")},
    }
