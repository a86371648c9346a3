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
    """Decoding settings for one `generate` call.

    Attributes:
        temperature: 0 for greedy decoding; above 0, sampled.
        top_p: Nucleus sampling mass in (0, 1]; ignored when greedy.
        max_tokens: The most new tokens per reply.
        seed: The seed of sampled decoding.

    Raises:
        ValueError: A negative temperature, `top_p` outside (0, 1], or `max_tokens` < 1.
    """

    temperature: float = 0.0  # 0: greedy decoding
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int = 0  # for sampled decoding; each call should pass a fresh, derived seed

    def __post_init__(self):
        if self.temperature < 0 or not 0 < self.top_p <= 1 or self.max_tokens < 1:
            raise ValueError(f"invalid sampling settings: {self}")


class ChatBackend(Protocol):
    """What every consumer needs of an inference engine: a batch of chats in, replies out."""

    def generate(self, chats: Sequence[Chat], sampling: Sampling) -> list[str]:
        """The assistant's reply to each chat, in order.

        Args:
            chats: The conversations, each a list of `{"role", "content"}` messages.
            sampling: The decoding settings, shared by the whole batch.

        Returns:
            One reply text per chat, in the order of `chats`.
        """
        ...


BACKENDS: dict[str, Callable[..., ChatBackend]] = {}


def register(name: str):
    """Class or function decorator: make a backend factory available under `name`.

    Args:
        name: The backend's config name (`{group}.backend`); a second factory under the
            same name replaces the first.

    Returns:
        The decorator, which returns the factory unchanged.
    """

    def wrap(factory):
        BACKENDS[name] = factory
        return factory

    return wrap


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
    _load_builtin_backends()
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
