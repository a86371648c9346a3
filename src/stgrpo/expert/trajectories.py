"""Expert trajectories from the exact planner: minimal plans, with every step explained.

`expert_trajectory(world, seed=...)` asks the exact planner for the optimal actions of each
state it reaches and walks a minimal plan,
choosing among the optimal actions of each state by `tie_break` ("first": the first in
Robotouille's valid-action order; "random": seeded, so trajectories vary yet reproduce).
Each step records what a single-turn dataset needs: the observation, the valid actions,
the chosen action, all optimal actions, the steps still to go, and a thought: a short
rationale derived from the plan (which goal position the moved item is headed for, or why
it is in the way), so each step reads as a ReAct pair "Thought: ... / Action: ...".
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from stgrpo.config import StageError
from stgrpo.expert.heuristic import AssemblyHeuristic
from stgrpo.expert.planner import OptimalPlanner, UnsolvableError
from stgrpo.expert.recipe import Decision, NotARecipeError, RecipeExpert, recipe_plan
from stgrpo.io import read_jsonl, write_jsonl
from stgrpo.kitchen.dish import progress_text
from stgrpo.kitchen.domain import ITEM_KINDS
from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.goal import ON_STATION, View, signature
from stgrpo.kitchen.layout import Layout
from stgrpo.kitchen.rules import apply
from stgrpo.kitchen.search import SearchLimitError
from stgrpo.kitchen.state import NOTHING, Action, State
from stgrpo.kitchen.text import (
    ActionVocabulary,
    compact_state,
    item_state,
    lookup_thought,
    recipe,
)
from stgrpo.kitchen.world import World

TIE_BREAKS = ("first", "random")


@dataclass(frozen=True)
class ExpertStep:
    step: int
    observation: str
    state: str  # the compact state text (kitchen.text.compact_state)
    valid_actions: list[str]
    action: str
    thought: str
    optimal_actions: list[str]
    steps_to_go: int
    recipe: str  # the goal as a recipe (kitchen.text.recipe), for templates that show it
    items: str  # the item-per-line state text (kitchen.text.item_state)
    lookup_thought: str  # the thought that spells out its lookups (lookup_thought)
    progress: str  # the dish's progress (kitchen.dish.progress_text), for templates that show it
    aim_thought: str  # the aim and the robot's place (kitchen.text.aim_thought)


def expert_trajectory(
    world: World,
    seed: int | str = 0,
    tie_break: str = "random",
    planner: OptimalPlanner | None = None,
    max_states: int = 2_000_000,
) -> list[ExpertStep]:
    """A minimal-length trajectory of `world`, each step with its optimal-action set.

    Args:
        world: The compiled layout; the trajectory starts at its initial state.
        seed: Seeds the choice among optimal actions when `tie_break` is `random`.
        tie_break: `first` (the first optimal action, in rule order) or `random` (a seeded
            choice at every step).
        planner: The exact planner to ask (it keeps what its searches learn); None: one
            with `AssemblyHeuristic`, made here.
        max_states: The search bound of a planner made here.

    Returns:
        One `ExpertStep` per action of the plan, in order; [] if the goal holds at the
        start.

    Raises:
        ValueError: `tie_break` is not one of `TIE_BREAKS`.
        SearchLimitError, UnsolvableError: From the planner.
    """
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}, got {tie_break!r}")
    if planner is None:
        planner = OptimalPlanner(world, AssemblyHeuristic(world), max_states)
    length = planner.distance(world.initial)
    rng = random.Random(seed)
    vocabulary = ActionVocabulary(world)
    env = KitchenEnv(world)
    observation, info = env.reset()
    states, actions, optimal = [env.state], [], []
    for _ in range(length):
        options = planner.actions(states[-1])
        optimal.append(options)
        action = options[0] if tie_break == "first" else rng.choice(options)
        actions.append(action)
        states.append(apply(world, states[-1], action))
    roles = _roles(world, states[-1])
    goal_recipe = recipe(world.layout.goal)
    steps = []
    for index, (state, action) in enumerate(zip(states, actions, strict=False)):
        following = actions[index + 1] if index + 1 < len(actions) else None
        thought = lookup_thought(world, state, action, following)
        steps.append(
            ExpertStep(
                step=index,
                observation=observation,
                state=compact_state(world, state),
                valid_actions=info["valid_actions"],
                action=vocabulary.text(action),
                thought=explain(world, state, action, following, roles),
                optimal_actions=[vocabulary.text(a) for a in optimal[index]],
                steps_to_go=length - index,
                recipe=goal_recipe,
                items=item_state(world, state),
                lookup_thought=thought,
                progress=progress_text(world, state),
                aim_thought=thought,  # the planner's lookup thought has no dish part
            )
        )
        observation, _, _, info = env.step(vocabulary.text(action))
    if length == 0:  # the goal holds at the start: nothing to demonstrate
        return steps
    if not (env.success and env.steps == length):
        raise RuntimeError("internal error: the planner's minimal plan did not reach the goal")
    return steps


def recipe_trajectory(world: World, max_steps: int = 200) -> list[ExpertStep]:
    """The recipe expert's trajectory (expert.recipe): each step's thought is its own
    reasoning. Its plans are not minimal, so no optimal-action sets are recorded (train with
    `data.reward_mode=expert`).

    Args:
        world: The compiled layout; the trajectory starts at its initial state.
        max_steps: The most steps the recipe expert may take.

    Returns:
        One `ExpertStep` per action, with `optimal_actions=[]` and `steps_to_go=-1`; [] if
        the goal holds at the start.

    Raises:
        RuntimeError: The expert did not finish within `max_steps` steps.
    """
    env = KitchenEnv(world)
    observation, info = env.reset()
    return _recipe_steps(world, env, observation, info, max_steps)


def recovery_trajectory(
    world: World, rng: random.Random, slips: int = 1, max_steps: int = 200
) -> list[ExpertStep]:
    """The recipe expert's recovery from a slip: it follows its own plan for a random number
    of steps, takes `slips` random valid actions other than its own (a small model's
    mistakes: the wrong item picked up, a move to the wrong station), then finishes from
    there. Only the steps after the slips are returned: states off the expert's path, each
    labelled with what the expert does there.

    Args:
        world: The compiled layout.
        rng: Chooses the slip's step and actions (seed it for reproducible data).
        slips: Random actions in a row before the expert takes over again.
        max_steps: The most steps the expert may take to finish.

    Returns:
        The expert's steps from the state after the slips, numbered from 0; [] where the
        goal holds at the start, or holds or cannot be left after the slips.

    Raises:
        RuntimeError: The expert did not finish within `max_steps` steps.
    """
    plan = recipe_plan(world, max_steps)
    if not plan:
        return []
    vocabulary = ActionVocabulary(world)
    env = KitchenEnv(world)
    observation, info = env.reset()
    for _, decision in plan[: rng.randrange(len(plan))]:
        observation, _, _, info = env.step(vocabulary.text(decision.action))
    expert = RecipeExpert(world)
    for _ in range(slips):
        own = vocabulary.text(expert.decide(env.state).action)
        others = [a for a in info["valid_actions"] if a != own]
        if not others or env.success:
            return []
        observation, _, _, info = env.step(rng.choice(others))
    if env.success:
        return []
    return _recipe_steps(world, env, observation, info, max_steps)


def _recipe_steps(
    world: World, env: KitchenEnv, observation: str, info: dict, max_steps: int
) -> list[ExpertStep]:
    """The recipe expert's steps from `env`'s current state until the goal holds."""
    vocabulary = ActionVocabulary(world)
    goal_recipe = recipe(world.layout.goal)
    expert = RecipeExpert(world)
    steps = []
    while not world.goal_reached(env.state):
        if len(steps) >= max_steps:
            raise RuntimeError(f"the recipe expert did not finish within {max_steps} steps")
        decision = expert.decide(env.state)
        action = vocabulary.text(decision.action)
        steps.append(
            recipe_step(
                world,
                env.state,
                observation,
                info["valid_actions"],
                decision,
                action,
                goal_recipe,
                step=len(steps),
            )
        )
        observation, _, _, info = env.step(action)
        if info["invalid"]:
            raise RuntimeError(
                f"internal error: the recipe expert chose an invalid action {action!r}"
            )
    return steps


def recipe_step(
    world: World,
    state: State,
    observation: str,
    valid_actions: list[str],
    decision: Decision,
    action: str,
    goal_recipe: str,
    step: int = 0,
) -> ExpertStep:
    """The recipe expert's `decision` in `state` (its `action` as text) as a step: the
    state's texts, the decision's thoughts, no optimal-action set (its plans are not minimal).
    `goal_recipe` is `recipe(world.layout.goal)`, passed in so an episode computes it once."""
    return ExpertStep(
        step=step,
        observation=observation,
        state=compact_state(world, state),
        valid_actions=valid_actions,
        action=action,
        thought=decision.thought,
        optimal_actions=[],
        steps_to_go=-1,
        recipe=goal_recipe,
        items=item_state(world, state),
        lookup_thought=decision.thought,
        progress=decision.progress,
        aim_thought=decision.aim_thought,
    )


def recipe_episode(args: tuple[Layout, str, str, int]) -> list[dict] | str:
    """Step records of the recipe expert's trajectory, or why it has none."""
    layout = args[0]
    try:
        steps = recipe_trajectory(World.from_layout(layout))
    except (NotARecipeError, RuntimeError) as exc:
        return str(exc)
    return [step_record(step) for step in steps]


def recovery_episodes(args: tuple[Layout, str, int, int]) -> list[list[dict]] | str:
    """Step records of `count` seeded recovery episodes of one layout
    (`recovery_trajectory`, `slips` random actions each), or why there are none."""
    layout, seed, count, slips = args
    world = World.from_layout(layout)
    episodes = []
    for index in range(count):
        rng = random.Random(f"{seed}:recovery:{index}")
        try:
            steps = recovery_trajectory(world, rng, slips)
        except (NotARecipeError, RuntimeError) as exc:
            return str(exc)
        if steps:
            episodes.append([step_record(step) for step in steps])
    return episodes


def step_record(step: ExpertStep) -> dict:
    return asdict(step)


def planner_episode(args: tuple[Layout, str, str, int]) -> list[dict] | str:
    """Step records of one minimal trajectory, or the reason it could not be planned."""
    layout, seed, tie_break, max_states = args
    try:
        steps = expert_trajectory(
            World.from_layout(layout), seed=seed, tie_break=tie_break, max_states=max_states
        )
    except (UnsolvableError, SearchLimitError) as exc:
        return str(exc)
    return [step_record(step) for step in steps]


# ---- files -------------------------------------------------------------------------------


def episode_records(
    steps: list[dict],
    *,
    expert: str,
    task: str,
    layout: Layout,
    episode: int,
    optimal_steps: int | None,
    turns: int,
) -> list[dict]:
    """One JSON-lines record per step, each naming its episode, layout and expert."""
    header = {
        "expert": expert,
        "task": task,
        "layout": layout.content_hash,
        "layout_seed": layout.seed,
        "episode": episode,
        "turns": turns,
        "optimal_steps": optimal_steps,
    }
    return [{**header, **step} for step in steps]


def write_trajectories(path: str | Path, records: Iterable[dict]) -> None:
    write_jsonl(path, records)


def read_trajectories(path: str | Path) -> list[dict]:
    """Step records of a trajectory file; a bad line is an error naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such trajectory file")
    records = []
    for source, record in read_jsonl(path, StageError):
        missing = [k for k in REQUIRED_KEYS if k not in record]
        if missing:
            raise StageError(f"{source}: missing keys {missing}")
        records.append(record)
    return records


REQUIRED_KEYS = (
    "expert",
    "task",
    "layout",
    "episode",
    "step",
    "observation",
    "state",
    "valid_actions",
    "action",
    "thought",
    "optimal_actions",
)


def summarise(
    expert: str,
    task: str,
    episodes: list[tuple[int, int | None]],
    attempts: int,
    skipped: list[str],
) -> dict:
    """Per (expert, task): kept trajectories, attempts, lengths and the gap to optimal.

    `episodes`: (turns, optimal length of its layout) per kept trajectory."""
    turns = [t for t, _ in episodes]
    optimal = [o for _, o in episodes if o is not None]
    mean = sum(turns) / len(turns) if turns else None
    mean_optimal = sum(optimal) / len(optimal) if optimal else None
    return {
        "expert": expert,
        "task": task,
        "kept": len(episodes),
        "attempts": attempts,
        "success_rate": len(episodes) / attempts if attempts else None,
        "mean_length": mean,
        "max_length": max(turns) if turns else None,
        "mean_optimal_length": mean_optimal,
        "gap_to_optimal": (
            mean - mean_optimal if mean is not None and mean_optimal is not None else None
        ),
        "skipped": skipped,
    }


# ---- thoughts ----------------------------------------------------------------------------


def _roles(world: World, final: State) -> dict[int, str]:
    """Where each goal item ends up, as a phrase: 'on top of bottombun1', 'on table2'."""
    view = View(final, world.n_items)
    binding = world.goal.bindings(final)[0]
    items = {
        obj
        for variable in world.goal.variables
        if variable.kind in ITEM_KINDS
        for obj in [binding[variable.ident]]
    }
    items |= {
        t.index
        for lit in world.goal.literals
        for t, kind in zip(lit.terms, signature(lit.predicate), strict=True)
        if not t.is_variable and kind == "item"
    }
    roles = {}
    for item in items:
        lower = view.below[item]
        if lower == ON_STATION:
            roles[item] = f"directly on {world.station_names[view.where[item]]}"
        elif lower >= 0:
            roles[item] = f"on top of {world.item_names[lower]}"
    return roles


def explain(
    world: World, state: State, action: Action, following: Action | None, roles: dict[int, str]
) -> str:
    """A one-sentence rationale for `action`, from the plan it belongs to."""
    names, stations = world.item_names, world.station_names
    kind, a, b = action
    if kind == "move":
        goal = _purpose(world, following, roles) if following is not None else "finish the recipe"
        if state.held != NOTHING:
            return f"I carry {names[state.held]} to {stations[b]} to {goal}."
        return f"I go to {stations[b]} to {goal}."
    if kind in ("pick", "unstack"):
        item = names[a]
        if a in roles:
            return f"I take {item}: it belongs {roles[a]} in the final dish."
        return f"I take {item} out of the way: it is not part of the dish."
    if kind in ("place", "stack"):
        target = names[b] if kind == "stack" else stations[b]
        where = f"on top of {target}" if kind == "stack" else f"on {target}"
        if a in roles and _is_role(world, action, roles):
            return f"I put {names[a]} {where}, its place in the dish."
        return f"I put {names[a]} {where} for now, to free my hands."
    if kind == "cook":
        return f"I cook {names[a]}: the recipe needs it cooked."
    if kind == "cut":
        return f"I cut {names[a]}: the recipe needs it cut."
    if kind == "fry":
        return f"I fry {names[a]}: the recipe needs it fried."
    return "I wait: something is still cooking."


def _is_role(world: World, put: Action, roles: dict[int, str]) -> bool:
    """Whether a Place/Stack puts the item where the final dish has it."""
    kind, item, target = put
    expected = (
        f"on top of {world.item_names[target]}"
        if kind == "stack"
        else f"directly on {world.station_names[target]}"
    )
    return roles.get(item) == expected


def _purpose(world: World, following: Action, roles: dict[int, str]) -> str:
    kind, a, _ = following
    names = world.item_names
    if kind in ("pick", "unstack"):
        return f"take {names[a]}"
    if kind in ("place", "stack"):
        if a in roles and _is_role(world, following, roles):
            return f"put {names[a]} in its place, {roles[a]}"
        return f"set {names[a]} aside"
    if kind in ("cook", "cut", "fry"):
        return f"{kind} {names[a]}"
    return "go on with the recipe"
