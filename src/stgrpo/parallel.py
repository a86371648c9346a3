"""Order-preserving parallel map with a progress bar (results never depend on `workers`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from multiprocessing import get_context
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(
    function: Callable[[T], R],
    items: Iterable[T],
    workers: int = 1,
    desc: str = "",
    unit: str = "item",
) -> list[R]:
    """`[function(x) for x in items]`, on `workers` processes when more than one.

    `function` must be a module-level function (it is pickled by name)."""
    items = list(items)
    bar = dict(total=len(items), desc=desc, unit=unit, disable=not items)
    if workers <= 1 or len(items) <= 1:
        return [function(item) for item in tqdm(items, **bar)]
    with get_context("spawn").Pool(min(workers, len(items))) as pool:
        return list(tqdm(pool.imap(function, items), **bar))
