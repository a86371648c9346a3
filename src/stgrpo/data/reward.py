"""The verifiable single-turn reward: 0.1 for the ReAct format + 0.9 for the correct action.

"Correct" has two modes. `expert` (the paper): the action equals the recorded expert action.
`optimal` (our extension, after Remark 2.1: the expert policy is not unique): the action
starts some minimal plan, i.e. belongs to the state's optimal-action set. Actions compare
after collapsing whitespace and case; a response naming several actions, or none, gets no
action credit. Scores are always one of 0, 0.1, 0.9, 1.0.

One implementation, two signatures:
* verl: `compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs)`,
  for `reward.custom_reward_function.path=<this file>` (name `compute_score`);
* TRL: `trl_reward` for GRPOTrainer, or its two parts `TRL_REWARD_PARTS` (format, action;
  0/1 each) with weights `TRL_REWARD_WEIGHTS`, so that TRL logs the format rate and the
  action accuracy beside the total, which is the same score.
The mode comes from `extra_info["reward_mode"]` (written by the dataset builder), or from a
`mode=` keyword (verl's `reward_kwargs`), which wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from stgrpo.data.prompts import normalise, parse_response, parser_source
from stgrpo.io import code_hash

FORMAT_SCORE = 0.1
ACTION_SCORE = 0.9
MODES = ("expert", "optimal")


def reward_hash() -> str:
    """A short hash of the code that scores an answer: this module and the answer parser it
    calls (comments and docstrings left out). The stages that score (SFT and GRPO
    validation, GRPO's reward) have it in their rerun trigger, so editing the reward reruns
    them.

    Returns:
        16 hex digits.
    """
    return code_hash(Path(__file__).read_text(), parser_source())


def components(
    response: str, expert_action: str, optimal_actions: Sequence[str] = (), mode: str = "expert"
) -> tuple[bool, bool]:
    """The two checks behind the score of one response.

    Args:
        response: The model's answer; anything but a string is read as "".
        expert_action: The recorded expert action (compared in mode `expert` only).
        optimal_actions: Every action that starts a minimal plan (mode `optimal` only);
            empty means no action is correct in that mode.
        mode: `expert` or `optimal` (see the module docstring).

    Returns:
        (well formed, correct action). They are independent: an answer with the right
        action but text after it is correct yet not well formed. Both compare the action
        after `normalise` (whitespace collapsed, lower case); naming several actions, or
        none, is never correct.

    Raises:
        ValueError: `mode` is not one of `MODES`.
    """
    if mode not in MODES:
        raise ValueError(f"reward mode must be one of {MODES}, got {mode!r}")
    parsed = parse_response(response if isinstance(response, str) else "")
    correct = False
    if parsed.action is not None:
        if mode == "expert":
            correct = parsed.action == normalise(expert_action)
        else:
            correct = parsed.action in {normalise(a) for a in optimal_actions}
    return parsed.well_formed, correct


def score(
    response: str, expert_action: str, optimal_actions: Sequence[str] = (), mode: str = "expert"
) -> float:
    """The single-turn reward of one response.

    Args:
        response: The model's answer.
        expert_action: The recorded expert action.
        optimal_actions: The state's optimal-action set (used in mode `optimal`).
        mode: `expert` or `optimal`.

    Returns:
        `FORMAT_SCORE` if well formed plus `ACTION_SCORE` if the action is correct: one of
        0, 0.1, 0.9, 1.0 (see `components`).

    Raises:
        ValueError: `mode` is not one of `MODES`.
    """
    well_formed, correct = components(response, expert_action, optimal_actions, mode)
    return FORMAT_SCORE * well_formed + ACTION_SCORE * correct


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> float:
    """verl's custom reward entry point: `score` under verl's signature.

    Args:
        data_source: The row's data source (unused: every row is scored the same way).
        solution_str: The response only (no prompt).
        ground_truth: The expert action.
        extra_info: The row's extra info: `reward_mode` and `optimal_actions`, as the
            dataset builder writes them; None reads as {} (mode `expert`).
        **kwargs: verl's `reward_kwargs`; a `mode` here wins over `extra_info`, other keys
            are ignored.

    Returns:
        The score, one of 0, 0.1, 0.9, 1.0.

    Raises:
        ValueError: The mode is not one of `MODES`.
    """
    return score(solution_str, ground_truth, *_mode_and_optimal(extra_info, kwargs))


def trl_reward(completions, ground_truth, extra_info=None, **kwargs) -> list[float]:
    """TRL GRPOTrainer reward function: the total score of each completion.

    Args:
        completions: One per sample: the text, or a message list whose last message is the
            reply (its `content`); any other shape reads as "" (score 0).
        ground_truth: The expert action of each completion (a dataset column).
        extra_info: Each completion's extra info (`reward_mode`, `optimal_actions`), or
            None for mode `expert` throughout.
        **kwargs: The other columns TRL passes; a `mode` here wins over `extra_info`.

    Returns:
        One score per completion, in order (0, 0.1, 0.9 or 1.0); [] for no completions.

    Raises:
        ValueError: The columns differ in length, or a mode is not one of `MODES`.
    """
    return [
        FORMAT_SCORE * f + ACTION_SCORE * a
        for f, a in _trl_components(completions, ground_truth, extra_info, kwargs)
    ]


def format_reward(completions, ground_truth, extra_info=None, **kwargs) -> list[float]:
    """TRL reward part: the format check, weighted by `FORMAT_SCORE` in `TRL_REWARD_WEIGHTS`.

    Args:
        completions, ground_truth, extra_info, **kwargs: As for `trl_reward`.

    Returns:
        1.0 per well-formed ReAct completion, else 0.0, in order.

    Raises:
        ValueError: As for `trl_reward`.
    """
    return [float(f) for f, _ in _trl_components(completions, ground_truth, extra_info, kwargs)]


def action_reward(completions, ground_truth, extra_info=None, **kwargs) -> list[float]:
    """TRL reward part: the action check, weighted by `ACTION_SCORE` in `TRL_REWARD_WEIGHTS`.

    Args:
        completions, ground_truth, extra_info, **kwargs: As for `trl_reward`.

    Returns:
        1.0 per completion whose action is correct in its mode, else 0.0, in order.

    Raises:
        ValueError: As for `trl_reward`.
    """
    return [float(a) for _, a in _trl_components(completions, ground_truth, extra_info, kwargs)]


TRL_REWARD_PARTS = (format_reward, action_reward)
TRL_REWARD_WEIGHTS = (FORMAT_SCORE, ACTION_SCORE)


def _trl_components(completions, ground_truth, extra_info, kwargs):
    extras = extra_info if extra_info is not None else [None] * len(completions)
    return [
        components(_text(completion), truth, *_mode_and_optimal(extra, kwargs))
        for completion, truth, extra in zip(completions, ground_truth, extras, strict=True)
    ]


def _mode_and_optimal(extra_info, kwargs) -> tuple[list[str], str]:
    extra = extra_info or {}
    mode = kwargs.get("mode") or extra.get("reward_mode") or "expert"
    return list(extra.get("optimal_actions") or ()), mode


def _text(completion) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    return ""
