# The only place for helpers. The plan (stgrpo.workflow.Plan) is built once per invocation
# from --config experiment=... overrides=... sweep=...; a bad name or override stops here,
# before any job, with a message naming it.
import re
import sys

from stgrpo.workflow import Plan, read_overrides

PLAN = Plan(
    config.get("experiment", "demo"),
    read_overrides(config.get("overrides")),
    config.get("sweep") or None,
)
CFG = PLAN.cfg
PYTHON = sys.executable  # the environment Snakemake runs in also runs every stage


wildcard_constraints:
    root="|".join(re.escape(root) for root in PLAN.by_root),
    task="|".join(PLAN.tasks),
    model_id=r"[^/]+",
    name=r"[^/]+",
    expert=r"[^/]+",


def run_of(wildcards):
    return PLAN.run_of(wildcards.root)


def stage_file(wildcards, stage, path):
    """A file of `stage` as the job's run sees it (shared, or the run's own)."""
    return f"{run_of(wildcards).roots[stage]}/{path.format(**wildcards)}"


def cli(*extra):
    """params: the job's Hydra overrides (not part of the rerun trigger)."""
    return lambda w: PLAN.args(run_of(w), *(e.format(**w) for e in extra))


def trigger(stage, *extra):
    """params: the hash of the config sections the stage reads (the rerun trigger)."""
    return lambda w: PLAN.trigger(stage, run_of(w), *(e.format(**w) for e in extra))


def local_model(wildcards, name=None):
    """The build output of a locally built model the job needs ([] for hub models)."""
    folder = PLAN.model_dir(run_of(wildcards), name)
    return [folder] if folder else []


def stage_gpus(stage):
    return CFG[stage].gpus * CFG[stage].nodes


def report_targets(run):
    return [f"{run.root}/tables/table{n}.csv" for n in (1, 2, 3, 4)] + [
        f"{run.root}/manifest.json"
    ]


def sweep_targets():
    if PLAN.sweep is None:
        return []
    return [f"{PLAN.root}/sweeps/{PLAN.sweep.name}/summary.csv"]
