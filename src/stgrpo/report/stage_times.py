"""Seconds and memory per stage, from the Snakemake `benchmark:` files every rule writes
(`{root}/benchmarks/{stage}/.../*.tsv`): how long each stage of a run took, summed over its
jobs, and where the time went (`tables/stage_times.csv` in the report)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

COLUMNS = ["stage", "jobs", "wall_s", "max_job_s", "cpu_s", "max_rss_mib"]


def read_benchmarks(folders: list[Path]) -> pd.DataFrame:
    """One row per job: its stage (the folder under `benchmarks/`), job name, wall seconds,
    CPU seconds and peak resident memory (MiB); the last line of each file (its last run)."""
    rows = []
    for folder in folders:
        for path in sorted((folder / "benchmarks").rglob("*.tsv")):
            with path.open() as handle:
                runs = list(csv.DictReader(handle, delimiter="\t"))
            if not runs or "s" not in runs[-1]:
                continue
            job = path.relative_to(folder / "benchmarks").with_suffix("")
            rows.append(
                {
                    "stage": job.parts[0],
                    "job": str(job),
                    "s": float(runs[-1]["s"]),
                    "cpu_s": _number(runs[-1].get("cpu_time")),
                    "max_rss_mib": _number(runs[-1].get("max_rss")),
                }
            )
    return pd.DataFrame(rows, columns=["stage", "job", "s", "cpu_s", "max_rss_mib"])


def stage_table(jobs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Per stage (in DAG order, then any others): jobs, summed and longest wall seconds,
    CPU seconds, peak memory; a last `total` row. Summed seconds exceed the run's wall time
    where jobs ran in parallel."""
    if jobs.empty:
        return pd.DataFrame(columns=COLUMNS)
    grouped = jobs.groupby("stage").agg(
        jobs=("job", "count"),
        wall_s=("s", "sum"),
        max_job_s=("s", "max"),
        cpu_s=("cpu_s", lambda seconds: seconds.sum(min_count=1)),  # NaN where unmeasured
        max_rss_mib=("max_rss_mib", "max"),
    )
    stages = [s for s in order if s in grouped.index] + sorted(set(grouped.index) - set(order))
    table = grouped.loc[stages].reset_index()
    total = {
        "stage": "total",
        "jobs": table.jobs.sum(),
        "wall_s": table.wall_s.sum(),
        "max_job_s": table.max_job_s.max(),
        "cpu_s": table.cpu_s.sum(),
        "max_rss_mib": table.max_rss_mib.max(),
    }
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    return table[COLUMNS].round({"wall_s": 1, "max_job_s": 1, "cpu_s": 1, "max_rss_mib": 0})


def _number(text: str | None) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):  # Snakemake writes "NA" where it could not measure
        return float("nan")
