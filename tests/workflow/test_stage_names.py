"""One name per stage: its Snakemake rule, the rules file that holds it, its module in
`stgrpo.stages`, the folder its outputs go to and its rerun-trigger key are the same word
(`stgrpo.paths.STAGES`)."""

from __future__ import annotations

import re

from stgrpo import paths
from stgrpo.workflow import READS, STAGES, UPSTREAM, Plan
from tests.workflow.runner import PROJECT, snakemake

RULES = PROJECT / "workflow" / "rules"
STAGE_MODULES = PROJECT / "src" / "stgrpo" / "stages"
UNTRIGGERED = {"report", "sweep"}  # read only finished outputs: nothing in the config to hash


def test_each_stage_has_one_rules_file_one_rule_and_one_module_of_its_name():
    assert {p.stem for p in RULES.glob("*.smk")} - {"common"} == set(paths.STAGES)
    assert {p.stem for p in STAGE_MODULES.glob("*.py")} - {"__init__"} == set(paths.STAGES)
    for stage in paths.STAGES:
        text = (RULES / f"{stage}.smk").read_text()
        assert re.findall(r"^rule (\w+):", text, re.M) == [stage]
        assert re.findall(r"python -m (stgrpo\.stages\.\w+) ", text) == [f"stgrpo.stages.{stage}"]


def test_the_trigger_keys_are_the_stages_that_read_the_config():
    assert set(READS) == set(UPSTREAM) == set(STAGES) == set(paths.STAGES) - UNTRIGGERED
    assert [s for s in paths.STAGES if s in STAGES] == list(STAGES)  # same DAG order


def test_every_output_lies_in_the_folder_of_its_rule(tmp_path):
    """Every file of the demo's DAG with a sweep, from Snakemake's own summary: under its
    run folder, the first folder is the rule's name (logs and benchmarks aside)."""
    run = snakemake(
        tmp_path, "--detailed-summary", "--config", "experiment=demo", "sweep=grpo_lr_kl"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    roots = sorted(Plan("demo", (), "grpo_lr_kl").by_root, key=len, reverse=True)
    rows = [line.split("\t") for line in run.stdout.splitlines()[1:] if "\t" in line]
    seen = set()
    for output, _, rule, *_ in rows:
        if rule == "all":
            continue
        root = next(r for r in roots if output.startswith(r + "/"))
        folder = output[len(root) + 1 :].split("/")[0]
        assert folder == rule, output
        seen.add(rule)
    assert seen == set(paths.STAGES)
