"""Does a checkpoint look an item's station up, or copy the robot's? (learning study, row 19)

    python tools/lookup_probe.py CHECKPOINT DATASET_DIR [--rows 200]

For each validation reply of DATASET_DIR/sft_val.parquet that starts "Thought: I need X at S",
the prompt plus "Thought: I need X at" is fed to CHECKPOINT and the next word decoded
greedily. Prints the share right, the share equal to the robot's station, and how often the
right station is the robot's (the shortcut's base rate).
"""

from __future__ import annotations

import argparse
import re


def main() -> None:
    import pandas as pd
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("dataset_dir")
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint)
    model = AutoModelForCausalLM.from_pretrained(args.checkpoint).eval()
    rows = pd.read_parquet(f"{args.dataset_dir}/sft_val.parquet").head(args.rows)
    n = right = robot_answer = robot_right = 0
    for chat in rows.messages:
        match = re.match(r"(Thought: I need \S+ at) (\w+)\.", chat[-1]["content"])
        if not match:
            continue
        prefix, station = match.groups()
        prompt = list(chat[:-1])  # a template's system text, if any, then the state
        robot = re.search(r"robot1 at (\w+)", prompt[-1]["content"]).group(1)
        text = (
            tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
            + prefix
        )
        ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(**ids, max_new_tokens=3, do_sample=False)
        word = tokenizer.decode(out[0][ids["input_ids"].shape[1] :]).strip().split(".")[0]
        n += 1
        right += word == station
        robot_answer += word == robot
        robot_right += station == robot
    if not n:
        raise SystemExit(f"no 'Thought: I need X at S' replies in {args.dataset_dir}")
    print(
        f"n={n} right={right / n:.3f} answers_robot_station={robot_answer / n:.3f} "
        f"robot_station_is_right={robot_right / n:.3f}"
    )


if __name__ == "__main__":
    main()
