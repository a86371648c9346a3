# The locally built tiny model and tokenizer, pretrained on kitchen text
# (src/stgrpo/stages/model.py); hub models (Qwen2.5, Llama) need no job.


rule model:
    output:
        directory(out(paths.MODEL)),
    log:
        "{root}/logs/model/{name}.log",
    benchmark:
        "{root}/benchmarks/model/{name}.tsv"
    priority: 10  # the training chain before the evaluations
    threads: CFG.model.get("threads", 1)
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        args=cli("model={name}"),
        config=trigger("model", "model={name}"),
    shell:
        "python -m stgrpo.stages.model {params.args} > {log} 2>&1"
