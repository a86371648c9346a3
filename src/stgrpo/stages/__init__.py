"""One module per Snakemake rule, named as the rule and its results folder: each reads its
settings from the composed config, checks them before any work, calls the library packages
and writes the stage's outputs (`python -m stgrpo.stages.<rule> key=value ...`).

The helpers here turn config groups into the library's objects for the stages that serve a
model (evaluate, trajectories with an LLM expert); the library itself takes no config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from stgrpo.config import ConfigError, StageError, require

if TYPE_CHECKING:
    from stgrpo.models.inference import ChatBackend, Sampling


def sampling_from_config(cfg: DictConfig, group: str) -> Sampling:
    """The sampling settings of a config group, with the run's seed.

    Args:
        cfg: The stage's config; it reads `seed` and `{group}.sampling`.
        group: The config group, e.g. `expert` or `eval`.

    Returns:
        `Sampling(seed=cfg.seed, **cfg[group].sampling)`.

    Raises:
        ConfigError: An unknown or invalid sampling setting (the message names the key).
    """
    from stgrpo.models.inference import Sampling

    try:
        return Sampling(seed=cfg.seed, **OmegaConf.to_container(cfg[group].sampling))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config key '{group}.sampling': {exc}") from None


def backend_from_config(cfg: DictConfig, group: str, model: str) -> ChatBackend:
    """The backend a config group names, serving `model`.

    Args:
        cfg: The stage's config; it reads `{group}.backend` and, if present,
            `{group}.backend_options` (keywords for the backend's constructor).
        group: The config group, e.g. `expert` or `eval`.
        model: A hub name or a local Hugging Face folder.

    Returns:
        The constructed backend.

    Raises:
        ConfigError: `{group}.backend` is missing, not a string, or not a registered
            backend.
        StageError: The model does not load: the backend raised OSError, ValueError or
            SafetensorError (a missing folder, a corrupt weights file, a tokenizer with no
            chat template). Other errors of the constructor, such as a TypeError for an
            option it does not take, pass through.
    """
    from safetensors import SafetensorError  # a truncated or corrupt weights file

    from stgrpo.models.backends import make_backend
    from stgrpo.models.inference import BACKENDS

    name = require(cfg, f"{group}.backend", str)
    if name not in BACKENDS:
        raise ConfigError(
            f"config key '{group}.backend' must be one of {sorted(BACKENDS)}, got {name!r}"
        )
    options = cfg[group].get("backend_options")
    options = OmegaConf.to_container(options, resolve=True) if options is not None else {}
    try:
        return make_backend(name, model, **options)
    except (OSError, ValueError, SafetensorError) as exc:
        raise StageError(f"model {model} does not load ({group}.backend={name}): {exc}") from None
