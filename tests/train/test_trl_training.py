"""SFT -> GRPO with the TRL engine on CPU, a handful of steps: outputs, loading, determinism,
resume after a crash, and the checks that run before any training."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stgrpo.config import ConfigError, StageError, compose
from stgrpo.models.hf_backend import HFBackend
from stgrpo.models.inference import Sampling
from stgrpo.stages.grpo import main as grpo_main
from stgrpo.stages.sft import main as sft_main
from stgrpo.train import trl_engine

HF_FILES = {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json"}
OUR_FILES = {"metrics.jsonl", "metrics.csv", "summary.json", "config.yaml", "curve.png"}


def _partial(folder):
    """The resumable work folder beside a checkpoint folder (stgrpo.train.outputs)."""
    return folder.with_name(folder.name + ".partial")


def _folder(overrides, stage) -> Path:
    root = Path(overrides[0].split("=", 1)[1])
    return root / stage / "cheese_sandwich"


def _rows(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


def test_sft_then_grpo_write_loadable_checkpoints_and_metrics(fresh_run):
    sft_main(compose(fresh_run))
    sft = _folder(fresh_run, "sft")
    assert {p.name for p in sft.iterdir()} >= HF_FILES | OUR_FILES
    assert not _partial(sft).exists()  # resumable state is removed once done
    summary = json.loads((sft / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["engine"] == "trl"
    assert summary["validation_before"]["step"] == 0 and summary["validation_after"]["step"] == 4
    rows = _rows(sft)
    assert [r["step"] for r in rows if "loss" in r] == [1, 2, 3, 4]
    assert all(0 <= r["val_accuracy"] <= 1 for r in rows if "val_accuracy" in r)

    grpo_main(compose(fresh_run))
    grpo = _folder(fresh_run, "grpo")
    summary = json.loads((grpo / "summary.json").read_text())
    assert summary["init"] == str(sft) and summary["steps"] == 2
    rows = _rows(grpo)
    trained = [r for r in rows if "reward_mean" in r]
    assert len(trained) == 2
    for row in trained:  # reward = 0.1 format + 0.9 action, and its parts are rates
        assert {"reward_std", "kl", "format_rate", "accuracy"} <= set(row)
        assert row["reward_mean"] == pytest.approx(
            0.1 * row["format_rate"] + 0.9 * row["accuracy"], abs=1e-6
        )
    assert [r["step"] for r in rows if "val_accuracy" in r] == [0, 1, 2]

    backend = HFBackend(str(grpo))
    prompt = [{"role": "user", "content": "Valid actions:\n1. Do nothing"}]
    reply = backend.generate([prompt], Sampling(max_tokens=8))
    assert len(reply) == 1 and isinstance(reply[0], str)


def test_same_seed_gives_identical_weights(fresh_run, tmp_path):
    other = [f"results_dir={tmp_path / 'again'}", *fresh_run[1:]]
    (tmp_path / "again").mkdir()
    import shutil

    shutil.copytree(
        _folder(fresh_run, "sft").parents[1] / "datasets", tmp_path / "again" / "datasets"
    )
    sft_main(compose(fresh_run))
    sft_main(compose(other))
    first, second = _folder(fresh_run, "sft"), _folder(other, "sft")
    assert (first / "model.safetensors").read_bytes() == (second / "model.safetensors").read_bytes()
    assert (first / "metrics.jsonl").read_text() == (second / "metrics.jsonl").read_text()


def _crash_at_step(monkeypatch, step):
    original = trl_engine._Validator.on_step_end

    def crash(self, args, state, control, **kwargs):
        if state.global_step == step:
            raise KeyboardInterrupt("simulated kill")
        return original(self, args, state, control, **kwargs)

    monkeypatch.setattr(trl_engine._Validator, "on_step_end", crash)


def test_a_killed_run_resumes_from_its_last_checkpoint_and_matches(
    fresh_run, tmp_path, monkeypatch, caplog
):
    sft = _folder(fresh_run, "sft")
    with monkeypatch.context() as patch:
        _crash_at_step(patch, 3)
        with pytest.raises(KeyboardInterrupt):
            sft_main(compose(fresh_run))
    assert not sft.exists() and (_partial(sft) / "checkpoint-2").is_dir()
    with caplog.at_level(logging.INFO, logger="stgrpo.train"):
        sft_main(compose(fresh_run))
    assert "resuming from" in caplog.text and "checkpoint-2" in caplog.text
    resumed = (sft / "model.safetensors").read_bytes()

    sft_main(compose([*fresh_run, "train.keep_checkpoints=true"]))  # uninterrupted, same run
    assert (sft / "model.safetensors").read_bytes() == resumed


def test_a_changed_config_never_resumes_the_old_run(fresh_run, monkeypatch, caplog):
    sft = _folder(fresh_run, "sft")
    with monkeypatch.context() as patch:
        _crash_at_step(patch, 3)
        with pytest.raises(KeyboardInterrupt):
            sft_main(compose(fresh_run))
    with caplog.at_level(logging.INFO, logger="stgrpo.train"):
        sft_main(compose([*fresh_run, "sft.lr=0.002"]))
    assert "fresh start" in caplog.text and "resuming" not in caplog.text
    assert json.loads((sft / "summary.json").read_text())["steps"] == 4


@pytest.mark.parametrize(
    "extra, error, message",
    [
        (["sft.engine=deepspeed"], ConfigError, "'sft.engine' must be one of"),
        (["sft.batch_size=6"], ConfigError, "'sft.micro_batch_size' (4)"),
        (["sft.gpus=2", "sft.batch_size=8"], ConfigError, "engine=trl runs in one process"),
        (["sft.engine=verl", "sft.lr_scheduler=linear"], ConfigError, "'sft.lr_scheduler'"),
        (["sft.lr=0"], ConfigError, "'sft.lr' must lie in"),
        (["task=pizza"], ConfigError, "'task' must be one of"),
        (["task=burger"], StageError, "run the datasets stage"),
        (["model.path=/nonexistent/model"], StageError, "no model there"),
        (["train.report_to=[wandb]"], ConfigError, "'train.report_to' must be"),
    ],
)
def test_bad_sft_config_fails_before_training(fresh_run, extra, error, message):
    with pytest.raises(error, match=re.escape(message)):
        sft_main(compose([*fresh_run, *extra]))
    assert not _partial(_folder(fresh_run, "sft")).exists()


@pytest.mark.parametrize(
    "extra, error, message",
    [
        ([], StageError, "run the sft stage for task cheese_sandwich first"),
        (["grpo.init=base", "grpo.mini_batch_size=3"], ConfigError, "must divide grpo.batch_size"),
        (
            ["grpo.init=base", "grpo.micro_batch_size=3"],
            ConfigError,
            "cannot be split into micro batches",
        ),
        (["grpo.init=base", "grpo.n=1"], ConfigError, "'grpo.n' must be at least 2"),
        (["grpo.init=base", "grpo.kl_loss_type=kl"], ConfigError, "TRL's KL term"),
    ],
)
def test_bad_grpo_config_fails_before_training(fresh_run, extra, error, message):
    with pytest.raises(error, match=re.escape(message)):
        grpo_main(compose([*fresh_run, *extra]))
    assert not _partial(_folder(fresh_run, "grpo")).exists()


def test_cli_reports_a_missing_sft_checkpoint_in_one_line(fresh_run):
    result = subprocess.run(
        [sys.executable, "-m", "stgrpo.stages.grpo", *fresh_run], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: grpo.init=sft starts GRPO from the SFT checkpoint")
    assert "Traceback" not in result.stderr


def test_a_killed_grpo_run_resumes_too(fresh_run, monkeypatch, caplog):
    sft_main(compose(fresh_run))
    grpo = _folder(fresh_run, "grpo")
    with monkeypatch.context() as patch:
        _crash_at_step(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            grpo_main(compose(fresh_run))
    assert (_partial(grpo) / "checkpoint-1").is_dir()
    with caplog.at_level(logging.INFO, logger="stgrpo.train"):
        grpo_main(compose(fresh_run))
    assert "checkpoint-1" in caplog.text
    resumed = (grpo / "model.safetensors").read_bytes()
    grpo_main(compose(fresh_run))  # uninterrupted, same run
    assert (grpo / "model.safetensors").read_bytes() == resumed
