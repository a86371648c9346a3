"""The verl engine's command lines from the `paper` settings. Their shape is checked
everywhere; that verl's own config accepts them is checked where verl is installed
(`make test-verl`: its own environment, since verl pins an older transformers)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stgrpo.config import StageError, compose
from stgrpo.train import verl_engine
from stgrpo.train.settings import read_settings

HAS_VERL = importlib.util.find_spec("verl") is not None


def needs_verl(test):
    return pytest.mark.verl(
        pytest.mark.skipif(not HAS_VERL, reason="verl is not installed (make test-verl)")(test)
    )


PAPER = ["sft=paper", "grpo=paper", "model=qwen2.5-1.5b", "task=burger", "exp=paper"]


def _plan(tmp_path, stage, *extra, resume=False):
    cfg = compose([f"results_dir={tmp_path}", *PAPER, *extra])
    s = read_settings(cfg, stage)
    init = cfg.model.path if stage == "sft" else str(tmp_path / "sft/burger")
    args = verl_engine.overrides(
        s, cfg, init, tmp_path / "datasets/burger", tmp_path / "work", resume
    )
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
    # torchrun of this Python: a bare `torchrun` may be another environment's, or missing
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert command[3:8] == [
        "--standalone",
        "--nnodes=1",
        "--nproc_per_node=4",
        "-m",
        "verl.trainer.sft_trainer",
    ]
    assert verl_engine.environment(s) == {}  # the CPU platform only with sft.gpus=0


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
    assert given["actor_rollout_ref.model.path"].endswith("sft/burger")
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
    from stgrpo.stages.sft import main as sft_main

    data = tmp_path / "datasets/burger"
    data.mkdir(parents=True)
    for name in ("sft_train.parquet", "rl_val.parquet"):
        (data / name).write_bytes(b"")
    empty = hashlib.sha256(b"").hexdigest()
    (data / "manifest.json").write_text(
        json.dumps(
            {
                "files": {
                    "sft_train.parquet": {"rows": 3, "sha256": empty},
                    "rl_val.parquet": {"rows": 1, "sha256": empty},
                }
            }
        )
    )
    sft_main(compose([f"results_dir={tmp_path}", *PAPER, "train.dry_run=true"]))
    printed = capsys.readouterr().out
    assert "verl.trainer.sft_trainer" in printed and "verl.model_merger merge" in printed
    assert not (tmp_path / "sft").exists() and not (tmp_path / "grpo").exists()


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
@pytest.mark.parametrize(
    "stage, module", [("sft", "verl.trainer.sft_trainer"), ("grpo", "verl.trainer.main_ppo")]
)
def test_verls_own_cli_accepts_the_overrides(tmp_path, stage, module):
    """`python -m <verl trainer> --cfg job <overrides>`: verl composes and prints the job
    config without a GPU."""
    _, args = _plan(tmp_path, stage)
    result = subprocess.run(
        [sys.executable, "-m", module, "--cfg", "job", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "total_epochs" in result.stdout


# sft.gpus=0: verl's SFT trainer on CPU through our platform (stgrpo.train.verl_cpu) --------


def test_cpu_sft_is_one_process_with_our_platform_and_verls_no_flash_attn_settings(tmp_path):
    s, args = _plan(tmp_path, "sft", "sft.gpus=0")
    given = _as_dict(args)
    assert given["engine.strategy"] == "fsdp2" and given["engine.use_torch_compile"] == "False"
    assert given["+model.override_config.attn_implementation"] == "sdpa"
    assert given["model.use_remove_padding"] == "False" and given["trainer.device"] == "cpu"
    assert "--nproc_per_node=1" in verl_engine.commands(s, args, tmp_path)[0]
    assert verl_engine.environment(s) == {
        "VERL_USE_EXTERNAL_MODULES": "stgrpo.train.verl_cpu",
        "VERL_PLATFORM": "cpu",
        "VERL_ENGINE_DEVICE": "cuda",
    }
    assert "trainer.device=cpu" not in _plan(tmp_path, "sft")[1]  # GPU runs are untouched


@pytest.mark.parametrize("stage, extra", [("grpo", []), ("sft", ["sft.nodes=2"])])
def test_verl_on_cpu_is_sft_on_one_node_only(tmp_path, stage, extra):
    from stgrpo.config import ConfigError

    s, _ = _plan(tmp_path, stage, f"{stage}.gpus=0", *extra)
    with pytest.raises(ConfigError, match=rf"'{stage}.gpus' must be at least 1"):
        verl_engine.check(s)
    verl_engine.check(_plan(tmp_path, "sft", "sft.gpus=0")[0])  # one CPU process: accepted


@needs_verl
def test_cpu_overrides_compose_under_verls_own_config(tmp_path):
    _, args = _plan(tmp_path, "sft", "sft.gpus=0")
    config = verl_engine.compose_verl_config("sft", args)
    assert config.engine.strategy == "fsdp2" and config.engine.use_torch_compile is False
    assert config.model.override_config.attn_implementation == "sdpa"
    assert config.model.use_remove_padding is False and config.trainer.device == "cpu"


@needs_verl
def test_verl_picks_our_cpu_platform_and_its_fsdp_engine(tmp_path):
    """In a fresh process with the CPU environment, verl's own lookups give the CPU, gloo and
    the FSDP engine class; without it verl falls back to CUDA."""
    probe = (
        "from verl.utils.device import get_device_name, get_nccl_backend\n"
        "from verl.workers.engine import EngineRegistry\n"
        "engine = EngineRegistry.get_engine_cls('language_model', 'fsdp2')\n"
        "print(get_device_name(), get_nccl_backend(), engine.__name__)"
    )
    s, _ = _plan(tmp_path, "sft", "sft.gpus=0")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERL_")}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**env, **verl_engine.environment(s)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-3:] == ["cpu", "gloo", "FSDPEngineWithLMHead"]
    bare = subprocess.run(
        [sys.executable, "-c", probe.replace(", engine.__name__", "")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert bare.stdout.split()[-2:] == ["cuda", "nccl"]  # verl alone: CUDA, even here


@needs_verl
def test_the_cpu_platform_starts_torch_distributed_with_plain_gloo():
    """verl asks for `cpu:gloo,<device>:<backend>`, which torch rejects when the device is
    the CPU; our patch passes plain gloo for exactly that string and nothing else."""
    from stgrpo.train import verl_cpu

    seen = []
    init = verl_cpu._gloo_once(lambda **kwargs: seen.append(kwargs["backend"]))
    init(backend="cpu:gloo,cpu:gloo")
    init(backend="cpu:gloo,cuda:nccl")
    assert seen == ["gloo", "cpu:gloo,cuda:nccl"]
    import torch.distributed

    assert torch.distributed.init_process_group.stgrpo_cpu_shim  # patched once, on import


@pytest.mark.parametrize("stage", ["sft", "grpo"])
def test_without_flash_attn_verl_gets_sdpa_and_no_remove_padding(tmp_path, monkeypatch, stage):
    """verl asks for flash_attention_2 with no fallback, and fails at model load where the
    package is missing (seen on CPU): there the engine sets sdpa, as verl documents."""
    model = "model" if stage == "sft" else "actor_rollout_ref.model"
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "flash_attn" else real(name, *a),
    )
    given = _as_dict(_plan(tmp_path, stage)[1])
    assert given[f"+{model}.override_config.attn_implementation"] == "sdpa"
    assert given[f"{model}.use_remove_padding"] == "False"
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: object() if name == "flash_attn" else real(name, *a),
    )
    assert not any("attn_implementation" in a for a in _plan(tmp_path, stage)[1])


@needs_verl
@pytest.mark.parametrize("stage", ["sft", "grpo"])
def test_the_gpu_smoke_overrides_compose_under_verls_own_config(tmp_path, stage):
    cfg = compose([f"results_dir={tmp_path}", "experiment=gpu-smoke", "task=burger"])
    s = read_settings(cfg, stage)
    args = verl_engine.overrides(
        s, cfg, str(tmp_path / "init"), tmp_path / "datasets/burger", tmp_path / "work", False
    )
    config = verl_engine.compose_verl_config(stage, args)
    assert config.trainer.n_gpus_per_node == 1
    if stage == "grpo":
        rollout = config.actor_rollout_ref.rollout
        assert rollout.name == "vllm" and rollout.tensor_model_parallel_size == 1
        assert rollout.enforce_eager is True and rollout.gpu_memory_utilization == 0.4
