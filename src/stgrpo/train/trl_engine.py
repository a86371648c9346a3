"""The TRL engine: SFTTrainer and GRPOTrainer in this process (CPU, or one GPU).

Settings map onto TRL as follows (both engines read the same `StageSettings`):
* SFT: prompt/completion rows (loss on the answer only); `batch_size` examples per
  optimizer step = `micro_batch_size` x gradient accumulation.
* GRPO: one generation round samples `n` completions for each of `batch_size` prompts
  (TRL's `steps_per_generation`); the policy is updated every `mini_batch_size` prompts
  (gradient accumulation), as verl's ppo_mini_batch_size does. `max_steps` counts rounds.
  The reward is ours, as two logged parts (format 0.1, action 0.9). `kl_coef` is TRL's
  `beta` (its KL estimator is k3, verl's `low_var_kl`).
Validation (stgrpo.train.validate) runs before the first step, every `val_every` steps and
at the end; its rows go into the trainer's log history, so they survive a resume.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from transformers import TrainerCallback

from stgrpo.config import ConfigError
from stgrpo.train.outputs import RunFolder, mark_complete
from stgrpo.train.settings import StageSettings, tensorboard_dir
from stgrpo.train.validate import ValidationSet, single_turn_metrics

log = logging.getLogger("stgrpo.train")


def check(s: StageSettings) -> None:
    """What TRL in one process cannot do, refused before any work."""
    if s.gpus > 1 or s.nodes > 1:
        raise ConfigError(
            f"{s.stage}.engine=trl runs in one process: set {s.stage}.gpus to 0 "
            f"or 1 and {s.stage}.nodes to 1, or use {s.stage}.engine=verl"
        )
    if s.stage == "grpo" and s.kl_loss_type != "low_var_kl":
        raise ConfigError(
            "config key 'grpo.kl_loss_type' must be low_var_kl with engine=trl "
            f"(TRL's KL term is the k3 estimator), got {s.kl_loss_type!r}"
        )


@dataclass
class Trained:
    """A finished run: `save(folder)` writes the Hugging Face checkpoint."""

    model: object
    tokenizer: object
    history: list[dict]
    steps: int
    seconds: float

    def save(self, folder: Path) -> None:
        self.model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)


def train(
    s: StageSettings,
    cfg,
    init: str,
    data_dir: Path,
    folder: RunFolder,
    resume: bool,
    validation: ValidationSet,
) -> Trained:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    seed, train_cfg = cfg.seed, cfg.train
    torch.set_num_threads(train_cfg.threads)
    if "tensorboard" in train_cfg.report_to:
        os.environ["TENSORBOARD_LOGGING_DIR"] = str(tensorboard_dir(cfg, s.stage))
    tokenizer = AutoTokenizer.from_pretrained(init)
    dtype = torch.bfloat16 if s.gpus else torch.float32
    model = AutoModelForCausalLM.from_pretrained(init, dtype=dtype)
    validator = _Validator(tokenizer, validation, s, train_cfg)
    callbacks = [_MarkComplete(), validator]
    if s.stage == "sft":
        trainer = _sft_trainer(
            s, model, tokenizer, data_dir, folder.work, seed, train_cfg, callbacks
        )
    else:
        trainer = _grpo_trainer(
            s, model, tokenizer, data_dir, folder.work, seed, train_cfg, callbacks
        )
    checkpoint = folder.latest_checkpoint() if resume else None
    log.info("%s: %s", s.stage, f"resuming from {checkpoint}" if checkpoint else "fresh start")
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - start
    state = trainer.state
    if validator.last_step != state.global_step:
        validator.validate(trainer.model, state)
    return Trained(trainer.model, tokenizer, list(state.log_history), state.global_step, seconds)


def _common_args(s: StageSettings, work: Path, seed: int, train_cfg) -> dict:
    return dict(
        output_dir=str(work),
        per_device_train_batch_size=s.micro_batch_size,
        gradient_accumulation_steps=s.accumulation,
        learning_rate=s.lr,
        lr_scheduler_type=s.lr_scheduler,
        warmup_steps=s.warmup_ratio,
        weight_decay=s.weight_decay,
        num_train_epochs=s.epochs,
        logging_steps=s.log_every,
        logging_first_step=True,
        save_strategy="steps",
        save_steps=s.save_every,
        save_total_limit=2,
        seed=seed,
        data_seed=seed,
        use_cpu=s.gpus == 0,
        bf16=s.gpus > 0,
        report_to=list(train_cfg.report_to),
        disable_tqdm=False,
        dataloader_num_workers=0,
        gradient_checkpointing=False,
    )


def _sft_trainer(s, model, tokenizer, data_dir, work, seed, train_cfg, callbacks):
    from trl import SFTConfig, SFTTrainer

    from stgrpo.data.datasets import load_sft_for_trl

    args = SFTConfig(
        **_common_args(s, work, seed, train_cfg),
        max_steps=s.max_steps,
        max_length=s.max_length,
        completion_only_loss=not s.prompt_loss,
        packing=False,
    )
    return SFTTrainer(
        model=model,
        args=args,
        processing_class=tokenizer,
        train_dataset=load_sft_for_trl(data_dir / "sft_train.parquet"),
        callbacks=callbacks,
    )


def _grpo_trainer(s, model, tokenizer, data_dir, work, seed, train_cfg, callbacks):
    from trl import GRPOConfig, GRPOTrainer

    from stgrpo.data.datasets import load_rl_for_trl
    from stgrpo.data.reward import TRL_REWARD_PARTS, TRL_REWARD_WEIGHTS

    updates_per_round = s.batch_size // s.mini_batch_size
    args = GRPOConfig(
        **_common_args(s, work, seed, train_cfg),
        max_steps=s.max_steps * updates_per_round if s.max_steps > 0 else -1,
        steps_per_generation=s.generation_rounds,
        num_generations=s.n,
        max_completion_length=s.max_response_length,
        temperature=s.temperature,
        top_p=s.top_p,
        beta=s.kl_coef,
        loss_type=s.loss_type,
        epsilon=s.clip_ratio,
        reward_weights=list(TRL_REWARD_WEIGHTS),
        disable_dropout=True,
        log_completions=False,
    )
    return GRPOTrainer(
        model=model,
        args=args,
        processing_class=tokenizer,
        reward_funcs=list(TRL_REWARD_PARTS),
        train_dataset=load_rl_for_trl(data_dir / "rl_train.parquet"),
        callbacks=callbacks,
    )


class _MarkComplete(TrainerCallback):
    """Marks each checkpoint once the trainer has fully written it."""

    def on_save(self, args, state, control, **kwargs):
        mark_complete(Path(args.output_dir) / f"checkpoint-{state.global_step}")


class _Validator(TrainerCallback):
    """Single-turn validation at step 0, every `val_every` steps, and at the end."""

    def __init__(self, tokenizer, data: ValidationSet, s: StageSettings, train_cfg):
        self.tokenizer, self.data, self.every = tokenizer, data, s.val_every
        self.batch_size = train_cfg.val_batch_size
        self.max_tokens = train_cfg.val_max_tokens
        self.last_step = -1

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if state.global_step == 0:
            self.validate(model, state)

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if self.every and state.global_step % self.every == 0:
            self.validate(model, state)

    def validate(self, model, state) -> None:
        from stgrpo.models.hf_backend import HFBackend

        backend = HFBackend.wrap(model, self.tokenizer, self.batch_size)
        scores = single_turn_metrics(backend, self.data, self.max_tokens)
        state.log_history.append(
            {"step": state.global_step, **{f"val_{k}": v for k, v in scores.items()}}
        )
        self.last_step = state.global_step
        log.info(
            "step %d: single-turn validation accuracy %.3f (optimal %.3f, format %.3f, n=%d)",
            state.global_step,
            scores.get("accuracy", 0.0),
            scores.get("optimal_accuracy", 0.0),
            scores.get("format_rate", 0.0),
            scores["n"],
        )
