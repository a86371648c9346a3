# A sweep's summary across its points (src/stgrpo/stages/sweep.py): one row per point,
# task and trained stage, and SR against the grid's first key.


rule sweep:
    input:
        sweep_inputs,
    output:
        report(
            out(
                paths.SWEEP, "summary.csv", "summary.md", "summary.png", "summary.pdf"
            ),
            category="Sweep",
            caption="../report/sweep.rst",
        ),
    log:
        "{root}/logs/sweep/{sweep}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        args=lambda w: PLAN.args(PLAN.base, f"sweep={w.sweep}"),
    shell:
        "python -m stgrpo.stages.sweep {params.args} > {log} 2>&1"
