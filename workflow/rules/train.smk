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
    params:
        args=cli("task={task}"),
        config=trigger("sft", "task={task}"),
    threads: CFG.train.threads
    resources:
        gpu=stage_gpus("sft"),
        nodes=CFG.sft.nodes,
    shell:
        "{PYTHON} -m stgrpo.train.sft {params.args} > {log} 2>&1"


def grpo_init(wildcards):
    """GRPO starts from the task's SFT checkpoint (grpo.init=sft, the paper) or the base."""
    if CFG.grpo.init != "sft":
        return []
    return [stage_file(wildcards, "sft", "checkpoints/{task}/sft")]


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
    params:
        args=cli("task={task}"),
        config=trigger("grpo", "task={task}"),
    threads: CFG.train.threads
    resources:
        gpu=stage_gpus("grpo"),
        nodes=CFG.grpo.nodes,
    shell:
        "{PYTHON} -m stgrpo.train.grpo {params.args} > {log} 2>&1"
