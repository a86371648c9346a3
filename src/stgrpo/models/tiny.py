"""The local tiny model: a tokenizer and a Qwen2 causal LM built here, nothing downloaded.

`build` writes a model folder (the `model` stage: `python -m stgrpo.stages.model`) in
Hugging Face format, so TRL, transformers, verl and vLLM load it like any hub model. The
tokenizer is a byte-level BPE trained with HF `tokenizers` on the kitchen's own text
(observations, actions, thoughts and the prompt templates, over every task), with Qwen2's
pre-tokenizer and a ChatML chat template: `AutoTokenizer` rebuilds exactly this tokenizer
(it forces Qwen2's tokenizer class for `model_type=qwen2`, so a word-level vocabulary would
come back garbled). Weights are drawn from `model.build.seed`: the same config gives the
same bytes.
"""

from __future__ import annotations

import json
import logging
import random
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stgrpo.config import ConfigError
from stgrpo.data.prompts import CORPUS_TEMPLATES, TEMPLATES, build_messages, format_response
from stgrpo.expert.trajectories import expert_trajectory
from stgrpo.kitchen.dish import progress_text
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.tasks import PAPER_TASKS, TASKS
from stgrpo.kitchen.text import (
    ActionVocabulary,
    all_actions,
    compact_state,
    item_state,
    recipe,
)
from stgrpo.kitchen.world import World
from stgrpo.models.pretrain import PretrainSpec, pretrain

log = logging.getLogger(__name__)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
EOS = "<|im_end|>"
PAD = "<|endoftext|>"
# Qwen2's pre-tokenizer pattern (digits split one by one, letters kept in runs).
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
    r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
NAME = re.compile(r"\b[a-z]+[0-9]+\b")  # a kitchen object's or station's name: "patty1"
# model.build.name_tokens: which forms of a kitchen name are single tokens. "both": "patty1"
# (a line's first word) and " patty1" (after a space) are two tokens; "bare": only "patty1",
# so the state's line and the thought share one token and " patty1" reads " " + "patty1".
NAME_FORMS = {"none": (), "both": ("", " "), "bare": ("",)}
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


@dataclass(frozen=True)
class TinySpec:
    vocab_size: int = 2048
    hidden_size: int = 128
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 1024
    corpus_layouts: int = 8  # generated layouts per task whose expert episodes feed the corpus
    seed: int = 0
    name_tokens: str = "none"  # a key of NAME_FORMS: which forms of each kitchen name are one token

    def __post_init__(self):
        if self.name_tokens not in NAME_FORMS:
            raise ConfigError(
                f"config key 'model.build.name_tokens' must be one of "
                f"{list(NAME_FORMS)}, got {self.name_tokens!r}"
            )
        for key, value in vars(self).items():
            if key == "name_tokens":
                continue
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or value < (0 if key == "seed" else 1)
            ):
                raise ConfigError(
                    f"config key 'model.build.{key}' must be a positive integer, got {value!r}"
                )
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                "config key 'model.build.hidden_size' must be a multiple of "
                "model.build.num_attention_heads"
            )
        if self.num_attention_heads % self.num_key_value_heads:
            raise ConfigError(
                "config key 'model.build.num_attention_heads' must be a "
                "multiple of model.build.num_key_value_heads"
            )


def corpus(spec: TinySpec) -> Iterator[str]:
    """The kitchen's own text: the prompt templates; for every task, its action names and
    the prompts of a seeded random walk in generated layouts; for the paper's tasks, expert
    episodes as prompts and answers (so thoughts tokenize well too)."""
    for name in CORPUS_TEMPLATES:
        yield from TEMPLATES[name].values()
    rng = random.Random(spec.seed)
    for task in sorted(TASKS):
        for seed in range(spec.corpus_layouts):
            world = World.from_layout(generate_layout(task, seed))
            vocabulary = ActionVocabulary(world)
            yield "\n".join(vocabulary.text(a) for a in all_actions(world))
            env = KitchenEnv(world)
            observation, info = env.reset()
            for _ in range(8):
                compact = compact_state(world, env.state)
                for template in CORPUS_TEMPLATES:
                    yield build_messages(
                        observation,
                        info["valid_actions"],
                        template,
                        compact,
                        recipe(world.layout.goal),
                        item_state(world, env.state),
                        progress_text(world, env.state),
                    )[-1]["content"]
                observation, _, _, info = env.step(rng.choice(info["valid_actions"]))
            if task in PAPER_TASKS:
                for step in expert_trajectory(world, seed=seed):
                    yield format_response(step.thought, step.action)
                    yield format_response(step.lookup_thought, step.action)


def kitchen_names(texts: list[str]) -> list[str]:
    """Every name with an index in `texts` ("patty1", "table10"), sorted."""
    return sorted({name for text in texts for name in NAME.findall(text)})


def add_name_tokens(tokenizer, names: list[str], forms: tuple[str, ...]) -> None:
    """Each name becomes one token in each of `forms` (prefixes: "" bare, " " after a space).

    Qwen2's pre-tokenizer splits digits off ("patty", "1"), so finding "patty1"'s line and
    copying its station takes a two-token match; as added tokens (matched longest first,
    before the pre-tokenizer, and kept by `AutoTokenizer`, which rebuilds Qwen2's own
    pre-tokenizer) each lookup is one token. Text round-trips unchanged."""
    from tokenizers import AddedToken

    tokenizer.add_tokens(
        [AddedToken(prefix + name, normalized=False) for name in names for prefix in forms]
    )


def train_tokenizer(texts: Iterator[str], vocab_size: int):
    """A byte-level BPE with Qwen2's pre-tokenizer, as a PreTrainedTokenizerFast."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=EOS, pad_token=PAD, unk_token=None
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build(
    spec: TinySpec, out: Path, pretraining: PretrainSpec | None = None, threads: int = 1
) -> None:
    """Tokenizer, config and weights into `out` (atomically: a folder renamed into place);
    with `pretraining` steps, the weights are pretrained on planner-free kitchen text."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    texts = list(corpus(spec))
    tokenizer = train_tokenizer(iter(texts), spec.vocab_size)
    if forms := NAME_FORMS[spec.name_tokens]:
        add_name_tokens(tokenizer, kitchen_names(texts), forms)
    eos, pad = tokenizer.convert_tokens_to_ids(EOS), tokenizer.convert_tokens_to_ids(PAD)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_key_value_heads,
        max_position_embeddings=spec.max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    torch.manual_seed(spec.seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=pad, do_sample=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        record = {"build": vars(spec)}
        if pretraining is not None and pretraining.total_steps:
            record["pretrain"] = {
                **vars(pretraining),
                **pretrain(
                    model, tokenizer, pretraining, spec.seed, threads, str(staging / "work")
                ),
            }
            shutil.rmtree(staging / "work", ignore_errors=True)
            log.info("pretrained: %s", record["pretrain"])
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "stgrpo_build.json").write_text(
            json.dumps(record, indent=2, sort_keys=True) + "\n"
        )
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    parameters = sum(p.numel() for p in model.parameters())
    log.info("tiny model: %d tokens, %.2fM parameters -> %s", len(tokenizer), parameters / 1e6, out)
