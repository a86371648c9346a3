"""Tasks: the recipes of Robotouille's synchronous benchmark, with their default kitchens.

Each task has Robotouille's goal (same predicates and ids, so the same meaning), its goal
description, and its default layout as written in Robotouille's example file. Goals are
written compactly here, `predicate(kind#id, ...)`; defaults as station and item lists.
The four tasks of the paper are `cheese_sandwich`, `burger`, `cheeseburger` and
`double_cheeseburger`; the six others complete Robotouille's synchronous set.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from stgrpo.kitchen.domain import DEFAULT_COOK_TIME, DEFAULT_NUM_CUTS
from stgrpo.kitchen.layout import GoalLiteral, ItemSpec, Layout, RobotSpec, StationSpec

PAPER_TASKS = ("cheese_sandwich", "burger", "cheeseburger", "double_cheeseburger")

_LITERAL = re.compile(r"(\w+)\(([^()]*)\)")


def parse_goal(text: str) -> tuple[GoalLiteral, ...]:
    """'atop(cheese#3, bread#1) iscooked(patty#2)' -> goal literals (numeric ids become ints)."""
    literals = []
    for predicate, arguments in _LITERAL.findall(text):
        kinds, ids = [], []
        for argument in arguments.split(","):
            kind, _, ident = argument.strip().partition("#")
            kinds.append(kind)
            ids.append(int(ident) if ident.isdigit() else ident)
        literals.append(GoalLiteral(predicate, tuple(kinds), tuple(ids)))
    if not literals:
        raise ValueError(f"no goal literal found in {text!r}")
    return tuple(literals)


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    description: str
    goal: tuple[GoalLiteral, ...]
    default_layout: Layout
    robotouille_example: str  # file under Robotouille's environments/env_generator/examples
    robotouille_optimal_steps: int  # hard-coded in Robotouille's configs for the default

    @property
    def timeout(self) -> int:
        """Episode budget: Robotouille allows 1.5 x its optimal steps (15, 15, 23, 35 ...)."""
        return math.ceil(1.5 * self.robotouille_optimal_steps)


def _task(name, title, example, optimal, description, goal, stations, items) -> Task:
    goal_literals = parse_goal(goal)
    layout = Layout(
        width=5,
        height=5,
        stations=tuple(StationSpec(k, x, y) for k, x, y in stations),
        items=tuple(ItemSpec(k, x, y, level, tuple(preds)) for k, x, y, level, *preds in items),
        robot=RobotSpec(0, 2, 0, -1),
        goal=goal_literals,
        goal_description=description,
        config={
            "num_cuts": {"lettuce": DEFAULT_NUM_CUTS, "default": DEFAULT_NUM_CUTS},
            "cook_time": {"patty": DEFAULT_COOK_TIME, "default": DEFAULT_COOK_TIME},
        },
        task=name,
    )
    return Task(name, title, description, goal_literals, layout, example, optimal)


def _tables(*cells):
    return [("table", x, y) for x, y in cells]


TASKS: dict[str, Task] = {
    t.name: t
    for t in [
        _task(
            "cheese_sandwich",
            "Cheese Sandwich",
            "synchronous/0_cheese_sandwich",
            10,
            "Prepare a cheese sandwich on a table",
            "item_on(bread#1, table#2) atop(cheese#3, bread#1) atop(bread#4, cheese#3)",
            _tables((0, 1), (0, 3), (2, 3), (3, 3)),
            [("bread", 0, 1, 0), ("bread", 0, 3, 0), ("cheese", 2, 3, 0)],
        ),
        _task(
            "lettuce_sandwich",
            "Lettuce Sandwich",
            "synchronous/1_lettuce_sandwich",
            14,
            "Prepare a lettuce sandwich on a table",
            # Robotouille's file says cheese#3 in the last literal; id 3 binds the lettuce.
            "item_on(bread#1, table#2) iscut(lettuce#3) atop(lettuce#3, bread#1) "
            "atop(bread#4, cheese#3)",
            [*_tables((0, 1), (0, 3), (2, 3)), ("board", 2, 1), ("table", 3, 3)],
            [("bread", 0, 1, 0), ("bread", 0, 3, 0), ("lettuce", 2, 3, 0, "iscuttable")],
        ),
        _task(
            "lettuce_tomato_sandwich",
            "Lettuce Tomato Sandwich",
            "synchronous/2_lettuce_tomato_sandwich",
            24,
            "Prepare a sandwich with lettuce and tomato on a table",
            "iscut(lettuce#1) iscut(tomato#2) item_on(bread#4, table#3) "
            "item_at(lettuce#1, table#3) item_at(tomato#2, table#3) item_at(bread#5, table#3) "
            "clear(bread#5)",
            [*_tables((0, 1), (0, 3)), ("board", 2, 1), *_tables((2, 3), (3, 3))],
            [
                ("bread", 0, 1, 0),
                ("bread", 0, 3, 0),
                ("lettuce", 2, 3, 0, "iscuttable"),
                ("tomato", 3, 3, 0, "iscuttable"),
            ],
        ),
        _task(
            "burger",
            "Burger",
            "synchronous/3_burger",
            10,
            "Prepare a hamburger on a table",
            "item_on(bottombun#1, table#2) iscooked(patty#3) atop(patty#3, bottombun#1) "
            "atop(topbun#4, patty#3)",
            _tables((0, 1), (2, 3), (3, 3)),
            [("bottombun", 0, 1, 0), ("topbun", 2, 3, 0), ("patty", 3, 3, 0, "iscooked")],
        ),
        _task(
            "cheeseburger",
            "Cheese Burger",
            "synchronous/4_cheeseburger",
            15,
            "Prepare a cheeseburger on a table",
            "item_on(bottombun#1, table#2) item_at(cheese#3, table#2) iscooked(patty#4) "
            "item_at(patty#4, table#2) item_at(topbun#5, table#2) clear(topbun#5)",
            _tables((0, 1), (2, 3), (3, 3), (4, 3)),
            [
                ("bottombun", 0, 1, 0),
                ("topbun", 0, 1, 1),
                ("cheese", 2, 3, 0),
                ("patty", 3, 3, 0, "iscooked"),
            ],
        ),
        _task(
            "double_cheeseburger",
            "Double Cheese Burger",
            "synchronous/5_double_cheeseburger",
            23,
            "Prepare a double cheeseburger on a table which contains two patties and two cheese "
            "slices interleaved (starting with a patty)",
            "item_on(bottombun#1, table#2) iscooked(patty#3) atop(patty#3, bottombun#1) "
            "atop(cheese#4, patty#3) iscooked(patty#5) atop(patty#5, cheese#4) "
            "atop(cheese#6, patty#5) atop(topbun#7, cheese#6)",
            _tables((0, 1), (2, 3), (3, 3), (4, 3)),
            [
                ("bottombun", 0, 1, 0),
                ("topbun", 0, 1, 1),
                ("cheese", 2, 3, 0),
                ("cheese", 2, 3, 1),
                ("patty", 3, 3, 0, "iscooked"),
                ("patty", 3, 3, 1, "iscooked"),
            ],
        ),
        _task(
            "lettuce_tomato_cheeseburger",
            "Lettuce Tomato Cheese Burger",
            "synchronous/6_lettuce_tomato_cheeseburger",
            36,
            "Prepare a lettuce tomato cheeseburger on a table",
            "item_on(bottombun#1, table#2) item_at(cheese#3, table#2) iscooked(patty#4) "
            "item_at(patty#4, table#2) iscut(lettuce#5) item_at(lettuce#5, table#2) "
            "iscut(tomato#6) item_at(tomato#6, table#2) item_at(topbun#7, table#2) "
            "clear(topbun#7)",
            [*_tables((0, 1), (2, 3)), ("board", 2, 1), *_tables((3, 3), (3, 1), (4, 3), (4, 1))],
            [
                ("bottombun", 0, 1, 0),
                ("topbun", 0, 1, 1),
                ("cheese", 2, 3, 0),
                ("lettuce", 3, 1, 0, "iscuttable"),
                ("tomato", 4, 1, 0, "iscuttable"),
                ("patty", 3, 3, 0, "iscooked"),
            ],
        ),
        _task(
            "two_lettuce_chicken_sandwich",
            "Two Lettuce Chicken Sandwiches",
            "synchronous/7_two_lettuce_chicken_sandwich",
            44,
            "Prepare two lettuce chicken sandwiches on separate tables",
            "item_on(bread#1, table#2) iscut(lettuce#3) item_at(lettuce#3, table#2) "
            "iscooked(chicken#4) item_at(chicken#4, table#2) item_at(bread#5, table#2) "
            "clear(bread#5) item_on(bread#6, table#7) iscut(lettuce#8) item_at(lettuce#8, table#7) "
            "iscooked(chicken#9) item_at(chicken#9, table#7) item_at(bread#10, table#7) "
            "clear(bread#10)",
            [*_tables((0, 1), (2, 3), (3, 3), (1, 1)), ("board", 2, 1), *_tables((3, 1), (4, 1))],
            [
                ("bread", 0, 1, 0),
                ("bread", 0, 1, 1),
                ("bread", 0, 1, 2),
                ("bread", 0, 1, 3),
                ("lettuce", 2, 3, 0, "iscuttable"),
                ("lettuce", 3, 3, 0, "iscuttable"),
                ("chicken", 3, 1, 0, "iscooked"),
                ("chicken", 4, 1, 0, "iscooked"),
            ],
        ),
        _task(
            "two_lettuce_tomato_burger",
            "Two Lettuce Tomato Burgers",
            "synchronous/8_two_lettuce_tomato_burger",
            63,
            "Prepare two lettuce tomato burgers on separate tables",
            "item_on(bottombun#1, table#2) iscut(lettuce#3) item_at(lettuce#3, table#2) "
            "iscooked(patty#4) item_at(patty#4, table#2) item_at(topbun#5, table#2) "
            "clear(topbun#5) item_on(bottombun#6, table#7) iscut(lettuce#8) "
            "item_at(lettuce#8, table#7) iscooked(patty#9) item_at(patty#9, table#7) "
            "item_at(topbun#10, table#7) clear(topbun#10)",
            [
                *_tables((0, 1), (0, 3), (2, 3), (3, 3), (4, 3), (1, 1)),
                ("board", 2, 1),
                *_tables((3, 1), (4, 1)),
            ],
            [
                ("bottombun", 0, 1, 0),
                ("topbun", 0, 1, 1),
                ("bottombun", 0, 3, 0),
                ("topbun", 0, 3, 1),
                ("lettuce", 2, 3, 0, "iscuttable"),
                ("lettuce", 3, 3, 0, "iscuttable"),
                ("patty", 1, 1, 0, "iscooked"),
                ("patty", 1, 1, 1, "iscooked"),
                ("tomato", 3, 1, 1, "iscuttable"),
                ("tomato", 4, 1, 1, "iscuttable"),
            ],
        ),
        _task(
            "onion_cheese_burger_and_lettuce_tomato_chicken_sandwich",
            "Onion Cheese Burger and Lettuce Tomato Chicken Sandwich",
            "synchronous/9_onion_cheese_burger_and_lettuce_tomato_chicken_sandwich",
            57,
            "Prepare a burger with cheese and onions on one table and a chicken sandwich with "
            "lettuce and tomato on another table",
            "item_on(bread#1, table#2) iscut(lettuce#3) item_at(lettuce#3, table#2) "
            "iscooked(chicken#4) item_at(chicken#4, table#2) iscut(tomato#5) "
            "item_at(tomato#5, table#2) item_at(bread#6, table#2) clear(bread#6) "
            "item_on(bottombun#7, table#8) iscut(onion#9) item_at(onion#9, table#8) "
            "iscooked(patty#10) item_at(patty#10, table#8) item_at(cheese#11, table#8) "
            "item_at(topbun#12, table#8) clear(topbun#12)",
            [
                *_tables((0, 1), (0, 3), (2, 3), (3, 3), (4, 3), (1, 1)),
                ("board", 2, 1),
                *_tables((3, 1), (4, 1)),
            ],
            [
                ("bottombun", 0, 1, 0),
                ("topbun", 0, 1, 1),
                ("bread", 0, 3, 0),
                ("bread", 0, 3, 1),
                ("cheese", 2, 3, 0),
                ("onion", 3, 3, 0, "iscuttable"),
                ("patty", 4, 3, 0, "iscooked"),
                ("chicken", 1, 1, 1, "iscooked"),
                ("lettuce", 3, 1, 1, "iscuttable"),
                ("tomato", 4, 1, 1, "iscuttable"),
            ],
        ),
    ]
}


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; expected one of {sorted(TASKS)}") from None
