# Expert trajectories on the train layouts: the optimal planner, or LLM rejection sampling
# (src/stgrpo/expert/__main__.py).


def expert_gpus():
    """An LLM expert served by vLLM asks for its tensor-parallel GPUs."""
    if CFG.expert.kind != "llm" or CFG.expert.backend != "vllm":
        return 0
    return CFG.expert.backend_options.get("tensor_parallel_size", 1)


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
    params:
        args=cli("task={task}"),
        config=trigger("trajectories", "task={task}"),
    resources:
        gpu=expert_gpus(),
    shell:
        "{PYTHON} -m stgrpo.expert {params.args} > {log} 2>&1"
