"""The kitchen domain: what exists and how it is described, in the project's own format.

The vocabulary mirrors Robotouille's synchronous domain (its `domain/robotouille.json`,
release branch): the same kinds, the same sentences, the same action phrasings and, where
the order of things is visible to an agent (observation lines, valid-action lists), the
same order. Behaviour lives in `rules.py`; this module is data only.
"""

from __future__ import annotations

# Station kinds and their identity sentence, in Robotouille's predicate order.
STATION_KINDS: dict[str, str] = {
    "table": "a table",
    "stove": "a stove",
    "board": "a cutting board",
    "fryer": "a fryer",
    "sink": "a sink",
}

# Item kinds and their identity sentence, in Robotouille's predicate order.
ITEM_KINDS: dict[str, str] = {
    "topbun": "a top bun",
    "bottombun": "a bottom bun",
    "bread": "a bread slice",
    "lettuce": "a head of lettuce",
    "onion": "an onion",
    "tomato": "a tomato",
    "patty": "a hamburger patty",
    "chicken": "a chicken breast",
    "cheese": "a cheese slice",
    "potato": "a potato",
}

ROBOT_KIND = "robot"

# Item properties, one bit each, in Robotouille's predicate order (this order is the order
# of the property lines in an item's observation block).
PROPERTIES: dict[str, str] = {
    "isfryable": "can be fried in a fryer",
    "isfryableifcut": "can be fried in a fryer after being cut",
    "isfried": "is fried",
    "iscookable": "can be cooked on a stove",
    "iscooking": "is cooking",
    "iscooked": "is cooked",
    "iscuttable": "can be cut on a cutting board",
    "iscut": "is cut",
}
BIT: dict[str, int] = {name: 1 << i for i, name in enumerate(PROPERTIES)}
FRYABLE, FRYABLE_IF_CUT, FRIED = BIT["isfryable"], BIT["isfryableifcut"], BIT["isfried"]
COOKABLE, COOKING, COOKED = BIT["iscookable"], BIT["iscooking"], BIT["iscooked"]
CUTTABLE, CUT = BIT["iscuttable"], BIT["iscut"]

# Relations a goal may name (besides the properties above), with their argument kinds.
RELATIONS: dict[str, tuple[str, ...]] = {
    "item_on": ("item", "station"),
    "item_at": ("item", "station"),
    "atop": ("item", "item"),
    "clear": ("item",),
    "loc": ("player", "station"),
    "has_item": ("player", "item"),
    "nothing": ("player",),
    "station_empty": ("station",),
    "vacant": ("station",),
}

# Timers: steps an item must stay in place after the action, and cuts needed, by default.
# Robotouille's release code hard-codes these (a 4-tick delayed effect whose first tick is
# the action's own step, and 3 repetitions); its environment files carry the same numbers
# in a `config` block (cook_time 3, num_cuts 3), which this engine honours.
DEFAULT_COOK_TIME = 3
DEFAULT_FRY_TIME = 3
DEFAULT_NUM_CUTS = 3

# Action kinds in Robotouille's domain order (the order of the valid-action list), with the
# exact phrasing an agent sees.
ACTION_TEMPLATES: dict[str, str] = {
    "move": "Move {robot} from {a} to {b}",
    "pick": "Pick up {a} from {b} using {robot}",
    "place": "Place {a} on {b} using {robot}",
    "cook": "Cook {a} on {b} using {robot}",
    "cut": "Cut {a} on {b} using {robot}",
    "fry": "Fry {a} on {b} using {robot}",
    "stack": "Stack {a} on top of {b} using {robot}",
    "unstack": "Unstack {a} from {b} using {robot}",
    "wait": "Do nothing",
}
