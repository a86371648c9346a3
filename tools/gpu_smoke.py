"""The paper-scale code path on one GPU, in minutes: `make gpu-smoke` runs this.

    python tools/gpu_smoke.py [--dry-run] [--python PYTHON]

runs the whole DAG of experiment `gpu-smoke` (the tiny model; verl SFT under torchrun; verl
GRPO with vLLM rollouts colocated on the GPU; vLLM evaluation; the report) with Snakemake,
while sampling the GPU's memory with nvidia-smi once a second, then writes
`results/gpu-smoke/smoke.md`: Table 1, the per-stage times, the peak GPU memory and the
command. First it imports what the run needs (`tools/wheelhouse.py check`), so a node that
lacks a package fails in seconds, not after the first jobs. `--dry-run` only plans the jobs
(`snakemake -n`) and needs no GPU.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "results" / "gpu-smoke"
QUERY = ["--query-gpu=memory.used,memory.total", "--format=csv,noheader,nounits"]


def snakemake_command(python: str, dry_run: bool) -> list[str]:
    return [
        python,
        "-m",
        "snakemake",
        "--cores",
        "all",
        "--config",
        "experiment=gpu-smoke",
        *(["-n", "--quiet", "rules"] if dry_run else []),
    ]


def peak_memory(samples: str) -> tuple[int, int] | None:
    """(peak used MiB, total MiB) from nvidia-smi's `used, total` lines; None without any."""
    pairs = []
    for line in samples.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) == 2 and all(field.isdigit() for field in fields):
            pairs.append((int(fields[0]), int(fields[1])))
    return max(pairs) if pairs else None


def summary(results: Path, command: list[str], seconds: float, memory) -> str:
    """smoke.md: what ran, how long each stage took, the GPU memory it needed, Table 1."""
    tables = results / "report"
    used = f"{memory[0]} of {memory[1]} MiB" if memory else "not sampled"
    return "\n".join(
        [
            "# GPU smoke run (experiment `gpu-smoke`)",
            "",
            f"Command: `{shlex.join(command)}`; wall time {seconds / 60:.1f} min; "
            f"peak GPU memory {used}.",
            "",
            "## Stage times",
            "",
            (tables / "stage_times.md").read_text(),
            "## Table 1",
            "",
            (tables / "table1.md").read_text(),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="plan the jobs only")
    parser.add_argument("--python", default=sys.executable, help="the node's Python")
    args = parser.parse_args(argv)
    command = snakemake_command(args.python, args.dry_run)
    env = dict(os.environ, PATH=f"{Path(args.python).parent}{os.pathsep}{os.environ['PATH']}")
    if args.dry_run:
        sys.exit(subprocess.run(command, cwd=PROJECT, env=env).returncode)
    if shutil.which("nvidia-smi") is None:
        sys.exit("gpu-smoke: no NVIDIA GPU here (nvidia-smi not found); --dry-run plans only")
    check = [args.python, str(PROJECT / "tools" / "wheelhouse.py"), "check"]
    if subprocess.run(check, cwd=PROJECT).returncode != 0:
        sys.exit("gpu-smoke: this environment lacks what the run imports (see above)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    samples = RESULTS / "gpu_memory.csv"
    with samples.open("w") as out:
        sampler = subprocess.Popen(["nvidia-smi", *QUERY, "-l", "1"], stdout=out)
        start = time.monotonic()
        try:
            done = subprocess.run(command, cwd=PROJECT, env=env)
        finally:
            sampler.terminate()
            sampler.wait()
    seconds = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"gpu-smoke: snakemake failed (exit {done.returncode}); logs: {RESULTS}/logs")
    text = summary(RESULTS, command, seconds, peak_memory(samples.read_text()))
    partial = RESULTS / "smoke.md.partial"
    partial.write_text(text)
    partial.replace(RESULTS / "smoke.md")
    print(text)


if __name__ == "__main__":
    main()
