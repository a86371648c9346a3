"""Pictures for people: a kitchen state as a PNG, an episode as a strip (PNG) or a GIF.

Each grid cell is drawn with origin bottom-left (Robotouille's convention). Stations are
coloured tiles named like the agent sees them; items are drawn as a stack of labels on their
station, marked (cooked), (cooking), (cut) or (fried); the robot stands on a free cell next
to its station and shows what it holds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyBboxPatch

from stgrpo.kitchen.domain import COOKED, COOKING, CUT, FRIED
from stgrpo.kitchen.state import NOTHING, State
from stgrpo.kitchen.world import World

STATION_COLOURS = {
    "table": "#c8a27a",
    "stove": "#9e9e9e",
    "board": "#e8d7b0",
    "fryer": "#e0b040",
    "sink": "#8ec5e8",
}
_MARKS = ((COOKED, "cooked"), (COOKING, "cooking"), (CUT, "cut"), (FRIED, "fried"))


def item_label(world: World, state: State, item: int) -> str:
    marks = [word for bit, word in _MARKS if state.flags[item] & bit]
    name = world.item_names[item]
    return f"{name} ({', '.join(marks)})" if marks else name


def robot_cell(world: World, station: int) -> tuple[float, float]:
    """Where to draw the robot: its start cell if it faces this station, else a free neighbour."""
    robot = world.layout.robot
    x, y = world.station_cells[station]
    if robot.facing == (x, y):
        return robot.x, robot.y
    occupied = set(world.station_cells)
    for dx, dy in ((0, -1), (-1, 0), (1, 0), (0, 1)):
        cell = (x + dx, y + dy)
        if (
            cell not in occupied
            and 0 <= cell[0] < world.layout.width
            and 0 <= cell[1] < world.layout.height
        ):
            return cell
    return x + 0.3, y - 0.3


def draw_state(world: World, state: State, ax, title: str | None = None) -> None:
    width, height = world.layout.width, world.layout.height
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(-0.5, height - 0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for x in range(width):
        for y in range(height):
            ax.add_patch(
                FancyBboxPatch(
                    (x - 0.48, y - 0.48),
                    0.96,
                    0.96,
                    boxstyle="round,pad=0,rounding_size=0.05",
                    facecolor="#f4f1ea",
                    edgecolor="#ddd",
                    linewidth=0.5,
                )
            )
    for s, (x, y) in enumerate(world.station_cells):
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.45, y - 0.45),
                0.9,
                0.9,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor=STATION_COLOURS[world.station_kinds[s]],
                edgecolor="#555",
            )
        )
        ax.text(
            x, y - 0.38, world.station_names[s], ha="center", va="bottom", fontsize=6, color="#222"
        )
        for level, item in enumerate(state.stacks[s]):
            ax.text(
                x,
                y - 0.2 + 0.17 * level,
                item_label(world, state, item),
                ha="center",
                va="bottom",
                fontsize=5.5,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.85},
            )
    rx, ry = robot_cell(world, state.robot)
    ax.add_patch(Circle((rx, ry), 0.28, facecolor="#4a78c2", edgecolor="#1d3d73"))
    ax.text(rx, ry, world.robot_name, ha="center", va="center", fontsize=6, color="white")
    if state.held != NOTHING:
        ax.text(
            rx,
            ry + 0.32,
            item_label(world, state, state.held),
            ha="center",
            va="bottom",
            fontsize=5.5,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "#fff7c2"},
        )
    if title:
        ax.set_title(title, fontsize=7)


def render_state(
    world: World, state: State, path: str | os.PathLike, title: str | None = None
) -> None:
    """Write one state as a PNG."""
    fig, ax = plt.subplots(figsize=(4, 4), dpi=120)
    draw_state(world, state, ax, title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def render_episode(
    world: World,
    states: Sequence[State],
    path: str | os.PathLike,
    titles: Sequence[str] | None = None,
    columns: int = 5,
) -> None:
    """Write an episode: a strip of frames (.png) or an animation (.gif)."""
    titles = list(titles) if titles is not None else [f"step {i}" for i in range(len(states))]
    if str(path).endswith(".gif"):
        _render_gif(world, states, titles, path)
        return
    rows = -(-len(states) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3 * rows), dpi=100, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, state, title in zip(axes.flat, states, titles, strict=False):
        ax.axis("on")
        draw_state(world, state, ax, title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _render_gif(world, states, titles, path) -> None:
    from matplotlib.animation import FuncAnimation, PillowWriter

    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)

    def frame(k):
        ax.clear()
        draw_state(world, states[k], ax, titles[k])

    animation = FuncAnimation(fig, frame, frames=len(states))
    animation.save(path, writer=PillowWriter(fps=2))
    plt.close(fig)
