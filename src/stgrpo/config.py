"""Hydra configuration for every stage, and the command-line plumbing they share.

Each stage's CLI takes Hydra overrides (`python -m stgrpo.stages.trajectories task=burger
expert=llm ...`) and composes `config/config.yaml` with them through Hydra's compose API, so
a Snakemake rule passes overrides straight through and nothing writes to `outputs/` or
changes directory. Expected failures (a bad override, a missing file, a layout that does
not parse) end with one line naming the key or file, and exit status 2.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from stgrpo import paths

log = logging.getLogger(__name__)

CONFIG_DIR = Path(
    os.environ.get("STGRPO_CONFIG_DIR", Path(__file__).resolve().parents[2] / "config")
)


class ConfigError(ValueError):
    """A configuration value is missing or not what the stage expects."""


class StageError(RuntimeError):
    """An expected failure of a stage's work (unsolvable layout, empty input ...)."""


def compose(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """The root config with `overrides` applied (Hydra override grammar)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import ConfigCompositionException

    if not CONFIG_DIR.is_dir():
        raise ConfigError(f"config directory {CONFIG_DIR} not found (set STGRPO_CONFIG_DIR)")
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        try:
            return hydra_compose(config_name=config_name, overrides=list(overrides))
        except ConfigCompositionException as exc:
            error = _unknown_key(exc, overrides)
            if error is None:
                raise
            raise error from None


def _unknown_key(exc: BaseException, overrides: Sequence[str]) -> ConfigError | None:
    """Hydra's "Could not override 'grpo.lrr'" as one line naming the override and the keys
    it could have meant (None for any other composition error)."""
    from omegaconf import DictConfig

    cause = exc.__cause__
    parent, key = getattr(cause, "parent_node", None), getattr(cause, "key", None)
    if not isinstance(parent, DictConfig) or not key:
        return None
    unknown = str(cause.full_key)  # grpo.lrr (or grpo.sub of grpo.sub.x=1)
    section = unknown[: -len(str(key))].rstrip(".")
    override = next(
        (o for o in overrides if (o.split("=", 1)[0].lstrip("+~") + ".").startswith(unknown + ".")),
        unknown,
    )
    keys = [k for k in parent if k != "hydra"]
    close = difflib.get_close_matches(str(key), keys, n=1)
    if close:
        expected = f"did you mean '{'.'.join(filter(None, [section, close[0]]))}'?"
    else:
        expected = f"{repr(section) if section else 'the config'} has keys {keys}"
    return ConfigError(
        f"override {override!r} names no config key '{unknown}': {expected} "
        f"(a + prefix adds a new key)"
    )


def require(
    cfg: DictConfig,
    key: str,
    kind: type | tuple[type, ...],
    *,
    choices: Sequence | None = None,
    minimum: int | None = None,
):
    """`cfg[key]` (a dotted key), checked: its type, and its choices or minimum if given."""
    value = OmegaConf.select(cfg, key, throw_on_missing=False)
    if value is None:
        raise ConfigError(f"config key '{key}' is missing")
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int subclass: `true` is no count unless bool is asked for
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise ConfigError(
            f"config key '{key}' must be {' or '.join(k.__name__ for k in kinds)}, got {value!r}"
        )
    if choices is not None and value not in choices:
        raise ConfigError(f"config key '{key}' must be one of {list(choices)}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"config key '{key}' must be at least {minimum}, got {value!r}")
    return value


def stage_root(cfg: DictConfig, stage: str) -> Path:
    """The folder under which `stage` writes its outputs (`paths.{stage}`, by default the
    experiment's `results_dir`); later stages read them from there."""
    return Path(require(cfg, f"paths.{stage}", str))


def checkpoint_dir(cfg: DictConfig, stage: str, task: str | None = None) -> Path:
    """`{paths.<stage>}/{stage}/{task}`: the finished checkpoint of a training stage (of
    `cfg.task` unless another task is named)."""
    return paths.checkpoint(stage_root(cfg, stage), stage, task or cfg.task)


def to_yaml(cfg: DictConfig) -> str:
    """The fully resolved config, as written next to a stage's outputs."""
    return OmegaConf.to_yaml(cfg, resolve=True, sort_keys=True)


def expected_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean bad input or config, reported in one line."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from stgrpo.kitchen.layout import LayoutError

    return (
        ConfigError,
        StageError,
        LayoutError,
        FileNotFoundError,
        HydraException,
        OmegaConfBaseException,
    )


def check_syntax(overrides: Sequence[str]) -> None:
    """Each override parses in Hydra's grammar (else an error naming that override)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    for override in overrides:
        try:
            parser.parse_overrides([override])
        except HydraException as exc:
            first = str(exc).splitlines()[0]
            raise ConfigError(
                f"override {override!r} is not valid Hydra syntax ({first}); "
                f"expected key=value, e.g. grpo.lr=1e-5"
            ) from None


# Secrets live in the environment only (read there by huggingface_hub, vLLM, verl and W&B);
# a config value would be written into every config.yaml and manifest beside the outputs.
SECRETS = {"HF_TOKEN": "a Hugging Face token", "WANDB_API_KEY": "a Weights & Biases key"}
_SECRET_KEY = re.compile(r"(token|api_?key|password|secret)$", re.IGNORECASE)


def check_no_secrets(overrides: Sequence[str]) -> None:
    """No override sets a key that looks like a secret (it would be written to disk)."""
    for override in overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        if "=" in override and _SECRET_KEY.search(key.rsplit(".", 1)[-1]):
            raise ConfigError(
                f"override {key!r} looks like a secret: config values are written "
                f"next to every output; set it in the environment instead "
                f"({', '.join(SECRETS)})"
            )


def run_cli(
    main: Callable[[DictConfig], None], argv: Sequence[str] | None = None, description: str = ""
) -> None:
    """Compose the config from command-line overrides and run `main(cfg)`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(
            f"{description}\n\nusage: python -m <module> [key=value ...]  "
            f"(Hydra overrides on {CONFIG_DIR / 'config.yaml'})"
        )
        return
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    with exit_on_expected_errors():
        check_syntax(argv)
        check_no_secrets(argv)
        cfg = compose(argv)
        main(cfg)


@contextmanager
def exit_on_expected_errors() -> Iterator[None]:
    """An expected failure (`expected_errors()`) ends the process with one line on stderr
    and exit status 2, for the stage CLIs and the Snakefile alike; anything else keeps its
    traceback."""
    try:
        yield
    except expected_errors() as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        raise SystemExit(2) from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    cause = exc.__cause__
    if cause is not None and str(cause).strip() and str(cause) not in text:
        text = f"{text}: {str(cause).strip()}"
    return " ".join(text.split())
