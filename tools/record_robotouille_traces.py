#!/usr/bin/env python3
"""Record golden conformance traces from the real Robotouille simulator.

Runs seeded random walks and a few scripted timer episodes through
`stgrpo.kitchen.robotouille_adapter` and writes them as deterministic gzip JSON
(default: tests/data/robotouille_traces.json.gz). Needs a Robotouille checkout and its
minimal runtime deps (see the adapter's docstring):

    ROBOTOUILLE_REPO=/path/to/robotouille /path/to/venv/bin/python \
        tools/record_robotouille_traces.py

Trace format: a JSON list of episodes, each with keys name, seed, effective_seed, layout
(the Robotouille-format dict given to reset), policy_seed, kind ("walk" or "scripted"),
note, initial_observation, initial_valid_actions and steps (each: action, observation,
valid_actions, done, invalid). A step with invalid=True left the state unchanged.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import re
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    from stgrpo.kitchen.robotouille_adapter import RobotouilleAdapterEnv, load_example
except ImportError:  # running from a checkout without installing the project
    sys.path.insert(0, str(ROOT / "src"))
    from stgrpo.kitchen.robotouille_adapter import RobotouilleAdapterEnv, load_example

DEFAULT_OUT = ROOT / "tests" / "data" / "robotouille_traces.json.gz"
EXAMPLES = Path("environments", "env_generator", "examples")
# Extra (non-synchronous/) example files, as glob patterns relative to the examples folder.
EXTRA_PATTERNS = (
    "base_*.json",
    "composite_*.json",
    "cook_patties.json",
    "cut_lettuces.json",
    "fry_chicken.json",
    "fry_potato.json",
    "high_level_*.json",
    "kitchen.json",
    "original.json",
)
PAPER_TASKS = (
    "synchronous/0_cheese_sandwich",
    "synchronous/3_burger",
    "synchronous/4_cheeseburger",
    "synchronous/5_double_cheeseburger",
)
PAPER_SEEDS = tuple(42 * k for k in range(1, 11))
WALKS_PER_DEFAULT_LAYOUT = 2
WALK_STEPS = 40
INVALID_EVERY = 7
WILDCARD_SEED = 0  # resolves "item"/"station" wildcards in some base_/composite_ files
VERB_WEIGHTS = {
    "Cook": 3.0,
    "Cut": 3.0,
    "Fry": 3.0,
    "Pick": 3.0,
    "Place": 3.0,
    "Stack": 3.0,
    "Unstack": 3.0,
    "Move": 1.0,
    "Do": 0.3,
}


def policy_seed_for(name: str, seed: int | None, walk: int) -> int:
    return zlib.crc32(f"{name}|{seed}|{walk}".encode()) & 0x7FFFFFFF


def invalid_action(rng: random.Random, valid: list[str]) -> str:
    """A string that is not in `valid`: garbled, ill-formed or well-formed but inapplicable."""
    base = rng.choice(valid)
    moves = [m for m in (re.fullmatch(r"Move (\S+) from (\S+) to \S+", a) for a in valid) if m]
    candidates = [
        base.lower(),
        base + " ",
        " " + base,
        base[:-1],
        base.replace(" ", "  ", 1),
        "Stack x on top of y using robot1",
        "Stack x on top of y",
        "do nothing",
        "Action: " + base,
    ]
    if moves:
        player, here = moves[0].group(1), moves[0].group(2)
        candidates.append(f"Move {player} from {here} to {here}")
    candidates = [c for c in candidates if c not in valid]
    return rng.choice(candidates)


def record_step(env: RobotouilleAdapterEnv, action: str) -> dict:
    obs, _, done, info = env.step(action)
    return {
        "action": action,
        "observation": obs,
        "valid_actions": info["valid_actions"],
        "done": done,
        "invalid": info["invalid"],
    }


def episode_header(env, name, seed, effective, layout, policy_seed, kind, note) -> dict:
    obs, info = env.reset(layout)
    return {
        "name": name,
        "seed": seed,
        "effective_seed": effective,
        "layout": layout,
        "policy_seed": policy_seed,
        "kind": kind,
        "note": note,
        "initial_observation": obs,
        "initial_valid_actions": info["valid_actions"],
        "steps": [],
    }


def random_walk(env, name, seed, effective, layout, policy_seed) -> dict:
    note = (
        f"seeded random walk: {WALK_STEPS} step() calls at most, stop at done; every "
        f"{INVALID_EVERY}th call is an invalid string"
    )
    episode = episode_header(env, name, seed, effective, layout, policy_seed, "walk", note)
    rng = random.Random(policy_seed)
    for t in range(1, WALK_STEPS + 1):
        valid = env.valid_actions()
        if t % INVALID_EVERY == 0:
            action = invalid_action(rng, valid)
        else:
            weights = [VERB_WEIGHTS.get(a.split(" ", 1)[0], 3.0) for a in valid]
            action = rng.choices(valid, weights=weights)[0]
        step = record_step(env, action)
        if step["invalid"] != (t % INVALID_EVERY == 0):
            raise AssertionError(f"{name}: validity of {action!r} not as intended")
        episode["steps"].append(step)
        if step["done"]:
            break
    return episode


# ---- scripted episodes: each script item is a regex matched against the valid actions,
# or ("invalid", text) for a string that must be rejected.

Script = list[str | tuple[str, str]]


def run_script(env, name, note: str, script: Script, layout: dict | None = None) -> dict:
    if layout is None:
        layout, _ = load_example(name)
    episode = episode_header(env, name, None, None, layout, 0, "scripted", note)
    for item in script:
        if isinstance(item, tuple):
            action = item[1]
            if action in env.valid_actions():
                raise AssertionError(f"{name}: {action!r} unexpectedly valid")
        else:
            matches = [a for a in env.valid_actions() if re.fullmatch(item, a)]
            if not matches:
                raise AssertionError(f"{name}: no valid action matches {item!r}")
            action = matches[0]
        step = record_step(env, action)
        episode["steps"].append(step)
        if step["done"]:
            break
    return episode


def holds(env, text: str) -> bool:
    return text in env.observation.split("\n")


def scripted_episodes(env) -> list[dict]:
    episodes = []

    # cook_patties: the list-removal quirk, then pause/resume of a picked-up cooking patty,
    # then re-cooking an already cooked patty.
    cook = [
        r"Pick up patty1 from table1 using robot1",
        r"Move robot1 from table1 to stove1",
        r"Place patty1 on stove1 using robot1",
        r"Move robot1 from stove1 to table2",
        r"Pick up patty2 from table2 using robot1",
        r"Move robot1 from table2 to stove2",
        r"Place patty2 on stove2 using robot1",
        r"Move robot1 from stove2 to stove1",
        r"Cook patty1 on stove1 using robot1",  # step 9: patty1 tick 1
        r"Move robot1 from stove1 to stove2",
        r"Cook patty2 on stove2 using robot1",  # step 11: patty2 tick 1
        r"Do nothing",  # step 12: patty1 cooked; its removal skips patty2's tick
        r"Pick up patty2 from stove2 using robot1",  # paused, iscooking false
        r"Do nothing",
        r"Do nothing",
        r"Place patty2 on stove2 using robot1",  # resumes on the same stove
        r"Move robot1 from stove2 to stove1",
        r"Cook patty1 on stove1 using robot1",  # re-cook a cooked patty
        r"Do nothing",
        r"Do nothing",
        r"Do nothing",
    ]
    episodes.append(
        run_script(
            env,
            "cook_patties",
            "scripted: two overlapping cook timers (removal skip), pick up and put back a "
            "cooking patty on the same stove, re-cook a cooked patty",
            cook,
        )
    )

    # cook_patties with a modified config block: Robotouille ignores it (timers are fixed).
    layout, _ = load_example("cook_patties")
    layout["config"] = {"num_cuts": {"default": 1}, "cook_time": {"patty": 1, "default": 1}}
    episodes.append(
        run_script(
            env,
            "cook_patties",
            "scripted: config cook_time set to 1; the timer still needs the cook step + 3",
            cook[:3] + [r"Cook patty1 on stove1 using robot1"] + [r"Do nothing"] * 4,
            layout=layout,
        )
    )

    # cut_lettuces: three cuts with other actions in between; a cut count that survives
    # picking the item up and putting it back; cutting on a different board; re-cutting.
    cut = [
        r"Pick up lettuce1 from table1 using robot1",
        r"Move robot1 from table1 to board1",
        r"Place lettuce1 on board1 using robot1",
        r"Cut lettuce1 on board1 using robot1",
        r"Do nothing",
        r"Cut lettuce1 on board1 using robot1",
        r"Move robot1 from board1 to table1",
        r"Move robot1 from table1 to board1",
        ("invalid", "Cut lettuce1 on board2 using robot1"),
        r"Cut lettuce1 on board1 using robot1",  # third cut: iscut
        r"Cut lettuce1 on board1 using robot1",  # re-cut: no change
        r"Move robot1 from board1 to table2",
        r"Pick up lettuce2 from table2 using robot1",
        r"Move robot1 from table2 to board2",
        r"Place lettuce2 on board2 using robot1",
        r"Cut lettuce2 on board2 using robot1",
        r"Cut lettuce2 on board2 using robot1",
        r"Pick up lettuce2 from board2 using robot1",
        r"Do nothing",
        r"Place lettuce2 on board2 using robot1",
        r"Cut lettuce2 on board2 using robot1",  # same board: count continues
        r"Do nothing",
    ]
    episodes.append(
        run_script(
            env,
            "cut_lettuces",
            "scripted: cuts interleaved with other actions, pick up and put back between cuts",
            cut,
        )
    )

    # fry_potato: frying needs cutting first; cut 3 times, then fry (delayed like cook).
    fry = [
        r"Pick up potato1 from table1 using robot1",
        r"Move robot1 from table1 to fryer1",
        r"Place potato1 on fryer1 using robot1",
        ("invalid", "Fry potato1 on fryer1 using robot1"),
        r"Pick up potato1 from fryer1 using robot1",
        r"Move robot1 from fryer1 to board1",
        r"Place potato1 on board1 using robot1",
        r"Cut potato1 on board1 using robot1",
        r"Cut potato1 on board1 using robot1",
        r"Do nothing",
        r"Cut potato1 on board1 using robot1",  # iscut and isfryable
        r"Pick up potato1 from board1 using robot1",
        r"Move robot1 from board1 to fryer1",
        r"Place potato1 on fryer1 using robot1",
        r"Fry potato1 on fryer1 using robot1",
        r"Move robot1 from fryer1 to table2",
        r"Pick up potato2 from table2 using robot1",
        r"Move robot1 from table2 to board1",
        r"Place potato2 on board1 using robot1",
        r"Cut potato2 on board1 using robot1",
        r"Cut potato2 on board1 using robot1",
        r"Cut potato2 on board1 using robot1",
        r"Pick up potato2 from board1 using robot1",
        r"Move robot1 from board1 to fryer1",
        ("invalid", "Place potato2 on fryer1 using robot1"),  # fryer is occupied
        r"Move robot1 from fryer1 to table1",
        r"Place potato2 on table1 using robot1",
        r"Move robot1 from table1 to fryer1",
        r"Pick up potato1 from fryer1 using robot1",
        r"Move robot1 from fryer1 to table2",
        r"Place potato1 on table2 using robot1",
        r"Move robot1 from table2 to table1",
        r"Pick up potato2 from table1 using robot1",
        r"Move robot1 from table1 to fryer1",
        r"Place potato2 on fryer1 using robot1",
        r"Fry potato2 on fryer1 using robot1",
        r"Do nothing",
        r"Do nothing",
        r"Do nothing",
        r"Do nothing",
    ]
    episodes.append(
        run_script(
            env,
            "fry_potato",
            "scripted: frying refused before cutting; cut 3 times, then fry",
            fry,
        )
    )
    return episodes


def example_files(repo: Path) -> list[str]:
    root = repo / EXAMPLES
    paths = sorted((root / "synchronous").glob("*.json"))
    for pattern in EXTRA_PATTERNS:
        paths += sorted(root.glob(pattern))
    return [str(p.relative_to(root).with_suffix("")) for p in paths]


def single_player_plain(layout: dict) -> bool:
    players = layout.get("players") or []
    return len(players) == 1 and not layout.get("containers") and not layout.get("meals")


def record(repo: str | None, log: Callable[[str], None]) -> list[dict]:
    env = RobotouilleAdapterEnv(repo)
    episodes: list[dict] = []
    for name in example_files(env.repo):
        layout, _ = load_example(name, wildcard_seed=WILDCARD_SEED)
        if not single_player_plain(layout):
            log(f"skipped {name}: containers/meals or not exactly one player")
            continue
        for walk in range(WALKS_PER_DEFAULT_LAYOUT):
            pseed = policy_seed_for(name, None, walk)
            episodes.append(random_walk(env, name, None, None, layout, pseed))
    for name in PAPER_TASKS:
        for seed in PAPER_SEEDS:
            layout, effective = load_example(name, seed)
            pseed = policy_seed_for(name, seed, 0)
            episodes.append(random_walk(env, name, seed, effective, layout, pseed))
            if effective != seed:
                log(f"{name}: seed {seed} -> effective seed {effective}")
    episodes += scripted_episodes(env)
    return episodes


def encode(episodes: list[dict]) -> bytes:
    text = json.dumps(episodes, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repo", default=None, help="Robotouille checkout (default: $ROBOTOUILLE_REPO)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .json.gz")
    args = parser.parse_args(argv)
    episodes = record(args.repo, lambda msg: print(msg, file=sys.stderr))
    data = encode(episodes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(args.out)
    steps = sum(len(e["steps"]) for e in episodes)
    invalid = sum(s["invalid"] for e in episodes for s in e["steps"])
    done = sum(bool(e["steps"]) and e["steps"][-1]["done"] for e in episodes)
    print(
        f"wrote {args.out}: {len(episodes)} episodes, {steps} steps ({invalid} invalid), "
        f"{done} reached the goal, {len(data)} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
