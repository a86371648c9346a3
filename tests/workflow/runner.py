"""Running the project's Snakemake workflow from tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
SNAKEFILE = PROJECT / "workflow" / "Snakefile"


def snakemake(workdir: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Snakemake on the project's workflow, with `workdir` as working directory (results/
    lands there) and this interpreter's environment first on PATH (the rules call python)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def start_snakemake(workdir: Path, *args: str) -> subprocess.Popen:
    """`snakemake(...)` in the background, in its own process group (so a test can signal
    the whole run as a scheduler would)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )


def file_snapshot(
    root: Path,
    read: Callable[[Path], Any] = lambda p: p.stat().st_mtime_ns,
) -> dict[str, Any]:
    """`read(file)` (by default its mtime) of every file under `root`, by relative path."""
    return {str(p.relative_to(root)): read(p) for p in sorted(root.rglob("*")) if p.is_file()}


def table_files(workdir: Path, exp: str = "ci") -> dict[str, bytes]:
    """The bytes of the tidy results and of Tables 1-4 (.csv) of a finished run."""
    tables = workdir / "results" / exp / "report"
    names = ["results.csv", *(f"table{n}.csv" for n in (1, 2, 3, 4))]
    return {name: (tables / name).read_bytes() for name in names}


# Sentinel secrets set in the environment of the shared runs: tests check that no value ever
# reaches a file, log or scheduler record.
SECRET_VALUES = {
    "HF_TOKEN": "hf_stgrpoTestSecret0123",
    "WANDB_API_KEY": "wandbStgrpoTestSecret0123",
}


def files_containing(root: Path, needles: Sequence[str]) -> list[str]:
    """Files under `root` (hidden ones included) whose bytes contain any of `needles`."""
    return [
        str(p)
        for p in root.rglob("*")
        if p.is_file() and any(n.encode() in p.read_bytes() for n in needles)
    ]
