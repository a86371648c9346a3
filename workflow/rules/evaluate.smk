# Multi-turn evaluation of one model on one task's test panel (src/stgrpo/evaluate/):
# trained checkpoints, prompted baselines, the planner, random actions, the expert.


def evaluation(wildcards):
    return PLAN.evaluation(run_of(wildcards), wildcards.model_id, wildcards.task)


def evaluation_inputs(wildcards):
    """The panel, and the weights the evaluated policy serves."""
    found = [stage_file(wildcards, "layouts", "layouts/{task}/test.meta.json")]
    job = evaluation(wildcards)
    if job.checkpoint:
        train_task, stage = job.checkpoint
        found.append(stage_file(wildcards, stage, f"checkpoints/{train_task}/{stage}"))
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


rule evaluate:
    input:
        evaluation_inputs,
    output:
        "{root}/eval/{model_id}/{task}/episodes.jsonl",
        "{root}/eval/{model_id}/{task}/metrics.json",
    log:
        "{root}/logs/eval/{model_id}/{task}.log",
    benchmark:
        "{root}/benchmarks/eval/{model_id}/{task}.tsv"
    params:
        args=lambda w: PLAN.args(run_of(w), *evaluation_overrides(w)),
        config=lambda w: PLAN.trigger("eval", run_of(w), *evaluation_overrides(w)),
    resources:
        gpu=evaluation_gpus,
    shell:
        "{PYTHON} -m stgrpo.evaluate {params.args} > {log} 2>&1"
