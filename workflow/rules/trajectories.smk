# Expert trajectories on the train layouts: the planner, the recipe expert or LLM rejection
# sampling (src/stgrpo/stages/trajectories.py).


rule trajectories:
    input:
        lambda w: stage_file(w, "layouts", paths.LAYOUTS, "train.jsonl"),
    output:
        out(paths.TRAJECTORIES),
        out(paths.TRAJECTORY_SUMMARY),
    log:
        "{root}/logs/trajectories/{expert}/{task}.log",
    benchmark:
        "{root}/benchmarks/trajectories/{expert}/{task}.tsv"
    priority: 10  # the training chain before the evaluations
    threads: CFG.expert.get("workers", 1)
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=expert_gpus(),
    params:
        args=cli("task={task}"),
        config=trigger("trajectories", "task={task}"),
    shell:
        "python -m stgrpo.stages.trajectories {params.args} > {log} 2>&1"
