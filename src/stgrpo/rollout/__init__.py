"""Multi-turn episodes in lock-step, shared by the LLM expert and evaluation.

Every turn, the policy answers for all live episodes at once (for a model: one batched
`generate` call over their single-turn prompts); each reply's "Action: ..." is matched to a
valid action (case and spacing ignored) and stepped. A reply naming no valid action wastes
the turn: the state does not change and the turn counts toward the timeout; the actions so
rejected in a state are kept (`Episode.rejected`) for templates that show them. Episodes end
on success or at their turn limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from stgrpo.data.prompts import build_messages, match_action, parse_response, written_action
from stgrpo.kitchen.dish import progress_text
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.layout import Layout
from stgrpo.kitchen.state import State
from stgrpo.kitchen.tasks import get_task
from stgrpo.kitchen.text import compact_state, item_state, recipe
from stgrpo.models.inference import ChatBackend, Sampling


@dataclass
class Episode:
    layout: Layout
    optimal_steps: int | None
    env: KitchenEnv
    observation: str
    valid_actions: list[str]
    compact: str  # the compact state text of the current state (for prompts and records)
    recipe: str  # the goal as a recipe (for templates that show it)
    items: str  # the item-per-line state text of the current state
    progress: str  # the dish's progress in the current state (kitchen.dish.progress_text)
    steps: list[dict] = field(default_factory=list)  # one per valid turn
    states: list[State] = field(default_factory=list)  # the state before each kept step
    invalid: int = 0  # turns whose reply named no valid action
    replies: list[str] = field(default_factory=list)  # every turn's reply, wasted ones too
    rejected: list[str] = field(default_factory=list)  # actions not valid since the last step

    @property
    def done(self) -> bool:
        return self.env.success or self.env.steps >= self.env.max_steps


def start_episode(
    layout: Layout, optimal_steps: int | None = None, max_steps: int | None = None
) -> Episode:
    """A fresh episode; `max_steps` defaults to the task's timeout."""
    env = KitchenEnv(layout, max_steps=max_steps or get_task(layout.task).timeout)
    observation, info = env.reset()
    return Episode(
        layout,
        optimal_steps,
        env,
        observation,
        info["valid_actions"],
        compact_state(env.world, env.state),
        recipe(layout.goal),
        item_state(env.world, env.state),
        progress_text(env.world, env.state),
    )


class Policy(Protocol):
    def replies(self, episodes: Sequence[Episode], turn: int) -> list[str]:
        """One reply text per live episode, in order."""
        ...


@dataclass(frozen=True)
class ChatPolicy:
    """A language model behind a `ChatBackend`, prompted with a versioned template. Turn t
    samples with seed `sampling.seed * 1000 + t` (deterministic for a given seed)."""

    backend: ChatBackend
    sampling: Sampling
    template: str

    def replies(self, episodes: Sequence[Episode], turn: int) -> list[str]:
        chats = [
            build_messages(
                e.observation,
                e.valid_actions,
                self.template,
                e.compact,
                e.recipe,
                e.items,
                e.progress,
                e.rejected,
            )
            for e in episodes
        ]
        replies = self.backend.generate(
            chats, replace(self.sampling, seed=self.sampling.seed * 1000 + turn)
        )
        if len(replies) != len(chats):
            raise RuntimeError(f"backend returned {len(replies)} replies for {len(chats)} chats")
        return replies


def play(episodes: Sequence[Episode], policy: Policy) -> None:
    """Advance all episodes together until every one is done."""
    turn = 0
    while live := [e for e in episodes if not e.done]:
        for episode, reply in zip(live, policy.replies(live, turn), strict=True):
            advance(episode, reply)
        turn += 1


def advance(episode: Episode, reply: str) -> None:
    """Step one episode with a reply (a wasted turn if it names no valid action)."""
    episode.replies.append(reply)
    response = parse_response(reply)
    action = match_action(response.action, episode.valid_actions)
    state = episode.env.state
    observation, _, _, info = episode.env.step(action if action is not None else reply)
    if info["invalid"]:
        episode.invalid += 1
        attempted = written_action(reply)
        if attempted is not None and attempted not in episode.rejected:
            episode.rejected.append(attempted)
    else:
        episode.rejected = []
        episode.states.append(state)
        episode.steps.append(
            {
                "step": len(episode.steps),
                "observation": episode.observation,
                "state": episode.compact,
                "valid_actions": episode.valid_actions,
                "action": action,
                "thought": response.thought or "",
                "response": reply,
            }
        )
        episode.compact = compact_state(episode.env.world, episode.env.state)
        episode.items = item_state(episode.env.world, episode.env.state)
        episode.progress = progress_text(episode.env.world, episode.env.state)
    episode.observation, episode.valid_actions = observation, info["valid_actions"]
