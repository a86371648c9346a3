"""The kitchen: a fast, Robotouille-compatible environment (see docs/kitchen.md)."""

from stgrpo.kitchen.env import KitchenEnv
from stgrpo.kitchen.layout import (
    Layout,
    LayoutError,
    from_robotouille_json,
    load_robotouille_file,
    read_layouts,
    write_layouts,
)
from stgrpo.kitchen.rules import apply, successors, valid_actions
from stgrpo.kitchen.state import Action, State
from stgrpo.kitchen.world import World

__all__ = [
    "Action",
    "KitchenEnv",
    "Layout",
    "LayoutError",
    "State",
    "World",
    "apply",
    "from_robotouille_json",
    "load_robotouille_file",
    "read_layouts",
    "successors",
    "valid_actions",
    "write_layouts",
]
