"""The ReAct single-turn prompt: one builder for SFT, GRPO, evaluation and baselines.

A prompt is a chat: system instructions (the answer format "Thought: ... / Action: ..."),
then the kitchen state, the goal and the numbered valid actions, all taken from
Robotouille's observation text. Templates are versioned; `template_hash()` fingerprints the
text of the template in use and is recorded wherever a prompt is (datasets, evaluation).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from stgrpo.kitchen.dish import DONE_PREFIX
from stgrpo.kitchen.domain import ACTION_TEMPLATES

VALID_ACTIONS_HEADER = "\n\nValid Actions:\n"
GOAL_HEADER = "\n\nGoal: "

_SYSTEM_V1 = (
    "You are a robot chef in a kitchen. Each turn you are shown the state of the kitchen, "
    "the goal and the actions that are valid now. Reason briefly about what the goal still "
    "needs, then choose exactly one valid action.\n"
    "Answer in exactly this format:\n"
    "Thought: <your reasoning in one or two sentences>\n"
    "Action: <one action, copied exactly from the valid actions>"
)
_USER_V1 = "{state}\n\nGoal: {goal}\n\nValid actions:\n{actions}\n\nWhat is your next action?"

# react-lookup-v1 (CPU scale): the goal as a recipe read from the goal's literals (so a model
# trained on one dish can read another's), one line per item, unnumbered valid actions and
# a short constant system text; its answers' thoughts spell out the lookups behind the action
# ("I need patty1 at table4. I am at table1.").
_SYSTEM_LOOKUP_V1 = (
    "You are a robot chef. Answer with a thought, then one valid action:\nThought: ...\nAction: ..."
)
_USER_LOOKUP_V1 = "Recipe: {goal}\n{state}\nValid actions:\n{actions}"

# react-dish-v1 (CPU scale): react-lookup-v1's recipe and item lines, the dish's progress read
# off the state (kitchen.dish.progress_text: "Dish at table2, 1 done, top bottombun1. Next:
# patty."), the valid actions, no system text (it is the same in every row); its thoughts are
# the aim and the robot's place ("I need patty1 at table4. I am at table1.").
_USER_DISH_V1 = "Recipe: {goal}\n{progress}\n{state}\nValid actions:\n{actions}"

# react-dish-v2: react-dish-v1 with every state line indented by a space, so that an item's
# name reads " patty1" in its line as in the thought ("I need patty1 at"): with
# `model.build.name_tokens=both` that is one and the same token, the key a lookup matches.

# react-dish-v3: react-dish-v2 without the valid actions (about half the tokens). The model
# writes the action from the thought's places, as the kitchen's action grammar is regular;
# a listed action whose names and stations repeat those of the item lines was measured to
# make the lookup harder for a small model (a match can land in the wrong line).
_USER_DISH_V3 = "Recipe: {goal}\n{progress}\n{state}"

# react-dish-v4: react-dish-v1 whose progress line also says where the next layer's items
# are ("Next: patty. patty1 at table3."; `next_items`). A small model built from nothing
# learns to copy from a line at a fixed place within a few hundred steps but not to find a
# line by its content; here the first station of every fetch thought is on that line, as
# the dish's station of every put thought already is, so one copy rule serves both.

# react-dish-v5: react-dish-v4 that, after a wasted turn, ends with the actions already
# rejected in this state ("Not valid here: Pick up patty1 from table1 using robot1"; the
# state is unchanged, so without it the prompt is too, and a model repeats its mistake to
# the timeout). Trained with such rows (`data.feedback_share`, `rejected_variants`).

# react-dish-v6: react-dish-v4 whose thoughts end with the decision the two places imply ("I
# need cheese1 at table1. I am at table1, so I act here." / "..., so I go there."; `decided`).
# A small model compared the places and still moved to its own station in about a fifth of
# its replies; here the comparison is one word of the thought, and the action copies it.

# react-dish-v7: react-dish-v4 that marks the robot's station wherever the state and the
# progress line name it ("cheese1 at table3 (here)."), and whose thoughts carry the mark
# when the aim is where the robot stands ("I need cheese1 at table3 (here)."; `here` in
# `answer_thought`). Deciding between acting and moving is then one more token copied
# from the item's line, not a comparison of two stations, which a small model got wrong in
# about a fifth of its replies (with v6 too).

# react-dish-v8: react-dish-v7 with v5's invalid-action feedback: after a wasted turn the
# prompt ends with the actions already rejected in this state. Rows that name the model's
# own rejected replies come from its episodes (tools/onpolicy_states.py --feedback), since
# the datasets stage's made-up rejections (`data.feedback_share`) are rarely what a
# trained model would repeat.

# `state`: which rendering of the state the prompt shows: Robotouille's observation
# sentences (as the paper's agents saw them) or the compact one-line-per-station view
# (kitchen.text.compact_state), about a third of the tokens, for small models on CPU.
TEMPLATES = {
    "react-v1": {"state": "observation", "system": _SYSTEM_V1, "user": _USER_V1},
    "react-compact-v1": {"state": "compact", "system": _SYSTEM_V1, "user": _USER_V1},
    "react-lookup-v1": {
        "state": "items",
        "goal": "recipe",
        "actions": "plain",
        "thought": "lookup",
        "system": _SYSTEM_LOOKUP_V1,
        "user": _USER_LOOKUP_V1,
    },
    "react-dish-v1": {
        "state": "items",
        "goal": "recipe",
        "actions": "plain",
        "thought": "aim",
        "system": "",
        "user": _USER_DISH_V1,
    },
    "react-dish-v2": {
        "state": "items",
        "goal": "recipe",
        "actions": "plain",
        "thought": "aim",
        "system": "",
        "user": _USER_DISH_V1,
        "indent": " ",
    },
    "react-dish-v4": {
        "state": "items",
        "goal": "recipe",
        "actions": "plain",
        "thought": "aim",
        "system": "",
        "user": _USER_DISH_V1,
        "progress": "where",
    },
    "react-dish-v5": {
        "state": "items",
        "goal": "recipe",
        "actions": "plain",
        "thought": "aim",
        "system": "",
        "user": _USER_DISH_V1,
        "progress": "where",
        "feedback": "rejected",
    },
    "react-dish-v6": {
        "state": "items",
        "goal": "recipe",
        "actions": "plain",
        "thought": "aim",
        "system": "",
        "user": _USER_DISH_V1,
        "progress": "where",
        "decision": "stated",
    },
    "react-dish-v7": {
        "state": "items",
        "goal": "recipe",
        "actions": "plain",
        "thought": "aim",
        "system": "",
        "user": _USER_DISH_V1,
        "progress": "where",
        "here": "marked",
    },
    "react-dish-v8": {
        "state": "items",
        "goal": "recipe",
        "actions": "plain",
        "thought": "aim",
        "system": "",
        "user": _USER_DISH_V1,
        "progress": "where",
        "here": "marked",
        "feedback": "rejected",
    },
    "react-dish-v3": {
        "state": "items",
        "goal": "recipe",
        "actions": "plain",
        "thought": "aim",
        "system": "",
        "user": _USER_DISH_V3,
        "indent": " ",
    },
}
# Optional template keys, with the value a template without them has (the older templates
# keep their exact text and hash): `goal` text | recipe (kitchen.text.recipe), `actions`
# numbered | plain, `thought` plan (expert.trajectories.explain) | lookup (lookup_thought) |
# aim (kitchen.text.aim_thought), `indent` "" | text put before every state line, `progress`
# plain | where (the next layer's items and their places after it, `next_items`), `feedback`
# none | rejected (a last line naming the actions rejected since the last step), `decision`
# none | stated (the thought ends with what the places imply), `here` none | marked (the
# robot's station marked in the state, the progress line and the thought; `mark_here`). Both
# change thoughts through `answer_thought`. An empty
# `system` text means no system message; a `{progress}` field in the user text shows the
# dish's progress.
TEMPLATE_DEFAULTS = {
    "goal": "text",
    "actions": "numbered",
    "thought": "plan",
    "indent": "",
    "progress": "plain",
    "feedback": "none",
    "decision": "none",
    "here": "none",
}
HERE = " (here)"
REJECTED_HEADER = "\nNot valid here: "
MAX_REJECTED = 3  # the most recent rejected actions a prompt names
DEFAULT_TEMPLATE = "react-v1"


def template_hash(name: str = DEFAULT_TEMPLATE) -> str:
    """A short content hash of the template's text (changes whenever a word changes)."""
    text = json.dumps({"name": name, **_template(name)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# The templates whose text the locally built tokenizer's corpus holds (models.tiny.corpus),
# frozen in this order: a template added later must not change the tokenizer, and so the
# weights, of every model built before it (adding react-dish-v6 and v7 to the corpus was
# measured to change the demo's vocabulary). A newer template's words tokenize from these.
CORPUS_TEMPLATES = (
    "react-v1",
    "react-compact-v1",
    "react-lookup-v1",
    "react-dish-v1",
    "react-dish-v2",
    "react-dish-v4",
    "react-dish-v5",
    "react-dish-v3",
)


def templates_hash() -> str:
    """A short hash of the corpus templates' text (what the local tokenizer reads)."""
    text = json.dumps({name: template_hash(name) for name in CORPUS_TEMPLATES}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def split_observation(observation: str) -> tuple[str, str]:
    """(state description, goal) from Robotouille's observation text."""
    state, found, rest = observation.partition(VALID_ACTIONS_HEADER)
    if not found:
        raise ValueError("observation has no 'Valid Actions:' section")
    _, found, goal = rest.partition(GOAL_HEADER)
    if not found:
        raise ValueError("observation has no 'Goal:' line")
    return state, goal.strip()


def template_option(template: str, key: str) -> str:
    """One of a template's optional keys (TEMPLATE_DEFAULTS), e.g. which thought it trains."""
    return _template(template).get(key, TEMPLATE_DEFAULTS[key])


def build_messages(
    observation: str,
    valid_actions: list[str],
    template: str = DEFAULT_TEMPLATE,
    compact: str | None = None,
    recipe: str | None = None,
    items: str | None = None,
    progress: str | None = None,
    rejected: Sequence[str] = (),
) -> list[dict[str, str]]:
    """The chat for one decision: [system, user] ([user] for a template without system
    text). `compact` is the compact state text, `recipe` the goal as a recipe, `items` the
    item-per-line state text (kitchen.text.item_state) and `progress` the dish's progress
    (kitchen.dish.progress_text), which templates that show them need. `rejected`: the
    actions already tried and found not valid in this state, oldest first; a template with
    `feedback: rejected` names the last `MAX_REJECTED` of them, others ignore them."""
    parts = _template(template)
    state, goal = split_observation(observation)
    if parts["state"] == "compact":
        if compact is None:
            raise ValueError(f"prompt template {template!r} needs the compact state text")
        state = compact
    elif parts["state"] == "items":
        if items is None:
            raise ValueError(f"prompt template {template!r} needs the item state text")
        state = indent_lines(items, template_option(template, "indent"))
        if template_option(template, "here") == "marked":
            state = mark_here(state, items)
    fields = {}
    if "{progress}" in parts["user"]:
        if progress is None:
            raise ValueError(f"prompt template {template!r} needs the dish's progress text")
        fields["progress"] = progress
        if template_option(template, "progress") == "where":
            fields["progress"] = f"{progress}{next_items(progress, items or '')}"
        if template_option(template, "here") == "marked":
            fields["progress"] = mark_here(fields["progress"], items or "")
    if template_option(template, "goal") == "recipe":
        if recipe is None:
            raise ValueError(f"prompt template {template!r} needs the goal's recipe text")
        goal = recipe
    if template_option(template, "actions") == "plain":
        actions = "\n".join(valid_actions)
    else:
        actions = "\n".join(f"{n}. {action}" for n, action in enumerate(valid_actions, 1))
    content = parts["user"].format(state=state, goal=goal, actions=actions, **fields)
    if rejected and template_option(template, "feedback") == "rejected":
        content += REJECTED_HEADER + "; ".join(rejected[-MAX_REJECTED:])
    user = {"role": "user", "content": content}
    return [{"role": "system", "content": parts["system"]}, user] if parts["system"] else [user]


_NEXT_KINDS = re.compile(r"Next: (?P<kinds>[a-z ]+)\.")
_DISH = re.compile(r"Dish at (?P<station>\w+), (?P<done>\d+) done")
_ITEM_LINE = re.compile(r"(?P<name>[a-z]+)\d+ (?:at (?P<station>\w+)|held)")
_DISHES_DONE = re.compile(re.escape(DONE_PREFIX) + r"(?P<stations>[\w, ]+)\.")


def next_items(progress: str, items: str) -> str:
    """Where the items of the next layer are, as a sentence to follow the dish's progress
    (" patty1 at table3."; "" when the dish is done or no such item is left).

    Read from the two texts a prompt shows (kitchen.dish.progress_text and
    kitchen.text.item_state, whose item lines list each stack bottom first): an item of a
    next layer's kind counts unless it is one of the dish's finished layers or lies on a
    finished earlier dish (a two-dish goal)."""
    wanted = _NEXT_KINDS.search(progress)
    if not wanted:
        return ""
    kinds = set(wanted["kinds"].split(" or "))
    dish = _DISH.search(progress)
    finished = int(dish["done"]) if dish else 0
    done = _DISHES_DONE.search(progress)
    closed = set(done["stations"].split(", ")) if done else set()
    places = []
    for line in items.split("\n")[1:]:  # the first line is the robot's
        item = _ITEM_LINE.match(line)
        if item is None or item["station"] in closed:
            continue
        if dish and item["station"] == dish["station"] and finished:
            finished -= 1  # the stack's bottom items are the dish's finished layers
            continue
        if item["name"] in kinds:
            name, station = line.split(" ", 1)[0], item["station"]
            places.append(f"{name} held" if station is None else f"{name} at {station}")
    return f" {', '.join(places)}." if places else ""


def indent_lines(text: str, indent: str) -> str:
    """`text` with `indent` before each of its lines."""
    return "\n".join(indent + line for line in text.split("\n")) if indent else text


_AIM_AND_PLACE = re.compile(r"(?P<aim>.*\b(?P<aim_station>\w+))\. I am at (?P<robot>\w+)\.")


def answer_thought(thought: str, action: str, template: str) -> str:
    """The thought a training answer shows for the template. `here: marked`: an aim at the
    robot's own station carries the mark instead of the robot's place ("I need cheese1 at
    table3 (here)."). `decision: stated`: the thought ends with what the places imply (a
    move goes there, waiting waits, anything else acts here: "I am at table1, so I act
    here."). Other templates get `thought` unchanged."""
    if template_option(template, "here") == "marked":
        match = _AIM_AND_PLACE.fullmatch(thought)
        if match and match["aim_station"] == match["robot"]:
            thought = match["aim"] + HERE + "."
    if template_option(template, "decision") == "stated":
        if action.startswith("Move "):
            decision = "so I go there"
        elif action == ACTION_TEMPLATES["wait"]:
            decision = "so I wait"
        else:
            decision = "so I act here"
        thought = f"{thought.removesuffix('.')}, {decision}."
    return thought


_ROBOT_LINE = re.compile(r"\w+ at (?P<station>\w+), holding")


def mark_here(text: str, items: str) -> str:
    """`text` with every mention of the robot's station marked (" (here)"), the station
    read from the robot's line of `items` (kitchen.text.item_state); unchanged without it."""
    robot = _ROBOT_LINE.match(items)
    if robot is None:
        return text
    return re.sub(rf"\b{re.escape(robot['station'])}\b", robot["station"] + HERE, text)


def format_response(thought: str, action: str) -> str:
    """The answer the prompt asks for (SFT targets are written this way)."""
    return f"Thought: {thought}\nAction: {action}"


_FORMAT = re.compile(r"\s*Thought:(?P<thought>.+?)\n\s*Action:(?P<action>[^\n]+)\s*", re.DOTALL)
_ACTION = re.compile(r"Action:([^\n]*)")


@dataclass(frozen=True)
class Response:
    """What a model's answer says. `action` is None unless exactly one "Action:" line
    names something; `well_formed` means "Thought: ..." then one "Action: ..." and nothing
    after it."""

    thought: str | None
    action: str | None
    well_formed: bool


def parse_response(text: str) -> Response:
    actions = _ACTION.findall(text)
    action = normalise(actions[0]) if len(actions) == 1 and actions[0].strip() else None
    match = _FORMAT.fullmatch(text)
    well_formed = match is not None and bool(match["thought"].strip()) and action is not None
    thought = " ".join(match["thought"].split()) if match else None
    return Response(thought, action, well_formed)


def normalise(action: str) -> str:
    """Whitespace collapsed and lower case: the form in which actions are compared."""
    return " ".join(action.split()).lower()


def written_action(reply: str) -> str | None:
    """The action a reply names, as written (spacing collapsed, case kept), or None unless
    it has exactly one non-empty "Action:" line: what a feedback line quotes back."""
    actions = _ACTION.findall(reply)
    return " ".join(actions[0].split()) if len(actions) == 1 and actions[0].strip() else None


def match_action(action: str | None, candidates: list[str]) -> str | None:
    """The candidate that `action` names (after normalising both), or None."""
    if action is None:
        return None
    wanted = normalise(action)
    return next((c for c in candidates if normalise(c) == wanted), None)


def parser_source() -> str:
    """The source of the code here that reads an answer (`parse_response` and what it
    uses), which the reward's hash covers."""
    patterns = f"_FORMAT = {_FORMAT.pattern!r}, {_FORMAT.flags}\n_ACTION = {_ACTION.pattern!r}\n"
    return patterns + "".join(
        inspect.getsource(code) for code in (Response, parse_response, normalise)
    )


def _template(name: str) -> dict[str, str]:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise ValueError(f"unknown prompt template {name!r}; known: {sorted(TEMPLATES)}") from None
