"""Secrets and model output: tokens are read from the environment, passed to jobs by name,
refused in the config, and written nowhere; no reply of a model is ever run as code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from stgrpo.config import ConfigError, check_no_secrets
from stgrpo.workflow import secrets_set
from tests.workflow.runner import PROJECT, SECRET_VALUES, files_containing, snakemake


@pytest.mark.slow
def test_the_secrets_of_a_run_are_written_nowhere(ci_run):
    """The shared ci run had both secrets set: no output, log, benchmark, manifest or
    Snakemake record holds their values."""
    assert (ci_run / ".snakemake").is_dir()
    assert (ci_run / "results/ci/report/manifest.json").is_file()
    assert files_containing(ci_run, list(SECRET_VALUES.values())) == []


def test_only_the_secrets_that_are_set_are_passed_to_jobs(monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HF_TOKEN", "x")
    assert secrets_set() == ["HF_TOKEN"]


@pytest.mark.parametrize(
    "override", ["+hub.token=hf_abc", "+wandb.api_key=k", "++train.WANDB_API_KEY=k"]
)
def test_a_secret_in_the_config_is_refused_naming_the_environment_variable(override):
    with pytest.raises(ConfigError, match="set it in the environment instead"):
        check_no_secrets([override])
    check_no_secrets(["grpo.kl_coef=0.0", "model.tokenizer_path=x"])  # ordinary keys pass


def test_a_secret_override_stops_the_cli_and_the_dag_before_any_work(tmp_path):
    cli = subprocess.run(
        [sys.executable, "-m", "stgrpo.stages.evaluate", "experiment=ci", "+hub.token=hf_abc"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 2 and "HF_TOKEN" in cli.stderr and "Traceback" not in cli.stderr
    dag = snakemake(tmp_path, "-n", "--config", "experiment=ci", "overrides=+hub.token=hf_abc")
    assert dag.returncode != 0 and "HF_TOKEN" in dag.stdout + dag.stderr
    assert not (tmp_path / "results").exists()


def test_no_model_output_is_ever_executed():
    """The package never calls eval/exec/compile or unpickles: replies are parsed by regular
    expressions (data.prompts) and matched against the valid actions."""
    forbidden = {"eval", "exec", "compile", "__import__"}
    found = []
    for path in (PROJECT / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                module = getattr(getattr(node.func, "value", None), "id", None)
                if (isinstance(node.func, ast.Name) and name in forbidden) or (
                    module in {"pickle", "marshal"} and name in {"load", "loads"}
                ):
                    found.append(f"{Path(path).relative_to(PROJECT)}:{node.lineno}")
    assert found == []
