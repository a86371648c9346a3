"""The training settings of one stage (sft or grpo), read from the Hydra config and checked
before any work starts: every bad value is named by its key with what was expected.

One `StageSettings` drives both engines: the TRL engine maps it onto SFTConfig/GRPOConfig,
the verl engine onto verl's own config keys (stgrpo.train.verl_engine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from stgrpo.config import ConfigError, checkpoint_dir, require
from stgrpo.kitchen.tasks import TASKS

ENGINES = ("trl", "verl")
STAGES = ("sft", "grpo")
INITS = ("sft", "base")
LOSS_TYPES = ("grpo", "dapo", "dr_grpo")
KL_LOSS_TYPES = ("low_var_kl", "kl", "abs", "mse")


@dataclass(frozen=True)
class StageSettings:
    """Keys shared by both stages (config group `sft/` or `grpo/`), plus GRPO's own."""

    stage: str
    engine: str
    epochs: int
    max_steps: int
    batch_size: int  # sft: examples per step; grpo: prompts per step
    micro_batch_size: int  # sft: examples; grpo: completions (per device, per forward)
    lr: float
    lr_scheduler: str
    warmup_ratio: float
    weight_decay: float
    gpus: int
    nodes: int
    save_every: int
    log_every: int
    val_every: int
    verl_overrides: tuple[str, ...]
    max_length: int = 0  # sft
    prompt_loss: bool = False  # sft: the loss on the prompt's tokens too (TRL only)
    init: str = "base"  # grpo: sft | base
    mini_batch_size: int = 0  # grpo: prompts per optimizer update
    n: int = 1  # grpo: completions per prompt
    kl_coef: float = 0.0
    kl_loss_type: str = "low_var_kl"
    loss_type: str = "dapo"
    clip_ratio: float = 0.2
    temperature: float = 1.0
    top_p: float = 1.0
    max_prompt_length: int = 0
    max_response_length: int = 0
    rollout: dict = field(default_factory=dict)

    @property
    def devices(self) -> int:
        """Data-parallel workers: GPUs over all nodes, or one CPU process."""
        return max(self.gpus, 1) * self.nodes

    @property
    def accumulation(self) -> int:
        """Micro batches per optimizer update (per device)."""
        per_update = self.mini_batch_size * self.n if self.stage == "grpo" else self.batch_size
        return per_update // (self.micro_batch_size * self.devices)

    @property
    def generation_rounds(self) -> int:
        """GRPO: micro batches per generation round (per device)."""
        return self.batch_size * self.n // (self.micro_batch_size * self.devices)


def read_settings(cfg: DictConfig, stage: str) -> StageSettings:
    """`cfg.sft` or `cfg.grpo`, checked."""
    if stage not in STAGES:
        raise ConfigError(f"training stage must be one of {list(STAGES)}, got {stage!r}")
    require(cfg, "task", str, choices=sorted(TASKS))
    require(cfg, stage, DictConfig)

    def get(key, kind, **checks):
        return require(cfg, f"{stage}.{key}", kind, **checks)

    number = (float, int)
    common = dict(
        stage=stage,
        engine=get("engine", str, choices=ENGINES),
        epochs=get("epochs", int, minimum=1),
        max_steps=get("max_steps", int),
        batch_size=get("batch_size", int, minimum=1),
        micro_batch_size=get("micro_batch_size", int, minimum=1),
        lr=float(get("lr", number)),
        lr_scheduler=get("lr_scheduler", str),
        warmup_ratio=float(get("warmup_ratio", number)),
        weight_decay=float(get("weight_decay", number)),
        gpus=get("gpus", int, minimum=0),
        nodes=get("nodes", int, minimum=1),
        save_every=get("save_every", int, minimum=1),
        log_every=get("log_every", int, minimum=1),
        val_every=get("val_every", int, minimum=0),
        verl_overrides=_overrides(cfg, stage),
    )
    _check_range(f"{stage}.lr", common["lr"], 0, None, open_low=True)
    _check_range(f"{stage}.warmup_ratio", common["warmup_ratio"], 0, 1)
    if stage == "sft":
        settings = StageSettings(
            **common,
            max_length=get("max_length", int, minimum=16),
            prompt_loss=get("prompt_loss", bool),
        )
        if settings.prompt_loss and settings.engine != "trl":
            raise ConfigError(
                "config key 'sft.prompt_loss' must be false with sft.engine="
                f"{settings.engine} (the loss on prompt tokens is TRL-only)"
            )
    else:
        settings = StageSettings(
            **common,
            init=get("init", str, choices=INITS),
            mini_batch_size=get("mini_batch_size", int, minimum=1),
            n=get("n", int, minimum=2),
            kl_coef=float(get("kl_coef", number)),
            kl_loss_type=get("kl_loss_type", str, choices=KL_LOSS_TYPES),
            loss_type=get("loss_type", str, choices=LOSS_TYPES),
            clip_ratio=float(get("clip_ratio", number)),
            temperature=float(get("temperature", number)),
            top_p=float(get("top_p", number)),
            max_prompt_length=get("max_prompt_length", int, minimum=16),
            max_response_length=get("max_response_length", int, minimum=1),
            rollout=OmegaConf.to_container(get("rollout", DictConfig), resolve=True),
        )
        _check_range("grpo.kl_coef", settings.kl_coef, 0, None)
        _check_range("grpo.temperature", settings.temperature, 0, None, open_low=True)
        _check_range("grpo.top_p", settings.top_p, 0, 1, open_low=True)
    _check_batches(settings)
    return settings


def _overrides(cfg: DictConfig, stage: str) -> tuple[str, ...]:
    value = OmegaConf.select(cfg, f"{stage}.verl_overrides")
    if value is None:
        return ()
    if not OmegaConf.is_list(value) or not all(isinstance(v, str) and "=" in v for v in value):
        raise ConfigError(
            f"config key '{stage}.verl_overrides' must be a list of "
            f"'key=value' strings, got {value!r}"
        )
    return tuple(value)


def _check_range(key, value, low, high, open_low=False) -> None:
    too_low = value <= low if open_low else value < low
    if too_low or (high is not None and value > high):
        bound = f"{'(' if open_low else '['}{low}, {high if high is not None else 'inf'}]"
        raise ConfigError(f"config key '{key}' must lie in {bound}, got {value}")


def _check_batches(s: StageSettings) -> None:
    """Batch sizes must split evenly over devices and micro batches (both engines need it)."""
    p = s.stage
    if s.stage == "sft":
        per_update, what = s.batch_size, f"{p}.batch_size = {s.batch_size} examples"
    else:
        if s.batch_size % s.mini_batch_size:
            raise ConfigError(
                f"config key 'grpo.mini_batch_size' ({s.mini_batch_size}) must "
                f"divide grpo.batch_size ({s.batch_size})"
            )
        per_update = s.mini_batch_size * s.n
        what = (
            f"grpo.mini_batch_size x grpo.n = {s.mini_batch_size} x {s.n} = {per_update} "
            f"completions"
        )
    step = s.micro_batch_size * s.devices
    if per_update % step:
        raise ConfigError(
            f"{what} per update cannot be split into micro batches: "
            f"'{p}.micro_batch_size' ({s.micro_batch_size}) x {s.devices} "
            f"device(s) = {step} must divide it"
        )


def tensorboard_dir(cfg: DictConfig, stage: str) -> Path:
    """`{paths.<stage>}/{stage}/{task}.tensorboard` (when `train.report_to` has tensorboard):
    beside the checkpoint, not in it, since the checkpoint folder appears in one rename."""
    folder = checkpoint_dir(cfg, stage)
    return folder.with_name(folder.name + ".tensorboard")
