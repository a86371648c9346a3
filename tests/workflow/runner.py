"""Running the project's Snakemake workflow from tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
SNAKEFILE = PROJECT / "workflow" / "Snakefile"


def snakemake(workdir: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Snakemake on the project's workflow, with `workdir` as working directory (results/
    lands there) and this interpreter's environment first on PATH (the rules call python)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir), *args],
        capture_output=True, text=True, timeout=timeout, env=env, check=False)
