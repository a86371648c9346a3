"""The `report` stage: Tables 1-4, figures, manifest and a Markdown report from the evaluations.

    python -m stgrpo.stages.report experiment=demo

reads every evaluation the experiment's plan lists (`{paths.evaluate}/evaluate/{model}/{task}/
metrics.json`, episodes and training metrics) and writes, under `{results_dir}/report/`:
`results.csv` (one row per evaluation: the source of every table),
`table{1..4}.{csv,md,tex}` and `table{1..4}_vs_paper.{csv,md}`, `grpo_gain.{csv,md}`,
`stage_times.{csv,md}` (seconds and memory per stage), `figures/*.{png,pdf}`,
`report.md` and, last, `manifest.json`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from stgrpo import paths
from stgrpo.config import require, run_cli
from stgrpo.evaluate import eval_dir
from stgrpo.io import write_json, write_text
from stgrpo.report import figures, gain, tables
from stgrpo.report.manifest import benchmark_folders, build_manifest
from stgrpo.report.stage_times import read_benchmarks, stage_table
from stgrpo.workflow import STAGES, checkpoint_evaluation

log = logging.getLogger(__name__)
PROJECT = Path(__file__).resolve().parents[3]
TITLES = {
    1: "Table 1: SR / ASAT / ASST per task (95% intervals)",
    2: "Table 2: SR, trained on (rows) x evaluated on (columns)",
    3: "Table 3: ASAT, trained on (rows) x evaluated on (columns)",
    4: "Table 4: ASST, trained on (rows) x evaluated on (columns)",
}


def write_table(
    stem: Path,
    data: pd.DataFrame,
    shown: pd.DataFrame | None = None,
    index: bool = False,
    latex: bool = True,
) -> None:
    """`data` as CSV; `shown` (the printed form, `data` by default) as Markdown and LaTeX."""
    shown = data if shown is None else shown
    write_text(stem.with_suffix(".csv"), data.to_csv(index=index))
    markdown = shown.to_markdown(index=index, disable_numparse=True)
    write_text(stem.with_suffix(".md"), markdown + "\n")
    if latex:
        write_text(stem.with_suffix(".tex"), shown.to_latex(index=index, na_rep="—"))


def main(cfg: DictConfig) -> None:
    root = Path(require(cfg, "results_dir", str))
    results = tables.collect(cfg)  # fails naming the first missing evaluation
    out = paths.report(root)
    write_text(out / "results.csv", results.to_csv(index=False))
    table1 = tables.table1(cfg, results)
    gains = grpo_gain(cfg)
    if gains is not None:
        write_table(out / "grpo_gain", gains, tables.display_gain(gains), latex=False)
        table1 = tables.with_gain(table1, gains)
    write_table(out / "table1", table1, tables.display(table1))
    write_table(out / "table1_vs_paper", tables.table1_vs_paper(cfg, table1), latex=False)
    matrices = {}
    for number, metric in tables.MATRIX_TABLES.items():
        matrices[metric] = tables.matrix(cfg, results, metric)
        write_table(
            out / f"table{number}",
            matrices[metric],
            tables.display_matrix(matrices[metric], metric),
            index=True,
        )
        write_table(
            out / f"table{number}_vs_paper",
            tables.matrix_vs_paper(cfg, results, metric),
            latex=False,
        )
    times = stage_table(read_benchmarks(benchmark_folders(cfg)), list(STAGES))
    write_table(out / "stage_times", times, latex=False)
    pictures = paths.figures(root)
    figures.sr_bars(table1, list(cfg.tasks), pictures / "sr_by_model")
    figures.sr_heatmap(
        matrices["sr"], f"SR of {cfg.workflow.matrix} models", pictures / "sr_matrix"
    )
    figures.training_curves(cfg, pictures / "training_curves")
    figures.steps_to_optimal(cfg, table1, pictures / "steps_to_optimal")
    write_text(out / "report.md", markdown_report(cfg, out))
    write_json(out / "manifest.json", build_manifest(cfg, PROJECT))  # last: marks it done
    log.info("report: %d evaluations -> %s", len(results), out)


def grpo_gain(cfg: DictConfig) -> pd.DataFrame | None:
    """SR of SFT+GRPO minus SR of SFT per task, paired by layout (None without both stages)."""
    if not {"sft", "grpo"} <= set(cfg.workflow.stages):
        return None
    differences = {}
    for task in cfg.tasks:
        before, after = (
            eval_dir(cfg, checkpoint_evaluation(task, stage, task).model_id, task)
            / "episodes.jsonl"
            for stage in ("sft", "grpo")
        )
        differences[task] = gain.paired_differences(
            gain.layout_outcomes(before), gain.layout_outcomes(after), str(after)
        )
    return gain.gain_table(differences, seed=cfg.seed)


def markdown_report(cfg: DictConfig, out: Path) -> str:
    """Every table beside the paper's, the figures, and one episode strip per task."""
    parts = [
        f"# stgrpo results: experiment `{cfg.exp}`",
        "",
        "Cells: value [95% interval] (SR: Wilson; ASAT, ASST: bootstrap). "
        "`ours / paper` in the comparisons; — where undefined or not in the paper.",
        "",
    ]
    tables_dir = out
    for number in (1, 2, 3, 4):
        parts += [
            f"## {TITLES[number]}",
            "",
            (tables_dir / f"table{number}.md").read_text(),
            "",
            "Beside the paper:",
            "",
            (tables_dir / f"table{number}_vs_paper.md").read_text(),
            "",
        ]
        if number == 1 and (tables_dir / "grpo_gain.md").is_file():
            parts += [
                "SR gain of SFT+GRPO over SFT, paired by layout (stratified bootstrap "
                "95% interval; `mean`: over tasks):",
                "",
                (tables_dir / "grpo_gain.md").read_text(),
                "",
            ]
    parts += [
        "## Stage times",
        "",
        "Per stage, from Snakemake's benchmark files: wall seconds summed over its jobs "
        "(parallel jobs overlap), the longest job, CPU seconds, peak memory (MiB).",
        "",
        (tables_dir / "stage_times.md").read_text(),
        "",
        "## Figures",
        "",
    ]
    for name in ("sr_by_model", "sr_matrix", "training_curves", "steps_to_optimal"):
        parts += [f"![{name}](figures/{name}.png)", ""]
    parts += ["## Episodes (SFT & GRPO model on its own task)", ""]
    for task in cfg.tasks:
        model = checkpoint_evaluation(task, cfg.workflow.matrix, task).model_id
        folder = eval_dir(cfg, model, task)
        for kind in ("success", "failure"):
            if (folder / f"{kind}.png").is_file():
                rel = os.path.relpath(folder / f"{kind}.png", out)
                parts += [f"{task}, {kind}:", "", f"![{task} {kind}]({rel})", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
