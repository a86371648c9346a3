# The only place for helpers. The plan (stgrpo.workflow.Plan) is built once per invocation
# from --config experiment=... overrides=... sweep=... (workflow/schemas/config.schema.yaml);
# an unknown key, a bad name or a bad override stops here, before any job, with one line
# naming it (exit status 2, as the stage CLIs).
import re

from snakemake.utils import validate

from stgrpo import paths
from stgrpo.config import exit_on_expected_errors
from stgrpo.workflow import Plan, check_config_keys, read_overrides, secrets_set

with exit_on_expected_errors():
    # unknown keys first: validate() would report them as a multi-line schema error
    check_config_keys(config, f"{workflow.basedir}/schemas/config.schema.yaml")
validate(config, "../schemas/config.schema.yaml")  # types, and experiment's default

with exit_on_expected_errors():
    PLAN = Plan(
        config["experiment"],
        read_overrides(config.get("overrides")),
        config.get("sweep") or None,
    )
CFG = PLAN.cfg


wildcard_constraints:
    root="|".join(re.escape(root) for root in PLAN.by_root),
    task="|".join(PLAN.tasks),
    model_id=r"[^/]+",
    name=r"[^/]+",
    expert=r"[^/]+",


def run_of(wildcards):
    return PLAN.run_of(wildcards.root)


def out(pattern, /, *names, **fixed):
    """A rule's output: `pattern` (stgrpo.paths) under the `{root}` wildcard, `names`
    appended (files in its folder), `fixed` parts filled in."""
    stem = paths.rule_pattern(pattern, **fixed)
    return multiext(f"{stem}/", *names) if names else stem


def stage_file(wildcards, stage, pattern, name="", /, **fixed):
    """A file of `stage` as the job's run sees it (shared, or the run's own): `pattern`
    (stgrpo.paths) with the job's wildcards, then `name` inside it."""
    parts = {key: value for key, value in wildcards.items() if key != "root"}
    parts.update(fixed)
    found = paths.path(run_of(wildcards).roots[stage], pattern, **parts)
    return str(found / name) if name else str(found)


def cli(*extra):
    """params: the job's Hydra overrides (not part of the rerun trigger)."""
    return lambda w: PLAN.args(run_of(w), *(e.format(**w) for e in extra))


def trigger(stage, *extra):
    """params: the hash of the config sections the stage reads (the rerun trigger)."""
    return lambda w: PLAN.trigger(stage, run_of(w), *(e.format(**w) for e in extra))


def local_model(wildcards, name=None):
    """The build output of a locally built model the job needs ([] for hub models)."""
    folder = PLAN.model_dir(run_of(wildcards), name)
    return [folder] if folder else []


def stage_gpus(stage):
    return CFG[stage].gpus * CFG[stage].nodes


def report_targets(run):
    folder = paths.report(run.root)
    return [str(folder / f"table{n}.csv") for n in (1, 2, 3, 4)] + [
        str(folder / "manifest.json")
    ]


def sweep_targets():
    if PLAN.sweep is None:
        return []
    return [str(paths.sweep(PLAN.root, PLAN.sweep.name) / "summary.csv")]


def expert_gpus():
    """An LLM expert served by vLLM asks for its tensor-parallel GPUs."""
    if CFG.expert.kind != "llm" or CFG.expert.backend != "vllm":
        return 0
    return CFG.expert.backend_options.get("tensor_parallel_size", 1)


def grpo_init(wildcards):
    """GRPO starts from the task's SFT checkpoint (grpo.init=sft, the paper) or the base."""
    if CFG.grpo.init != "sft":
        return []
    return [stage_file(wildcards, "sft", paths.CHECKPOINT, stage="sft")]


def evaluation(wildcards):
    return PLAN.evaluation(run_of(wildcards), wildcards.model_id, wildcards.task)


def evaluation_inputs(wildcards):
    """The panel, and the weights the evaluated policy serves."""
    found = [stage_file(wildcards, "layouts", paths.LAYOUTS, "test.meta.json")]
    job = evaluation(wildcards)
    if job.checkpoint:
        train_task, stage = job.checkpoint
        found.append(
            stage_file(wildcards, stage, paths.CHECKPOINT, stage=stage, task=train_task)
        )
    elif job.model:
        found += local_model(wildcards, job.model)
    return found


def evaluation_overrides(wildcards):
    return ("task={task}".format(**wildcards), *evaluation(wildcards).overrides)


def evaluation_gpus(wildcards):
    job = evaluation(wildcards)
    if not (job.checkpoint or job.model):
        return 0  # planner, random
    extra = (f"model={job.model}",) if job.model else ()
    return PLAN.job_config(run_of(wildcards), *extra).model.gpus


def metrics_file(run, evaluation):
    """The file the evaluate rule writes last for `evaluation` in `run`."""
    folder = paths.evaluation(
        run.roots["evaluate"], evaluation.model_id, evaluation.task
    )
    return str(folder / "metrics.json")


def report_inputs(wildcards):
    run = run_of(wildcards)
    found = [metrics_file(run, e) for e in PLAN.evaluations_of(run)]
    found += [
        str(paths.checkpoint(run.roots[stage], stage, task))
        for task in run.tasks
        for stage in CFG.workflow.stages
    ]
    return found


def sweep_inputs(wildcards):
    return [
        metrics_file(run, e) for run in PLAN.points for e in PLAN.point_evaluations(run)
    ]
