# Tables 1-4, figures, manifest and report.md from every evaluation of the experiment
# (src/stgrpo/stages/report.py).
# The report's files are named one by one for Snakemake's HTML report (a caption each).


rule report:
    input:
        report_inputs,
    output:
        report(
            out(paths.REPORT, "table1.csv", "table1.md", "table1.tex"),
            category="Tables",
            caption="../report/table1.rst",
        ),
        report(
            out(paths.REPORT, "table2.csv", "table2.md", "table2.tex"),
            category="Tables",
            caption="../report/table2.rst",
        ),
        report(
            out(paths.REPORT, "table3.csv", "table3.md", "table3.tex"),
            category="Tables",
            caption="../report/table3.rst",
        ),
        report(
            out(paths.REPORT, "table4.csv", "table4.md", "table4.tex"),
            category="Tables",
            caption="../report/table4.rst",
        ),
        out(paths.REPORT, "results.csv"),
        report(
            out(paths.REPORT, "stage_times.csv"),
            category="Tables",
            caption="../report/stage_times.rst",
        ),
        report(
            out(paths.FIGURES, "sr_by_model.png"),
            category="Figures",
            caption="../report/sr_by_model.rst",
        ),
        report(
            out(paths.FIGURES, "sr_matrix.png"),
            category="Figures",
            caption="../report/sr_matrix.rst",
        ),
        report(
            out(paths.FIGURES, "training_curves.png"),
            category="Figures",
            caption="../report/training_curves.rst",
        ),
        report(
            out(paths.FIGURES, "steps_to_optimal.png"),
            category="Figures",
            caption="../report/steps_to_optimal.rst",
        ),
        out(paths.REPORT, "report.md"),
        out(paths.REPORT, "manifest.json"),
    log:
        "{root}/logs/report.log",
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        args=cli(),
    shell:
        "python -m stgrpo.stages.report {params.args} > {log} 2>&1"
