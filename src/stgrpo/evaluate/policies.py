"""Policies besides language models, behind the rollout engine's `Policy` interface (a
language model, trained or prompted, is `stgrpo.rollout.ChatPolicy`).

* `PlannerPolicy`: an optimal action of the exact planner (the upper bound): one search per
  episode, reused for as long as the episode stays on a minimal plan.
* `RecipePolicy`: the recipe expert (`expert=recipe`), deciding afresh in every state.
* `RandomPolicy`: a uniformly random valid action (the lower bound), seeded per episode by
  the layout, so results do not depend on batch order or size.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from stgrpo.data.prompts import format_response
from stgrpo.expert.heuristic import AssemblyHeuristic
from stgrpo.expert.planner import OptimalPlanner
from stgrpo.expert.recipe import RecipeExpert
from stgrpo.kitchen.text import ActionVocabulary
from stgrpo.rollout import Episode


class PlannerPolicy:
    def __init__(self, max_states: int = 2_000_000):
        self.max_states = max_states
        self._planners: dict[int, tuple[OptimalPlanner, ActionVocabulary]] = {}

    def replies(self, episodes: Sequence[Episode], turn: int) -> list[str]:
        return [self._reply(episode) for episode in episodes]

    def _reply(self, episode: Episode) -> str:
        world, state = episode.env.world, episode.env.state
        if id(episode) not in self._planners:
            planner = OptimalPlanner(world, AssemblyHeuristic(world), self.max_states)
            self._planners[id(episode)] = (planner, ActionVocabulary(world))
        planner, vocabulary = self._planners[id(episode)]
        action = sorted(vocabulary.text(a) for a in planner.actions(state))[0]
        return format_response("Follow the optimal plan.", action)


class RecipePolicy:
    def __init__(self):
        self._experts: dict[int, tuple[RecipeExpert, ActionVocabulary]] = {}

    def replies(self, episodes: Sequence[Episode], turn: int) -> list[str]:
        return [self._reply(episode) for episode in episodes]

    def _reply(self, episode: Episode) -> str:
        world = episode.env.world
        if id(episode) not in self._experts:
            self._experts[id(episode)] = (RecipeExpert(world), ActionVocabulary(world))
        expert, vocabulary = self._experts[id(episode)]
        decision = expert.decide(episode.env.state)
        return format_response(decision.thought, vocabulary.text(decision.action))


class RandomPolicy:
    def __init__(self, seed: int = 0):
        self.seed = seed
        self._rngs: dict[int, random.Random] = {}

    def replies(self, episodes: Sequence[Episode], turn: int) -> list[str]:
        return [
            format_response("Pick at random.", self._rng(e).choice(e.valid_actions))
            for e in episodes
        ]

    def _rng(self, episode: Episode) -> random.Random:
        if id(episode) not in self._rngs:
            self._rngs[id(episode)] = random.Random(f"{self.seed}:{episode.layout.content_hash}")
        return self._rngs[id(episode)]
