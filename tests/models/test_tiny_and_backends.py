"""The local tiny model and the inference backends."""

from __future__ import annotations

import json

import pytest

from stgrpo.data.prompts import build_messages, format_response
from stgrpo.expert.trajectories import expert_trajectory
from stgrpo.kitchen import World
from stgrpo.kitchen.generate import generate_layout
from stgrpo.models.backends import make_backend
from stgrpo.models.inference import Sampling


def test_reloads_with_auto_classes_and_round_trips_text(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    assert model.config.model_type == "qwen2"
    assert tokenizer.eos_token == "<|im_end|>"
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id
    world = World.from_layout(generate_layout("double_cheeseburger", 1))
    lengths = []
    for step in expert_trajectory(world, seed=0):
        prompt = build_messages(
            step.observation, step.valid_actions, "react-compact-v1", step.state
        )
        chat = [
            *prompt,
            {"role": "assistant", "content": format_response(step.thought, step.action)},
        ]
        text = tokenizer.apply_chat_template(chat, tokenize=False)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids) == text  # nothing lost
        prefix = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        assert text.startswith(prefix)  # TRL's completion-only loss needs this
        lengths.append(len(ids))
    assert max(lengths) < 512  # a whole double-cheeseburger step, answer included


def test_same_spec_same_bytes(tiny_model, tmp_path):
    from stgrpo.models.tiny import TinySpec, build

    spec = json.loads((tiny_model / "stgrpo_build.json").read_text())["build"]
    build(TinySpec(**spec), tmp_path / "again")
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert (tmp_path / "again" / name).read_bytes() == (tiny_model / name).read_bytes()


def test_hf_greedy_is_batch_invariant_and_seeded_sampling_repeats(tiny_model):
    backend = make_backend("hf", str(tiny_model), batch_size=3)
    world = World.from_layout(generate_layout("burger", 2))
    chats = [
        build_messages(s.observation, s.valid_actions, "react-compact-v1", s.state)
        for s in expert_trajectory(world, seed=0)
    ][:5]
    greedy = Sampling(max_tokens=12)
    batched = backend.generate(chats, greedy)
    single = [backend.generate([chat], greedy)[0] for chat in chats]
    assert batched == single and len(batched) == 5
    sampled = Sampling(temperature=1.0, max_tokens=12, seed=7)
    assert backend.generate(chats, sampled) == backend.generate(chats, sampled)


def test_bad_models_fail_clearly(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="unknown inference backend 'tgi'"):
        make_backend("tgi", str(tiny_model))
    with pytest.raises(ValueError, match=r"not found or has no config\.json"):
        make_backend("hf", str(tmp_path / "missing"))
    plain = tmp_path / "plain"
    plain.mkdir()
    for item in tiny_model.iterdir():
        (plain / item.name).write_bytes(item.read_bytes())
    (plain / "chat_template.jinja").unlink()
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="has no chat template"):
        make_backend("hf", str(plain))


def test_pretraining_changes_the_weights_and_is_recorded(tiny_model, tmp_path):
    from safetensors.torch import load_file

    from stgrpo.models.pretrain import PretrainSpec
    from stgrpo.models.tiny import TinySpec, build

    spec = TinySpec(**json.loads((tiny_model / "stgrpo_build.json").read_text())["build"])
    pretraining = PretrainSpec(
        steps=2,
        drill_steps=1,
        drill_prompt_steps=1,
        layouts=1,
        walk_steps=3,
        batch_size=2,
        tasks=("burger",),
        template="react-dish-v1",
    )
    build(spec, tmp_path / "pretrained", pretraining)
    record = json.loads((tmp_path / "pretrained" / "stgrpo_build.json").read_text())
    assert record["pretrain"]["steps"] == 2 and record["pretrain"]["rows"] > 0
    for phase in ("drill", "drill_prompt"):
        assert record["pretrain"][phase]["steps"] == 1 and record["pretrain"][phase]["rows"] > 0
    accuracy = record["pretrain"]["lookup_accuracy"]  # measured after each phase
    assert set(accuracy) == {"start", "drill", "drill_prompt", "walks"}
    assert all(0 <= value <= 1 for value in accuracy.values())
    before = load_file(tiny_model / "model.safetensors")
    after = load_file(tmp_path / "pretrained" / "model.safetensors")
    assert any(not before[k].equal(after[k]) for k in before)
    assert not (tmp_path / "pretrained" / "work").exists()  # the trainer's scratch is gone


def test_name_tokens_make_each_kitchen_name_one_token_and_round_trip(tmp_path):
    from transformers import AutoTokenizer

    from stgrpo.config import ConfigError
    from stgrpo.models.tiny import TinySpec, build

    build(
        TinySpec(
            corpus_layouts=1,
            name_tokens="both",
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
        ),
        tmp_path / "names",
    )
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "names")  # Qwen2's class, reloaded
    line = "patty1 at table3, under cheese1.\nThought: I need patty1 at table3."
    ids = tokenizer(line, add_special_tokens=False)["input_ids"]
    pieces = [tokenizer.decode([i]) for i in ids]
    assert pieces[:3] == ["patty1", " at", " table3"] and " patty1" in pieces
    assert tokenizer.decode(ids) == line
    # a name the corpus never saw falls back to the byte-level pieces, losslessly
    assert tokenizer.decode(tokenizer("table99 xpatty")["input_ids"]) == "table99 xpatty"
    build(
        TinySpec(
            corpus_layouts=1,
            name_tokens="bare",
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
        ),
        tmp_path / "bare",
    )
    bare = AutoTokenizer.from_pretrained(tmp_path / "bare")
    ids = bare(line, add_special_tokens=False)["input_ids"]
    pieces = [bare.decode([i]) for i in ids]
    assert pieces[:4] == ["patty1", " at", " ", "table3"] and " patty1" not in pieces
    assert bare.decode(ids) == line
    with pytest.raises(ConfigError, match=r"'model\.build\.name_tokens' must be one of"):
        TinySpec(name_tokens=True)
