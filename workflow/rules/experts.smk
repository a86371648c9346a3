# Expert trajectories on the train layouts: the optimal planner, or LLM rejection sampling
# (src/stgrpo/expert/__main__.py).


rule trajectories:
    input:
        lambda w: stage_file(w, "layouts", "layouts/{task}/train.jsonl"),
    output:
        "{root}/trajectories/{expert}/{task}.jsonl",
        "{root}/trajectories/{expert}/{task}.summary.json",
    log:
        "{root}/logs/trajectories/{expert}/{task}.log",
    benchmark:
        "{root}/benchmarks/trajectories/{expert}/{task}.tsv"
    priority: 10  # the training chain before the evaluations
    conda:
        "../../environment.yml"
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
