"""One small inference interface: a batch of chat conversations in, one text per chat out.

Every consumer (the LLM expert, evaluation, prompted baselines) talks to a `ChatBackend`;
which engine answers (Hugging Face transformers, vLLM, or a scripted policy in tests) is a
config value. Backends register a factory under a name in `BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

Chat = list[dict[str, str]]  # [{"role": "system" | "user" | "assistant", "content": ...}]


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0  # 0: greedy decoding
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int = 0  # for sampled decoding; each call should pass a fresh, derived seed

    def __post_init__(self):
        if self.temperature < 0 or not 0 < self.top_p <= 1 or self.max_tokens < 1:
            raise ValueError(f"invalid sampling settings: {self}")


class ChatBackend(Protocol):
    def generate(self, chats: Sequence[Chat], sampling: Sampling) -> list[str]:
        """The assistant's reply to each chat, in order."""
        ...


BACKENDS: dict[str, Callable[..., ChatBackend]] = {}


def register(name: str):
    """Class or function decorator: make a backend factory available under `name`."""

    def wrap(factory):
        BACKENDS[name] = factory
        return factory

    return wrap


def make_backend(name: str, model: str, **options) -> ChatBackend:
    """The backend `name` serving `model` (a hub name or a local Hugging Face folder)."""
    _load_builtin_backends()
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown inference backend {name!r}; available: {sorted(BACKENDS)}"
        ) from None
    return factory(model, **options)


def sampling_from_config(cfg, group: str) -> Sampling:
    """`{group}.sampling` (e.g. `expert`, `eval`) with the run's seed; a bad value names the
    key."""
    from omegaconf import OmegaConf

    from stgrpo.config import ConfigError

    try:
        return Sampling(seed=cfg.seed, **OmegaConf.to_container(cfg[group].sampling))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config key '{group}.sampling': {exc}") from None


def backend_from_config(cfg, group: str, model: str) -> ChatBackend:
    """`{group}.backend` serving `model`, with `{group}.backend_options` as keywords. An
    unknown backend is a config error; a model that does not load is a stage error."""
    from omegaconf import OmegaConf
    from safetensors import SafetensorError  # a truncated or corrupt weights file

    from stgrpo.config import ConfigError, StageError, require

    name = require(cfg, f"{group}.backend", str)
    _load_builtin_backends()
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


def _load_builtin_backends() -> None:
    """Register the built-in backends (their engines are imported only when constructed)."""
    import stgrpo.models.hf_backend
    import stgrpo.models.vllm_backend  # noqa: F401
