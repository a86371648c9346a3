"""The experiment plan behind the Snakemake workflow: runs, jobs, files and rerun triggers.

`workflow/Snakefile` builds one `Plan` from its `--config` (experiment, overrides, sweep)
and the rules ask it everything: which evaluations exist, where each stage's files live,
the command-line overrides of a job, and the job's rerun trigger. The report stage builds
the same plan, so tables list exactly the evaluations the DAG ran.

A *run* is one configuration of the pipeline: the experiment itself, or one point of a
sweep. A sweep point moves only the stages its keys touch (and everything downstream of
them) into its own folder; the others stay shared with the experiment.

Rerun triggers: each job's params hold a hash of the config sections its stage reads
(`READS`), so editing one GRPO key reruns GRPO and what depends on it, nothing upstream,
and of the code-level inputs it reads (`code_hashes`: a prompt template's text, the reward
code), so editing those in place reruns the stages they change too.
The job's full overrides travel as a `CliArgs` object, which Snakemake leaves out of its
params comparison (it cannot serialise it), so passing a new override on the command line
reruns exactly the stages whose sections it changes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from stgrpo import paths
from stgrpo.config import (
    CONFIG_DIR,
    SECRETS,
    ConfigError,
    check_no_secrets,
    check_syntax,
    compose,
    require,
)
from stgrpo.data.prompts import DEFAULT_TEMPLATE, TEMPLATES, template_hash, templates_hash
from stgrpo.data.reward import reward_hash
from stgrpo.kitchen.tasks import TASKS

STAGES = ("layouts", "model", "trajectories", "datasets", "sft", "grpo", "evaluate")
# What each stage reads from the stages before it (for sweeps: a touched stage moves its
# downstream along).
UPSTREAM = {
    "layouts": (),
    "model": (),
    "trajectories": ("layouts",),
    "datasets": ("trajectories",),
    "sft": ("datasets", "model"),
    "grpo": ("datasets", "model", "sft"),
    "evaluate": ("layouts", "model", "sft", "grpo"),
}
# The config sections each stage reads (resolved, so interpolated values count too).
READS = {
    "layouts": ("seed", "layouts"),
    "model": ("model",),
    "trajectories": ("seed", "expert", "layouts.max_states", "prompt"),
    "datasets": ("seed", "data", "prompt"),
    "sft": ("seed", "model", "prompt", "sft", "train"),
    "grpo": ("seed", "model", "prompt", "grpo", "train"),
    "evaluate": ("seed", "model", "prompt", "eval", "expert", "layouts.max_states"),
}
# Stages whose jobs score answers with the reward (GRPO trains on it; SFT and GRPO validate
# with it), and the eval policies that prompt a language model (with eval.template).
SCORING = ("sft", "grpo")
PROMPTED = ("checkpoint", "base")
REFERENCES = ("planner", "random")


class CliArgs:
    """Hydra overrides for a stage's command line. `str()` gives the shell words; being no
    builtin type, Snakemake leaves it out of the params rerun trigger (see module doc)."""

    def __init__(self, overrides: Sequence[str]):
        self.overrides = tuple(overrides)

    def __str__(self) -> str:
        return " ".join(shlex.quote(o) for o in self.overrides)

    def __eq__(self, other) -> bool:
        return isinstance(other, CliArgs) and other.overrides == self.overrides

    def __hash__(self) -> int:
        return hash(self.overrides)


@dataclass(frozen=True)
class Run:
    root: str  # the folder of the stages it owns
    overrides: tuple[str, ...]  # experiment, user and point overrides, and paths.*
    roots: dict[str, str] = field(hash=False)  # stage -> folder of its outputs
    tasks: tuple[str, ...] = ()  # the tasks trained (and evaluated) in this run

    def owns(self, stage: str) -> bool:
        return self.roots[stage] == self.root


@dataclass(frozen=True)
class Evaluation:
    model_id: str
    task: str
    overrides: tuple[str, ...]  # beyond the run's: policy, model, train task, stage
    checkpoint: tuple[str, str] | None = None  # (train task, stage) for trained models
    model: str | None = None  # a config/model name whose weights it serves


class Plan:
    def __init__(self, experiment: str, overrides: Sequence[str] = (), sweep: str | None = None):
        _check_option("experiment", experiment)
        if sweep:
            _check_option("sweep", sweep)
        check_syntax(overrides)
        check_no_secrets(overrides)
        self.base_overrides = (f"experiment={experiment}", *overrides)
        self.cfg = compose_checked(self.base_overrides)
        self.tasks = tuple(self.cfg.tasks)
        unknown = sorted(set(self.tasks) - set(TASKS))
        if unknown or not self.tasks:
            raise ConfigError(
                f"config key 'tasks' must list tasks of {sorted(TASKS)}, got {list(self.tasks)}"
            )
        self.root = str(require(self.cfg, "results_dir", str))
        check_root(self.root)
        base = Run(self.root, self.base_overrides, dict.fromkeys(STAGES, self.root), self.tasks)
        self.runs = [base]
        self.sweep = None
        if sweep:
            self.sweep = compose_checked((*self.base_overrides, f"sweep={sweep}")).sweep
            self.runs += sweep_runs(self, self.sweep)
        self.by_root = {run.root: run for run in self.runs}
        for run in self.runs:  # training settings that cannot work fail now, not hours in
            check_training(self.job_config(run))
            check_templates(self.job_config(run))
        _ = self.evaluations  # unknown baselines or stages fail now too

    # -- what the DAG contains -----------------------------------------------------------

    @property
    def base(self) -> Run:
        return self.runs[0]

    @property
    def points(self) -> list[Run]:
        return self.runs[1:]

    @cached_property
    def evaluations(self) -> list[Evaluation]:
        return evaluations(self.cfg)

    def point_evaluations(self, run: Run) -> list[Evaluation]:
        """A sweep point evaluates its trained models that the sweep touched, each on its
        own training task."""
        return own_task_evaluations(run.tasks, [s for s in self.cfg.workflow.stages if run.owns(s)])

    def evaluations_of(self, run: Run) -> list[Evaluation]:
        return self.evaluations if run is self.base else self.point_evaluations(run)

    def evaluation(self, run: Run, model_id: str, task: str) -> Evaluation:
        for evaluation in self.evaluations_of(run):
            if (evaluation.model_id, evaluation.task) == (model_id, task):
                return evaluation
        raise ConfigError(f"no evaluation {model_id} on {task} in run {run.root}")

    # -- one job's config ----------------------------------------------------------------

    def job_overrides(self, run: Run, *extra: str) -> tuple[str, ...]:
        return (*run.overrides, *extra)

    def job_config(self, run: Run, *extra: str) -> DictConfig:
        return compose_checked(self.job_overrides(run, *extra))

    def trigger(self, stage: str, run: Run, *extra: str) -> str:
        """The hash of the config sections `stage` reads, for Snakemake's params trigger."""
        return config_hash(self.job_config(run, *extra), stage)

    def args(self, run: Run, *extra: str) -> CliArgs:
        return CliArgs(self.job_overrides(run, *extra))

    # -- files ---------------------------------------------------------------------------

    def run_of(self, root: str) -> Run:
        try:
            return self.by_root[root]
        except KeyError:
            raise ConfigError(f"{root} is not a run folder of this plan") from None

    def model_dir(self, run: Run, name: str | None = None) -> str | None:
        """The local folder of a model that the `model` stage builds, else None (a hub
        model needs no job)."""
        cfg = self.job_config(run, *((f"model={name}",) if name else ()))
        return str(cfg.model.path) if cfg.model.kind == "local" else None


def evaluations(cfg: DictConfig) -> list[Evaluation]:
    """Every evaluation of an experiment: trained checkpoints (each on its own task; the
    `workflow.matrix` stage on every task), prompted baselines, references and the expert."""
    wf, tasks = cfg.workflow, list(cfg.tasks)
    stages = list(wf.stages)
    bad = sorted(set(stages) - {"sft", "grpo"}) + ([wf.matrix] if wf.matrix not in stages else [])
    if bad:
        raise ConfigError(
            f"config keys 'workflow.stages' and 'workflow.matrix' take sft and "
            f"grpo (the matrix stage among the stages), got {bad}"
        )
    found = []
    for train_task, stage in itertools.product(tasks, stages):
        eval_tasks = tasks if stage == wf.matrix else [train_task]
        found += [checkpoint_evaluation(train_task, stage, task) for task in eval_tasks]
    for name in wf.baselines:
        _check_option("model", name)
        found += [
            Evaluation(f"base-{name}", task, ("eval.policy=base", f"model={name}"), model=name)
            for task in tasks
        ]
    for reference in wf.references:
        if reference not in REFERENCES:
            raise ConfigError(
                f"config key 'workflow.references' takes {list(REFERENCES)}, got {reference!r}"
            )
        found += [Evaluation(reference, task, (f"eval.policy={reference}",)) for task in tasks]
    if wf.evaluate_expert and cfg.expert.kind != "planner":
        found += [
            Evaluation(f"expert-{cfg.expert.name}", task, ("eval.policy=expert",)) for task in tasks
        ]
    return found


def check_training(cfg: DictConfig) -> None:
    """The sft and grpo settings' own checks (batch divisibility, ranges, engines)."""
    from stgrpo.train.settings import read_settings

    for stage in cfg.workflow.stages:
        read_settings(cfg, stage)


def own_task_evaluations(tasks: Sequence[str], stages: Sequence[str]) -> list[Evaluation]:
    """Each task's checkpoints of `stages`, evaluated on that task (what a sweep point runs)."""
    return [checkpoint_evaluation(task, stage, task) for task in tasks for stage in stages]


def checkpoint_evaluation(train_task: str, stage: str, task: str) -> Evaluation:
    return Evaluation(
        f"{train_task}-{stage}",
        task,
        ("eval.policy=checkpoint", f"eval.train_task={train_task}", f"eval.stage={stage}"),
        checkpoint=(train_task, stage),
    )


# -- sweeps ------------------------------------------------------------------------------


def sweep_points(sweep: DictConfig) -> list[tuple[str, ...]]:
    """The grid's points, each a tuple of `key=value` overrides (first key slowest)."""
    grid = sweep.get("grid")
    if not grid:
        raise ConfigError(
            f"config key 'sweep.grid' of sweep '{sweep.name}' must map keys to lists of values"
        )
    axes = []
    for key, values in grid.items():
        if OmegaConf.is_list(values) and len(values) > 0:
            axes.append([f"{key}={_override_value(v)}" for v in values])
        else:
            raise ConfigError(f"config key 'sweep.grid.{key}' must be a non-empty list")
    return list(itertools.product(*axes))


def point_root(results_dir: str, sweep_name: str, point: Sequence[str]) -> str:
    """A sweep point's run folder (stgrpo.paths.sweep_point)."""
    return str(paths.sweep_point(results_dir, sweep_name, tuple(point)))


def sweep_tasks(sweep: DictConfig, tasks: Sequence[str]) -> tuple[str, ...]:
    """The tasks a sweep trains and evaluates: its `tasks`, else all the experiment's."""
    chosen = tuple(sweep.get("tasks") or tasks)
    if set(chosen) - set(tasks):
        raise ConfigError(
            f"config key 'sweep.tasks' must be among the experiment's tasks "
            f"{list(tasks)}, got {list(chosen)}"
        )
    return chosen


def touched_stages(keys: Sequence[str]) -> set[str]:
    """Stages that read any of `keys`, and every stage downstream of them."""
    touched = {
        stage
        for stage in STAGES
        for key in keys
        if any(_overlaps(key, section) for section in READS[stage])
    }
    changed = True
    while changed:
        more = {s for s in STAGES if set(UPSTREAM[s]) & touched} - touched
        touched |= more
        changed = bool(more)
    return touched


def sweep_runs(plan: Plan, sweep: DictConfig) -> list[Run]:
    touched = touched_stages(list(sweep.grid))
    tasks = sweep_tasks(sweep, plan.tasks)
    runs = []
    for point in sweep_points(sweep):
        root = point_root(plan.root, sweep.name, point)
        roots = {stage: root if stage in touched else plan.root for stage in STAGES}
        overrides = (
            *plan.base_overrides,
            *point,
            *(f"paths.{stage}={root}" for stage in STAGES if stage in touched),
        )
        compose_checked(overrides)  # a bad grid value fails here, before any job
        runs.append(Run(root, overrides, roots, tasks))
    return runs


# -- helpers -----------------------------------------------------------------------------


@lru_cache(maxsize=512)
def compose_checked(overrides: tuple[str, ...]) -> DictConfig:
    """The composed config, with every interpolation resolved (a bad override fails here,
    at DAG construction, naming itself)."""
    cfg = compose(list(overrides))
    OmegaConf.resolve(cfg)
    return cfg


def config_hash(cfg: DictConfig, stage: str) -> str:
    """The rerun trigger of `stage`: the config sections it reads and the hashes of its
    code-level inputs (a stage without any keeps the trigger of its sections alone)."""
    sections = {key: _plain(OmegaConf.select(cfg, key)) for key in READS[stage]}
    text = json.dumps({**sections, **code_hashes(cfg, stage)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def code_hashes(cfg: DictConfig, stage: str) -> dict[str, str]:
    """Hashes of what `stage` reads from the code rather than the config: the text of the
    template it builds prompts with; for the locally built model, the text of the templates
    its tokenizer's corpus holds (CORPUS_TEMPLATES) and of the one it pretrains on; the
    reward code for the stages that score. SFT and GRPO read their prompts from the
    datasets, which rerun when the template's text does."""
    found = {}
    template = prompt_template(cfg, stage)
    if template is not None:
        found["template_hash"] = template_hash(template)
    if stage == "model" and cfg.model.kind == "local":
        found["templates_hash"] = templates_hash()
        found["pretrain_template_hash"] = template_hash(
            OmegaConf.select(cfg, "model.pretrain.template", default=DEFAULT_TEMPLATE)
        )
    if stage in SCORING:
        found["reward_hash"] = reward_hash()
    return found


def prompt_template(cfg: DictConfig, stage: str) -> str | None:
    """The template `stage` builds prompts with (None where it prompts no model): the
    datasets', an LLM expert's, or the evaluated model's."""
    if stage == "datasets":
        return cfg.prompt.template
    policy = cfg.eval.policy if stage == "evaluate" else None
    if stage == "trajectories" or policy == "expert":
        return cfg.expert.get("template")  # the LLM expert's; the planner has none
    return cfg.eval.template if policy in PROMPTED else None


def check_templates(cfg: DictConfig) -> None:
    """Every template the stages prompt with exists (the triggers hash its text)."""
    for key in ("prompt.template", "expert.template", "eval.template"):
        name = OmegaConf.select(cfg, key)
        if name is not None and name not in TEMPLATES:
            raise ConfigError(
                f"config key '{key}' must be one of {sorted(TEMPLATES)}, got {name!r}"
            )


def _plain(value):
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def _overlaps(key: str, section: str) -> bool:
    """Does setting `key` change something under `section` (or the reverse)?"""
    key = key.lstrip("+~")
    return key == section or key.startswith(section + ".") or section.startswith(key + ".")


def _check_option(group: str, name: str) -> None:
    options = sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))
    if name not in options:
        raise ConfigError(
            f"unknown {group} {name!r}: choose one of {options} (files in {CONFIG_DIR / group})"
        )


def _override_value(value) -> str:
    """A grid value as override text and folder name: plain scalars only."""
    text = str(value)
    if OmegaConf.is_config(value) or not text or set(text) & set(" ,[]{}()'\"=:/\\"):
        raise ConfigError(f"sweep values must be plain numbers or words, got {value!r}")
    return text


def secrets_set() -> list[str]:
    """The secrets (config.SECRETS) set in this environment: Snakemake's `envvars` passes
    them to every job, on any executor, without writing their values anywhere."""
    return [name for name in SECRETS if os.environ.get(name)]


def check_config_keys(config: Mapping, schema: str | Path) -> None:
    """Snakemake's `--config` holds only the keys of `schema` (its `properties`): Snakemake
    keeps any other key without complaint, and no job would ever see it."""
    accepted = sorted(OmegaConf.load(schema)["properties"])
    unknown = [key for key in config if key not in accepted]
    if unknown:
        example = f"{unknown[0]}={config[unknown[0]]}"
        raise ConfigError(
            f"unknown --config key {', '.join(map(repr, unknown))}: the "
            f"workflow takes {accepted}; any other setting is a Hydra "
            f"override, e.g. overrides='[\"{example}\"]'"
        )


def read_overrides(value) -> list[str]:
    """Snakemake's `--config overrides=...`: a list, or one string of space-separated
    Hydra overrides."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(
        f"config key 'overrides' must be a list of Hydra overrides or one "
        f"string of them, got {value!r}"
    )


def check_root(path: str | Path) -> None:
    """Results must stay below the working directory (Snakemake tracks relative paths)."""
    if Path(path).is_absolute() or ".." in Path(path).parts:
        raise ConfigError(
            f"config key 'results_dir' must be a relative path below the "
            f"working directory, got {path!r}"
        )
