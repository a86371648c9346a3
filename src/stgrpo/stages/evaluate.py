"""The `evaluate` stage: one policy on one task's test panel, all episodes in lock-step.

    python -m stgrpo.stages.evaluate task=burger [eval.policy=checkpoint eval.train_task=burger
                                           eval.stage=grpo | eval.policy=base | planner | random
                                           | expert]

reads `{results_dir}/layouts/{task}/test.jsonl` (checked against its `test.meta.json` panel
hash) and writes `{results_dir}/evaluate/{model_id}/{task}/episodes.jsonl` (one line per
episode: layout, success, steps, optimal steps, invalid turns, valid actions and their
thoughts, every turn's raw reply) and
`metrics.json` (SR, ASAT, ASST with intervals; stgrpo.evaluate.metrics; and the same over
the panel's first `eval.paper_panel` layouts, the paper's 10), `config.yaml`, and
with `eval.render`, `success.png` / `failure.png`: the first successful and the first failed
episode as strips of kitchen frames.
`model_id`: `{train_task}-{stage}` for a checkpoint, `base-{model.name}`, `planner`, `random`,
`expert-{expert.name}` (the configured expert: `expert=llm` samples as the expert does).
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path

from omegaconf import DictConfig
from tqdm import tqdm

from stgrpo import paths
from stgrpo.config import (
    ConfigError,
    StageError,
    checkpoint_dir,
    require,
    run_cli,
    stage_root,
    to_yaml,
)
from stgrpo.data.prompts import TEMPLATES, template_hash
from stgrpo.evaluate import eval_dir
from stgrpo.evaluate.metrics import summarise_episodes
from stgrpo.evaluate.policies import PlannerPolicy, RandomPolicy, RecipePolicy
from stgrpo.expert.layouts import layout_id, panel_hash
from stgrpo.io import write_json, write_jsonl, write_text
from stgrpo.kitchen.layout import read_layout_records
from stgrpo.kitchen.tasks import TASKS, get_task
from stgrpo.rollout import ChatPolicy, Episode, Policy, play, start_episode
from stgrpo.stages import backend_from_config, sampling_from_config

log = logging.getLogger("stgrpo.evaluate")
POLICIES = ("checkpoint", "base", "planner", "random", "expert")
STAGES = ("sft", "grpo")


def model_id(cfg: DictConfig) -> str:
    policy = cfg.eval.policy
    if policy == "checkpoint":
        return f"{cfg.eval.train_task}-{cfg.eval.stage}"
    if policy == "expert":
        return f"expert-{cfg.expert.name}"
    return f"base-{cfg.model.name}" if policy == "base" else policy


def load_panel(results: Path, task: str):
    """(layouts with optimal lengths, panel hash), checked against the panel's meta file."""
    path = paths.layouts(results, task) / "test.jsonl"
    meta_path = path.with_name("test.meta.json")
    if not meta_path.is_file():
        raise StageError(f"{meta_path} not found: run the layouts stage for {task} first")
    records = list(read_layout_records(path))
    if not records:
        raise StageError(f"{path}: the test panel is empty")
    layouts = [layout for layout, _ in records]
    expected = json.loads(meta_path.read_text()).get("panel_hash")
    actual = panel_hash(layouts)
    if expected != actual:
        raise StageError(
            f"{path}: panel hash {actual} does not match {expected} in "
            f"{meta_path} (the panel changed; rebuild the layouts)"
        )
    wrong = sorted({layout.task for layout in layouts} - {task})
    if wrong:
        raise StageError(f"{path}: holds layouts of other tasks {wrong}")
    return [(layout, record.get("optimal_steps")) for layout, record in records], actual


def turn_limit(timeout, task: str, optimal: int | None) -> int:
    if timeout == "paper":
        return get_task(task).timeout
    if optimal is None:
        raise StageError(
            "eval.timeout as a multiple of the optimal length needs "
            "optimal_steps in the panel's layout records"
        )
    return math.ceil(float(timeout) * optimal)


def make_policy(cfg: DictConfig) -> Policy:
    e = cfg.eval
    if e.policy == "planner" or (e.policy == "expert" and cfg.expert.kind == "planner"):
        return PlannerPolicy(require(cfg, "eval.max_states", int, minimum=1))
    if e.policy == "random":
        return RandomPolicy(cfg.seed)
    if e.policy == "expert" and cfg.expert.kind == "recipe":
        return RecipePolicy()
    if e.policy == "expert":  # the LLM expert as configured (expert=llm), sampling included
        return chat_policy(cfg, "expert", require(cfg, "expert.model", str))
    if e.policy == "checkpoint":
        model = checkpoint_dir(cfg, e.stage, e.train_task)
        if not (model / "config.json").is_file():
            raise StageError(f"checkpoint {model} not found (train {e.train_task} {e.stage} first)")
    else:
        model = require(cfg, "model.path", str)
    return chat_policy(cfg, "eval", str(model))


def chat_policy(cfg: DictConfig, group: str, model: str) -> ChatPolicy:
    """A language model policy with the backend, sampling and template of `group`."""
    return ChatPolicy(
        backend_from_config(cfg, group, model),
        sampling_from_config(cfg, group),
        cfg[group].template,
    )


def check(cfg: DictConfig) -> None:
    require(cfg, "task", str, choices=sorted(TASKS))
    require(cfg, "eval.policy", str, choices=POLICIES)
    require(cfg, "eval.template", str, choices=sorted(TEMPLATES))
    require(cfg, "eval.episodes_per_layout", int, minimum=1)
    if cfg.eval.policy == "checkpoint":
        require(cfg, "eval.train_task", str, choices=sorted(TASKS))
        require(cfg, "eval.stage", str, choices=STAGES)
    timeout = require(cfg, "eval.timeout", (str, int, float))
    if timeout != "paper" and (isinstance(timeout, str) or timeout <= 0):
        raise ConfigError(
            f"config key 'eval.timeout' must be 'paper' or a positive multiple "
            f"of the optimal length, got {timeout!r}"
        )


def episode_record(episode: Episode, index: int) -> dict:
    return {
        "episode": index,
        "layout": layout_id(episode.layout),
        "success": episode.env.success,
        "steps": episode.env.steps,
        "max_steps": episode.env.max_steps,
        "optimal_steps": episode.optimal_steps,
        "invalid": episode.invalid,
        "actions": [s["action"] for s in episode.steps],
        "thoughts": [s["thought"] for s in episode.steps],
        "replies": episode.replies,
    }


def main(cfg: DictConfig) -> None:
    check(cfg)
    task = cfg.task
    panel, panel_fingerprint = load_panel(stage_root(cfg, "layouts"), task)
    policy = make_policy(cfg)  # loads the model: a bad checkpoint fails before any rollout
    episodes = [
        start_episode(layout, optimal, turn_limit(cfg.eval.timeout, task, optimal))
        for layout, optimal in panel
        for _ in range(cfg.eval.episodes_per_layout)
    ]
    play(episodes, _Progress(policy, max(e.env.max_steps for e in episodes)))
    records = [episode_record(e, i) for i, e in enumerate(episodes)]
    identity = model_id(cfg)
    metrics = {
        "model_id": identity,
        "task": task,
        "policy": cfg.eval.policy,
        "panel_hash": panel_fingerprint,
        "template": cfg.eval.template,
        "template_hash": template_hash(cfg.eval.template),
        "timeout": cfg.eval.timeout,
        **summarise_episodes(records, seed=cfg.seed),
    }
    first = require(cfg, "eval.paper_panel", int, minimum=0)
    if 0 < first < len(panel):  # the paper's 10-layout panel, reported beside the full one
        metrics["paper_panel"] = summarise_episodes(
            records[: first * cfg.eval.episodes_per_layout], seed=cfg.seed
        )
    out = eval_dir(cfg, identity, task)
    write_jsonl(out / "episodes.jsonl", records)
    if cfg.eval.get("render", False):
        render_examples(episodes, out)
    write_text(out / "config.yaml", to_yaml(cfg))
    write_json(out / "metrics.json", metrics)  # last: it marks the stage done
    log.info(
        "%s on %s: SR %.2f [%.2f, %.2f], ASAT %.1f, ASST %s (n=%d)",
        identity,
        task,
        metrics["sr"],
        *metrics["sr_ci"],
        metrics["asat"],
        "-" if metrics["asst"] is None else f"{metrics['asst']:.1f}",
        metrics["n"],
    )


def render_examples(episodes: list[Episode], out: Path) -> None:
    """The first successful and the first failed episode as PNG strips (each frame titled
    with the action taken from it; wasted turns change no frame)."""
    from stgrpo.kitchen.render import render_episode

    for name, wanted in (("success", True), ("failure", False)):
        episode = next((e for e in episodes if e.env.success == wanted), None)
        if episode is None:
            continue
        states = [*episode.states, episode.env.state]
        titles = [f"{i}: {s['action']}" for i, s in enumerate(episode.steps)]
        titles.append("success" if wanted else f"timeout after {episode.env.steps} turns")
        tmp = out / f".{name}.tmp.png"
        out.mkdir(parents=True, exist_ok=True)
        render_episode(episode.env.world, states, tmp, [_short(t) for t in titles])
        os.replace(tmp, out / f"{name}.png")


def _short(title: str, width: int = 38) -> str:
    return title if len(title) <= width else title[: width - 3] + "..."


class _Progress:
    """The policy, with a progress bar over turns."""

    def __init__(self, policy: Policy, turns: int):
        self.policy, self.bar = policy, tqdm(total=turns, desc="evaluate", unit="turn")

    def replies(self, episodes, turn):
        self.bar.update(1)
        self.bar.set_postfix(live=len(episodes))
        return self.policy.replies(episodes, turn)


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
