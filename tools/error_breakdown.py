"""Where a checkpoint's single-step errors are, by what the expert's answer needs (learning study).

    python tools/error_breakdown.py CHECKPOINT DATASET_DIR [--rows 300]

For each validation row of DATASET_DIR/sft_val.parquet written with an aim thought
(`react-dish-*` templates: "I need X at S." or "I put X on Y at S."), CHECKPOINT answers the
prompt greedily, and the row is counted in one kind:

* `need, here`: the item to take lies where the robot stands (S is the robot's line);
* `need, away`: S must be found in the item's own line (a lookup by content);
* `put, here` / `put, away`: the robot holds the item and S is the dish's
  station, read off the progress line.

Prints per kind: rows, the share with the right action, and with the right S in the thought.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict

NEED = re.compile(r"I need (\w+) at (\w+)(?: \(here\))?\.")  # v7 marks the robot's station
PUT = re.compile(r"I put (\w+) on (\w+) at (\w+)(?: \(here\))?\.")


def kind_and_station(user: str, answer: str) -> tuple[str, str] | None:
    """The row's kind and the expert's station S, or None for other thoughts."""
    robot = re.search(r"robot1 at (\w+)", user).group(1)
    thought = answer.split("\n")[0]
    for verb, pattern in (("need", NEED), ("put", PUT)):
        match = pattern.search(thought)
        if match:
            station = match.groups()[-1]
            where = "here" if station == robot else "away"
            return f"{verb}, {where}", station
    return None


def main() -> None:
    import pandas as pd
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("dataset_dir")
    parser.add_argument("--rows", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint)
    model = AutoModelForCausalLM.from_pretrained(args.checkpoint).eval()
    rows = pd.read_parquet(f"{args.dataset_dir}/sft_val.parquet").head(args.rows)
    counts = defaultdict(lambda: [0, 0, 0])  # rows, action right, station right
    for chat in rows.messages:
        prompt, answer = list(chat[:-1]), chat[-1]["content"]
        found = kind_and_station(prompt[-1]["content"], answer)
        if found is None:
            continue
        kind, station = found
        text = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(**ids, max_new_tokens=48, do_sample=False)
        reply = tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
        expected = answer.split("Action:")[-1].strip()
        got = reply.split("Action:")[-1].strip().split("\n")[0]
        thought = (NEED.search(reply) or PUT.search(reply)) if "Thought" in reply else None
        counts[kind][0] += 1
        counts[kind][1] += got == expected
        counts[kind][2] += bool(thought) and thought.groups()[-1] == station
    print(f"{'kind':18s} {'rows':>5s} {'action right':>13s} {'S right':>8s}")
    for kind in sorted(counts):
        n, action, place = counts[kind]
        print(f"{kind:18s} {n:5d} {action / n:13.2f} {place / n:8.2f}")


if __name__ == "__main__":
    main()
