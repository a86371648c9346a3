"""Every config composes; bad overrides and values fail with the key named."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from stgrpo.config import CONFIG_DIR, ConfigError, compose, require


def group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


GROUPS = sorted(p.name for p in CONFIG_DIR.iterdir() if p.is_dir())
OPTIONS = [(group, option) for group in GROUPS for option in group_options(group)]


def test_the_config_tree_has_the_groups_every_stage_reads():
    assert {"expert", "model", "sft", "grpo", "eval", "experiment"} <= set(GROUPS)


@pytest.mark.parametrize("group, option", OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_option_of_every_group_composes_and_resolves(group, option):
    cfg = compose([f"{group}={option}"])
    if group == "experiment":  # a global override of the whole config, named by `exp`
        assert cfg.exp == option
    else:
        assert cfg[group].name == option  # each option names itself
    OmegaConf.to_container(cfg, resolve=True)  # every interpolation resolves


def test_require_names_the_key_and_the_expectation():
    cfg = compose(["layouts.train.count=-1"])
    with pytest.raises(ConfigError, match=r"'layouts.train.count' must be at least 0"):
        require(cfg, "layouts.train.count", int, minimum=0)
    with pytest.raises(ConfigError, match=r"'nope' is missing"):
        require(cfg, "nope", int)
    with pytest.raises(ConfigError, match=r"'task' must be one of"):
        require(compose(["task=pizza"]), "task", str, choices=["burger"])
    with pytest.raises(ConfigError, match=r"'seed' must be int"):
        require(compose(["seed=true"]), "seed", int)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["task=pizza"], "config key 'task' must be one of"),
        (["expert=oracle"], "expert"),
        (["layouts.train.count=many"], "layouts.train.count"),
        (["not_a_key=1"], "not_a_key"),
    ],
)
def test_cli_reports_bad_overrides_in_one_line(argv, message, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "stgrpo.stages.layouts", f"results_dir={tmp_path}", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert message in run.stderr
    assert not any(tmp_path.iterdir())  # nothing written
