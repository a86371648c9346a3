"""Single-turn datasets from expert trajectories: one row per expert step.

* SFT parquet in verl's `messages` schema: [system, user, assistant] per row.
* RL parquet in verl's schema: `data_source`, `prompt` (the chat without the answer),
  `ability`, `reward_model{style, ground_truth=expert action}`, `extra_info{task, layout,
  episode, step, optimal_actions, reward_mode, template, template_hash, index}`.
* The same files as Hugging Face datasets for TRL: `load_sft_for_trl` gives
  prompt/completion chats (loss on the completion only), `load_rl_for_trl` gives `prompt`
  plus the columns our reward reads.
Train and validation split by layout, never by step: no state of a validation layout is
seen in training. Same trajectories + config give byte-identical files.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from stgrpo.data.feedback import sample_rejected
from stgrpo.data.prompts import (
    answer_thought,
    build_messages,
    format_response,
    template_hash,
    template_option,
)
from stgrpo.io import atomic_open, sha256_file

ABILITY = "planning"
MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
SFT_SCHEMA = pa.schema(
    [
        ("messages", pa.list_(MESSAGE)),
        ("task", pa.string()),
        ("layout", pa.string()),
        ("step", pa.int64()),
    ]
)
EXTRA_INFO = pa.struct(
    [
        ("task", pa.string()),
        ("layout", pa.string()),
        ("episode", pa.int64()),
        ("step", pa.int64()),
        ("index", pa.int64()),
        ("optimal_actions", pa.list_(pa.string())),
        ("reward_mode", pa.string()),
        ("template", pa.string()),
        ("template_hash", pa.string()),
    ]
)
RL_SCHEMA = pa.schema(
    [
        ("data_source", pa.string()),
        ("prompt", pa.list_(MESSAGE)),
        ("ability", pa.string()),
        ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
        ("extra_info", EXTRA_INFO),
    ]
)


def split_layouts(layouts: Sequence[str], val_fraction: float, seed: int) -> set[str]:
    """The validation layouts: a seeded, order-independent choice of ceil(fraction * n)
    (at least one when there are two or more layouts and the fraction is positive)."""
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction}")
    unique = sorted(set(layouts))
    wanted = math.ceil(val_fraction * len(unique)) if val_fraction > 0 else 0
    wanted = min(wanted, len(unique) - 1) if len(unique) > 1 else 0
    ranked = sorted(unique, key=lambda h: hashlib.sha256(f"{seed}:{h}".encode()).hexdigest())
    return set(ranked[:wanted])


def rows(
    records: list[dict],
    task: str,
    template: str,
    reward_mode: str,
    feedback_share: float = 0.0,
    seed: int = 0,
):
    """(SFT rows, RL rows) for the given step records, in file order. With
    `feedback_share` > 0, that share of the records (a seeded choice per step) also gives a
    second row whose prompt names one or two rejected actions (data.feedback), for
    templates with invalid-action feedback; the answer is the same."""
    sft, rl = [], []
    fingerprint = template_hash(template)
    thought_key = {"plan": "thought", "lookup": "lookup_thought", "aim": "aim_thought"}[
        template_option(template, "thought")
    ]
    for index, record in enumerate(records):
        following = records[index + 1] if index + 1 < len(records) else None
        if following is not None and (following["layout"], following["episode"]) != (
            record["layout"],
            record["episode"],
        ):
            following = None
        for rejected in _prompt_variants(record, following, feedback_share, seed):
            prompt = build_messages(
                record["observation"],
                record["valid_actions"],
                template,
                record.get("state"),
                record.get("recipe"),
                record.get("items"),
                record.get("progress"),
                rejected,
            )
            thought = answer_thought(record[thought_key], record["action"], template)
            answer = {"role": "assistant", "content": format_response(thought, record["action"])}
            sft.append(
                {
                    "messages": [*prompt, answer],
                    "task": task,
                    "layout": record["layout"],
                    "step": record["step"],
                }
            )
            rl.append(
                {
                    "data_source": f"stgrpo/{task}",
                    "prompt": prompt,
                    "ability": ABILITY,
                    "reward_model": {"style": "rule", "ground_truth": record["action"]},
                    "extra_info": {
                        "task": task,
                        "layout": record["layout"],
                        "episode": record["episode"],
                        "step": record["step"],
                        "index": len(rl),
                        "optimal_actions": list(record["optimal_actions"]),
                        "reward_mode": reward_mode,
                        "template": template,
                        "template_hash": fingerprint,
                    },
                }
            )
    return sft, rl


def _prompt_variants(
    record: dict, following: dict | None, feedback_share: float, seed: int
) -> list[list[str]]:
    """The rejected-action lists of a record's rows: [[]] (the plain row), plus one list
    for a record drawn into the feedback share (seeded by seed, layout, episode and step),
    made from its action and the episode's next one (data.feedback). A record that names
    its own `rejected` actions (a policy's wasted turns, tools/onpolicy_states.py) gives
    one row with them."""
    if record.get("rejected"):
        return [list(record["rejected"])]
    if feedback_share <= 0:
        return [[]]
    rng = random.Random(f"{seed}:{record['layout']}:{record['episode']}:{record['step']}")
    if rng.random() >= feedback_share:
        return [[]]
    actions = [record["action"]] + ([following["action"]] if following else [])
    rejected = sample_rejected(actions, record["valid_actions"], record.get("items") or "", rng)
    return [[], rejected] if rejected else [[]]


def write_parquet(path: Path, table_rows: list[dict], schema: pa.Schema) -> str:
    """Write rows with an explicit schema (same types in every row); its sha256."""
    table = pa.Table.from_pylist(table_rows, schema=schema)
    with atomic_open(path, "wb") as handle:
        pq.write_table(table, handle, compression="zstd")
    return sha256_file(path)


def read_checked(path: str | Path, schema: pa.Schema) -> pa.Table:
    """A parquet file, checked to have the columns (and types) of `schema`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such dataset file")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"{path}: not a readable parquet file ({exc})") from None
    missing = [f.name for f in schema if f.name not in table.schema.names]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (expected {schema.names})")
    wrong = [f.name for f in schema if table.schema.field(f.name).type != f.type]
    if wrong:
        raise ValueError(f"{path}: columns {wrong} have unexpected types")
    return table


def load_sft_for_trl(path: str | Path):
    """SFT rows as a TRL prompt/completion dataset (conversational)."""
    from datasets import Dataset

    table = read_checked(path, SFT_SCHEMA)
    messages = table.column("messages").to_pylist()
    return Dataset.from_dict(
        {"prompt": [m[:-1] for m in messages], "completion": [m[-1:] for m in messages]}
    )


def load_rl_for_trl(path: str | Path):
    """RL rows as a TRL GRPO dataset: `prompt` plus `ground_truth` and `extra_info`."""
    from datasets import Dataset

    table = read_checked(path, RL_SCHEMA)
    return Dataset.from_dict(
        {
            "prompt": table.column("prompt").to_pylist(),
            "ground_truth": [r["ground_truth"] for r in table.column("reward_model").to_pylist()],
            "extra_info": table.column("extra_info").to_pylist(),
        }
    )
