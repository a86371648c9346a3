# SFT then single-turn GRPO per task: TRL on CPU, verl on GPU clusters (src/stgrpo/train/).
# A killed job resumes from its `.partial/` folder when rerun with the same config.


rule sft:
    input:
        lambda w: stage_file(w, "datasets", "datasets/{task}/manifest.json"),
        local_model,
    output:
        directory("{root}/checkpoints/{task}/sft"),
    log:
        "{root}/logs/sft/{task}.log",
    benchmark:
        "{root}/benchmarks/sft/{task}.tsv"
    priority: 10  # the training chain before the evaluations
    conda:
        "../../environment.yml"
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


rule grpo:
    input:
        lambda w: stage_file(w, "datasets", "datasets/{task}/manifest.json"),
        local_model,
        grpo_init,
    output:
        directory("{root}/checkpoints/{task}/grpo"),
    log:
        "{root}/logs/grpo/{task}.log",
    benchmark:
        "{root}/benchmarks/grpo/{task}.tsv"
    priority: 10  # the training chain before the evaluations
    conda:
        "../../environment.yml"
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
