"""A kitchen environment driven by action strings, as an LLM agent drives it.

A reset/step API in the spirit of Gymnasium, but with the older 4-tuple, not Gymnasium's
`(obs, reward, terminated, truncated, info)`: `reset(layout)` -> (observation, info);
`step(action_text)` -> (observation, reward, done, info), where done means the goal was
reached or the turn limit hit. An episode ends only in those two ways (no failing end
state), and info's `success` and `truncated` already say which.

reward is 1.0 on the step that reaches the goal, else 0.0. info carries `valid_actions`
(strings, valid in the new state), `invalid` (the string named no valid action: the state
is left unchanged, no timer ticks, nothing raises), `steps` (turns taken since reset,
invalid ones included), `success` and `truncated` (max_steps reached).
"""

from __future__ import annotations

from stgrpo.kitchen.layout import Layout
from stgrpo.kitchen.rules import apply, valid_actions
from stgrpo.kitchen.state import Action, State
from stgrpo.kitchen.text import ActionVocabulary, observation
from stgrpo.kitchen.world import World


class KitchenEnv:
    """One kitchen episode at a time (see the module docstring for the step contract).

    Args:
        layout: The layout to play (or its compiled `World`); None: give one to `reset`.
        max_steps: The turn limit (invalid turns count); None: no limit, so an episode
            ends only at the goal.

    Raises:
        ValueError: `max_steps` is below 1.
    """

    def __init__(self, layout: Layout | World | None = None, max_steps: int | None = None):
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer or None, got {max_steps}")
        self.max_steps = max_steps
        self.world: World | None = None
        if layout is not None:
            self._load(layout)

    def _load(self, layout: Layout | World) -> None:
        world = layout if isinstance(layout, World) else World.from_layout(layout)
        if world is not self.world:
            self.world = world
            self.vocabulary = ActionVocabulary(world)

    # ---- episode -----------------------------------------------------------------------
    def reset(self, layout: Layout | World | None = None) -> tuple[str, dict]:
        """Start an episode at the layout's initial state.

        Args:
            layout: A layout (or `World`) to switch to; None: the current one again.

        Returns:
            (observation, info): the observation text, and info as after a step, with
            `steps=0` and `invalid`, `success` and `truncated` False.

        Raises:
            ValueError: No layout was given, here or at construction.
        """
        if layout is not None:
            self._load(layout)
        if self.world is None:
            raise ValueError("reset() needs a layout the first time (none was given)")
        self.steps = 0
        self.success = False
        self._set(self.world.initial)
        return self.observation, self._info(invalid=False)

    def step(self, action_text: str) -> tuple[str, float, bool, dict]:
        """Take one turn with an action string (call `reset` first).

        Args:
            action_text: The exact action string, as Robotouille matches it (no trimming,
                no case folding); one naming no valid action is reported, never raised.

        Returns:
            (observation, reward, done, info): reward is 1.0 on the first valid step after
            which the goal holds, else 0.0; done is `info["success"] or info["truncated"]`
            (`truncated`: the turn limit is reached, also when the goal was reached on that
            same turn). Stepping after done is not refused; it keeps counting turns.
        """
        action = self.vocabulary.parse(action_text)
        return self.step_action(action if action in self._valid else None)

    def step_action(self, action: Action | None) -> tuple[str, float, bool, dict]:
        """Take one turn with a grounded action, as `step` does with a string.

        Args:
            action: The action; None, or one not valid now, is an invalid turn.

        Returns:
            (observation, reward, done, info), as for `step`.
        """
        self.steps += 1
        invalid = action is None or action not in self._valid
        reward = 0.0
        if not invalid:
            self._set(apply(self.world, self.state, action))
            if not self.success and self.world.goal_reached(self.state):
                self.success, reward = True, 1.0
        truncated = self.max_steps is not None and self.steps >= self.max_steps
        done = self.success or truncated
        return self.observation, reward, done, self._info(invalid, truncated)

    # ---- views -------------------------------------------------------------------------
    def _set(self, state: State) -> None:
        self.state = state
        self._valid = valid_actions(self.world, state)
        self._valid_texts = [self.vocabulary.text(a) for a in self._valid]
        self._observation: str | None = None

    @property
    def observation(self) -> str:
        if self._observation is None:  # built on demand: search and rollouts may not need it
            self._observation = observation(self.world, self.state, self._valid_texts)
        return self._observation

    @property
    def valid_actions(self) -> list[str]:
        return list(self._valid_texts)

    def _info(self, invalid: bool, truncated: bool = False) -> dict:
        return {
            "valid_actions": list(self._valid_texts),
            "invalid": invalid,
            "steps": self.steps,
            "success": self.success,
            "truncated": truncated,
        }
