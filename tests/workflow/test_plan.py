"""The experiment plan behind the Snakemake DAG: jobs per experiment, sweeps, rerun
triggers and bad input, without running Snakemake."""

from __future__ import annotations

from collections import Counter

import pytest

import stgrpo.workflow
from stgrpo.config import ConfigError
from stgrpo.data.prompts import TEMPLATES
from stgrpo.kitchen.tasks import TASKS as ALL_TASKS
from stgrpo.models.tiny import TinySpec, corpus
from stgrpo.workflow import CliArgs, Plan, touched_stages

TASKS = ["cheese_sandwich", "burger", "cheeseburger", "double_cheeseburger"]


def kinds(plan: Plan) -> Counter:
    return Counter(e.checkpoint[1] if e.checkpoint else e.model_id for e in plan.evaluations)


def test_the_paper_plan_has_the_full_matrix_every_baseline_and_the_expert():
    plan = Plan("paper")
    assert plan.tasks == tuple(TASKS)
    found = kinds(plan)
    assert found["grpo"] == 16  # Tables 2-4: 4 train x 4 eval tasks
    assert found["sft"] == 4  # Table 1: each SFT model on its own task
    for size in ("1.5b", "3b", "7b", "14b"):
        assert found[f"base-qwen2.5-{size}"] == 4
    assert found["expert-llm"] == 4 and found["planner"] == 4 and found["random"] == 4
    assert len(plan.evaluations) == 48
    assert plan.model_dir(plan.base) is None  # a hub model: no build job


def test_the_demo_plan_builds_the_tiny_model_and_runs_the_matrix():
    plan = Plan("demo")
    assert kinds(plan)["grpo"] == 16
    assert plan.model_dir(plan.base) == "results/demo/model/tiny"
    assert "expert-planner" not in kinds(plan)  # the planner expert is the planner row


def test_the_demo10_plan_runs_every_task_without_the_planner():
    plan = Plan("demo10")
    assert set(plan.tasks) == set(ALL_TASKS) and len(plan.tasks) == 10
    found = kinds(plan)
    assert found["grpo"] == 100 and found["sft"] == 10  # the 10 x 10 matrix
    assert found["expert-recipe"] == 10 and found["random"] == 10
    assert "planner" not in found  # it cannot solve the two-dish tasks fast
    assert len(plan.evaluations) == 140


def test_a_sweep_point_owns_only_the_stages_its_keys_touch():
    plan = Plan("demo", sweep="grpo_lr_kl")
    assert len(plan.points) == 6  # 3 learning rates x 2 KL coefficients
    point = plan.points[0]
    assert point.root == "results/demo/sweep/grpo_lr_kl/grpo.lr_1e-05__grpo.kl_coef_0.0"
    owned = {stage for stage in point.roots if point.owns(stage)}
    assert owned == {"grpo", "evaluate"}
    assert point.roots["sft"] == "results/demo"  # shared with the experiment
    cfg = plan.job_config(point)
    assert cfg.grpo.lr == 1e-5 and cfg.grpo.kl_coef == 0.0
    assert cfg.paths.grpo == point.root and cfg.paths.sft == "results/demo"
    assert {e.model_id for e in plan.point_evaluations(point)} == {
        "cheese_sandwich-grpo",
        "burger-grpo",
    }


@pytest.mark.parametrize(
    "keys, stages",
    [
        (["grpo.lr"], {"grpo", "evaluate"}),
        (["sft.max_steps"], {"sft", "grpo", "evaluate"}),
        (["data.val_fraction"], {"datasets", "sft", "grpo", "evaluate"}),
        (
            ["layouts.max_states"],
            {"layouts", "trajectories", "datasets", "sft", "grpo", "evaluate"},
        ),
        (["eval.sampling.max_tokens"], {"evaluate"}),
    ],
)
def test_touched_stages_follow_the_data_downstream(keys, stages):
    assert touched_stages(keys) == stages


def test_the_rerun_trigger_moves_with_the_stage_sections_only():
    base = Plan("ci")
    changed = Plan("ci", ["grpo.lr=1e-4"])
    for stage in ("layouts", "trajectories", "datasets", "sft"):
        assert base.trigger(stage, base.base, "task=burger") == changed.trigger(
            stage, changed.base, "task=burger"
        )
    assert base.trigger("grpo", base.base, "task=burger") != changed.trigger(
        "grpo", changed.base, "task=burger"
    )


# A job of each stage, as the rules ask for its trigger (ci: react-compact-v1, the tiny model)
JOBS = {
    "layouts": ("layouts", "task=burger"),
    "trajectories": ("trajectories", "task=burger"),
    "datasets": ("datasets", "task=burger"),
    "model": ("model", "model=tiny"),
    "sft": ("sft", "task=burger"),
    "grpo": ("grpo", "task=burger"),
    "eval-grpo": (
        "evaluate",
        "task=burger",
        "eval.policy=checkpoint",
        "eval.stage=grpo",
        "eval.train_task=burger",
    ),
    "eval-base": ("evaluate", "task=burger", "eval.policy=base", "model=tiny"),
    "eval-planner": ("evaluate", "task=burger", "eval.policy=planner"),
}


def triggers(plan: Plan) -> dict[str, str]:
    return {job: plan.trigger(stage, plan.base, *extra) for job, (stage, *extra) in JOBS.items()}


def test_editing_a_template_text_in_place_reruns_the_stages_that_prompt_with_it(monkeypatch):
    plan = Plan("ci")
    before = triggers(plan)
    template = TEMPLATES["react-compact-v1"]
    monkeypatch.setitem(
        TEMPLATES, "react-compact-v1", {**template, "user": template["user"] + " Think first."}
    )
    after = triggers(plan)
    # the model: its tokenizer's corpus holds the template; SFT and GRPO follow the datasets
    assert {job for job in JOBS if before[job] != after[job]} == {
        "datasets",
        "model",
        "eval-grpo",
        "eval-base",
    }


def test_adding_a_template_leaves_the_model_and_its_tokenizer_as_they_were(monkeypatch):
    plan = Plan("ci")
    before = triggers(plan)
    texts = list(corpus(TinySpec(corpus_layouts=1)))
    monkeypatch.setitem(TEMPLATES, "react-new-v1", {**TEMPLATES["react-dish-v4"], "system": "New."})
    assert triggers(plan) == before
    assert list(corpus(TinySpec(corpus_layouts=1))) == texts


def test_editing_the_reward_code_reruns_the_stages_that_score(monkeypatch):
    plan = Plan("ci")
    before = triggers(plan)
    monkeypatch.setattr(stgrpo.workflow, "reward_hash", lambda: "edited")
    after = triggers(plan)
    assert {job for job in JOBS if before[job] != after[job]} == {"sft", "grpo"}


def test_cli_args_quote_for_the_shell_and_stay_out_of_snakemake_params():
    args = CliArgs(["experiment=ci", "prompt.template=react v1"])
    assert str(args) == "experiment=ci 'prompt.template=react v1'"
    assert not isinstance(args, (str, list, tuple, dict))  # Snakemake cannot serialise it


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Plan("nope"), "unknown experiment 'nope'"),
        (lambda: Plan("ci", sweep="nope"), "unknown sweep 'nope'"),
        (lambda: Plan("ci", ["tasks=[pizza]"]), "config key 'tasks'"),
        (lambda: Plan("ci", ["grpo.micro_batch_size=3"]), "grpo.micro_batch_size"),
        (lambda: Plan("ci", ["workflow.baselines=[gpt9]"]), "unknown model 'gpt9'"),
        (lambda: Plan("ci", ["results_dir=/abs"]), "relative path"),
        (lambda: Plan("ci", ["prompt.template=react-v9"]), "config key 'prompt.template'"),
        (
            lambda: Plan("ci", ["grpo.lrr=1"]),
            r"override 'grpo\.lrr=1' names no config key 'grpo\.lrr': did you mean 'grpo\.lr'\?",
        ),
    ],
)
def test_bad_names_and_overrides_fail_when_the_plan_is_built(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_a_malformed_override_fails_naming_itself():
    with pytest.raises(ConfigError, match=r"override 'grpo\.lr=\[1,' is not valid Hydra"):
        Plan("ci", ["grpo.lr=[1,"])
