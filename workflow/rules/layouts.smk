# Kitchen layouts from seeds: train layouts and the held-out test panel, each with its
# optimal plan length (src/stgrpo/stages/layouts.py).


rule layouts:
    output:
        out(
            paths.LAYOUTS,
            "train.jsonl",
            "train.meta.json",
            "test.jsonl",
            "test.meta.json",
        ),
    log:
        "{root}/logs/layouts/{task}.log",
    benchmark:
        "{root}/benchmarks/layouts/{task}.tsv"
    priority: 10  # the training chain before the evaluations
    threads: CFG.layouts.workers
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        args=cli("task={task}"),
        config=trigger("layouts", "task={task}"),
    shell:
        "python -m stgrpo.stages.layouts {params.args} > {log} 2>&1"
