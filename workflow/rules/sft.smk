# SFT per task on the expert's single-turn rows: TRL on CPU, verl on GPU clusters
# (src/stgrpo/stages/sft.py). A killed job resumes from its `.partial/` folder when rerun
# with the same config.


rule sft:
    input:
        lambda w: stage_file(w, "datasets", paths.DATASETS, "manifest.json"),
        local_model,
    output:
        directory(out(paths.CHECKPOINT, stage="sft")),
    log:
        "{root}/logs/sft/{task}.log",
    benchmark:
        "{root}/benchmarks/sft/{task}.tsv"
    priority: 10  # the training chain before the evaluations
    threads: CFG.train.threads
    resources:
        mem_mb=8000,
        runtime=120,
        gpu=stage_gpus("sft"),
        nodes=CFG.sft.nodes,
    params:
        args=cli("task={task}"),
        config=trigger("sft", "task={task}"),
    shell:
        "python -m stgrpo.stages.sft {params.args} > {log} 2>&1"
