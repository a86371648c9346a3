"""Command line for the kitchen: generate layouts, show, play and render them.

    python -m stgrpo.kitchen generate --task burger --seeds 0-99 --out layouts.jsonl
    python -m stgrpo.kitchen show --task burger --seed 7 [--solve]
    python -m stgrpo.kitchen play --task cheeseburger            # the default layout
    python -m stgrpo.kitchen render --layouts layouts.jsonl --index 3 --solve --out ep.gif

A layout is picked by `--task` (default layout, or `--seed N` for a generated one), by
`--layouts FILE.jsonl [--index K]`, or by `--robotouille FILE.json` (Robotouille's format).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.generate import generate_layouts
from stgrpo.kitchen.layout import (
    LayoutError,
    load_robotouille_file,
    read_layouts,
    write_layouts,
)
from stgrpo.kitchen.rules import apply
from stgrpo.kitchen.search import shortest_plan
from stgrpo.kitchen.tasks import TASKS, get_task
from stgrpo.kitchen.text import ActionVocabulary
from stgrpo.kitchen.world import World


def parse_seeds(text: str) -> list[int]:
    """'0-9,20,30-31' -> [0, ..., 9, 20, 30, 31]."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            seeds += range(int(low), int(high or low) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seeds expects ranges like '0-99' or '1,5,7-9', got {text!r}"
        ) from None
    return seeds


def _add_layout_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--task", choices=sorted(TASKS), help="a task's default layout")
    group.add_argument("--layouts", type=Path, help="a JSON-lines file of layouts")
    group.add_argument("--robotouille", type=Path, help="a Robotouille environment JSON file")
    parser.add_argument("--seed", type=int, help="with --task: the generated layout of this seed")
    parser.add_argument("--index", type=int, default=0, help="with --layouts: which line (0-based)")


def _pick_world(args) -> World:
    """The kitchen the options name; errors name the file (and line) it came from."""
    if args.robotouille:
        return World.from_layout(load_robotouille_file(args.robotouille), str(args.robotouille))
    if args.layouts:
        layouts = read_layouts(args.layouts)
        layout = next(itertools.islice(layouts, args.index, None), None)
        if layout is None:
            raise LayoutError(f"{args.layouts}: has no layout at index {args.index}")
        return World.from_layout(layout, f"{args.layouts}:{args.index + 1}")
    task = get_task(args.task)
    if args.seed is None:
        return World.from_layout(task.default_layout)
    return World.from_layout(generate_layouts(task, [args.seed])[0])


def _cmd_generate(args) -> int:
    exclude = {layout.content_hash for path in args.exclude for layout in read_layouts(path)}
    layouts = generate_layouts(args.task, args.seeds, exclude_hashes=exclude)
    if args.out:
        write_layouts(args.out, layouts)
        print(f"wrote {len(layouts)} layouts to {args.out}", file=sys.stderr)
    else:
        for layout in layouts:
            print(json.dumps(layout.to_record(), sort_keys=True))
    return 0


def _cmd_show(args) -> int:
    world = _pick_world(args)
    env = KitchenEnv(world)
    observation, _ = env.reset()
    print(observation)
    if args.solve:
        plan = shortest_plan(world)
        vocabulary = ActionVocabulary(world)
        print(f"\nShortest plan ({len(plan)} steps):" if plan is not None else "\nUnsolvable.")
        for number, action in enumerate(plan or [], start=1):
            print(f"{number:3d}. {vocabulary.text(action)}")
    return 0


def _cmd_play(args) -> int:
    env = KitchenEnv(_pick_world(args), max_steps=args.max_steps)
    observation, info = env.reset()
    done = False
    while not done:
        print(observation.split("\n\nValid Actions:")[0])
        print("\nValid actions:")
        for number, text in enumerate(info["valid_actions"], start=1):
            print(f"  {number:2d}. {text}")
        try:
            answer = input(f"[step {info['steps'] + 1}] number or action (q quits): ").strip()
        except EOFError:
            print()
            return 0
        if answer.lower() in ("q", "quit", "exit"):
            return 0
        if answer.isdigit() and 1 <= int(answer) <= len(info["valid_actions"]):
            answer = info["valid_actions"][int(answer) - 1]
        observation, _, done, info = env.step(answer)
        if info["invalid"]:
            print(f"\n>>> '{answer}' is not a valid action here.\n")
    outcome = "Goal reached" if info["success"] else "Out of steps"
    print(f"\n{outcome} after {info['steps']} steps.")
    return 0


def _cmd_render(args) -> int:
    from stgrpo.kitchen.render import render_episode, render_state

    world = _pick_world(args)
    if not (args.solve or args.actions):
        render_state(world, world.initial, args.out, title=world.layout.goal_description)
    else:
        vocabulary = ActionVocabulary(world)
        if args.solve:
            plan = shortest_plan(world) or []
        else:
            lines = [line for line in args.actions.read_text().splitlines() if line.strip()]
            plan = [vocabulary.parse(line) for line in lines]
            bad = [line for line, action in zip(lines, plan, strict=True) if action is None]
            if bad:
                raise LayoutError(f"{args.actions}: not an action of this kitchen: {bad[0]!r}")
        states, titles = [world.initial], ["start"]
        for number, action in enumerate(plan, start=1):
            states.append(apply(world, states[-1], action))
            titles.append(f"{number}. {vocabulary.text(action)}")
        render_episode(world, states, args.out, titles)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stgrpo.kitchen",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="generate layouts for a task and seeds")
    generate.add_argument("--task", required=True, choices=sorted(TASKS))
    generate.add_argument("--seeds", required=True, type=parse_seeds, help="e.g. 0-99")
    generate.add_argument("--out", type=Path, help="JSON-lines file (default: stdout)")
    generate.add_argument(
        "--exclude",
        type=Path,
        action="append",
        default=[],
        help="skip layouts already in this JSON-lines file (repeatable)",
    )
    generate.set_defaults(run=_cmd_generate)

    show = commands.add_parser("show", help="print a layout's observation")
    _add_layout_options(show)
    show.add_argument("--solve", action="store_true", help="also print a shortest plan (BFS)")
    show.set_defaults(run=_cmd_show)

    play = commands.add_parser("play", help="play an episode in the terminal")
    _add_layout_options(play)
    play.add_argument("--max-steps", type=int, default=None)
    play.set_defaults(run=_cmd_play)

    render = commands.add_parser("render", help="draw a layout (PNG) or an episode (PNG/GIF)")
    _add_layout_options(render)
    render.add_argument("--out", type=Path, required=True, help=".png or .gif")
    episode = render.add_mutually_exclusive_group()
    episode.add_argument("--solve", action="store_true", help="draw a shortest plan")
    episode.add_argument("--actions", type=Path, help="a file with one action per line")
    render.set_defaults(run=_cmd_render)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "seed", None) is not None and not getattr(args, "task", None):
        print("error: --seed goes with --task", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except (LayoutError, KeyError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
