# Single-turn datasets from the expert's trajectories: SFT and RL parquet in verl's schemas
# (src/stgrpo/stages/datasets.py).


rule datasets:
    input:
        lambda w: stage_file(
            w, "trajectories", paths.TRAJECTORIES, expert=CFG.data.expert
        ),
    output:
        out(
            paths.DATASETS,
            "sft_train.parquet",
            "sft_val.parquet",
            "rl_train.parquet",
            "rl_val.parquet",
            "manifest.json",
        ),
    log:
        "{root}/logs/datasets/{task}.log",
    benchmark:
        "{root}/benchmarks/datasets/{task}.tsv"
    priority: 10  # the training chain before the evaluations
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        args=cli("task={task}"),
        config=trigger("datasets", "task={task}"),
    shell:
        "python -m stgrpo.stages.datasets {params.args} > {log} 2>&1"
