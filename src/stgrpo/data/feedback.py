"""Rejected actions for the training rows of a template with invalid-action feedback.

A small model's wasted turn is usually a real action with one wrong name in it, or the
right action too early ("Pick up patty1 from table1 using robot1" while patty1 is at table3
and the robot must first go there). `rejected_variants` makes such actions from the
expert's own and its next one: each of them, and each with one kitchen name swapped for
another of the same sort (station for station, item for item) that the prompt shows, kept
only when the result is not a valid action. A row then shows one or two of them as already
rejected, and the answer is still the expert's, so the model learns not to repeat what the
prompt says failed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence

from stgrpo.kitchen.domain import ITEM_KINDS, STATION_KINDS

_NAME = re.compile(r"\b([a-z]+)\d+\b")


def kitchen_names(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """(station names, item names) that occur in `texts`, each sorted; robots and other
    words are left out."""
    stations, items = set(), set()
    for text in texts:
        for match in _NAME.finditer(text):
            if match[1] in STATION_KINDS:
                stations.add(match[0])
            elif match[1] in ITEM_KINDS:
                items.add(match[0])
    return sorted(stations), sorted(items)


def rejected_variants(
    actions: Sequence[str], valid_actions: Sequence[str], items: str
) -> list[str]:
    """The actions in `actions`, and those that differ from one of them in one station or
    item name (taken from the names in `valid_actions` and the item-per-line state text
    `items`), that are not valid; sorted, no repeats.

    Args:
        actions: The expert's action, and its next one where there is one.
        valid_actions: The actions valid in the state.
        items: The state's item-per-line text (kitchen.text.item_state).

    Returns:
        The variants ([] when every one is valid, as for waiting with nothing to swap).
    """
    stations, item_names = kitchen_names([*valid_actions, items])
    variants = set(actions)
    for action in actions:
        for match in _NAME.finditer(action):
            name = match[0]
            pool = stations if name in stations else item_names if name in item_names else ()
            variants.update(
                action[: match.start()] + other + action[match.end() :]
                for other in pool
                if other != name
            )
    return sorted(variants - set(valid_actions))


def sample_rejected(
    actions: Sequence[str],
    valid_actions: Sequence[str],
    items: str,
    rng: random.Random,
    most: int = 2,
) -> list[str]:
    """One to `most` of `rejected_variants`, chosen with `rng` ([] when there are none)."""
    variants = rejected_variants(actions, valid_actions, items)
    if not variants:
        return []
    return rng.sample(variants, rng.randint(1, min(most, len(variants))))
