"""Build an inference backend by its registered name.

Importing this module registers the built-in backends (`hf`, `vllm`); their engines
(transformers, vLLM) are imported only when a backend is constructed.
"""

from __future__ import annotations

import stgrpo.models.hf_backend
import stgrpo.models.vllm_backend  # noqa: F401  (registers "vllm")
from stgrpo.models.inference import BACKENDS, ChatBackend


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
