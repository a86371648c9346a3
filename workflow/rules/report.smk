# Tables 1-4, figures, manifest and report.md from every evaluation of the experiment
# (src/stgrpo/report/); the sweep summary across a sweep's points (src/stgrpo/report/sweep.py).


rule report:
    input:
        report_inputs,
    output:
        report(
            multiext("{root}/tables/table1", ".csv", ".md", ".tex"),
            category="Tables",
            caption="../report/table1.rst",
        ),
        report(
            multiext("{root}/tables/table2", ".csv", ".md", ".tex"),
            category="Tables",
            caption="../report/table2.rst",
        ),
        report(
            multiext("{root}/tables/table3", ".csv", ".md", ".tex"),
            category="Tables",
            caption="../report/table3.rst",
        ),
        report(
            multiext("{root}/tables/table4", ".csv", ".md", ".tex"),
            category="Tables",
            caption="../report/table4.rst",
        ),
        "{root}/tables/results.csv",
        report(
            "{root}/tables/stage_times.csv",
            category="Tables",
            caption="../report/stage_times.rst",
        ),
        report(
            "{root}/figures/sr_by_model.png",
            category="Figures",
            caption="../report/sr_by_model.rst",
        ),
        report(
            "{root}/figures/sr_matrix.png",
            category="Figures",
            caption="../report/sr_matrix.rst",
        ),
        report(
            "{root}/figures/training_curves.png",
            category="Figures",
            caption="../report/training_curves.rst",
        ),
        report(
            "{root}/figures/steps_to_optimal.png",
            category="Figures",
            caption="../report/steps_to_optimal.rst",
        ),
        "{root}/report.md",
        "{root}/manifest.json",
    log:
        "{root}/logs/report.log",
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        args=cli(),
    shell:
        "python -m stgrpo.stages.report {params.args} > {log} 2>&1"


rule sweep_summary:
    input:
        sweep_inputs,
    output:
        report(
            multiext("{root}/sweeps/{sweep}/summary", ".csv", ".md", ".png", ".pdf"),
            category="Sweep",
            caption="../report/sweep.rst",
        ),
    log:
        "{root}/logs/sweeps/{sweep}.log",
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        args=lambda w: PLAN.args(PLAN.base, f"sweep={w.sweep}"),
    shell:
        "python -m stgrpo.stages.sweep_summary {params.args} > {log} 2>&1"
