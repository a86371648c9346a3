"""One small inference interface: a batch of chat conversations in, one text per chat out.

Every consumer (the LLM expert, evaluation, prompted baselines) talks to a `ChatBackend`;
which engine answers (Hugging Face transformers, vLLM, or a scripted policy in tests) is a
config value. Backends register a factory under a name in `BACKENDS`; stgrpo.models.backends
builds one by name or from a config group.
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
