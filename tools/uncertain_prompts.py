"""GRPO prompts where a checkpoint is unsure: a task's RL train rows whose expert reply the
checkpoint gives with probability in [--low, --high).

    python tools/uncertain_prompts.py --task cheeseburger \
        --checkpoint results/demo/sft/cheeseburger --results results/demo --out /tmp/uncertain \
        [--low 0.05] [--high 0.8]

Scores every SFT train row (the same states as the RL rows, in the same order) by the
probability of its whole answer (thought and action) under the checkpoint, one
teacher-forced forward pass per row, and writes `{out}/datasets/{task}/`: the source
folder's files with `rl_train.parquet` cut to the rows in the band and a manifest with their
hashes, so the grpo stage reads it with `paths.datasets={out}`. A group of completions on a
prompt the model always or never gets right scores alike and teaches GRPO nothing; this
keeps the prompts where the group's rewards differ (the learning study, row 85).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

from stgrpo import paths
from stgrpo.data.datasets import RL_SCHEMA, SFT_SCHEMA, read_checked, write_parquet
from stgrpo.io import write_json

BATCH = 32


def answer_probabilities(checkpoint: Path, chats: list[list[dict]]) -> list[float]:
    """P(last message | the ones before it) under the checkpoint, per chat."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint).eval()
    probabilities = []
    for start in range(0, len(chats), BATCH):
        pairs = []
        for chat in chats[start : start + BATCH]:
            prompt = tokenizer.apply_chat_template(
                chat[:-1], tokenize=False, add_generation_prompt=True
            )
            full = tokenizer.apply_chat_template(chat, tokenize=False)
            ids = tokenizer(full, add_special_tokens=False).input_ids
            pairs.append((len(tokenizer(prompt, add_special_tokens=False).input_ids), ids))
        width = max(len(ids) for _, ids in pairs)
        tokens = torch.zeros((len(pairs), width), dtype=torch.long)
        mask = torch.zeros_like(tokens)
        for row, (_, ids) in enumerate(pairs):
            tokens[row, : len(ids)], mask[row, : len(ids)] = torch.tensor(ids), 1
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=tokens, attention_mask=mask).logits, -1)
        for row, (cut, ids) in enumerate(pairs):
            target = torch.tensor(ids[cut:])[:, None]
            total = logp[row, cut - 1 : len(ids) - 1].gather(1, target).sum().item()
            probabilities.append(math.exp(total))
    return probabilities


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True)
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--results", required=True, type=Path, help="the datasets' root")
    parser.add_argument("--out", required=True, type=Path, help="root of the new datasets")
    parser.add_argument("--low", type=float, default=0.05)
    parser.add_argument("--high", type=float, default=0.8)
    args = parser.parse_args(argv)
    if not 0 <= args.low < args.high <= 1:
        parser.error(f"need 0 <= --low < --high <= 1, got {args.low} and {args.high}")
    source = paths.datasets(args.results, args.task)
    sft = read_checked(source / "sft_train.parquet", SFT_SCHEMA).to_pylist()
    rl = read_checked(source / "rl_train.parquet", RL_SCHEMA).to_pylist()
    if len(sft) != len(rl):
        parser.error(f"{source}: the SFT and RL train files differ in rows ({len(sft)}, {len(rl)})")
    scores = answer_probabilities(args.checkpoint, [row["messages"] for row in sft])
    kept = [row for row, p in zip(rl, scores, strict=True) if args.low <= p < args.high]
    for index, row in enumerate(kept):
        row["extra_info"]["index"] = index
    out = paths.datasets(args.out, args.task)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out)
    manifest = json.loads((source / "manifest.json").read_text())
    digest = write_parquet(out / "rl_train.parquet", kept, RL_SCHEMA)
    manifest["files"]["rl_train.parquet"] = {"rows": len(kept), "sha256": digest}
    manifest["uncertain"] = {"low": args.low, "high": args.high, "scored": len(scores)}
    write_json(out / "manifest.json", manifest)
    print(f"{args.task}: {len(kept)} of {len(rl)} RL prompts in [{args.low}, {args.high}) -> {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
