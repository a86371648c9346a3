# Kitchen layouts from seeds: train layouts and the held-out test panel, each with its
# optimal plan length (src/stgrpo/expert/layouts.py).


rule layouts:
    output:
        multiext(
            "{root}/layouts/{task}/",
            "train.jsonl",
            "train.meta.json",
            "test.jsonl",
            "test.meta.json",
        ),
    log:
        "{root}/logs/layouts/{task}.log",
    benchmark:
        "{root}/benchmarks/layouts/{task}.tsv"
    params:
        args=cli("task={task}"),
        config=trigger("layouts", "task={task}"),
    threads: CFG.layouts.workers
    shell:
        "{PYTHON} -m stgrpo.expert.layouts {params.args} > {log} 2>&1"
