"""The paper's expert: ReAct-prompted LLM episodes, keeping successful ones (rejection sampling).

Episodes run in lock-step waves of `batch_size`: every turn, the single-turn prompt of each
live episode goes to the backend in one `generate` call; each reply's "Action: ..." is
matched to a valid action (case and spacing ignored) and stepped; a reply naming no valid
action wastes the turn, as in evaluation. Attempt i plays train layout i mod N, so attempts
spread over the layouts in order. Sampling stops once `target` successes are kept or
`max_attempts` episodes were played; the summary records the sampler's success rate and
step statistics. Kept steps are the turns whose action was valid; with `annotate_optimal`,
each carries the optimal-action set and steps-to-go of its state (one planner search per
departure from an optimal plan).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from stgrpo.config import ConfigError, require
from stgrpo.data.prompts import TEMPLATES, build_messages, match_action, parse_response
from stgrpo.expert.heuristic import AssemblyHeuristic
from stgrpo.expert.planner import Solution, solve
from stgrpo.expert.trajectories import episode_records, summarise
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.layout import Layout
from stgrpo.kitchen.state import State
from stgrpo.kitchen.tasks import get_task
from stgrpo.kitchen.text import ActionVocabulary, compact_state
from stgrpo.kitchen.world import World
from stgrpo.models.inference import ChatBackend, Sampling, make_backend

log = logging.getLogger(__name__)


@dataclass
class Episode:
    layout: Layout
    optimal_steps: int | None
    env: KitchenEnv
    observation: str
    valid_actions: list[str]
    compact: str  # the compact state text of the current state (for prompts and records)
    steps: list[dict] = field(default_factory=list)
    states: list[State] = field(default_factory=list)  # before each kept step
    invalid: int = 0

    @property
    def done(self) -> bool:
        return self.env.success or self.env.steps >= self.env.max_steps


def sample_trajectories(layouts: list[tuple[Layout, int | None]], backend: ChatBackend, *,
                        target: int, max_attempts: int, batch_size: int, sampling: Sampling,
                        template: str, max_steps: int | None = None,
                        ) -> tuple[list[Episode], int, list[int]]:
    """(successful episodes in attempt order, attempts made, turns of every attempt)."""
    kept: list[Episode] = []
    all_turns: list[int] = []
    attempts = 0
    progress = tqdm(total=target, desc="llm expert", unit="success")
    while len(kept) < target and attempts < max_attempts:
        wave = min(batch_size, max_attempts - attempts)
        episodes = [_start(*layouts[(attempts + i) % len(layouts)], max_steps)
                    for i in range(wave)]
        _play(episodes, backend, sampling, template, wave_seed=sampling.seed + attempts)
        attempts += wave
        for episode in episodes:
            all_turns.append(episode.env.steps)
            if episode.env.success and len(kept) < target:
                kept.append(episode)
                progress.update(1)
    progress.close()
    return kept, attempts, all_turns


def _start(layout: Layout, optimal: int | None, max_steps: int | None) -> Episode:
    steps = max_steps or get_task(layout.task).timeout
    env = KitchenEnv(layout, max_steps=steps)
    observation, info = env.reset()
    return Episode(layout, optimal, env, observation, info["valid_actions"],
                   compact_state(env.world, env.state))


def _play(episodes: list[Episode], backend: ChatBackend, sampling: Sampling, template: str,
          wave_seed: int) -> None:
    turn = 0
    while live := [e for e in episodes if not e.done]:
        chats = [build_messages(e.observation, e.valid_actions, template, e.compact)
                 for e in live]
        replies = backend.generate(chats, replace(sampling, seed=wave_seed * 1000 + turn))
        if len(replies) != len(chats):
            raise RuntimeError(f"backend returned {len(replies)} replies for {len(chats)} chats")
        for episode, reply in zip(live, replies, strict=True):
            _advance(episode, reply)
        turn += 1


def _advance(episode: Episode, reply: str) -> None:
    response = parse_response(reply)
    action = match_action(response.action, episode.valid_actions)
    state = episode.env.state
    observation, _, _, info = episode.env.step(action if action is not None else reply)
    if info["invalid"]:
        episode.invalid += 1
    else:
        episode.states.append(state)
        episode.steps.append({
            "step": len(episode.steps), "observation": episode.observation,
            "state": episode.compact,
            "valid_actions": episode.valid_actions, "action": action,
            "thought": response.thought or "", "response": reply,
        })
    episode.observation, episode.valid_actions = observation, info["valid_actions"]
    if not info["invalid"]:
        episode.compact = compact_state(episode.env.world, episode.env.state)


def annotate_optimal(episode: Episode, max_states: int) -> None:
    """Add each kept step's optimal actions and steps-to-go (reusing one search for as long
    as the episode stays on a minimal plan)."""
    world = World.from_layout(episode.layout)
    vocabulary = ActionVocabulary(world)
    heuristic = AssemblyHeuristic(world)
    solution: Solution | None = None
    for state, step in zip(episode.states, episode.steps, strict=True):
        if solution is None or state not in solution.steps_to_go:
            solution = solve(world, start=state, heuristic=heuristic, max_states=max_states)
        step["optimal_actions"] = [vocabulary.text(a) for a in solution.actions(state)]
        step["steps_to_go"] = solution.steps_to_go[state]


def run_llm_expert(cfg: DictConfig, task: str, layouts: list[tuple[Layout, int | None]],
                   backend: ChatBackend | None = None):
    """The `expert` stage with `expert.kind=llm`: (step records, summary)."""
    e = cfg.expert
    target = require(cfg, "expert.target", int, minimum=1)
    max_attempts = require(cfg, "expert.max_attempts", int, minimum=1)
    batch_size = require(cfg, "expert.batch_size", int, minimum=1)
    template = require(cfg, "expert.template", str, choices=sorted(TEMPLATES))
    max_steps = e.get("max_steps")
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        raise ConfigError(f"config key 'expert.max_steps' must be null or a positive integer, "
                          f"got {max_steps!r}")
    try:
        sampling = Sampling(seed=cfg.seed, **OmegaConf.to_container(e.sampling))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config key 'expert.sampling': {exc}") from None
    if backend is None:
        try:
            backend = make_backend(require(cfg, "expert.backend", str),
                                   require(cfg, "expert.model", str),
                                   **OmegaConf.to_container(e.get("backend_options") or {}))
        except ValueError as exc:
            raise ConfigError(f"config key 'expert.backend': {exc}") from None
    kept, attempts, all_turns = sample_trajectories(
        layouts, backend, target=target, max_attempts=max_attempts, batch_size=batch_size,
        sampling=sampling, template=template, max_steps=max_steps)
    records = []
    for index, episode in enumerate(kept):
        if e.get("annotate_optimal", True):
            annotate_optimal(episode, require(cfg, "expert.max_states", int, minimum=1))
        records += episode_records(episode.steps, expert=e.name, task=task,
                                   layout=episode.layout, episode=index,
                                   optimal_steps=episode.optimal_steps,
                                   turns=episode.env.steps)
    summary = summarise(e.name, task, [(ep.env.steps, ep.optimal_steps) for ep in kept],
                        attempts, skipped=[])
    summary["mean_turns_all_attempts"] = sum(all_turns) / len(all_turns) if all_turns else None
    summary["invalid_turns_kept"] = sum(ep.invalid for ep in kept)
    if len(kept) < target:
        log.warning("%s: kept %d of %d wanted after %d attempts", task, len(kept), target,
                    attempts)
    return records, summary
