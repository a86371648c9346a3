"""Single-turn validation: greedy answers to the validation split's prompts, scored with the
training reward. Reported before, during and after each training stage.

* `accuracy`: the action is correct in the dataset's reward mode (the paper's: the expert's);
* `optimal_accuracy`: the action starts some minimal plan (any optimal action);
* `format_rate`: the answer is well-formed ReAct; `reward`: the mean training reward.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from stgrpo.data.datasets import RL_SCHEMA, read_checked
from stgrpo.data.reward import ACTION_SCORE, FORMAT_SCORE, components
from stgrpo.models.inference import ChatBackend, Sampling


@dataclass(frozen=True)
class ValidationSet:
    prompts: list[list[dict]]
    truths: list[str]
    optimal: list[list[str]]
    modes: list[str]


def load_validation(path: str | Path, max_prompts: int, seed: int) -> ValidationSet:
    """The RL validation rows (a seeded subset of `max_prompts` of them; 0: all), in file
    order."""
    table = read_checked(path, RL_SCHEMA).to_pylist()
    if max_prompts and len(table) > max_prompts:
        keep = sorted(random.Random(seed).sample(range(len(table)), max_prompts))
        table = [table[i] for i in keep]
    return ValidationSet(
        prompts=[row["prompt"] for row in table],
        truths=[row["reward_model"]["ground_truth"] for row in table],
        optimal=[row["extra_info"]["optimal_actions"] for row in table],
        modes=[row["extra_info"]["reward_mode"] for row in table],
    )


def single_turn_metrics(
    backend: ChatBackend, data: ValidationSet, max_tokens: int
) -> dict[str, float]:
    """Greedy answers to every prompt of `data`, scored."""
    if not data.prompts:
        return {"n": 0}
    replies = backend.generate(data.prompts, Sampling(temperature=0.0, max_tokens=max_tokens))
    formats, correct, optimal = [], [], []
    for reply, truth, best, mode in zip(
        replies, data.truths, data.optimal, data.modes, strict=True
    ):
        well_formed, right = components(reply, truth, best, mode)
        formats.append(well_formed)
        correct.append(right)
        optimal.append(components(reply, truth, best, "optimal")[1])
    n = len(replies)
    return {
        "n": n,
        "accuracy": sum(correct) / n,
        "optimal_accuracy": sum(optimal) / n,
        "format_rate": sum(formats) / n,
        "reward": (FORMAT_SCORE * sum(formats) + ACTION_SCORE * sum(correct)) / n,
    }
