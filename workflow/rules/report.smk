# Tables 1-4, figures, manifest and report.md from every evaluation of the experiment
# (src/stgrpo/stages/report.py).
# The report's files are spelled out here for Snakemake's HTML report (a caption each);
# they all sit in paths.REPORT.


rule report:
    input:
        report_inputs,
    output:
        report(
            multiext("{root}/report/table1", ".csv", ".md", ".tex"),
            category="Tables",
            caption="../report/table1.rst",
        ),
        report(
            multiext("{root}/report/table2", ".csv", ".md", ".tex"),
            category="Tables",
            caption="../report/table2.rst",
        ),
        report(
            multiext("{root}/report/table3", ".csv", ".md", ".tex"),
            category="Tables",
            caption="../report/table3.rst",
        ),
        report(
            multiext("{root}/report/table4", ".csv", ".md", ".tex"),
            category="Tables",
            caption="../report/table4.rst",
        ),
        "{root}/report/results.csv",
        report(
            "{root}/report/stage_times.csv",
            category="Tables",
            caption="../report/stage_times.rst",
        ),
        report(
            "{root}/report/figures/sr_by_model.png",
            category="Figures",
            caption="../report/sr_by_model.rst",
        ),
        report(
            "{root}/report/figures/sr_matrix.png",
            category="Figures",
            caption="../report/sr_matrix.rst",
        ),
        report(
            "{root}/report/figures/training_curves.png",
            category="Figures",
            caption="../report/training_curves.rst",
        ),
        report(
            "{root}/report/figures/steps_to_optimal.png",
            category="Figures",
            caption="../report/steps_to_optimal.rst",
        ),
        "{root}/report/report.md",
        "{root}/report/manifest.json",
    log:
        "{root}/logs/report.log",
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        args=cli(),
    shell:
        "python -m stgrpo.stages.report {params.args} > {log} 2>&1"
