"""verl for real, on CPU (`make test-verl`). The SFT stage with `sft.engine=verl sft.gpus=0`
runs our own `verl_engine` command line: verl's SFT trainer under torchrun (one process,
gloo, our CPU platform), then our merge of verl's sharded checkpoint into the stage's
Hugging Face folder, with metrics.csv read from verl's `file` logger; the evaluation stage
then plays episodes with that folder. GRPO needs vLLM on a GPU to roll out: here its reward
function and its dataset go through verl's own loaders instead.

Each test reads what verl itself wrote, so a verl release that moves the checkpoint layout,
renames a metric or changes a loader's contract fails here, not on a cluster."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from stgrpo.config import compose
from stgrpo.train import verl_engine
from stgrpo.train.outputs import METRIC_NAMES
from stgrpo.train.settings import read_settings
from tests.train.conftest import FAST
from tests.train.test_verl_commands import needs_verl

STEPS = 4  # FAST: sft.max_steps=4, a checkpoint every 2 steps
VERL_SFT = ["sft.engine=verl", "sft.gpus=0", "train.keep_checkpoints=true"]


def _partial(folder):
    """The resumable work folder beside a checkpoint folder (stgrpo.train.outputs)."""
    return folder.with_name(folder.name + ".partial")


def _root(overrides) -> Path:
    return Path(overrides[0].split("=", 1)[1])


@pytest.fixture(scope="module")
def verl_sft(run_overrides, tmp_path_factory):
    """The SFT stage trained by verl once for this module: its overrides (results folder
    with datasets, the finished checkpoint, verl's own work folder kept)."""
    from stgrpo.train.stage import run_stage

    root = tmp_path_factory.mktemp("verl-sft")
    shutil.copytree(_root(run_overrides) / "datasets", root / "datasets")
    shutil.copytree(_root(run_overrides) / "layouts", root / "layouts")
    overrides = [f"results_dir={root}", *run_overrides[1:], *FAST, *VERL_SFT]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")  # one thread for verl's process: CI has few cores
        run_stage(compose(overrides), "sft")
    return overrides


def _final(overrides) -> Path:
    return _root(overrides) / "sft" / "cheese_sandwich"


@needs_verl
def test_verl_trains_the_tiny_model_on_cpu(verl_sft, tiny_model):
    from safetensors.torch import load_file

    final = _final(verl_sft)
    summary = json.loads((final / "summary.json").read_text())
    assert summary["engine"] == "verl" and summary["steps"] == STEPS
    before = load_file(str(Path(tiny_model) / "model.safetensors"))
    after = load_file(str(final / "model.safetensors"))
    assert before.keys() == after.keys()
    assert any(not before[k].float().allclose(after[k].float()) for k in before), (
        "the merged weights are the initial ones: verl trained nothing"
    )


@needs_verl
def test_metrics_csv_is_read_from_verls_file_logger(verl_sft):
    """verl's `file` logger writes {"step", "data"} lines with `train/loss`, `train/lr` and
    `val/loss`: metrics.csv has them as loss, lr and val_loss at every step."""
    work = _partial(_final(verl_sft))
    lines = [
        json.loads(line)
        for line in (work / "metrics.attempt-1.jsonl").read_text().splitlines()
        if line.strip()
    ]
    assert lines and all(set(line) == {"step", "data"} for line in lines)
    logged = {key for line in lines for key in line["data"]}
    assert {"train/loss", "train/lr", "val/loss"} <= logged
    assert {"train/loss", "train/lr", "val/loss"} <= set(METRIC_NAMES)
    table = pd.read_csv(_final(verl_sft) / "metrics.csv")
    trained = table.dropna(subset=["loss"])
    assert trained["step"].tolist() == list(range(1, STEPS + 1))
    assert all(math.isfinite(v) for v in trained["loss"]) and trained["lr"].iloc[0] > 0
    assert math.isfinite(table.dropna(subset=["val_loss"])["val_loss"].iloc[-1])
    assert table.dropna(subset=["val_accuracy"])["step"].tolist() == [0, STEPS]
    assert (_final(verl_sft) / "curve.png").stat().st_size > 0


@needs_verl
def test_the_merge_reads_verls_last_checkpoint(verl_sft):
    """verl's tracker names the last step; that folder holds what `verl.model_merger`
    needs (the shards, fsdp_config.json, the huggingface/ config) and the merge gave
    the stage's weights."""
    cfg = compose(verl_sft)
    work = _partial(_final(verl_sft))
    checkpoint = verl_engine.latest_checkpoint(read_settings(cfg, "sft"), work)
    assert checkpoint == work / f"global_step_{STEPS}"
    assert (checkpoint / "fsdp_config.json").is_file()
    assert (checkpoint / "huggingface" / "config.json").is_file()
    assert list(checkpoint.glob("model_world_size_1_rank_0.pt"))
    assert (_final(verl_sft) / "model.safetensors").is_file()
    assert (work / "hydra" / ".hydra" / "overrides.yaml").is_file()  # not outputs/ in the cwd


@needs_verl
def test_the_merged_model_loads_with_transformers(verl_sft):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    final = _final(verl_sft)
    tokenizer = AutoTokenizer.from_pretrained(final)
    model = AutoModelForCausalLM.from_pretrained(final)
    ids = tokenizer("robot1 picks up", return_tensors="pt").input_ids
    with torch.no_grad():
        logits = model(ids).logits
    assert logits.shape[:2] == ids.shape and torch.isfinite(logits).all()


@needs_verl
def test_the_evaluation_stage_plays_episodes_with_the_merged_model(verl_sft):
    from stgrpo.stages.evaluate import main as evaluate_main

    evaluate_main(
        compose(
            [
                *verl_sft,
                "eval.policy=checkpoint",
                "eval.stage=sft",
                "eval.render=false",
                "eval.sampling.max_tokens=8",
            ]
        )
    )
    folder = _root(verl_sft) / "evaluate" / "cheese_sandwich-sft" / "cheese_sandwich"
    metrics = json.loads((folder / "metrics.json").read_text())
    episodes = [json.loads(line) for line in (folder / "episodes.jsonl").read_text().splitlines()]
    assert metrics["n"] == len(episodes) >= 1
    assert all(len(e["replies"]) >= 1 for e in episodes)


@needs_verl
def test_a_killed_verl_run_resumes_from_its_last_checkpoint(verl_sft, tmp_path):
    """As if the job died after verl saved step 2: the rerun resumes there (resume_mode
    auto, verl's own checkpoint and data loader state), trains steps 3-4 only, and the
    metrics of both attempts make one table."""
    from stgrpo.train.stage import run_stage

    shutil.copytree(_root(verl_sft), tmp_path, dirs_exist_ok=True)
    overrides = [f"results_dir={tmp_path}", *verl_sft[1:]]
    final = _final(overrides)
    work = _partial(final)
    shutil.rmtree(final)
    shutil.rmtree(work / f"global_step_{STEPS}")
    (work / verl_engine.TRACKER).write_text("2")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")
        run_stage(compose(overrides), "sft")
    second = [
        json.loads(line)["step"]
        for line in (work / "metrics.attempt-2.jsonl").read_text().splitlines()
        if line.strip()
    ]
    assert sorted(set(second)) == [3, STEPS]
    table = pd.read_csv(final / "metrics.csv").dropna(subset=["loss"])
    assert table["step"].tolist() == list(range(1, STEPS + 1))


# GRPO: what CPU allows -------------------------------------------------------------------


def _grpo_config(overrides, tmp_path):
    cfg = compose([*overrides, "grpo.engine=verl", "grpo.gpus=1"])
    s = read_settings(cfg, "grpo")
    data = _root(overrides) / "datasets" / "cheese_sandwich"
    args = verl_engine.overrides(s, cfg, cfg.model.path, data, tmp_path / "work", False)
    return verl_engine.compose_verl_config("grpo", args), data


def _rl_rows(data: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(data / "rl_train.parquet").to_pylist()


@needs_verl
def test_our_reward_loads_through_verls_own_loader(run_overrides, tmp_path):
    from verl.trainer.ppo.reward import get_custom_reward_fn

    config, data = _grpo_config(run_overrides, tmp_path)
    reward = get_custom_reward_fn(config)
    assert reward is not None
    row = _rl_rows(data)[0]
    expert = row["reward_model"]["ground_truth"]
    right = f"Thought: the next step.\nAction: {expert}"
    scores = [
        reward(
            data_source=row["data_source"],
            solution_str=answer,
            ground_truth=expert,
            extra_info=row["extra_info"],
        )
        for answer in (right, "Action: nothing useful", "no format at all")
    ]
    assert scores[0] == pytest.approx(1.0) and scores[2] == 0.0
    assert scores[1] in (0.0, 0.1)


@needs_verl
def test_verls_rlhf_dataset_reads_our_rl_parquet(run_overrides, tmp_path, tiny_model):
    from omegaconf import open_dict
    from transformers import AutoTokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset

    config, data = _grpo_config(run_overrides, tmp_path)
    with open_dict(config.data):  # verl's copy of the files, and one process to filter
        config.data.cache_dir = str(tmp_path / "cache")
        config.data.filter_overlong_prompts_workers = 1
    dataset = RLHFDataset(
        data_files=config.data.train_files,
        tokenizer=AutoTokenizer.from_pretrained(tiny_model),
        config=config.data,
    )
    rows = _rl_rows(data)
    assert len(dataset) == len(rows)  # no prompt filtered out as over-long
    item = dataset[0]
    assert item["raw_prompt"] == rows[0]["prompt"]  # verl's agent loop applies the template
    assert item["data_source"] == rows[0]["data_source"]
    assert item["reward_model"]["ground_truth"] == rows[0]["reward_model"]["ground_truth"]
    assert item["extra_info"]["reward_mode"] == rows[0]["extra_info"]["reward_mode"]
