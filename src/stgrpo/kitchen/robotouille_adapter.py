"""Drive the real Robotouille benchmark through a small text-in/text-out interface.

Used only for conformance checks (golden traces, timings); the project's own engine never
imports it. Robotouille is not on PyPI and is not a dependency of this project. To use it:

    git clone -b release https://github.com/portal-cornell/robotouille /path/to/robotouille
    git -C /path/to/robotouille checkout c8236a2e   # the release commit our traces come from
    python3.11 -m venv /path/to/venv            # a separate environment is easiest
    /path/to/venv/bin/pip install gym==0.26.2 numpy==1.24.4 pygame imageio matplotlib \
        scikit-image omegaconf opencv-python-headless
    /path/to/venv/bin/pip install -e /path/to/stgrpo --no-deps   # or put src/ on PYTHONPATH
    export ROBOTOUILLE_REPO=/path/to/robotouille

Do not install Robotouille's own requirements.txt (torch, LLM clients, ...): its agents
package is replaced by an empty stub at import time, and only the simulator is used.
The repository's top-level packages (``backend``, ``utils``, ``domain``, ``renderer``,
``environments``, ``pddlgym``, ``robotouille``) stay importable once loaded.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import os
import random
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_VAR",
    "RobotouilleAdapterEnv",
    "load_example",
    "robotouille_available",
]

ENV_VAR = "ROBOTOUILLE_REPO"
EXAMPLES_SUBDIR = Path("environments", "env_generator", "examples")
ENTITY_FIELDS = ("stations", "items", "players", "containers", "meals")
WILDCARDS = ("station", "item", "player", "container", "meal")
# Bookkeeping tags the procedural generator leaves on entities; they do not affect the state.
_GENERATOR_TAGS = ("force_add", "frozen")
_MAX_SEED_RETRIES = 1000

_INSTALL_HELP = (
    "Robotouille could not be imported. Clone https://github.com/portal-cornell/robotouille "
    "(branch release), install its minimal runtime deps into this Python (gym==0.26.2 "
    "numpy==1.24.4 pygame imageio matplotlib scikit-image omegaconf opencv-python-headless) "
    f"and set {ENV_VAR} to the clone's root directory (see the docstring of "
    "stgrpo.kitchen.robotouille_adapter)."
)


class _Robotouille:
    """The handful of Robotouille objects the adapter uses, imported once per repo."""

    def __init__(self, repo: Path, modules: dict[str, Any]):
        self.repo = repo
        self.builder = modules["builder"]
        self.generator = modules["generator"]
        self.parse_layout = modules["parse_layout"]
        self.Renderer = modules["Renderer"]
        self.Env = modules["Env"]
        with open(repo / "domain" / "robotouille.json", encoding="utf-8") as handle:
            self.domain_json = json.load(handle)


_LOADED: dict[Path, _Robotouille] = {}


def _find_repo(repo_dir: str | os.PathLike | None) -> Path:
    if repo_dir is None:
        repo_dir = os.environ.get(ENV_VAR)
    if repo_dir is None:
        spec = importlib.util.find_spec("robotouille")
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{ENV_VAR} is not set. {_INSTALL_HELP}")
        repo_dir = Path(spec.origin).resolve().parents[1]
    repo = Path(repo_dir).expanduser().resolve()
    if not (repo / "robotouille" / "robotouille_env.py").is_file():
        raise RuntimeError(f"{repo} is not a Robotouille checkout. {_INSTALL_HELP}")
    return repo


@contextlib.contextmanager
def _inside(repo: Path) -> Iterator[None]:
    """Run with cwd = repo and the repo first on sys.path (Robotouille needs both)."""
    old_cwd, old_path = os.getcwd(), list(sys.path)
    os.chdir(repo)
    sys.path.insert(0, str(repo))
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path


def _from_repo(module_name: str, repo: Path) -> bool:
    module = sys.modules[module_name]
    origins = [getattr(module, "__file__", None) or "", *getattr(module, "__path__", [])]
    return any(str(origin).startswith(str(repo) + os.sep) for origin in origins)


def _load(repo_dir: str | os.PathLike | None) -> _Robotouille:
    repo = _find_repo(repo_dir)
    if repo in _LOADED:
        return _LOADED[repo]
    if _LOADED:
        raise RuntimeError(
            f"Robotouille already loaded from {next(iter(_LOADED))}; cannot mix repos"
        )
    stub = None
    if "agents" not in sys.modules:
        # robotouille/__init__ imports its LLM agents (torch, openai, ...); an empty stub suffices.
        stub = types.ModuleType("agents")
        stub.NAME_TO_AGENT = {}
        sys.modules["agents"] = stub
    before = set(sys.modules)
    try:
        # pygame greets on stdout at import; keep stdout clean for callers that own it.
        with _inside(repo), contextlib.redirect_stdout(io.StringIO()):
            from environments.env_generator import builder, procedural_generator
            from renderer.renderer import RobotouilleRenderer
            from robotouille import robotouille_env
            from robotouille.env import RobotouilleEnv
    except Exception as exc:
        # Drop the half-imported repo modules, so that a later attempt starts clean.
        for name in [name for name in set(sys.modules) - before if _from_repo(name, repo)]:
            del sys.modules[name]
        raise RuntimeError(f"{_INSTALL_HELP} ({exc!r})") from exc
    finally:
        if stub is not None and sys.modules.get("agents") is stub:
            del sys.modules["agents"]
    modules = {
        "builder": builder,
        "generator": procedural_generator,
        "parse_layout": robotouille_env._parse_renderer_layout,
        "Renderer": RobotouilleRenderer,
        "Env": RobotouilleEnv,
    }
    loaded = _Robotouille(repo, modules)
    _LOADED[repo] = loaded
    return loaded


def robotouille_available(repo_dir: str | os.PathLike | None = None) -> bool:
    """True when the real Robotouille can be loaded (from `repo_dir` or $ROBOTOUILLE_REPO)."""
    try:
        _load(repo_dir)
    except RuntimeError:
        return False
    return True


def _sort_entities(layout: dict) -> None:
    # Robotouille orders each kind by (x, y), stably; sorting again later is a no-op.
    for field in ENTITY_FIELDS:
        if layout.get(field):
            layout[field].sort(key=lambda entity: (entity["x"], entity["y"]))


def load_example(
    name: str,
    seed: int | None = None,
    *,
    repo_dir: str | os.PathLike | None = None,
    wildcard_seed: int | None = None,
) -> tuple[dict, int | None]:
    """Return ``(layout, effective_seed)`` for an example file, e.g. "synchronous/3_burger".

    `layout` is in Robotouille's un-numbered input format, entities sorted by (x, y). With a
    `seed`, it is the layout Robotouille's procedural generator makes (retrying with seed+1
    on failure, as `create_robotouille_env` does) and `effective_seed` is the seed that
    succeeded; without one, `effective_seed` is None. ``reset(layout)`` reproduces the
    initial state of ``create_robotouille_env(name, seed)``. Wildcard names ("item",
    "station") are resolved by Robotouille with the global `random` module, unseeded; pass
    `wildcard_seed` to make that choice reproducible. The global random state is restored.
    """
    rt = _load(repo_dir)
    saved = random.getstate()
    try:
        if wildcard_seed is not None:
            random.seed(wildcard_seed)
        layout = rt.builder.load_environment(f"{name}.json")
        effective = None
        if seed is not None:
            effective = int(seed)
            for _ in range(_MAX_SEED_RETRIES):
                try:
                    layout = rt.generator.randomize_environment(layout, effective, False)
                    break
                except Exception:
                    effective += 1
            else:
                raise RuntimeError(f"procedural generation failed for {name} from seed {seed}")
    finally:
        random.setstate(saved)
    for field in ENTITY_FIELDS:
        for entity in layout.get(field) or ():
            for tag in _GENERATOR_TAGS:
                entity.pop(tag, None)
    _sort_entities(layout)
    return layout, effective


def _as_layout(layout: Any) -> dict:
    if hasattr(layout, "to_robotouille_json"):
        layout = layout.to_robotouille_json()
    if not isinstance(layout, dict):
        raise TypeError(f"expected a Robotouille layout dict, got {type(layout).__name__}")
    layout = copy.deepcopy(layout)
    for field in ENTITY_FIELDS:
        for entity in layout.get(field) or ():
            if entity["name"] in WILDCARDS:
                raise ValueError(f"wildcard name {entity['name']!r} in {field}; resolve it first")
    _sort_entities(layout)
    return layout


class RobotouilleAdapterEnv:
    """The real Robotouille simulator behind a string-action ``reset``/``step`` interface."""

    def __init__(self, repo_dir: str | os.PathLike | None = None):
        self._rt = _load(repo_dir)
        self._env: Any = None
        self._layout: dict | None = None
        self._obs = ""
        self._valid: list[str] = []
        self._done = False
        self._steps = 0
        self._index: dict[str, list] = {}
        self._index_source: Any = None

    @property
    def repo(self) -> Path:
        return self._rt.repo

    @property
    def raw_env(self) -> Any:
        """The underlying `robotouille.env.RobotouilleEnv` (None before `reset`)."""
        return self._env

    @property
    def observation(self) -> str:
        return self._obs

    @property
    def done(self) -> bool:
        return self._done

    @property
    def steps(self) -> int:
        return self._steps

    def valid_actions(self) -> list[str]:
        """Valid action strings of the current state, in Robotouille's order."""
        return list(self._valid)

    def reset(self, layout: Any) -> tuple[str, dict]:
        """Build the real env from a layout dict (or an object with `to_robotouille_json()`)."""
        layout = _as_layout(layout)
        rt = self._rt
        with _inside(rt.repo):
            grid, tiling = rt.parse_layout(layout)
            _, numbered = rt.builder.build_problem(layout)
            renderer = rt.Renderer(
                config_filename="robotouille_config.json",
                layout=grid,
                tiling=tiling,
                players=numbered["players"],
            )
            env = rt.Env(copy.deepcopy(rt.domain_json), numbered, renderer)
            obs, _ = env.reset()
        self._env, self._layout = env, layout
        self._set_obs(obs)
        self._done = env.current_state.is_goal_reached()
        self._steps = 0
        return obs, {"valid_actions": self.valid_actions(), "invalid": False, "steps": 0}

    def step(self, action_text: str) -> tuple[str, float, bool, dict]:
        """Apply the valid action whose string equals `action_text`; otherwise change nothing.

        reward is 1.0 when a valid action was applied and the goal holds afterwards.
        """
        if self._env is None:
            raise RuntimeError("call reset() first")
        self._steps += 1
        grounding = self._grounding(action_text) if action_text in self._valid else None
        if grounding is None:
            info = {"valid_actions": self.valid_actions(), "invalid": True, "steps": self._steps}
            return self._obs, 0.0, self._done, info
        obs, _, done, _ = self._env.step([grounding])
        self._set_obs(obs)
        self._done = bool(done)
        info = {"valid_actions": self.valid_actions(), "invalid": False, "steps": self._steps}
        return obs, 1.0 if done else 0.0, self._done, info

    def clone(self) -> RobotouilleAdapterEnv:
        """An independent copy (Robotouille's own deepcopy of the env, which rebuilds it)."""
        twin = RobotouilleAdapterEnv.__new__(RobotouilleAdapterEnv)
        twin._rt = self._rt
        with _inside(self._rt.repo):  # RobotouilleEnv.__init__ reads domain/input.json
            twin._env = copy.deepcopy(self._env)
        twin._layout = self._layout
        twin._obs, twin._valid = self._obs, list(self._valid)
        twin._done, twin._steps = self._done, self._steps
        twin._index, twin._index_source = {}, None
        return twin

    def copy_state(self) -> Any:
        """A deep copy of the current `backend.state.State` only."""
        return copy.deepcopy(self._env.current_state)

    def _grounding(self, action_text: str) -> tuple | None:
        """The first valid (Action, args) whose string is `action_text`, in Robotouille's order.

        Same choice as ``strings.index(action_text)`` on ``get_valid_actions_and_str()``, without
        checking every grounded action (the string-to-groundings index is rebuilt whenever the
        state's action table is, e.g. after an object is created).
        """
        state = self._env.current_state
        if self._index_source is not state.actions:
            index: dict[str, list] = {}
            for action, arg_dicts in state.actions.items():
                for args in arg_dicts:
                    text = action.get_language_description(args)
                    index.setdefault(text, []).append((action, args))
            self._index, self._index_source = index, state.actions
        for action, args in self._index.get(action_text, ()):
            if action.is_valid(state, args):
                return action, args
        return None

    def _set_obs(self, obs: str) -> None:
        # The observation embeds the valid-action list between fixed markers; reuse it.
        self._obs = obs
        head, _, tail = obs.rpartition("\n\nValid Actions:\n")
        suffix = f"\n\nGoal: {self._env.current_state.goal_description}"
        if not head or not tail.endswith(suffix):
            _, strings = self._env.current_state.get_valid_actions_and_str()
            self._valid = list(strings)
            return
        body = tail[: -len(suffix)]
        self._valid = body.split("\n") if body else []
