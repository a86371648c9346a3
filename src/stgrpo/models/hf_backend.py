"""The `hf` backend: batched transformers `generate` with left padding.

Greedy when `temperature == 0` (deterministic); sampled otherwise, seeded per call.
Prompts are rendered with the tokenizer's chat template (`add_generation_prompt=True`);
generation stops at the tokenizer's end-of-turn token or `max_tokens`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from stgrpo.models.inference import Chat, Sampling, register


@register("hf")
class HFBackend:
    """A transformers causal LM and its tokenizer, answering chats in batches.

    Args:
        model: A hub name or a local Hugging Face folder.
        batch_size: Chats per `generate` call of the model.
        dtype: A torch dtype name, e.g. `float32` or `bfloat16`.
        device: Where the model runs; None: `cuda` if available, else `cpu`.
        threads: If set, torch's CPU thread count (process-wide).

    Raises:
        ValueError: A path-like `model` with no config.json, or a tokenizer with no chat
            template.
        OSError: transformers cannot find or read the model.
    """

    def __init__(
        self,
        model: str,
        batch_size: int = 32,
        dtype: str = "float32",
        device: str | None = None,
        threads: int | None = None,
    ):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        check_model_source(model)
        if threads:
            torch.set_num_threads(threads)
        tokenizer = AutoTokenizer.from_pretrained(model, padding_side="left")
        if not tokenizer.chat_template:
            raise ValueError(f"{model}: the tokenizer has no chat template")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        loaded = AutoModelForCausalLM.from_pretrained(model, dtype=getattr(torch, dtype))
        self._use(loaded.to(device).eval(), tokenizer, batch_size)

    @classmethod
    def wrap(cls, model, tokenizer, batch_size: int = 32) -> HFBackend:
        """A backend around a model already in memory (a trainer's, for validation).

        It generates in eval mode and puts the model back in the mode it found it in.

        Args:
            model: A transformers causal LM; it runs where its parameters are.
            tokenizer: Its tokenizer, with a chat template; a missing pad token is set to
                the end-of-sequence token.
            batch_size: Chats per `generate` call of the model.

        Returns:
            The backend; the model is shared, not copied.
        """
        backend = cls.__new__(cls)
        backend._use(model, tokenizer, batch_size)
        return backend

    def _use(self, model, tokenizer, batch_size: int) -> None:
        import torch

        self.torch = torch
        self.model, self.tokenizer, self.batch_size = model, tokenizer, batch_size
        self.device = next(model.parameters()).device
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def generate(self, chats: Sequence[Chat], sampling: Sampling) -> list[str]:
        """The assistant's reply to each chat, in order.

        Args:
            chats: The conversations, rendered with the tokenizer's chat template.
            sampling: Greedy at temperature 0; sampled otherwise, each batch seeding torch's
                global generator with `sampling.seed` plus the index of its first chat.

        Returns:
            One reply text per chat, special tokens (the end-of-turn token) left out; []
            for no chats.
        """
        return [
            self.tokenizer.decode(ids, skip_special_tokens=True)
            for ids in self.generate_ids(chats, sampling)
        ]

    def generate_ids(self, chats: Sequence[Chat], sampling: Sampling) -> list[list[int]]:
        """The new token ids of each reply.

        Args:
            chats: As for `generate`.
            sampling: As for `generate`.

        Returns:
            Per chat, the generated ids up to and including the first end-of-turn token (the
            tokenizer's or the generation config's), or `max_tokens` ids if none came.
        """
        texts = [
            self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
            for chat in chats
        ]
        replies: list[list[int]] = []
        for start in range(0, len(texts), self.batch_size):
            replies += self._batch(texts[start : start + self.batch_size], sampling, start)
        return replies

    def _batch(self, texts: list[str], sampling: Sampling, offset: int) -> list[list[int]]:
        torch = self.torch
        inputs = self.tokenizer(
            texts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False
        ).to(self.device)
        options = {
            "max_new_tokens": sampling.max_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if sampling.temperature > 0:
            torch.manual_seed(sampling.seed + offset)
            options.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                output = self.model.generate(**inputs, **options)
        finally:
            self.model.train(was_training)
        stops = {self.tokenizer.eos_token_id, *_ids(self.model.generation_config.eos_token_id)}
        return [
            _until_stop(row.tolist(), stops) for row in output[:, inputs["input_ids"].shape[1] :]
        ]


def _ids(value) -> list[int]:
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def _until_stop(ids: list[int], stops: set[int]) -> list[int]:
    """Generated ids up to the first stop token (kept); the padding after it dropped."""
    for index, token in enumerate(ids):
        if token in stops:
            return ids[: index + 1]
    return ids


def check_model_source(model: str) -> None:
    """Fail early, with a clear message, on a local model folder that is not there.

    Args:
        model: A hub name or a path; it counts as a path when it starts with `.`, `/` or
            `~`, or names something that exists.

    Raises:
        ValueError: A path-like `model` that is not a folder holding config.json.
    """
    looks_local = model.startswith((".", "/", "~")) or Path(model).exists()
    if looks_local and not (Path(model).expanduser() / "config.json").is_file():
        raise ValueError(f"model folder {model} not found or has no config.json")
