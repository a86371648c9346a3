"""The paper's expert: ReAct-prompted LLM episodes, keeping successful ones (rejection sampling).

Episodes run in lock-step waves of `batch_size` through the rollout engine that evaluation
uses too (stgrpo.rollout: one `generate` call per turn; a reply naming no valid action
wastes the turn). Attempt i plays train layout i mod N, so attempts
spread over the layouts in order. Sampling stops once `target` successes are kept or
`max_attempts` episodes were played; the summary records the sampler's success rate and
step statistics. Kept steps are the turns whose action was valid; with `annotate_optimal`,
each carries the optimal-action set and steps-to-go of its state (one planner search per
departure from an optimal plan).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from tqdm import tqdm

from stgrpo.expert.heuristic import AssemblyHeuristic
from stgrpo.expert.planner import OptimalPlanner
from stgrpo.kitchen.layout import Layout
from stgrpo.kitchen.text import ActionVocabulary
from stgrpo.kitchen.world import World
from stgrpo.models.inference import ChatBackend, Sampling
from stgrpo.rollout import ChatPolicy, Episode, play, start_episode

log = logging.getLogger(__name__)


def sample_trajectories(
    layouts: list[tuple[Layout, int | None]],
    backend: ChatBackend,
    *,
    target: int,
    max_attempts: int,
    batch_size: int,
    sampling: Sampling,
    template: str,
    max_steps: int | None = None,
) -> tuple[list[Episode], int, list[int]]:
    """(successful episodes in attempt order, attempts made, turns of every attempt)."""
    kept: list[Episode] = []
    all_turns: list[int] = []
    attempts = 0
    progress = tqdm(total=target, desc="llm expert", unit="success")
    while len(kept) < target and attempts < max_attempts:
        wave = min(batch_size, max_attempts - attempts)
        episodes = [
            start_episode(*layouts[(attempts + i) % len(layouts)], max_steps) for i in range(wave)
        ]
        wave_sampling = replace(sampling, seed=sampling.seed + attempts)
        play(episodes, ChatPolicy(backend, wave_sampling, template))
        attempts += wave
        for episode in episodes:
            all_turns.append(episode.env.steps)
            if episode.env.success and len(kept) < target:
                kept.append(episode)
                progress.update(1)
    progress.close()
    return kept, attempts, all_turns


def annotate_optimal(episode: Episode, max_states: int) -> None:
    """Add each kept step's optimal actions and steps-to-go (one exact planner per episode,
    so each search reuses what the earlier ones learned)."""
    world = World.from_layout(episode.layout)
    vocabulary = ActionVocabulary(world)
    planner = OptimalPlanner(world, AssemblyHeuristic(world), max_states)
    for state, step in zip(episode.states, episode.steps, strict=True):
        step["optimal_actions"] = [vocabulary.text(a) for a in planner.actions(state)]
        step["steps_to_go"] = planner.distance(state)
