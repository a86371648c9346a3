"""The per-stage times table from Snakemake's benchmark files."""

from __future__ import annotations

import math

from stgrpo.report.stage_times import read_benchmarks, stage_table

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def bench(root, job, seconds, rss="100.5", cpu="3.0"):
    path = root / "benchmarks" / f"{job}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    line = f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n"
    path.write_text(HEADER + line)


def test_jobs_sum_per_stage_in_dag_order_with_a_total(tmp_path):
    bench(tmp_path, "sft/burger", 10.0, rss="300")
    bench(tmp_path, "sft/cheese_sandwich", 20.0, rss="200")
    bench(tmp_path, "layouts/burger", 1.5)
    bench(tmp_path, "evaluate/sft-burger/burger", 4.0, rss="NA", cpu="NA")
    table = stage_table(read_benchmarks([tmp_path]), ["layouts", "sft", "evaluate"])
    assert list(table.stage) == ["layouts", "sft", "evaluate", "total"]
    sft = table.set_index("stage").loc["sft"]
    assert (sft.jobs, sft.wall_s, sft.max_job_s, sft.max_rss_mib) == (2, 30.0, 20.0, 300)
    assert math.isnan(table.set_index("stage").loc["evaluate"].cpu_s)  # "NA": not measured
    total = table.set_index("stage").loc["total"]
    assert (total.jobs, total.wall_s, total.max_job_s) == (4, 35.5, 20.0)


def test_the_last_run_of_a_rerun_job_counts_and_folders_without_files_are_empty(tmp_path):
    bench(tmp_path, "model/tiny", 5.0)
    path = tmp_path / "benchmarks" / "model" / "tiny.tsv"
    path.write_text(path.read_text() + "7.0\t0:00:07\t1\t1\t1\t1\t0\t0\t50\t1\n")
    assert list(read_benchmarks([tmp_path]).s) == [7.0]
    assert stage_table(read_benchmarks([tmp_path / "none"]), ["model"]).empty
