"""Shared test fixtures. Tests run on CPU only; a Robotouille checkout is optional (skips)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# A Robotouille checkout: ROBOTOUILLE_REPO, else one beside this repository.
ROBOTOUILLE_DATA = Path(os.environ.get("ROBOTOUILLE_REPO", REPO.parent / "shared" / "robotouille"))
EXAMPLES = ROBOTOUILLE_DATA / "environments" / "env_generator" / "examples"


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    if not EXAMPLES.is_dir():
        pytest.skip(f"Robotouille example files not found at {EXAMPLES}")
    return EXAMPLES


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny model built once per test session (small corpus, to keep it quick)."""
    from stgrpo.models.tiny import TinySpec, build

    path = tmp_path_factory.mktemp("models") / "tiny"
    build(TinySpec(corpus_layouts=2), path)  # default sizes (vLLM's CPU attention needs
    # head_dim = hidden_size / heads of at least 32)
    return path
