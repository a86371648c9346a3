"""The lookup drill's rows as the trainer sees them (the loss on the stations only) and the
lookup accuracy measured on them."""

import re
from types import SimpleNamespace

import pytest

from stgrpo.models.pretrain import PretrainSpec, drill_example, drill_rows, lookup_accuracy

SPEC = PretrainSpec(
    drill_steps=1, layouts=1, walk_steps=3, template="react-dish-v2", tasks=("cheeseburger",)
)


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def _learnt(tokenizer, example) -> list[str]:
    ids, mask = example["input_ids"], example["completion_mask"]
    spans, current = [], []
    for token, bit in zip([*ids, None], [*mask, 0], strict=True):
        if bit:
            current.append(token)
        elif current:
            spans.append(tokenizer.decode(current))
            current = []
    return spans


@pytest.mark.parametrize("whole_prompts", [False, True])
def test_the_loss_falls_on_each_station_and_nothing_else(tokenizer, whole_prompts):
    for prompt, answer in drill_rows(SPEC, seed=0, whole_prompts=whole_prompts):
        example = drill_example(tokenizer, prompt, answer)
        stations = re.findall(r"I need \S+ at (\S+)\.", answer)
        assert _learnt(tokenizer, example) == [f" {s}." for s in stations]
        # the same ids as the chat the row stands for, rendered whole
        chat = [*prompt, {"role": "assistant", "content": answer}]
        whole = tokenizer(
            tokenizer.apply_chat_template(chat, tokenize=False), add_special_tokens=False
        )["input_ids"]
        assert whole[: len(example["input_ids"])] == example["input_ids"]


class _Predicts:
    """A stand-in model whose logits predict the next input token (oracle) or token 0."""

    device = "cpu"

    def __init__(self, oracle: bool):
        self.oracle = oracle

    def eval(self):
        return self

    def train(self):
        return self

    def __call__(self, input_ids, attention_mask):
        import torch

        vocabulary = int(input_ids.max()) + 2
        following = (
            torch.roll(input_ids, -1, dims=1) if self.oracle else torch.zeros_like(input_ids)
        )
        return SimpleNamespace(logits=torch.nn.functional.one_hot(following, vocabulary).float())


def test_lookup_accuracy_counts_whole_stations(tokenizer):
    examples = [drill_example(tokenizer, p, a) for p, a in drill_rows(SPEC, seed=0)]
    assert lookup_accuracy(_Predicts(oracle=True), examples, batch_size=2) == 1.0
    assert lookup_accuracy(_Predicts(oracle=False), examples, batch_size=2) == 0.0


def test_drill_mix_adds_drill_rows_to_the_walks_in_the_share_asked(tokenizer):
    from stgrpo.models.pretrain import _walk_rows, pretraining_rows

    spec = PretrainSpec(
        steps=1,
        layouts=1,
        walk_steps=6,
        template="react-dish-v2",
        tasks=("cheeseburger", "burger"),
        prompt_loss=True,
        drill_mix=0.25,
    )
    walks = list(pretraining_rows(spec, seed=0))
    rows = _walk_rows(tokenizer, spec, seed=0)
    assert len(rows) == len(walks) + round(len(walks) / 3)
    walk_rows, drill = rows[: len(walks)], rows[len(walks) :]
    assert all(set(row["completion_mask"]) == {1} for row in walk_rows)  # prompt_loss: all
    assert all(0 < sum(row["completion_mask"]) < len(row["input_ids"]) for row in drill)
    plain = _walk_rows(tokenizer, PretrainSpec(**{**vars(spec), "drill_mix": 0.0}), seed=0)
    assert len(plain) == len(walks) and "prompt" in plain[0]


@pytest.mark.parametrize("value", [-0.1, 1.0, True, "half"])
def test_drill_mix_is_checked(value):
    from stgrpo.config import ConfigError

    with pytest.raises(ConfigError, match=r"model\.pretrain\.drill_mix"):
        PretrainSpec(drill_mix=value)
