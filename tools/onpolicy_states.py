"""The trained model's own states on the train layouts, labelled by the recipe expert, added
to a task's datasets (a DAgger round, or GRPO prompts where the model goes wrong).

    python tools/onpolicy_states.py --task cheeseburger --checkpoint results/demo/sft/cheeseburger \
        --results results/demo --out /tmp/onpolicy --keep wrong --into rl

plays one seeded episode per train layout (validation layouts excluded) with the checkpoint,
as the evaluate stage does (`eval.sampling`, `eval.template`); labels every state it met in
which the goal does not hold with the recipe expert's action and thought (`--keep wrong`:
only the states where the model's reply was not that action; `--keep rejected`: only the
turns after a wasted one, each with the actions the episode had rejected in that state, for a
template with invalid-action feedback, such as react-dish-v8); and writes
`{out}/datasets/{task}/`: the source folder's files, with the new rows added to
(`--with-expert`) or in place of the train files named by `--into`, and a manifest with
their hashes, so the sft and grpo stages read it with `paths.datasets={out}`. Each state
counts once per layout. Extra arguments are Hydra overrides (`experiment=demo` by default).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from stgrpo import paths
from stgrpo.config import compose, exit_on_expected_errors
from stgrpo.data.datasets import RL_SCHEMA, SFT_SCHEMA, read_checked, rows, write_parquet
from stgrpo.data.prompts import match_action, parse_response
from stgrpo.expert.recipe import RecipeExpert
from stgrpo.expert.trajectories import episode_records, recipe_step
from stgrpo.io import write_json
from stgrpo.kitchen.layout import Layout, read_layout_records
from stgrpo.kitchen.state import State
from stgrpo.kitchen.text import ActionVocabulary, recipe
from stgrpo.kitchen.world import World
from stgrpo.rollout import Episode, Policy, play, start_episode
from stgrpo.stages.evaluate import chat_policy

SCHEMAS = {"sft": SFT_SCHEMA, "rl": RL_SCHEMA}


@dataclass(frozen=True)
class Turn:
    """What the policy saw and answered in one turn of one episode."""

    world: World  # the episode's compiled layout
    state: State
    observation: str
    valid_actions: list[str]
    reply: str
    rejected: tuple[str, ...] = ()  # the episode's actions not valid in this state so far


class Recording:
    """A policy that records every turn it answers."""

    def __init__(self, policy: Policy):
        self.policy, self.turns = policy, []

    def replies(self, episodes: list[Episode], turn: int) -> list[str]:
        answers = self.policy.replies(episodes, turn)
        for e, reply in zip(episodes, answers, strict=True):
            self.turns.append(
                Turn(
                    e.env.world,
                    e.env.state,
                    e.observation,
                    list(e.valid_actions),
                    reply,
                    tuple(e.rejected),
                )
            )
        return answers


def play_and_record(policy: Policy, layouts: list[Layout]) -> tuple[list[Turn], float]:
    """Every turn of one episode per layout (the task's timeout), and the success rate."""
    recording = Recording(policy)
    episodes = [start_episode(layout) for layout in layouts]
    play(episodes, recording)
    return recording.turns, sum(e.env.success for e in episodes) / max(len(episodes), 1)


def labelled_records(turns: list[Turn], task: str, keep: str) -> tuple[list[dict], dict]:
    """Step records (the trajectories stage's fields) of the distinct states met, each with
    the recipe expert's action and thought; with keep="wrong" only those where the reply's
    action was not the expert's; with keep="rejected" only the turns whose prompt named
    rejected actions, each (state, rejected actions) once, the record carrying that list.
    Also the counts: turns, wrong turns, states kept."""
    # per layout: the expert, its action texts and the goal as a recipe
    experts: dict[str, tuple[RecipeExpert, ActionVocabulary, str]] = {}
    seen, records, wrong = set(), [], 0
    for turn in turns:
        world = turn.world
        key = world.layout.content_hash
        if key not in experts:
            experts[key] = RecipeExpert(world), ActionVocabulary(world), recipe(world.layout.goal)
        expert, vocabulary, goal_recipe = experts[key]
        if world.goal_reached(turn.state):
            continue
        decision = expert.decide(turn.state)
        action = vocabulary.text(decision.action)
        is_wrong = match_action(parse_response(turn.reply).action, turn.valid_actions) != action
        wrong += is_wrong
        rejected = turn.rejected if keep == "rejected" else ()
        skip = (keep == "wrong" and not is_wrong) or (keep == "rejected" and not rejected)
        if skip or (key, turn.state, rejected) in seen:
            continue
        seen.add((key, turn.state, rejected))
        step = recipe_step(
            world, turn.state, turn.observation, turn.valid_actions, decision, action, goal_recipe
        )
        extra = {"rejected": list(rejected)} if rejected else {}
        records += episode_records(
            [{**asdict(step), **extra}],
            expert="recipe-onpolicy",
            task=task,
            layout=world.layout,
            episode=len(records),
            optimal_steps=None,
            turns=0,
        )
    counts = {"turns": len(turns), "wrong_turns": wrong, "states": len(records)}
    return records, counts


def write_datasets(
    source: Path, out: Path, new_rows: dict[str, list[dict]], with_expert: bool, seed: int
) -> dict:
    """`source`'s dataset folder copied to `out`, the train files of `new_rows` replaced
    (or, with_expert, extended) by them, shuffled with `seed`; the manifest rewritten last."""
    manifest = json.loads((source / "manifest.json").read_text())
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out)
    for kind, added in new_rows.items():
        name = f"{kind}_train.parquet"
        base = read_checked(source / name, SCHEMAS[kind]).to_pylist() if with_expert else []
        table = base + added
        random.Random(f"{seed}:{kind}").shuffle(table)
        if kind == "rl":
            for index, row in enumerate(table):
                row["extra_info"]["index"] = index
        digest = write_parquet(out / name, table, SCHEMAS[kind])
        manifest["files"][name] = {"rows": len(table), "sha256": digest}
    manifest["onpolicy"] = {k: len(v) for k, v in new_rows.items()}
    write_json(out / "manifest.json", manifest)
    return manifest


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True)
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--results", required=True, type=Path, help="layouts and datasets root")
    parser.add_argument("--out", required=True, type=Path, help="root of the new datasets")
    parser.add_argument("--keep", choices=("wrong", "all", "rejected"), default="wrong")
    parser.add_argument("--into", default="rl", help="comma-separated: rl, sft")
    parser.add_argument("--with-expert", action=argparse.BooleanOptionalAction, default=True)
    args, overrides = parser.parse_known_args(argv)
    into = args.into.split(",")
    if not set(into) <= set(SCHEMAS):
        parser.error(f"--into takes rl and/or sft, got {args.into!r}")
    cfg = compose(["experiment=demo", f"task={args.task}", *overrides])
    if cfg.expert.kind != "recipe":
        parser.error(
            f"the labels are the recipe expert's; the config's expert is {cfg.expert.kind}"
        )
    source = paths.datasets(args.results, args.task)
    val = set(json.loads((source / "manifest.json").read_text())["layouts"]["val"])
    train = paths.layouts(args.results, args.task) / "train.jsonl"
    layouts = [x for x, _ in read_layout_records(train) if x.content_hash not in val]
    policy = chat_policy(cfg, "eval", str(args.checkpoint))  # as the evaluate stage plays
    turns, success = play_and_record(policy, layouts)
    records, counts = labelled_records(turns, args.task, args.keep)
    sft, rl = rows(records, args.task, cfg.prompt.template, cfg.data.reward_mode)
    made = {"sft": sft, "rl": rl}
    out = paths.datasets(args.out, args.task)
    write_datasets(source, out, {k: made[k] for k in into}, args.with_expert, cfg.seed)
    print(
        f"{args.task}: SR {success:.2f} on {len(layouts)} train layouts; {counts['turns']} "
        f"turns, {counts['wrong_turns']} not the expert's action; {counts['states']} states "
        f"({args.keep}) added to {', '.join(into)} in {out}"
    )


if __name__ == "__main__":
    with exit_on_expected_errors():
        main(sys.argv[1:])
