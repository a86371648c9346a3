# Single-turn GRPO per task on the verifiable reward, from the task's SFT checkpoint:
# TRL on CPU, verl on GPU clusters (src/stgrpo/stages/grpo.py). Resumes as sft does.


rule grpo:
    input:
        lambda w: stage_file(w, "datasets", paths.DATASETS, "manifest.json"),
        local_model,
        grpo_init,
    output:
        directory(out(paths.CHECKPOINT, stage="grpo")),
    log:
        "{root}/logs/grpo/{task}.log",
    benchmark:
        "{root}/benchmarks/grpo/{task}.tsv"
    priority: 10  # the training chain before the evaluations
    threads: CFG.train.threads
    resources:
        mem_mb=8000,
        runtime=120,
        gpu=stage_gpus("grpo"),
        nodes=CFG.grpo.nodes,
    params:
        args=cli("task={task}"),
        config=trigger("grpo", "task={task}"),
    shell:
        "python -m stgrpo.stages.grpo {params.args} > {log} 2>&1"
