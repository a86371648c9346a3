"""Inference benchmark: batched vs one-at-a-time generation, and vLLM vs HF, on the tiny model.

Builds the tiny model in a temporary folder (or uses `--model`), takes `--prompts` prompts
from expert steps of the paper's tasks, and generates `--tokens` new tokens greedily.
Baseline, measured in the same run: the HF backend called one prompt at a time. vLLM is
measured when it is importable (make test-vllm builds that environment). Asserts nothing
about time.

    python benchmarks/bench_inference.py [--prompts 32] [--tokens 32] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

from common import model_folder

from stgrpo.data.prompts import build_messages
from stgrpo.expert.trajectories import expert_trajectory
from stgrpo.kitchen import World
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.tasks import PAPER_TASKS
from stgrpo.models.backends import make_backend
from stgrpo.models.inference import Sampling


def prompts(count: int) -> list[list[dict]]:
    chats = []
    seed = 0
    while len(chats) < count:
        for task in PAPER_TASKS:
            world = World.from_layout(generate_layout(task, seed))
            chats += [
                build_messages(s.observation, s.valid_actions, "react-compact-v1", s.state)
                for s in expert_trajectory(world, seed=seed)
            ]
        seed += 1
    return chats[:count]


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="4 prompts, 4 tokens (tests)")
    args = parser.parse_args()
    if args.quick:
        args.prompts, args.tokens = 4, 4
    import torch

    torch.set_num_threads(1)
    with model_folder(args.model) as model:
        chats = prompts(args.prompts)
        sampling = Sampling(max_tokens=args.tokens)
        hf = make_backend("hf", str(model), batch_size=len(chats))
        hf.generate(chats[:1], sampling)  # warm up
        single = timed(lambda: [hf.generate([c], sampling) for c in chats])
        batched = timed(lambda: hf.generate(chats, sampling))
        print(f"{len(chats)} prompts x {args.tokens} tokens, greedy, 1 thread")
        print(f"hf one at a time (baseline) {single:7.2f} s")
        print(f"hf batched                  {batched:7.2f} s  {single / batched:5.1f}x")
        if importlib.util.find_spec("vllm") is None:
            print("vllm                        not installed (make test-vllm builds it)")
            return
        vllm = make_backend("vllm", str(model), dtype="float32", max_model_len=1024)
        vllm.generate(chats[:1], sampling)
        fast = timed(lambda: vllm.generate(chats, sampling))
        print(
            f"vllm batched                {fast:7.2f} s  {single / fast:5.1f}x "
            f"({batched / fast:.1f}x hf batched)"
        )


if __name__ == "__main__":
    main()
