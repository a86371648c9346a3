"""Every config composes; bad overrides and values fail with the key named."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from stgrpo.config import CONFIG_DIR, ConfigError, compose, require


def group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize("expert", group_options("expert"))
def test_every_expert_option_composes_and_resolves(expert):
    cfg = compose([f"expert={expert}"])
    assert cfg.expert.kind in ("planner", "llm")
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


@pytest.mark.parametrize("argv, message", [
    (["task=pizza"], "config key 'task' must be one of"),
    (["expert=oracle"], "expert"),
    (["layouts.train.count=many"], "layouts.train.count"),
    (["not_a_key=1"], "not_a_key"),
])
def test_cli_reports_bad_overrides_in_one_line(argv, message, tmp_path):
    run = subprocess.run([sys.executable, "-m", "stgrpo.expert.layouts",
                          f"results_dir={tmp_path}", *argv],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert message in run.stderr
    assert not any(tmp_path.iterdir())  # nothing written
