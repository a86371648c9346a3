"""Shared test fixtures. Tests run on CPU only; data from ../shared is optional (skips)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROBOTOUILLE_DATA = REPO.parent / "shared" / "robotouille"
EXAMPLES = ROBOTOUILLE_DATA / "environments" / "env_generator" / "examples"


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    if not EXAMPLES.is_dir():
        pytest.skip(f"Robotouille example files not found at {EXAMPLES}")
    return EXAMPLES
