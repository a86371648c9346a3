# Multi-turn evaluation of one model on one task's test panel (src/stgrpo/evaluate/):
# trained checkpoints, prompted baselines, the planner, random actions, the expert.


rule evaluate:
    input:
        evaluation_inputs,
    output:
        "{root}/evaluate/{model_id}/{task}/episodes.jsonl",
        "{root}/evaluate/{model_id}/{task}/metrics.json",
    log:
        "{root}/logs/evaluate/{model_id}/{task}.log",
    benchmark:
        "{root}/benchmarks/evaluate/{model_id}/{task}.tsv"
    resources:
        mem_mb=8000,
        runtime=60,
        gpu=evaluation_gpus,
    params:
        args=lambda w: PLAN.args(run_of(w), *evaluation_overrides(w)),
        config=lambda w: PLAN.trigger("evaluate", run_of(w), *evaluation_overrides(w)),
    shell:
        "python -m stgrpo.stages.evaluate {params.args} > {log} 2>&1"
