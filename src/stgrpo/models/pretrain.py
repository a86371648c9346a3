"""Planner-free pretraining of the tiny model: the kitchen's language before any expert.

A pretrained LLM arrives knowing how to read a state and write a well-formed action; the
tiny model built here does not. This module gives it that knowledge without the planner:
random walks through generated kitchens of every task, where at each state a *random*
reachable subgoal (any action that is valid at some station: pick this, put that there,
cook, cut) is written up in the template's answer format, with the lookups spelled out
("Thought: I need cheese1 from table3. I am at table1.\nAction: Move robot1 from table1
to table3"). The model learns to find items and the robot, to copy action strings and to
follow the format; it learns nothing about which subgoal a recipe needs next, so the
pretrained model, prompted, still acts at random (the base-model baseline stays near 0),
and SFT only has to teach the policy.

An optional lookup drill (`drill_steps`) comes first: each row is a walked state's item lines
only, answered with every item's station in random order ("Thought: I need cheese1 at table3.
I need patty1 at table4."). Finding an item's line by its name is the lookup the recipe
expert's thoughts need. A model this small does not learn it on whole prompts within the
CPU budget; in a plain training loop it learns it on these short texts first and then on whole
prompts (`drill_prompt_steps`), but through this stage it has not yet helped (measured).

Layouts use seeds from `PRETRAIN_SEED_BASE` up, far from the train and test panels.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from stgrpo.config import ConfigError
from stgrpo.data.prompts import (
    TEMPLATES,
    answer_thought,
    build_messages,
    format_response,
    indent_lines,
    template_option,
)
from stgrpo.kitchen.dish import progress_text
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.rules import apply, valid_actions
from stgrpo.kitchen.state import Action, State
from stgrpo.kitchen.tasks import TASKS
from stgrpo.kitchen.text import (
    ActionVocabulary,
    compact_state,
    item_state,
    lookup_thought,
    recipe,
)
from stgrpo.kitchen.world import World

PRETRAIN_SEED_BASE = 5_000_000
log = logging.getLogger("stgrpo.models")


@dataclass(frozen=True)
class PretrainSpec:
    """`model.pretrain`: planner-free pretraining of the local model (steps 0: none)."""

    steps: int = 0  # optimizer steps (0: the model keeps its random initial weights)
    layouts: int = 40  # generated layouts per task whose random walks give the rows
    walk_steps: int = 24  # decisions per random walk
    batch_size: int = 16  # rows per optimizer step
    lr: float = 1.0e-3
    template: str = "react-lookup-v1"  # must be the template SFT and evaluation use
    tasks: tuple[str, ...] = ()  # whose kitchens are walked (empty: all of TASKS)
    prompt_loss: bool = False  # the loss on the prompts' tokens too, not on the answers only
    drill_steps: int = 0  # optimizer steps of the lookup drill on item lines, before the walks
    drill_prompt_steps: int = 0  # then of the drill on whole prompts (the template's user text)
    drill_mix: float = 0.0  # share of the walks' rows that are whole-prompt drill rows

    def __post_init__(self):
        for key in (
            "steps",
            "drill_steps",
            "drill_prompt_steps",
            "layouts",
            "walk_steps",
            "batch_size",
        ):
            value = getattr(self, key)
            may_be_zero = key in ("steps", "drill_steps", "drill_prompt_steps")
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or value < (0 if may_be_zero else 1)
            ):
                raise ConfigError(
                    f"config key 'model.pretrain.{key}' must be a "
                    f"{'non-negative' if may_be_zero else 'positive'} "
                    f"integer, got {value!r}"
                )
        if not isinstance(self.lr, (int, float)) or isinstance(self.lr, bool) or self.lr <= 0:
            raise ConfigError(
                f"config key 'model.pretrain.lr' must be a positive number, got {self.lr!r}"
            )
        if (
            not isinstance(self.drill_mix, (int, float))
            or isinstance(self.drill_mix, bool)
            or not 0 <= self.drill_mix < 1
        ):
            raise ConfigError(
                f"config key 'model.pretrain.drill_mix' must be a number in "
                f"[0, 1), got {self.drill_mix!r}"
            )
        if not isinstance(self.prompt_loss, bool):
            raise ConfigError(
                f"config key 'model.pretrain.prompt_loss' must be true or false, "
                f"got {self.prompt_loss!r}"
            )
        unknown = sorted(set(self.tasks) - set(TASKS))
        if unknown:
            raise ConfigError(
                f"config key 'model.pretrain.tasks' names unknown tasks {unknown}; "
                f"known: {sorted(TASKS)}"
            )
        if self.template not in TEMPLATES:
            raise ConfigError(
                f"config key 'model.pretrain.template' must be one of "
                f"{sorted(TEMPLATES)}, got {self.template!r}"
            )
        thought = template_option(self.template, "thought")
        if self.total_steps and thought not in ("lookup", "aim"):
            raise ConfigError(
                f"config key 'model.pretrain.template' must be a template with "
                f"lookup or aim thoughts to pretrain on, got {self.template!r}"
            )

    @property
    def total_steps(self) -> int:
        return self.steps + self.drill_steps + self.drill_prompt_steps


def random_subgoal(world: World, state: State, rng: random.Random) -> tuple[Action, Action | None]:
    """(action now, the action it leads to): a uniformly chosen action that is valid at some
    station (waiting aside), reached by moving there first if the robot is elsewhere."""
    options = []
    for station in range(world.n_stations):
        there = (
            state
            if station == state.robot
            else apply(world, state, Action("move", state.robot, station))
        )
        options += [
            (station, a) for a in valid_actions(world, there) if a.kind not in ("move", "wait")
        ]
    station, goal = rng.choice(options)
    if station == state.robot:
        return goal, None
    return Action("move", state.robot, station), goal


def _walks(spec: PretrainSpec, rng: random.Random, first_layout: int = 0):
    """(world, state, subgoal action, the action it leads to, its text, observation, info) per
    decision of the seeded random walks, task by task. The walk takes the subgoal's action half
    of the time and a random valid action otherwise, so it visits both tidy and messy
    kitchens."""
    for task in sorted(spec.tasks or TASKS):
        for index in range(first_layout, first_layout + spec.layouts):
            world = World.from_layout(generate_layout(task, PRETRAIN_SEED_BASE + index))
            vocabulary = ActionVocabulary(world)
            env = KitchenEnv(world)
            observation, info = env.reset()
            for _ in range(spec.walk_steps):
                action, following = random_subgoal(world, env.state, rng)
                text = vocabulary.text(action)
                yield world, env.state, action, following, text, observation, info
                step = text if rng.random() < 0.5 else rng.choice(info["valid_actions"])
                observation, _, done, info = env.step(step)
                if done:
                    break


def pretraining_rows(spec: PretrainSpec, seed: int) -> Iterator[tuple[list[dict], str]]:
    """(prompt chat, answer) per decision of the seeded random walks (`_walks`)."""
    rng = random.Random(seed)
    # a lookup template's thought starts with the dish's progress; an aim template shows it
    progress_in_thought = template_option(spec.template, "thought") == "lookup"
    for world, state, action, following, text, observation, info in _walks(spec, rng):
        progress = progress_text(world, state)
        prompt = _prompt(spec.template, world, state, observation, info, progress)
        thought = lookup_thought(world, state, action, following)
        if progress_in_thought and progress:  # "" for a two-dish task
            thought = f"{progress} {thought}"
        yield prompt, format_response(answer_thought(thought, text, spec.template), text)


def _prompt(template: str, world: World, state: State, observation: str, info: dict, progress: str):
    return build_messages(
        observation,
        info["valid_actions"],
        template,
        compact_state(world, state),
        recipe(world.layout.goal),
        item_state(world, state),
        progress,
    )


def drill_rows(
    spec: PretrainSpec, seed: int, whole_prompts: bool = False, first_layout: int = 0
) -> Iterator[tuple[list[dict], str]]:
    """(prompt chat, answer) of the lookup drill: per walked state, its item lines (as
    `item_state` writes them; with `whole_prompts` the template's whole prompt) and every
    item's station, in a seeded random order."""
    rng = random.Random(seed + 1 + whole_prompts)  # walks of their own
    indent = template_option(spec.template, "indent")  # the state lines as the prompts show them
    for world, state, _, _, _, observation, info in _walks(spec, rng, first_layout):
        names, stations = world.item_names, world.station_names
        where = {names[i]: stations[s] for s, stack in enumerate(state.stacks) for i in stack}
        lines = [
            line for line in item_state(world, state).split("\n") if line.split(" at ")[0] in where
        ]
        items = list(where)
        rng.shuffle(items)
        lookups = " ".join(f"I need {name} at {where[name]}." for name in items)
        if not items:
            continue
        prompt = (
            _prompt(spec.template, world, state, observation, info, progress_text(world, state))
            if whole_prompts
            else [{"role": "user", "content": indent_lines("\n".join(lines), indent)}]
        )
        yield prompt, f"Thought: {lookups}"


LOOKUP = re.compile(r" I need (\S+) at (\S+)\.")


def drill_example(tokenizer, prompt: list[dict], answer: str) -> dict:
    """One drill row as token ids with the loss on the stations only: the names are asked in
    a random order, so predicting them teaches nothing but noise (a plain loop that masked
    them learnt the lookup; one that did not, through this stage, did not)."""
    ids = _prompt_ids(tokenizer, prompt)
    mask = [0] * len(ids)

    def extend(piece: str, learn: int) -> None:
        piece_ids = tokenizer(piece, add_special_tokens=False)["input_ids"]
        ids.extend(piece_ids)
        mask.extend([learn] * len(piece_ids))

    extend("Thought:", 0)
    for name, station in LOOKUP.findall(answer):
        extend(f" I need {name} at", 0)
        extend(f" {station}.", 1)
    return {"input_ids": ids, "completion_mask": mask}


def lookup_accuracy(model, examples: list[dict], batch_size: int = 20) -> float:
    """Share of the examples' stations (each run of learnt tokens) that the model predicts
    whole, teacher-forced and greedy: how well it looks an item's station up."""
    import torch

    right = total = 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            batch = examples[start : start + batch_size]
            width = max(len(e["input_ids"]) for e in batch)
            ids = torch.tensor(
                [e["input_ids"] + [0] * (width - len(e["input_ids"])) for e in batch],
                device=model.device,
            )
            attention = torch.tensor(
                [[1] * len(e["input_ids"]) + [0] * (width - len(e["input_ids"])) for e in batch],
                device=model.device,
            )
            predicted = model(input_ids=ids, attention_mask=attention).logits.argmax(-1)
            for row, example in enumerate(batch):
                for first, last in _runs(example["completion_mask"]):
                    total += 1
                    right += bool(
                        (predicted[row, first - 1 : last - 1] == ids[row, first:last]).all()
                    )
    model.train()
    return right / total if total else 0.0


def _runs(mask: list[int]) -> Iterator[tuple[int, int]]:
    """[first, last) of each run of ones in `mask`."""
    first = None
    for index, bit in enumerate([*mask, 0]):
        if bit and first is None:
            first = index
        elif not bit and first is not None:
            yield first, index
            first = None


def _prompt_ids(tokenizer, prompt: list[dict]) -> list[int]:
    """The prompt chat's token ids, up to where the assistant's reply starts."""
    text = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def chat_example(tokenizer, prompt: list[dict], answer: str, prompt_loss: bool) -> dict:
    """A (prompt, answer) row as token ids with the loss on the answer (and with
    `prompt_loss` on the prompt too), for a dataset that also holds drill rows."""
    chat = [*prompt, {"role": "assistant", "content": answer}]
    ids = tokenizer(tokenizer.apply_chat_template(chat, tokenize=False), add_special_tokens=False)[
        "input_ids"
    ]
    prompt_length = len(_prompt_ids(tokenizer, prompt))
    return {
        "input_ids": ids,
        "completion_mask": [int(prompt_loss)] * prompt_length + [1] * (len(ids) - prompt_length),
    }


def _walk_rows(tokenizer, spec: PretrainSpec, seed: int) -> list[dict]:
    """The walks phase's rows; with `drill_mix`, whole-prompt drill rows mixed in so that the
    lookup is kept while the rest is learnt (measured: without them the walks erase it)."""
    walks = list(pretraining_rows(spec, seed))
    if not spec.drill_mix:
        return [
            {"prompt": p, "completion": [{"role": "assistant", "content": a}]} for p, a in walks
        ]
    drills = list(drill_rows(spec, seed + 2, whole_prompts=True))  # walks of their own
    wanted = round(len(walks) * spec.drill_mix / (1 - spec.drill_mix))
    return [chat_example(tokenizer, p, a, spec.prompt_loss) for p, a in walks] + [
        drill_example(tokenizer, *drills[i % len(drills)]) for i in range(wanted)
    ]


HELD_OUT_LAYOUTS = 3  # per task, after the training layouts: where the lookup is measured


def pretrain(model, tokenizer, spec: PretrainSpec, seed: int, threads: int, work: str) -> dict:
    """Train `model` in place: `spec.drill_steps` optimizer steps of the lookup drill on item
    lines, `spec.drill_prompt_steps` of it on whole prompts, then `spec.steps` on the walks'
    rows (TRL's SFTTrainer, each phase its own cosine schedule, CPU or the first GPU). Returns
    the rows, steps and last logged metrics of each phase and, when a drill runs, the lookup
    accuracy on held-out layouts' whole prompts after each phase."""
    import torch

    torch.set_num_threads(threads)
    record = {}
    probe = []

    def measure(after: str) -> None:
        if probe:
            record["lookup_accuracy"][after] = accuracy = lookup_accuracy(model, probe)
            log.info("after the %s: lookup accuracy %.3f", after, accuracy)

    if spec.drill_steps or spec.drill_prompt_steps:
        held_out = replace(spec, layouts=HELD_OUT_LAYOUTS)
        rows = list(drill_rows(held_out, seed, whole_prompts=True, first_layout=spec.layouts))
        probe = [drill_example(tokenizer, p, a) for p, a in rows[:: max(len(rows) // 200, 1)]]
        record["lookup_accuracy"] = {"start": lookup_accuracy(model, probe)}
    for phase, steps, whole in (
        ("drill", spec.drill_steps, False),
        ("drill_prompt", spec.drill_prompt_steps, True),
    ):
        if steps:
            examples = [
                drill_example(tokenizer, p, a)
                for p, a in drill_rows(spec, seed, whole_prompts=whole)
            ]
            record[phase] = _train(
                model, tokenizer, examples, spec, steps, seed, f"{work}/{phase}", prompt_loss=False
            )
            measure(phase)
    if spec.steps:
        record.update(
            _train(
                model,
                tokenizer,
                _walk_rows(tokenizer, spec, seed),
                spec,
                spec.steps,
                seed,
                f"{work}/walks",
                prompt_loss=spec.prompt_loss,
            )
        )
        measure("walks")
    return record


def _train(
    model,
    tokenizer,
    rows: list[dict],
    spec: PretrainSpec,
    steps: int,
    seed: int,
    work: str,
    prompt_loss: bool,
) -> dict:
    """`steps` optimizer steps of TRL's SFTTrainer on `rows`: prompt/completion chats, or
    token ids with a `completion_mask` (the loss where it is 1)."""
    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    data = Dataset.from_dict({key: [row[key] for row in rows] for key in rows[0]})
    args = SFTConfig(
        output_dir=work,
        per_device_train_batch_size=spec.batch_size,
        learning_rate=spec.lr,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        max_steps=steps,
        num_train_epochs=100,
        logging_steps=max(steps // 10, 1),
        save_strategy="no",
        seed=seed,
        data_seed=seed,
        use_cpu=not torch.cuda.is_available(),
        bf16=False,
        report_to=[],
        disable_tqdm=True,
        dataloader_num_workers=0,
        max_length=1024,
        completion_only_loss=not prompt_loss,
        packing=False,
        train_sampling_strategy="group_by_length",
    )  # less padding to compute
    trainer = SFTTrainer(model=model, args=args, processing_class=tokenizer, train_dataset=data)
    trainer.train()
    logged = [entry for entry in trainer.state.log_history if "loss" in entry]
    return {
        "rows": len(rows),
        "steps": trainer.state.global_step,
        **(
            {k: logged[-1][k] for k in ("loss", "mean_token_accuracy") if k in logged[-1]}
            if logged
            else {}
        ),
    }
