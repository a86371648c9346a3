"""The text an agent sees and writes: observations, action strings, and parsing them back.

The observation is byte-identical to Robotouille's `LanguageSpace`: one block per object
(stations, then items, then the robot) listing every true fact about it in Robotouille's
predicate order, then `Valid Actions:` and `Goal:`. Action strings use Robotouille's exact
phrasing. Parsing is exact and total: a string is one of the world's grounded actions or
nothing (`None`), with no case folding or trimming (extracting the action from a model's
reply is the prompt layer's job); whether it is valid *now* is the environment's question.
"""

from __future__ import annotations

from stgrpo.kitchen.domain import ACTION_TEMPLATES, ITEM_KINDS, PROPERTIES, STATION_KINDS
from stgrpo.kitchen.state import NOTHING, WAIT, Action, State
from stgrpo.kitchen.world import World

_PROPERTY_SENTENCES = tuple(PROPERTIES.values())


def action_text(world: World, action: Action) -> str:
    kind, a, b = action
    robot = world.robot_name
    if kind == "wait":
        return ACTION_TEMPLATES["wait"]
    if kind == "move":
        names = world.station_names[a], world.station_names[b]
    elif kind in ("stack", "unstack"):
        names = world.item_names[a], world.item_names[b]
    else:
        names = world.item_names[a], world.station_names[b]
    return ACTION_TEMPLATES[kind].format(robot=robot, a=names[0], b=names[1])


def all_actions(world: World) -> list[Action]:
    """Every grounded action of a world, valid or not (what a string can name)."""
    stations, items = range(world.n_stations), range(world.n_items)
    actions = [Action("move", s, t) for s in stations for t in stations if s != t]
    for kind in ("pick", "place", "cook", "cut", "fry"):
        actions += [Action(kind, i, s) for i in items for s in stations]
    for kind in ("stack", "unstack"):
        actions += [Action(kind, i, j) for i in items for j in items if i != j]
    actions.append(WAIT)
    return actions


class ActionVocabulary:
    """All action strings of one world: exact, total parsing and cached rendering."""

    def __init__(self, world: World):
        self.world = world
        self._text_of = {a: action_text(world, a) for a in all_actions(world)}
        self._action_of = {text: a for a, text in self._text_of.items()}

    def text(self, action: Action) -> str:
        return self._text_of[action]

    def parse(self, text: object) -> Action | None:
        """The grounded action a string names exactly (as Robotouille matches), else None."""
        if not isinstance(text, str):
            return None
        return self._action_of.get(text)


def observation(world: World, state: State, valid_texts: list[str]) -> str:
    """Robotouille's observation text for `state`, with its valid actions and the goal."""
    blocks = [_station_block(world, state, s) for s in range(world.n_stations)]
    where = {item: (s, k) for s, stack in enumerate(state.stacks) for k, item in enumerate(stack)}
    blocks += [_item_block(world, state, i, where) for i in range(world.n_items)]
    blocks.append(_robot_block(world, state))
    return (
        "\n\n".join(blocks)
        + "\n\nValid Actions:\n"
        + "\n".join(valid_texts)
        + f"\n\nGoal: {world.layout.goal_description}"
    )


def _station_block(world: World, state: State, s: int) -> str:
    name = world.station_names[s]
    items = world.item_names
    stack = state.stacks[s]
    lines = [f"Station {name}:", f"{name} is {STATION_KINDS[world.station_kinds[s]]}"]
    if state.robot == s:
        lines.append(f"{name} is occupied by {world.robot_name}")
    lines += [f"{name} has {items[i]}" for i in sorted(stack)]
    if stack:
        lines.append(f"{name} has {items[stack[0]]} directly on top of it")
    else:
        lines.append(f"{name} has nothing on it")
    if state.robot != s:
        lines.append(f"{name} has no players at it")
    return "\n".join(lines)


def _item_block(world: World, state: State, i: int, where: dict[int, tuple[int, int]]) -> str:
    name = world.item_names[i]
    lines = [f"Item {name}:", f"{name} is {ITEM_KINDS[world.item_kinds[i]]}"]
    flags = state.flags[i]
    lines += [
        f"{name} {sentence}" for bit, sentence in enumerate(_PROPERTY_SENTENCES) if flags >> bit & 1
    ]
    if i in where:
        s, level = where[i]
        stack = state.stacks[s]
        station = world.station_names[s]
        lines.append(f"{name} is at {station}")
        if level == 0:
            lines.append(f"{name} is directly on top of {station}")
        if level == len(stack) - 1:
            lines.append(f"{name} has nothing above it")
        # atop facts in Robotouille's grounding order: pairs (upper, lower) by object index
        pairs = []
        if level > 0:
            pairs.append(
                (
                    (i, stack[level - 1]),
                    f"{name} is directly on top of {world.item_names[stack[level - 1]]}",
                )
            )
        if level < len(stack) - 1:
            pairs.append(
                (
                    (stack[level + 1], i),
                    f"{name} is directly under {world.item_names[stack[level + 1]]}",
                )
            )
        lines += [sentence for _, sentence in sorted(pairs)]
    elif state.held == i:
        lines.append(f"{name} is held by {world.robot_name}")
    return "\n".join(lines)


def _robot_block(world: World, state: State) -> str:
    name = world.robot_name
    holding = "nothing" if state.held == NOTHING else world.item_names[state.held]
    return "\n".join(
        [
            f"Player {name}:",
            f"{name} is a robot",
            f"{name} is at {world.station_names[state.robot]}",
            f"{name} is holding {holding}",
        ]
    )


_SHORT_PROPERTIES = tuple(name[2:].replace("ifcut", " if cut") for name in PROPERTIES)


def compact_state(world: World, state: State) -> str:
    """The same facts as `observation`, one line per station (a few hundred tokens where
    Robotouille's sentences take a thousand): stacks bottom to top, item properties in
    parentheses, then where the robot is and what it holds."""

    def item(i: int) -> str:
        flags = state.flags[i]
        words = [w for bit, w in enumerate(_SHORT_PROPERTIES) if flags >> bit & 1]
        return world.item_names[i] + (f" ({', '.join(words)})" if words else "")

    lines = ["Stations (items bottom to top):"]
    for s, stack in enumerate(state.stacks):
        kind = STATION_KINDS[world.station_kinds[s]].split(" ", 1)[1]  # drop "a"/"an"
        contents = ", ".join(item(i) for i in stack) or "empty"
        lines.append(f"{world.station_names[s]} ({kind}): {contents}")
    held = "nothing" if state.held == NOTHING else item(state.held)
    lines.append(f"{world.robot_name} is at {world.station_names[state.robot]}, holding {held}.")
    return "\n".join(lines)


_STATE_WORDS = {"iscooked": "cooked", "iscut": "cut", "isfried": "fried"}


def recipe(goal: tuple) -> str:
    """The goal's literals as a recipe a reader (or a small model) can follow, one clause per
    ingredient in the goal's order: "bread A on a table; cheese on bread A; bread B on
    cheese". Goal variables of one kind are told apart by letters (A, B, ...) where a kind
    occurs more than once; a literal about a named station or item keeps its kind."""
    # An id keeps the kind it first appears with (Robotouille's lettuce sandwich reuses
    # cheese#3 for the lettuce), and goal clauses start with the dishes' bases.
    goal = sorted(goal, key=lambda literal: literal.predicate != "item_on")
    kind_of: dict = {}
    for literal in goal:
        for kind, ident in zip(literal.args, literal.ids, strict=True):
            kind_of.setdefault(ident, kind)
    counts: dict[str, list] = {}
    for ident, kind in kind_of.items():
        if kind in ITEM_KINDS:
            counts.setdefault(kind, []).append(ident)

    def name(ident) -> str:
        kind = kind_of[ident]
        idents = counts.get(kind, [ident])
        return kind if len(idents) == 1 else f"{kind} {chr(ord('A') + idents.index(ident))}"

    bases = {lit.ids[1]: lit.ids[0] for lit in goal if lit.predicate == "item_on"}
    clauses: dict = {}  # goal id -> its words, in the goal's order
    for literal in goal:
        words = clauses.setdefault(literal.ids[0], [])
        if literal.predicate in _STATE_WORDS:
            words.insert(0, _STATE_WORDS[literal.predicate])
        elif literal.predicate == "item_on":
            words.append(f"on a {literal.args[1]}")
        elif literal.predicate == "atop":
            words.append(f"on {name(literal.ids[1])}")
        elif literal.predicate == "item_at":
            base = bases.get(literal.ids[1])
            words.append(f"with {name(base)}" if base is not None else f"at a {literal.args[1]}")
        elif literal.predicate == "clear":
            words.append("on top")
        else:
            words.append(f"{literal.predicate} " + " ".join(map(str, literal.ids[1:])))
    return "; ".join(" ".join([name(ident), *words]) for ident, words in clauses.items())


def lookup_thought(world: World, state: State, action: Action, following: Action | None) -> str:
    """A thought that spells out the lookups behind `action`, so that a small model only has
    to copy: what the plan does next and where ("I need patty1 at table4.", "I put patty1
    on bottombun1 at table1."), then where the robot stands ("I am at table1."). The action
    follows from the two places: the same station means act there, another means move."""
    return aim_thought(world, state, _lookup_aim(world, state, action, following))


def _lookup_aim(world: World, state: State, action: Action, following: Action | None) -> str:
    """The first sentence of `lookup_thought`: what `action` is for, and where."""
    names, stations = world.item_names, world.station_names
    purpose = following if action.kind == "move" and following is not None else action
    kind, a, b = purpose
    where = {item: s for s, stack in enumerate(state.stacks) for item in stack}
    if kind in ("pick", "unstack"):
        return f"I need {names[a]} at {stations[where[a]]}."
    if kind == "place":
        return f"I put {names[a]} on {stations[b]}."
    if kind == "stack":
        return f"I put {names[a]} on {names[b]} at {stations[where[b]]}."
    if kind in ("cook", "cut", "fry"):
        return f"I {kind} {names[a]} at {stations[b]}."
    if kind == "wait":
        return "I wait: something is cooking."
    return f"I go to {stations[b]}."


def aim_thought(world: World, state: State, aim: str) -> str:
    """An aim, then where the robot is ("I need patty1 at table4. I am at table1."): a
    recipe expert's thought without the dish's progress, for templates that show it."""
    robot = f"I am at {world.station_names[state.robot]}."
    return f"{aim} {robot}" if aim else robot


def item_state(world: World, state: State) -> str:
    """The state as the robot's line, then one line per item, each starting with the item's
    name ("cheese1 at table2, on patty1, under topbun1, cooked."), then the empty stations. A
    model finds where an item is by copying what follows its name, which small models learn
    far sooner than reading a station's line backwards."""
    lines = [
        f"{world.robot_name} at {world.station_names[state.robot]}, holding "
        f"{'nothing' if state.held == NOTHING else world.item_names[state.held]}."
    ]
    for s, stack in enumerate(state.stacks):
        for level, i in enumerate(stack):
            parts = [f"{world.item_names[i]} at {world.station_names[s]}"]
            if level:
                parts.append(f"on {world.item_names[stack[level - 1]]}")
            if level < len(stack) - 1:
                parts.append(f"under {world.item_names[stack[level + 1]]}")
            parts += _item_words(state, i)
            lines.append(", ".join(parts) + ".")
    if state.held != NOTHING:
        lines.append(
            ", ".join([f"{world.item_names[state.held]} held", *_item_words(state, state.held)])
            + "."
        )
    empty = [world.station_names[s] for s, stack in enumerate(state.stacks) if not stack]
    lines.append(f"Empty: {', '.join(empty) if empty else 'none'}.")
    return "\n".join(lines)


def _item_words(state: State, i: int) -> list[str]:
    return [w for bit, w in enumerate(_SHORT_PROPERTIES) if state.flags[i] >> bit & 1]
