"""tools/uncertain_prompts.py: RL prompts cut to those whose expert answer a checkpoint is
unsure of."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

from stgrpo.data.datasets import RL_SCHEMA, SFT_SCHEMA, read_checked, rows, write_parquet
from stgrpo.expert.trajectories import recipe_episode
from stgrpo.io import sha256_file, write_json
from stgrpo.kitchen.generate import generate_layout

TOOL = Path(__file__).resolve().parents[1] / "tools" / "uncertain_prompts.py"
spec = importlib.util.spec_from_file_location("uncertain_prompts", TOOL)
uncertain = importlib.util.module_from_spec(spec)
spec.loader.exec_module(uncertain)

TASK = "cheese_sandwich"


def _source(root: Path) -> Path:
    layout = generate_layout(TASK, 0)
    records = [
        {"layout": layout.content_hash, "episode": 0, "task": TASK, **step}
        for step in recipe_episode((layout, "0", "first", 0))
    ]
    sft, rl = rows(records, TASK, "react-dish-v7", "expert")
    folder = root / "datasets" / TASK
    folder.mkdir(parents=True)
    files = {}
    for name, table, schema in (
        ("sft_train.parquet", sft, SFT_SCHEMA),
        ("rl_train.parquet", rl, RL_SCHEMA),
        ("rl_val.parquet", rl[:2], RL_SCHEMA),
    ):
        files[name] = {"rows": len(table), "sha256": write_parquet(folder / name, table, schema)}
    write_json(folder / "manifest.json", {"files": files})
    return folder


def _direct_probability(model_path: Path, chat: list[dict]) -> float:
    """The answer's probability, one token at a time (no batching, no padding)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path).eval()
    prompt = tokenizer.apply_chat_template(chat[:-1], tokenize=False, add_generation_prompt=True)
    ids = tokenizer(tokenizer.apply_chat_template(chat, tokenize=False), add_special_tokens=False)
    ids, cut = ids.input_ids, len(tokenizer(prompt, add_special_tokens=False).input_ids)
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0], -1)
    return math.exp(sum(logp[i - 1, ids[i]].item() for i in range(cut, len(ids))))


def test_only_rows_in_the_band_are_kept_and_scores_match_a_direct_computation(tmp_path, tiny_model):
    source = _source(tmp_path / "src")
    sft = read_checked(source / "sft_train.parquet", SFT_SCHEMA).to_pylist()
    chats = [row["messages"] for row in sft]
    scores = uncertain.answer_probabilities(tiny_model, chats)
    for chat, score in zip(chats[:3], scores, strict=False):
        assert math.isclose(score, _direct_probability(tiny_model, chat), rel_tol=1e-3)
    ordered = sorted(scores)
    low, high = ordered[1], ordered[-2]  # a band that drops the two ends at least
    uncertain.main(
        [
            *("--task", TASK, "--checkpoint", str(tiny_model)),
            *("--results", str(tmp_path / "src"), "--out", str(tmp_path / "out")),
            *("--low", str(low), "--high", str(high)),
        ]
    )
    out = tmp_path / "out" / "datasets" / TASK
    kept = read_checked(out / "rl_train.parquet", RL_SCHEMA).to_pylist()
    source_rl = read_checked(source / "rl_train.parquet", RL_SCHEMA).to_pylist()
    expected = [r["prompt"] for r, p in zip(source_rl, scores, strict=True) if low <= p < high]
    assert [r["prompt"] for r in kept] == expected and 0 < len(kept) < len(source_rl)
    assert [r["extra_info"]["index"] for r in kept] == list(range(len(kept)))
    manifest = json.loads((out / "manifest.json").read_text())
    for name, entry in manifest["files"].items():
        assert sha256_file(out / name) == entry["sha256"]
