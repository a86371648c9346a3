"""The Snakemake workflow itself: the paper DAG plans without a GPU, bad input stops DAG
construction, lint and format are clean, and the `ci` experiment runs end to end (tables
consistent with the episode files, nothing reruns, a GRPO change reruns only GRPO and what
depends on it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import pandas as pd
import pytest
import yaml

from stgrpo.io import read_jsonl
from tests.workflow.runner import PROJECT, SNAKEFILE, snakemake


def job_counts(output: str) -> Counter:
    """The `Job stats` table of a (dry) run."""
    table = output.split("Job stats:", 1)[1]
    return Counter(
        {
            m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE)
            if m.group(1) != "total"
        }
    )


def test_the_paper_dag_plans_without_a_gpu(tmp_path):
    run = snakemake(tmp_path, "-n", "--config", "experiment=paper")
    assert run.returncode == 0, run.stderr[-2000:]
    assert job_counts(run.stdout) == Counter(
        {
            "layouts": 4,
            "trajectories": 4,
            "datasets": 4,
            "sft": 4,
            "grpo": 4,
            "evaluate": 48,  # 16 matrix + 4 SFT + 16 baselines + planner, random, expert x 4
            "report": 1,
            "all": 1,
        }
    )
    assert not (tmp_path / "results").exists()


def test_a_sweep_expands_into_points_that_share_the_untouched_stages(tmp_path):
    run = snakemake(tmp_path, "-n", "--config", "experiment=ci", "sweep=grpo_lr_kl")
    assert run.returncode == 0, run.stderr[-2000:]
    counts = job_counts(run.stdout)
    # the experiment's own jobs, plus 6 points x 2 tasks of GRPO and its evaluation
    assert counts["grpo"] == 2 + 12 and counts["sft"] == 2
    assert counts["evaluate"] == 12 + 12 and counts["sweep"] == 1
    assert "sweep/grpo_lr_kl/grpo.lr_0.0001__grpo.kl_coef_0.04" in run.stdout


@pytest.mark.parametrize(
    "config, message",
    [
        (["experiment=nope"], "unknown experiment 'nope'"),
        (["experiment=ci", "sweep=nope"], "unknown sweep 'nope'"),
        (["experiment=ci", "overrides=tasks=[pizza]"], "config key 'tasks'"),
        (["experiment=ci", "overrides=grpo.lr=[1,"], "override 'grpo.lr=[1,'"),
        (["experiment=ci", "overrides=grpo.no_such_key=1"], "no_such_key"),
        (["experiment=1"], "['experiment']"),  # the schema's types
        (["experiment=ci", "overrides=3"], "['overrides']"),
    ],
)
def test_bad_input_fails_at_dag_construction_naming_it(tmp_path, config, message):
    run = snakemake(tmp_path, "-n", "--config", *config)
    assert run.returncode != 0
    assert message in run.stdout + run.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    "config, named",
    [
        (
            ["experiment=ci", "seed=7"],
            ["'seed'", "['experiment', 'overrides', 'sweep']", """overrides='["seed=7"]'"""],
        ),
        (
            ["experiment=ci", 'overrides=["grpo.lrr=1"]'],
            ["override 'grpo.lrr=1'", "did you mean 'grpo.lr'?"],
        ),
    ],
)
def test_an_unknown_config_key_or_override_is_one_line_before_any_job(tmp_path, config, named):
    run = snakemake(tmp_path, "-n", "--config", *config)
    output = run.stdout + run.stderr
    assert run.returncode == 2, output[-2000:]
    assert "Traceback" not in output and 'File "' not in output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and all(n in errors[0] for n in named), output[-2000:]
    assert "Job stats" not in output and not (tmp_path / "results").exists()


def test_the_config_schema_lists_every_config_key_the_workflow_reads():
    schema = yaml.safe_load((SNAKEFILE.parent / "schemas/config.schema.yaml").read_text())
    assert schema["additionalProperties"] is False
    text = "\n".join(p.read_text() for p in [SNAKEFILE, *SNAKEFILE.parent.rglob("*.smk")])
    read = set(re.findall(r"\bconfig(?:\.get\(|\[)\"(\w+)\"", text))
    assert read and read <= set(schema["properties"])


def test_an_older_snakemake_than_the_pinned_one_is_refused(tmp_path):
    pinned = re.search(r'"snakemake==(\d+\.\d+)', (PROJECT / "pyproject.toml").read_text())[1]
    older = (
        "import snakemake.common as c; c.__version__ = '9.0.0'; "
        "from snakemake.cli import main; main()"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            older,
            "-s",
            str(SNAKEFILE),
            "-d",
            str(tmp_path),
            "-n",
            "--config",
            "experiment=ci",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode != 0
    assert f"Expecting Snakemake version {pinned} or higher" in run.stdout + run.stderr


# The rules Snakemake runs itself under any executor (workflow/Snakefile's localrules)
LOCALRULES = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (ConfigSettings, OutputSettings, ResourceSettings,
                                      StorageSettings)
with SnakemakeApi(OutputSettings()) as api:
    workflow = api.workflow(ResourceSettings(), ConfigSettings(config={"experiment": "ci"}),
                            StorageSettings(), snakefile=Path(sys.argv[1]),
                            workdir=Path(sys.argv[2]))._workflow
    print(json.dumps(sorted(workflow._localrules)))
"""


def test_no_rule_names_a_conda_environment_that_lacks_stgrpo():
    """A rule's `conda:` file would be built without the package its command imports; jobs
    run in the environment Snakemake runs in (said in workflow/Snakefile)."""
    rules = [PROJECT / "workflow" / "Snakefile", *(PROJECT / "workflow" / "rules").glob("*.smk")]
    assert [str(f) for f in rules if re.search(r"^\s*conda:", f.read_text(), re.M)] == []


def test_only_the_cheap_summary_rules_stay_off_the_cluster(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", LOCALRULES, str(SNAKEFILE), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.splitlines()[-1]) == ["all", "report", "sweep"]


def test_lint_and_format_are_clean(tmp_path):
    """Snakemake's linter finds nothing but the one choice made on purpose: no rule names a
    conda environment (test_no_rule_names_a_conda_environment_that_lacks_stgrpo)."""
    lint = snakemake(tmp_path, "--lint", "--config", "experiment=ci")
    text = lint.stdout + lint.stderr
    found = set(re.findall(r"^    \* (.+?):?$", text, re.M))
    assert found == {"Specify a conda environment or container for each rule."}, text
    fmt = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", str(SNAKEFILE.parent)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert fmt.returncode == 0, fmt.stderr


@pytest.mark.slow
def test_ci_experiment_writes_tables_figures_and_manifest(ci_run):
    root = ci_run / "results" / "ci"
    for number in (1, 2, 3, 4):
        for suffix in (".csv", ".md", ".tex"):
            assert (root / "report" / f"table{number}{suffix}").stat().st_size > 0
        assert (root / "report" / f"table{number}_vs_paper.md").is_file()
    for figure in ("sr_by_model", "sr_matrix", "training_curves", "steps_to_optimal"):
        assert (root / "report" / "figures" / f"{figure}.png").is_file()
        assert (root / "report" / "figures" / f"{figure}.pdf").is_file()
    manifest = json.loads((root / "report" / "manifest.json").read_text())
    assert set(manifest["config_hashes"]) == {"cheese_sandwich", "burger"}
    assert manifest["data_hashes"]["burger"]["test_panel_hash"]
    assert any(job.startswith("grpo/") for job in manifest["runtimes_s"])
    assert "Table 2" in (root / "report" / "report.md").read_text()


@pytest.mark.slow
def test_every_table_number_traces_back_to_the_episodes_on_disk(ci_run):
    root = ci_run / "results" / "ci"
    results = pd.read_csv(root / "report" / "results.csv")
    assert len(results) == 12  # 2x2 GRPO matrix, 2 SFT, base, planner, random x 2 tasks
    for _, row in results.iterrows():
        path = root / "evaluate" / row.model_id / row.task / "episodes.jsonl"
        episodes = [e for _, e in read_jsonl(path)]
        wins = [e["steps"] for e in episodes if e["success"]]
        assert row.n == len(episodes)
        assert row.sr == pytest.approx(len(wins) / len(episodes))
        assert row.asat == pytest.approx(sum(e["steps"] for e in episodes) / len(episodes))
        if wins:
            assert row.asst == pytest.approx(sum(wins) / len(wins))
        else:
            assert pd.isna(row.asst)
    table2 = pd.read_csv(root / "report" / "table2.csv", index_col=0)
    grpo = results[results.role == "grpo"]
    for _, row in grpo.iterrows():
        assert table2.loc[row.train_task, row.task] == pytest.approx(row.sr)
    table1 = pd.read_csv(root / "report" / "table1.csv")
    planner = table1[table1.role == "planner"]
    assert (planner.sr > 0).all()  # the optimal planner solves the layouts within the timeout


@pytest.mark.slow
def test_nothing_reruns_and_a_grpo_change_reruns_only_grpo_downstream(ci_run):
    again = snakemake(ci_run, "-n", "--config", "experiment=ci")
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr
    changed = snakemake(ci_run, "-n", "--config", "experiment=ci", "overrides=grpo.kl_coef=0.0")
    assert changed.returncode == 0, changed.stderr[-2000:]
    # GRPO of both tasks, the four GRPO evaluations (2x2 matrix), the report
    assert job_counts(changed.stdout) == Counter({"grpo": 2, "evaluate": 4, "report": 1, "all": 1})


@pytest.mark.slow
def test_the_html_report_renders(ci_run):
    run = snakemake(ci_run, "--config", "experiment=ci", "--report", "report.html")
    assert run.returncode == 0, run.stderr[-2000:]
    assert (ci_run / "report.html").stat().st_size > 10_000
