"""The verl engine: the same `StageSettings` as verl command lines, run, merged to Hugging
Face format. For GPU clusters; nothing here imports verl, so commands can be built and
checked anywhere.

* SFT: `python -m torch.distributed.run ... -m verl.trainer.sft_trainer` (torchrun of this
  environment's Python, FSDP) on the `messages` parquet. `sft.gpus=0` runs it as one CPU
  process through our CPU platform for verl (stgrpo.train.verl_cpu): for tests, not papers.
* GRPO: `python -m verl.trainer.main_ppo algorithm.adv_estimator=grpo` with vLLM rollouts
  and our reward (`reward.custom_reward_function.path` = stgrpo/data/reward.py).
* Then `python -m verl.model_merger merge --backend fsdp` turns the last sharded
  checkpoint into a Hugging Face folder, which is validated single-turn like a TRL run.
Checkpoints go to the stage's `.partial/` folder; `trainer.resume_mode` is always explicit
(auto when the run folder holds the same run, disable otherwise), so verl never silently
resumes a different run. Metrics come from verl's `file` logger (one JSONL per attempt).
Multi-node runs (`nodes > 1`, inside one SLURM allocation) start torchrun on every node
with `srun`, or a Ray cluster (head + workers under `srun`) for GRPO, as verl documents.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

import stgrpo.data.reward as reward_module
from stgrpo.config import ConfigError, StageError
from stgrpo.train.outputs import RunFolder
from stgrpo.train.settings import StageSettings
from stgrpo.train.validate import ValidationSet, single_turn_metrics

log = logging.getLogger("stgrpo.train")

# our loss_type -> verl's loss_agg_mode (how token losses are averaged)
LOSS_AGG_MODE = {
    "grpo": "seq-mean-token-mean",
    "dapo": "token-mean",
    "dr_grpo": "seq-mean-token-sum-norm",
}
SCHEDULERS = ("constant", "cosine")  # what verl's optimizer config accepts
# torchrun of this environment: a bare `torchrun` is whichever one PATH finds first, or none
# when the stage runs as `.venv-verl/bin/python -m stgrpo.stages.sft` without the venv on PATH.
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]
CONFIG_NAME = {"sft": "sft_trainer_engine", "grpo": "ppo_trainer"}  # verl's Hydra configs
TRACKER = "latest_checkpointed_iteration.txt"  # verl writes it (atomically) after a save
RAY_PORT = 6379
# verl loads every model with flash_attention_2, with no fallback: where flash-attn is not
# installed it fails at model load ("the package for FlashAttention2 doesn't seem to be
# installed", measured). There, the settings verl documents for a run without it.
NO_FLASH_ATTN = {
    "sft": ["+model.override_config.attn_implementation=sdpa", "model.use_remove_padding=False"],
    "grpo": [
        "+actor_rollout_ref.model.override_config.attn_implementation=sdpa",
        "actor_rollout_ref.model.use_remove_padding=False",
    ],
}
# sft.gpus=0: our CPU platform for verl (stgrpo.train.verl_cpu) and the rest of verl's
# no-flash-attn settings; data loader workers would only compete for the cores.
CPU_ENV = {
    "VERL_USE_EXTERNAL_MODULES": "stgrpo.train.verl_cpu",
    "VERL_PLATFORM": "cpu",
    "VERL_ENGINE_DEVICE": "cuda",
}
CPU_OVERRIDES = [
    "trainer.device=cpu",
    "engine.strategy=fsdp2",
    "engine.use_torch_compile=False",
    "data.num_workers=0",
]


def check(s: StageSettings) -> None:
    if s.lr_scheduler not in SCHEDULERS:
        raise ConfigError(
            f"config key '{s.stage}.lr_scheduler' must be one of "
            f"{list(SCHEDULERS)} with engine=verl, got {s.lr_scheduler!r}"
        )
    if s.gpus < 1 and (s.stage == "grpo" or s.nodes > 1):
        raise ConfigError(
            f"config key '{s.stage}.gpus' must be at least 1 with engine=verl "
            f"and {s.stage}.nodes={s.nodes} (verl's GRPO rolls out with vLLM on "
            f"GPUs; use {s.stage}.engine=trl on CPU)"
        )


def overrides(
    s: StageSettings, cfg: DictConfig, init: str, data_dir: Path, work: Path, resume: bool
) -> list[str]:
    """verl's config overrides for this stage (checked against verl's config by tests)."""
    name = f"{cfg.exp}-{cfg.task}-{s.stage}"
    trainer = [
        f"trainer.default_local_dir={work}",
        f"trainer.resume_mode={'auto' if resume else 'disable'}",
        "trainer.project_name=stgrpo",
        f"trainer.experiment_name={name}",
        f"trainer.logger={_logger_list(cfg)}",
        f"trainer.total_epochs={s.epochs}",
        f"trainer.save_freq={s.save_every}",
        f"trainer.n_gpus_per_node={s.gpus}",
        f"trainer.nnodes={s.nodes}",
        f"trainer.test_freq={s.val_every or -1}",
        f"hydra.run.dir={work / 'hydra'}",  # verl's Hydra log, else outputs/<date>/ in the cwd
    ]
    if s.max_steps > 0:
        trainer.append(f"trainer.total_training_steps={s.max_steps}")
    if s.stage == "sft":
        cpu = CPU_OVERRIDES if s.gpus == 0 else []
        return [
            *_sft(s, init, data_dir),
            *trainer,
            f"trainer.seed={cfg.seed}",
            "trainer.max_ckpt_to_keep=2",
            *cpu,
            *attention(s),
            *s.verl_overrides,
        ]
    return [
        *_grpo(s, cfg, init, data_dir),
        *trainer,
        "trainer.max_actor_ckpt_to_keep=2",
        "trainer.val_before_train=True",
        "trainer.critic_warmup=0",
        *attention(s),
        *s.verl_overrides,
    ]


def attention(s: StageSettings) -> list[str]:
    """verl's attention settings for this environment: its flash-attn default where the
    package is installed (on GPUs), else sdpa without remove-padding. Decided where the
    stage runs, i.e. on the training node."""
    if s.gpus > 0 and importlib.util.find_spec("flash_attn") is not None:
        return []
    return NO_FLASH_ATTN[s.stage]


def _sft(s: StageSettings, init: str, data_dir: Path) -> list[str]:
    return [
        f"data.train_files={data_dir / 'sft_train.parquet'}",
        f"data.val_files={data_dir / 'sft_val.parquet'}",
        "data.messages_key=messages",
        f"data.train_batch_size={s.batch_size}",
        f"data.micro_batch_size_per_gpu={s.micro_batch_size}",
        "data.use_dynamic_bsz=False",  # else the micro batch size is ignored
        f"data.max_length={s.max_length}",
        "data.truncation=error",
        f"model.path={init}",
        *_optim("optim", s),
    ]


def _grpo(s: StageSettings, cfg: DictConfig, init: str, data_dir: Path) -> list[str]:
    actor, rollout = "actor_rollout_ref.actor", "actor_rollout_ref.rollout"
    return [
        "algorithm.adv_estimator=grpo",
        "algorithm.use_kl_in_reward=False",
        f"data.train_files={data_dir / 'rl_train.parquet'}",
        f"data.val_files={data_dir / 'rl_val.parquet'}",
        f"data.train_batch_size={s.batch_size}",
        f"data.max_prompt_length={s.max_prompt_length}",
        f"data.max_response_length={s.max_response_length}",
        "data.filter_overlong_prompts=True",
        "data.truncation=error",
        f"data.seed={cfg.seed}",
        f"actor_rollout_ref.model.path={init}",
        *_optim(f"{actor}.optim", s),
        f"{actor}.ppo_mini_batch_size={s.mini_batch_size}",
        f"{actor}.ppo_micro_batch_size_per_gpu={s.micro_batch_size}",
        f"{actor}.use_kl_loss={s.kl_coef > 0}",
        f"{actor}.kl_loss_coef={s.kl_coef}",
        f"{actor}.kl_loss_type={s.kl_loss_type}",
        f"{actor}.loss_agg_mode={LOSS_AGG_MODE[s.loss_type]}",
        f"{actor}.clip_ratio={s.clip_ratio}",
        f"{rollout}.name=vllm",
        f"{rollout}.n={s.n}",
        f"{rollout}.temperature={s.temperature}",
        f"{rollout}.top_p={s.top_p}",
        f"{rollout}.seed={cfg.seed}",
        f"{rollout}.tensor_model_parallel_size={s.rollout['tensor_parallel_size']}",
        f"{rollout}.gpu_memory_utilization={s.rollout['gpu_memory_utilization']}",
        f"{rollout}.log_prob_micro_batch_size_per_gpu={s.micro_batch_size}",
        f"actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu={s.micro_batch_size}",
        f"reward.custom_reward_function.path={Path(reward_module.__file__).resolve()}",
        "reward.custom_reward_function.name=compute_score",
    ]


def _optim(prefix: str, s: StageSettings) -> list[str]:
    return [
        f"{prefix}.lr={s.lr}",
        f"{prefix}.lr_scheduler_type={s.lr_scheduler}",
        f"{prefix}.lr_warmup_steps_ratio={s.warmup_ratio}",
        f"{prefix}.weight_decay={s.weight_decay}",
    ]


def _logger_list(cfg: DictConfig) -> str:
    loggers = ["console", "file"] + (
        ["tensorboard"] if "tensorboard" in cfg.train.report_to else []
    )
    return "[" + ",".join(loggers) + "]"


def compose_verl_config(stage: str, args: list[str]) -> DictConfig:
    """verl's own config for `stage` with `args` applied, composed from the YAML files of the
    installed verl (no GPU needed); a misspelled or misplaced key raises StageError."""
    try:
        import verl
    except ImportError:
        raise StageError(
            "verl is not installed in this environment (pip install "
            "'verl[vllm]==0.9.1'; see environment.yml)"
        ) from None
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    try:
        with initialize_config_dir(config_dir=str(config_dir), version_base=None):
            return compose(config_name=CONFIG_NAME[stage], overrides=args)
    except (HydraException, OmegaConfBaseException) as exc:
        raise StageError(
            f"verl's {CONFIG_NAME[stage]} config rejects our overrides: "
            f"{' '.join(str(exc).split())}"
        ) from None


def commands(s: StageSettings, args: list[str], work: Path) -> list[list[str]]:
    """The command(s) that train; `nodes > 1` runs them through a generated launcher."""
    if s.nodes > 1:
        return [["bash", str(work / "launch.sh")]]
    if s.stage == "sft":
        return [
            [
                *TORCHRUN,
                "--standalone",
                "--nnodes=1",
                f"--nproc_per_node={max(s.gpus, 1)}",
                "-m",
                "verl.trainer.sft_trainer",
                *args,
            ]
        ]
    cpus = os.environ.get("SLURM_CPUS_PER_TASK") or os.environ.get("SLURM_CPUS_ON_NODE")
    ray = [f"ray_kwargs.ray_init.num_cpus={cpus}"] if cpus else []  # Ray sees SLURM's share
    return [[sys.executable, "-m", "verl.trainer.main_ppo", *args, *ray]]


def environment(s: StageSettings) -> dict[str, str]:
    """What the training commands add to the environment: the CPU platform for gpus=0."""
    return dict(CPU_ENV) if s.gpus == 0 else {}


def launcher(s: StageSettings, args: list[str]) -> str:
    """A bash script for a multi-node run inside one SLURM allocation (`nodes > 1`)."""
    quoted = " ".join(shlex.quote(a) for a in args)
    head = 'head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)'
    if s.stage == "sft":
        return "\n".join(
            [
                "#!/usr/bin/env bash",
                "set -euo pipefail",
                head,
                f"srun --nodes={s.nodes} --ntasks-per-node=1 {shlex.join(TORCHRUN)} "
                f"--nnodes={s.nodes} "
                f"--nproc_per_node={s.gpus} --rdzv_backend=c10d --rdzv_endpoint=$head:29500 "
                f"--rdzv_id=$SLURM_JOB_ID -m verl.trainer.sft_trainer {quoted}",
                "",
            ]
        )
    cpus = "${SLURM_CPUS_PER_TASK:-$SLURM_CPUS_ON_NODE}"
    return "\n".join(
        [
            "#!/usr/bin/env bash",
            "set -euo pipefail",
            head,
            'ip=$(srun --nodes=1 --ntasks=1 -w "$head" hostname --ip-address | head -n1)',
            f'srun --nodes=1 --ntasks=1 -w "$head" ray start --head --node-ip-address="$ip" '
            f"--port={RAY_PORT} --num-cpus={cpus} --num-gpus={s.gpus} --block &",
            "sleep 10",
            f'srun --nodes={s.nodes - 1} --ntasks={s.nodes - 1} --exclude="$head" ray start '
            f'--address="$ip:{RAY_PORT}" --num-cpus={cpus} --num-gpus={s.gpus} --block &',
            "sleep 10",
            f'RAY_ADDRESS="$ip:{RAY_PORT}" {shlex.quote(sys.executable)} -m '
            f"verl.trainer.main_ppo {quoted}",
            "",
        ]
    )


def merge_command(checkpoint: Path, target: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "verl.model_merger",
        "merge",
        "--backend",
        "fsdp",
        "--local_dir",
        str(checkpoint),
        "--target_dir",
        str(target),
    ]


def latest_checkpoint(s: StageSettings, work: Path) -> Path | None:
    """verl's last completed checkpoint (its tracker file is written after the save)."""
    tracker = work / TRACKER
    if not tracker.is_file():
        return None
    step = work / f"global_step_{int(tracker.read_text().strip())}"
    return step / "actor" if s.stage == "grpo" else step


def print_plan(
    s: StageSettings, cfg: DictConfig, init: str, data_dir: Path, folder: RunFolder
) -> None:
    """`train.dry_run=true`: the commands a real run would execute."""
    args = overrides(s, cfg, init, data_dir, folder.work, resume=False)
    env = [f"{key}={value}" for key, value in environment(s).items()]
    for command in commands(s, args, folder.work):
        print(shlex.join([*(["env", *env] if env else []), *command]))
    if s.nodes > 1:
        print(f"# {folder.work / 'launch.sh'}:\n{launcher(s, args)}")
    print(
        shlex.join(
            merge_command(
                folder.work / "global_step_<N>" / ("actor" if s.stage == "grpo" else ""),
                folder.final,
            )
        )
    )


@dataclass
class Trained:
    """A finished verl run, merged: `save(folder)` copies the Hugging Face files."""

    merged: Path
    history: list[dict]
    steps: int
    seconds: float

    def save(self, folder: Path) -> None:
        for item in self.merged.iterdir():
            os.replace(item, folder / item.name)


def train(
    s: StageSettings,
    cfg: DictConfig,
    init: str,
    data_dir: Path,
    folder: RunFolder,
    resume: bool,
    validation: ValidationSet,
) -> Trained:
    args = overrides(s, cfg, init, data_dir, folder.work, resume)
    compose_verl_config(s.stage, args)  # fail here, not after the job has queued for GPUs
    if s.nodes > 1:
        (folder.work / "launch.sh").write_text(launcher(s, args))
    attempt = len(list(folder.work.glob("metrics.attempt-*.jsonl"))) + 1
    env = {
        **os.environ,
        **environment(s),
        "VERL_FILE_LOGGER_PATH": str(folder.work / f"metrics.attempt-{attempt}.jsonl"),
    }
    before = _validate(init, validation, cfg)
    start = time.perf_counter()
    for command in commands(s, args, folder.work):
        log.info("running: %s", shlex.join(command))
        _run(command, env)
    seconds = time.perf_counter() - start
    checkpoint = latest_checkpoint(s, folder.work)
    if checkpoint is None:
        raise StageError(
            f"verl finished without a checkpoint in {folder.work} "
            f"(is {s.stage}.save_every larger than the run?)"
        )
    merged = folder.work / "merged"
    _run(merge_command(checkpoint, merged), env)
    history = _file_logger_history(folder.work)
    steps = max((row["step"] for row in history), default=0)
    after = _validate(str(merged), validation, cfg)
    history += [{"step": 0, **before}, {"step": steps, **after}]
    return Trained(merged, history, steps, seconds)


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env)
    if result.returncode:
        raise StageError(
            f"{shlex.join(command[:4])} ... failed with exit status "
            f"{result.returncode} (see the log above)"
        )


def _file_logger_history(work: Path) -> list[dict]:
    """verl's file-logger lines of every attempt, in order (later attempts win per step)."""
    history = []
    for path in sorted(
        work.glob("metrics.attempt-*.jsonl"), key=lambda p: int(p.stem.rsplit("-", 1)[-1])
    ):
        for line in path.read_text().splitlines():
            if line.strip():
                entry = json.loads(line)
                history.append({"step": entry["step"], **entry["data"]})
    return history


def _validate(model: str, validation: ValidationSet, cfg: DictConfig) -> dict:
    from stgrpo.models.hf_backend import HFBackend

    backend = HFBackend(model, batch_size=cfg.train.val_batch_size, dtype="bfloat16")
    scores = single_turn_metrics(backend, validation, cfg.train.val_max_tokens)
    del backend
    return {f"val_{k}": v for k, v in scores.items()}
