"""The verl engine's command lines from the `paper` settings. Their shape is checked
everywhere; that verl's own config accepts them is checked where verl is installed
(`make test-verl`: its own environment, since verl pins an older transformers)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stgrpo.config import StageError, compose
from stgrpo.train import verl_engine
from stgrpo.train.settings import read_settings

HAS_VERL = importlib.util.find_spec("verl") is not None

def needs_verl(test):
    return pytest.mark.verl(pytest.mark.skipif(
        not HAS_VERL, reason="verl is not installed (make test-verl)")(test))

PAPER = ["sft=paper", "grpo=paper", "model=qwen2.5-1.5b", "task=burger", "exp=paper"]


def _plan(tmp_path, stage, *extra, resume=False):
    cfg = compose([f"results_dir={tmp_path}", *PAPER, *extra])
    s = read_settings(cfg, stage)
    init = cfg.model.path if stage == "sft" else str(tmp_path / "checkpoints/burger/sft")
    args = verl_engine.overrides(s, cfg, init, tmp_path / "datasets/burger",
                                 tmp_path / "work", resume)
    return s, args


def _as_dict(args):
    return dict(arg.split("=", 1) for arg in args)


def test_paper_sft_overrides_carry_the_paper_settings(tmp_path):
    s, args = _plan(tmp_path, "sft")
    given = _as_dict(args)
    assert given["trainer.total_epochs"] == "8" and given["data.train_batch_size"] == "8"
    assert given["model.path"] == "Qwen/Qwen2.5-1.5B-Instruct"
    assert given["data.use_dynamic_bsz"] == "False" and "optim.lr" in given
    assert given["trainer.resume_mode"] == "disable"
    assert given["data.train_files"].endswith("datasets/burger/sft_train.parquet")
    command = verl_engine.commands(s, args, tmp_path)[0]
    assert command[:5] == ["torchrun", "--standalone", "--nnodes=1", "--nproc_per_node=4", "-m"]
    assert command[5] == "verl.trainer.sft_trainer"


def test_paper_grpo_overrides_carry_the_paper_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "32")
    s, args = _plan(tmp_path, "grpo", resume=True)
    given = _as_dict(args)
    assert given["algorithm.adv_estimator"] == "grpo"
    assert given["data.train_batch_size"] == "256" and given["trainer.total_epochs"] == "50"
    assert given["actor_rollout_ref.actor.use_kl_loss"] == "True"
    assert given["actor_rollout_ref.actor.kl_loss_type"] == "low_var_kl"
    assert given["actor_rollout_ref.rollout.name"] == "vllm"
    assert given["actor_rollout_ref.rollout.n"] == "5"
    assert given["actor_rollout_ref.model.path"].endswith("checkpoints/burger/sft")
    assert given["trainer.resume_mode"] == "auto"
    reward = Path(given["reward.custom_reward_function.path"])
    assert reward.is_file() and reward.name == "reward.py"
    command = verl_engine.commands(s, args, tmp_path)[0]
    assert command[1:3] == ["-m", "verl.trainer.main_ppo"]
    assert command[-1] == "ray_kwargs.ray_init.num_cpus=32"  # Ray sees SLURM's CPUs


@pytest.mark.parametrize("loss_type, mode", sorted(verl_engine.LOSS_AGG_MODE.items()))
def test_loss_type_maps_to_verl_aggregation(tmp_path, loss_type, mode):
    _, args = _plan(tmp_path, "grpo", f"grpo.loss_type={loss_type}")
    assert _as_dict(args)["actor_rollout_ref.actor.loss_agg_mode"] == mode


def test_multi_node_runs_go_through_a_launcher(tmp_path):
    s, args = _plan(tmp_path, "grpo", "grpo.nodes=2", "grpo.micro_batch_size=8")
    assert verl_engine.commands(s, args, tmp_path) == [["bash", str(tmp_path / "launch.sh")]]
    script = verl_engine.launcher(s, args)
    assert "ray start --head" in script and "--address=" in script
    assert "verl.trainer.main_ppo" in script and "trainer.nnodes=2" in script
    s, args = _plan(tmp_path, "sft", "sft.nodes=2", "sft.batch_size=16")
    assert "--rdzv_backend=c10d" in verl_engine.launcher(s, args)


def test_dry_run_prints_the_commands_and_trains_nothing(tmp_path, capsys):
    from stgrpo.train.sft import main as sft_main

    data = tmp_path / "datasets/burger"
    data.mkdir(parents=True)
    for name in ("sft_train.parquet", "rl_val.parquet"):
        (data / name).write_bytes(b"")
    empty = hashlib.sha256(b"").hexdigest()
    (data / "manifest.json").write_text(json.dumps({"files": {
        "sft_train.parquet": {"rows": 3, "sha256": empty},
        "rl_val.parquet": {"rows": 1, "sha256": empty}}}))
    sft_main(compose([f"results_dir={tmp_path}", *PAPER, "train.dry_run=true"]))
    printed = capsys.readouterr().out
    assert "verl.trainer.sft_trainer" in printed and "verl.model_merger merge" in printed
    assert not (tmp_path / "checkpoints").exists()


@needs_verl
@pytest.mark.parametrize("stage", ["sft", "grpo"])
def test_paper_overrides_compose_under_verls_own_config(tmp_path, stage):
    s, args = _plan(tmp_path, stage)
    config = verl_engine.compose_verl_config(stage, args)
    if stage == "sft":
        assert config.data.train_batch_size == 8 and config.trainer.total_epochs == 8
        assert config.optim.lr == s.lr
    else:
        actor = config.actor_rollout_ref.actor
        assert config.algorithm.adv_estimator == "grpo" and config.data.train_batch_size == 256
        assert actor.use_kl_loss is True and actor.kl_loss_coef == s.kl_coef
        assert config.actor_rollout_ref.rollout.n == s.n


@needs_verl
def test_verl_rejects_a_misspelled_key(tmp_path):
    _, args = _plan(tmp_path, "grpo", "grpo.verl_overrides=['trainer.totl_epochs=3']")
    with pytest.raises(StageError, match=r"rejects our overrides.*totl_epochs"):
        verl_engine.compose_verl_config("grpo", args)


@needs_verl
@pytest.mark.slow
@pytest.mark.parametrize("stage, module", [("sft", "verl.trainer.sft_trainer"),
                                           ("grpo", "verl.trainer.main_ppo")])
def test_verls_own_cli_accepts_the_overrides(tmp_path, stage, module):
    """`python -m <verl trainer> --cfg job <overrides>`: verl composes and prints the job
    config without a GPU."""
    _, args = _plan(tmp_path, stage)
    result = subprocess.run([sys.executable, "-m", module, "--cfg", "job", *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "total_epochs" in result.stdout
