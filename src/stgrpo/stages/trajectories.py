"""The `trajectories` stage: expert trajectories of one task from its train layouts.

    python -m stgrpo.stages.trajectories task=burger [expert=planner|llm] [expert.workers=2 ...]

reads `{results_dir}/layouts/{task}/train.jsonl` (the `layouts` stage) and writes
`{results_dir}/trajectories/{expert.name}/{task}.jsonl` (one record per step) with
`{task}.summary.json` (kept, attempts, lengths, gap to optimal) and `{task}.config.yaml`.
"""

from __future__ import annotations

import logging

from omegaconf import DictConfig

from stgrpo import paths
from stgrpo.config import ConfigError, StageError, require, run_cli, stage_root, to_yaml
from stgrpo.data.prompts import TEMPLATES
from stgrpo.expert.recipe import NotARecipeError, read_recipes
from stgrpo.expert.trajectories import (
    TIE_BREAKS,
    episode_records,
    planner_episode,
    recipe_episode,
    recovery_episodes,
    summarise,
    write_trajectories,
)
from stgrpo.io import write_json, write_text
from stgrpo.kitchen.layout import Layout, read_layout_records
from stgrpo.kitchen.tasks import TASKS
from stgrpo.models.inference import ChatBackend
from stgrpo.parallel import ordered_map
from stgrpo.rollout.llm_expert import annotate_optimal, sample_trajectories
from stgrpo.stages import backend_from_config, sampling_from_config

log = logging.getLogger("stgrpo.expert")
KINDS = ("planner", "recipe", "llm")


def run_planner(cfg: DictConfig, task: str, layouts: list[tuple[Layout, int | None]]):
    """The planner's minimal trajectories, or (expert.kind=recipe) the recipe expert's."""
    recipe = cfg.expert.kind == "recipe"
    tie_break = "first" if recipe else require(cfg, "expert.tie_break", str, choices=TIE_BREAKS)
    max_states = require(cfg, "expert.max_states", int, minimum=1)
    workers = require(cfg, "expert.workers", int, minimum=1)
    # The tie-break seed of a layout depends on its hash, not its position in the file.
    jobs = [
        (layout, f"{cfg.seed}:{layout.content_hash}", tie_break, max_states)
        for layout, _ in layouts
    ]
    results = ordered_map(
        recipe_episode if recipe else planner_episode,
        jobs,
        workers,
        desc=f"{cfg.expert.name} {task}",
        unit="layout",
    )
    records, kept, skipped = [], [], []
    for (layout, optimal), result in zip(layouts, results, strict=True):
        if isinstance(result, str):
            reason = f"layout {layout.content_hash} (seed {layout.seed}): {result}"
            if cfg.layouts.on_unsolvable == "fail":
                raise StageError(reason)
            log.warning("skipped %s", reason)
            skipped.append(layout.content_hash)
            continue
        if optimal is None and not recipe:
            # layouts.train.solve=false: this search is the only one, and the planner's
            # trajectory is minimal, so its length is the optimal length
            optimal = len(result)
        records += episode_records(
            result,
            expert=cfg.expert.name,
            task=task,
            layout=layout,
            episode=len(kept),
            optimal_steps=optimal,
            turns=len(result),
        )
        kept.append((len(result), optimal))
    summary = summarise(cfg.expert.name, task, kept, len(layouts), skipped)
    if recipe and cfg.expert.recoveries:
        kept_layouts = [pair for pair in layouts if pair[0].content_hash not in skipped]
        extra = recovery_records(cfg, task, kept_layouts, first_episode=len(kept))
        summary["recovery_episodes"] = len({r["episode"] for r in extra})
        summary["recovery_steps"] = len(extra)
        records += extra
    return records, summary


def recovery_records(cfg, task: str, layouts, first_episode: int) -> list[dict]:
    """`expert.recoveries` recovery episodes per layout (expert.trajectories.
    recovery_trajectory), numbered after the plain ones and marked `recovery: true`."""
    jobs = [
        (layout, f"{cfg.seed}:{layout.content_hash}", cfg.expert.recoveries, cfg.expert.slips)
        for layout, _ in layouts
    ]
    results = ordered_map(
        recovery_episodes, jobs, cfg.expert.workers, desc=f"recoveries {task}", unit="layout"
    )
    records, episode = [], first_episode
    for (layout, optimal), result in zip(layouts, results, strict=True):
        if isinstance(result, str):
            raise StageError(f"layout {layout.content_hash} (seed {layout.seed}): {result}")
        for steps in result:
            records += [
                {**r, "recovery": True}
                for r in episode_records(
                    steps,
                    expert=cfg.expert.name,
                    task=task,
                    layout=layout,
                    episode=episode,
                    optimal_steps=optimal,
                    turns=len(steps),
                )
            ]
            episode += 1
    return records


def main(cfg: DictConfig) -> None:
    task = require(cfg, "task", str, choices=sorted(TASKS))
    kind = require(cfg, "expert.kind", str, choices=KINDS)
    name = require(cfg, "expert.name", str)
    if kind == "recipe":
        require(cfg, "expert.recoveries", int, minimum=0)
        require(cfg, "expert.slips", int, minimum=1)
        try:
            read_recipes(TASKS[task].goal)
        except NotARecipeError as exc:
            raise ConfigError(f"expert=recipe cannot cook task {task!r}: {exc}") from None
    source = paths.layouts(stage_root(cfg, "layouts"), task) / "train.jsonl"
    layouts = [
        (layout, record.get("optimal_steps")) for layout, record in read_layout_records(source)
    ]
    if not layouts:
        raise StageError(f"{source}: no layouts")
    if kind in ("planner", "recipe"):
        records, summary = run_planner(cfg, task, layouts)
    else:
        records, summary = llm_trajectories(cfg, task, layouts)
    if not records:
        raise StageError(
            f"{name} expert: no trajectory of {task} was kept ({summary['attempts']} attempts)"
        )
    root = stage_root(cfg, "trajectories")
    out = paths.trajectories(root, name, task)
    write_trajectories(out, records)
    write_json(paths.path(root, paths.TRAJECTORY_SUMMARY, expert=name, task=task), summary)
    write_text(out.with_suffix(".config.yaml"), to_yaml(cfg))
    log.info(
        "%s %s: kept %d of %d, mean length %s (optimal %s)",
        name,
        task,
        summary["kept"],
        summary["attempts"],
        summary["mean_length"],
        summary["mean_optimal_length"],
    )


def llm_trajectories(
    cfg: DictConfig,
    task: str,
    layouts: list[tuple[Layout, int | None]],
    backend: ChatBackend | None = None,
):
    """`expert.kind=llm`: rejection-sampled episodes as (step records, summary)."""
    e = cfg.expert
    target = require(cfg, "expert.target", int, minimum=1)
    max_attempts = require(cfg, "expert.max_attempts", int, minimum=1)
    batch_size = require(cfg, "expert.batch_size", int, minimum=1)
    template = require(cfg, "expert.template", str, choices=sorted(TEMPLATES))
    max_steps = e.get("max_steps")
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        raise ConfigError(
            f"config key 'expert.max_steps' must be null or a positive integer, got {max_steps!r}"
        )
    sampling = sampling_from_config(cfg, "expert")
    if backend is None:
        backend = backend_from_config(cfg, "expert", require(cfg, "expert.model", str))
    kept, attempts, all_turns = sample_trajectories(
        layouts,
        backend,
        target=target,
        max_attempts=max_attempts,
        batch_size=batch_size,
        sampling=sampling,
        template=template,
        max_steps=max_steps,
    )
    records = []
    for index, episode in enumerate(kept):
        if e.get("annotate_optimal", True):
            annotate_optimal(episode, require(cfg, "expert.max_states", int, minimum=1))
        records += episode_records(
            episode.steps,
            expert=e.name,
            task=task,
            layout=episode.layout,
            episode=index,
            optimal_steps=episode.optimal_steps,
            turns=episode.env.steps,
        )
    summary = summarise(
        e.name, task, [(ep.env.steps, ep.optimal_steps) for ep in kept], attempts, skipped=[]
    )
    summary["mean_turns_all_attempts"] = sum(all_turns) / len(all_turns) if all_turns else None
    summary["invalid_turns_kept"] = sum(ep.invalid for ep in kept)
    if len(kept) < target:
        log.warning("%s: kept %d of %d wanted after %d attempts", task, len(kept), target, attempts)
    return records, summary


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
