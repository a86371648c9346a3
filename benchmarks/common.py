"""Shared by the benchmark scripts (run as `python benchmarks/<name>.py`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def model_folder(given: Path | None) -> Iterator[Path]:
    """`given`, or the tiny model built in a temporary folder for the duration."""
    if given is not None:
        yield given
        return
    from stgrpo.models.tiny import TinySpec, build

    with tempfile.TemporaryDirectory() as scratch:
        model = Path(scratch) / "tiny"
        build(TinySpec(corpus_layouts=2), model)
        yield model
