"""Build an inference backend by its registered name, or from a config group's settings.

Importing this module registers the built-in backends (`hf`, `vllm`); their engines
(transformers, vLLM) are imported only when a backend is constructed.
"""

from __future__ import annotations

import stgrpo.models.hf_backend
import stgrpo.models.vllm_backend  # noqa: F401  (registers "vllm")
from stgrpo.models.inference import BACKENDS, ChatBackend, Sampling


def make_backend(name: str, model: str, **options) -> ChatBackend:
    """The backend `name` serving `model`.

    Args:
        name: A registered backend name (the built-ins: `hf`, `vllm`).
        model: A hub name or a local Hugging Face folder.
        **options: Keywords for the backend's constructor (e.g. `batch_size` for `hf`).

    Returns:
        The constructed backend, with its model loaded.

    Raises:
        ValueError: `name` is not registered (the message lists those that are); the
            backend's own errors (e.g. a model that does not load) pass through.
    """
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown inference backend {name!r}; available: {sorted(BACKENDS)}"
        ) from None
    return factory(model, **options)


def sampling_from_config(cfg, group: str) -> Sampling:
    """The sampling settings of a config group, with the run's seed.

    Args:
        cfg: The stage's config; it reads `seed` and `{group}.sampling`.
        group: The config group, e.g. `expert` or `eval`.

    Returns:
        `Sampling(seed=cfg.seed, **cfg[group].sampling)`.

    Raises:
        ConfigError: An unknown or invalid sampling setting (the message names the key).
    """
    from omegaconf import OmegaConf

    from stgrpo.config import ConfigError

    try:
        return Sampling(seed=cfg.seed, **OmegaConf.to_container(cfg[group].sampling))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config key '{group}.sampling': {exc}") from None


def backend_from_config(cfg, group: str, model: str) -> ChatBackend:
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
    from omegaconf import OmegaConf
    from safetensors import SafetensorError  # a truncated or corrupt weights file

    from stgrpo.config import ConfigError, StageError, require

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
