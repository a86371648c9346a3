"""Where every stage writes: one folder per stage, named as the stage (its Snakemake rule,
its `stgrpo.stages` module and its rerun-trigger key), under the stage's run folder
(`paths.<stage>` in the config; by default the experiment's `results/{exp}/`).

    layouts/{task}/{train,test}.{jsonl,meta.json}   seeded layouts, the test panel
    model/{name}/                                   a locally built model (Hugging Face format)
    trajectories/{expert}/{task}.jsonl              the expert's episodes (+ .summary.json)
    datasets/{task}/{sft,rl}_{train,val}.parquet    single-turn datasets (+ manifest.json)
    sft/{task}/, grpo/{task}/                       trained checkpoints ({task}.partial/ while
                                                    a run is under way)
    evaluate/{model_id}/{task}/                     episodes.jsonl, metrics.json
    report/                                         table{1..4}, results.csv, figures/, report.md,
                                                    manifest.json
    sweep/{sweep}/summary.*                         a sweep's summary; sweep/{sweep}/{point}/ is
                                                    each point's own run folder
    logs/{stage}/..., benchmarks/{stage}/...        each job's log and time and memory

The patterns below are the single spelling of this layout: the stages format them with
`path()` and the workflow's rules (workflow/rules/common.smk) prefix them with `{root}/`.
"""

from __future__ import annotations

from pathlib import Path

# Every stage of the DAG, in order: one name for rule, module, results folder and trigger.
STAGES = (
    "layouts",
    "model",
    "trajectories",
    "datasets",
    "sft",
    "grpo",
    "evaluate",
    "report",
    "sweep",
)
TRAINED = ("sft", "grpo")  # the stages that write a checkpoint
# MODEL is also spelled in config/model/tiny.yaml (`model.path`), which YAML cannot import.

LAYOUTS = "layouts/{task}"
MODEL = "model/{name}"
TRAJECTORIES = "trajectories/{expert}/{task}.jsonl"
TRAJECTORY_SUMMARY = "trajectories/{expert}/{task}.summary.json"
DATASETS = "datasets/{task}"
CHECKPOINT = "{stage}/{task}"  # sft/{task}, grpo/{task}
EVALUATE = "evaluate/{model_id}/{task}"
REPORT = "report"
FIGURES = "report/figures"
SWEEP = "sweep/{sweep}"


def path(root: str | Path, pattern: str, /, **parts: str) -> Path:
    """`pattern` with its `{...}` parts filled in, under the run folder `root`.

    Args:
        root: the stage's run folder (`paths.<stage>`).
        pattern: one of this module's patterns.
        parts: a value for every `{name}` in the pattern.

    Returns:
        The output's path.
    """
    return Path(root) / pattern.format(**parts)


def rule_pattern(pattern: str, /, **parts: str) -> str:
    """The pattern as a Snakemake output under the `{root}` wildcard; `parts` fix some
    names (`stage="sft"`) and leave the rest as wildcards."""
    return "{root}/" + _partial_format(pattern, parts)


def layouts(root: str | Path, task: str) -> Path:
    return path(root, LAYOUTS, task=task)


def trajectories(root: str | Path, expert: str, task: str) -> Path:
    return path(root, TRAJECTORIES, expert=expert, task=task)


def datasets(root: str | Path, task: str) -> Path:
    return path(root, DATASETS, task=task)


def checkpoint(root: str | Path, stage: str, task: str) -> Path:
    if stage not in TRAINED:
        raise ValueError(f"stage {stage!r} writes no checkpoint; expected one of {TRAINED}")
    return path(root, CHECKPOINT, stage=stage, task=task)


def evaluation(root: str | Path, model_id: str, task: str) -> Path:
    return path(root, EVALUATE, model_id=model_id, task=task)


def report(root: str | Path) -> Path:
    return path(root, REPORT)


def figures(root: str | Path) -> Path:
    return path(root, FIGURES)


def sweep(root: str | Path, name: str) -> Path:
    return path(root, SWEEP, sweep=name)


def sweep_point(root: str | Path, name: str, point: tuple[str, ...] | list[str]) -> Path:
    """`sweep/{sweep}/grpo.lr_1e-05__grpo.kl_coef_0.0`: a point's run folder, named by its
    overrides with no character that Hydra or the shell would need quoted."""
    return sweep(root, name) / "__".join(o.replace("=", "_") for o in point)


def _partial_format(pattern: str, fixed: dict[str, str]) -> str:
    """Fill the named parts of `pattern` and keep the other `{name}`s as they are."""

    class Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return pattern.format_map(Keep(fixed))
