"""The `ci` experiment through `snakemake --profile workflow/profiles/slurm` on a real
one-node SLURM cluster (tools/slurm_cluster.py): every rule is submitted with the
resources the profile and the Hydra config declare, and the tables equal a local run's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml

from tests.workflow.runner import (
    PROJECT,
    SECRET_VALUES,
    files_containing,
    snakemake,
    table_files,
)

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
CLUSTER = [sys.executable, str(PROJECT / "tools" / "slurm_cluster.py")]
PROFILE = PROJECT / "workflow" / "profiles" / "slurm"
# the local cluster has no slurmdbd: status from squeue (MinJobAge keeps finished jobs),
# no account to guess, and a short first wait
LOCAL_CLUSTER_OPTIONS = [
    "--slurm-status-command",
    "squeue",
    "--slurm-no-account",
    "--slurm-init-seconds-before-status-checks",
    "2",
]
# evaluated models ask for a (fake) GPU, so GPU requests are checked too; the tiny model
# still runs on the CPU
OVERRIDES = "overrides=model.gpus=1"


def can_run_slurm() -> str | None:
    if os.environ.get("STGRPO_TEST_SLURM") == "0":
        return "STGRPO_TEST_SLURM=0: the local SLURM cluster is not started"
    if os.geteuid() != 0:
        return "the local SLURM cluster needs root"
    if not (shutil.which("slurmctld") or shutil.which("apt-get")):
        return "neither slurm nor apt-get is installed"
    return None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = can_run_slurm()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("slurm")
    start = subprocess.run(
        [*CLUSTER, "start", "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if start.returncode != 0:
        pytest.skip(f"the local SLURM cluster did not start: {start.stderr[-500:]}")
    yield folder
    subprocess.run([*CLUSTER, "stop", "--dir", str(folder)], timeout=60, check=False)


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ci-slurm")
    with mock.patch.dict(os.environ, SECRET_VALUES):
        run = snakemake(
            workdir,
            "--profile",
            str(PROFILE),
            *LOCAL_CLUSTER_OPTIONS,
            "--config",
            "experiment=ci",
            OVERRIDES,
            timeout=1800,
        )
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    return workdir


def submitted_jobs() -> list[dict]:
    """`scontrol show job -o` of every job the cluster remembers, as dicts."""
    text = subprocess.run(
        ["scontrol", "show", "job", "-o"], capture_output=True, text=True, check=True
    ).stdout
    jobs = []
    for line in text.splitlines():
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        if fields.get("Comment", "").startswith("rule_"):
            jobs.append(fields)
    return jobs


def megabytes(memory: str) -> int:
    """`scontrol`'s memory field (16000M, 125G, 1T) in MB."""
    return int(float(memory[:-1]) * {"M": 1, "G": 1024, "T": 1024**2}[memory[-1]])


def minutes(limit: str) -> int:
    """`scontrol`'s time limit ([D-]HH:MM:SS) in minutes."""
    days, _, clock = limit.rpartition("-")
    hours, mins, _ = (int(part) for part in clock.split(":"))
    return (int(days or 0) * 24 + hours) * 60 + mins


def profile_resources(rule: str) -> dict:
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    return {**profile["default-resources"], **profile["set-resources"].get(rule, {})}


def test_every_rule_is_submitted_with_the_declared_resources(slurm_run):
    jobs = submitted_jobs()
    rules = {job["Comment"].removeprefix("rule_").split("_wildcards")[0] for job in jobs}
    assert {"layouts", "model", "trajectories", "datasets", "sft", "grpo", "evaluate"} <= rules
    assert "report" not in rules  # a localrule: it ran where Snakemake ran
    for job in jobs:
        rule = job["Comment"].removeprefix("rule_").split("_wildcards")[0]
        declared = profile_resources(rule)
        assert job["JobState"] == "COMPLETED", job
        assert job["Partition"] == declared["slurm_partition"], (rule, job["Partition"])
        assert megabytes(job["MinMemoryNode"]) == declared["mem_mb"], (rule, job["MinMemoryNode"])
        assert minutes(job["TimeLimit"]) == declared["runtime"], (rule, job["TimeLimit"])
        gpus = job.get("TresPerJob", "")
        if rule == "evaluate" and any(p in job.get("Command", "") for p in ("planner", "random")):
            assert "gpu" not in gpus
    evaluations = [j for j in jobs if j["Comment"].startswith("rule_evaluate")]
    assert any(j.get("TresPerJob") == "gres:gpu:1" for j in evaluations)  # model.gpus=1


def test_the_tables_equal_a_local_run(slurm_run, ci_run):
    # model.gpus only changes what is asked of the scheduler, not a number in the tables
    assert table_files(slurm_run) == table_files(ci_run)


def test_no_secret_reaches_the_scheduler_or_the_logs(slurm_run):
    jobs = subprocess.run(
        ["scontrol", "show", "job", "-o"], capture_output=True, text=True, check=True
    ).stdout
    assert jobs and not any(value in jobs for value in SECRET_VALUES.values())
    assert files_containing(slurm_run, list(SECRET_VALUES.values())) == []


def test_the_slurm_profile_declares_only_rules_that_exist():
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    rules = set()
    for path in (PROJECT / "workflow" / "rules").glob("*.smk"):
        rules |= {
            line.split()[1].rstrip(":")
            for line in path.read_text().splitlines()
            if line.startswith("rule ")
        }
    local = {"all", "report", "sweep"}  # localrules: run beside Snakemake, not sbatch
    assert set(profile["set-resources"]) == rules - local
    # the rules' own CPU-scale mem_mb/runtime win over default-resources: each rule must
    # name its cluster values
    for rule, resources in profile["set-resources"].items():
        assert {"mem_mb", "runtime"} <= set(resources), rule
    assert Path(PROFILE / "config.yaml").read_text().count("#") > 10  # keys are commented
