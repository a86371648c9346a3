"""environment.yml (the cluster's conda environment) parses and agrees with pyproject."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
# pyproject dependencies the cluster environment gets another way, or does not need
PROVIDED_BY_VERL = {"torch", "transformers", "datasets"}  # pinned by verl[vllm]
NOT_ON_THE_CLUSTER = {"trl"}  # the CPU engine; clusters train with verl


def name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0].lower()


def pins(requirements) -> dict[str, str]:
    return {name(r): r.strip() for r in requirements}


def environment() -> dict:
    return yaml.safe_load((PROJECT / "environment.yml").read_text())


def pip_requirements() -> list[str]:
    deps = environment()["dependencies"]
    return next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)


def test_environment_yml_parses_with_python_and_verl():
    env = environment()
    assert env["name"] == "stgrpo"
    assert "python=3.11" in env["dependencies"]
    assert "verl[vllm]==0.9.1" in pip_requirements()


def test_every_pyproject_dependency_is_in_the_cluster_environment_or_accounted_for():
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    cluster = set(pins(pip_requirements()))
    wanted = {name(r) for r in project["dependencies"]}
    missing = wanted - cluster - PROVIDED_BY_VERL - NOT_ON_THE_CLUSTER
    assert not missing, f"add to environment.yml: {sorted(missing)}"


def test_workflow_pins_match_pyproject():
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    workflow = pins(project["optional-dependencies"]["workflow"])
    cluster = pins(pip_requirements())
    for package in ("snakemake", "snakemake-executor-plugin-slurm"):
        assert cluster[package] == workflow[package]


def test_the_slurm_plugin_accepts_the_numpy_that_vllm_allows():
    """vLLM 0.24 (verl[vllm]) brings mistral-common, which caps numpy below 2.4 on Python
    <= 3.12; snakemake-executor-plugin-slurm 2.7+ asks for numpy >= 2.4.5, so the cluster
    environment could not be installed with it (measured with tools/wheelhouse.py)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    assert (
        metadata.version("snakemake-executor-plugin-slurm")
        == pins(pip_requirements())["snakemake-executor-plugin-slurm"].split("==")[1]
    )
    for text in metadata.requires("snakemake-executor-plugin-slurm") or []:
        requirement = Requirement(text)
        if requirement.name == "numpy":
            assert requirement.specifier.contains("2.3.5"), requirement
