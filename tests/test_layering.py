"""The package's import graph runs one way, as the DAG does: a stage module calls library
packages, a library package imports only the ones below it, and no two files import each
other, directly or round a circle. Checked on the source (an AST walk), imports inside
functions included, so a lazy import cannot hide an arrow that runs up; imports under
`if TYPE_CHECKING:` are annotations, not runtime arrows, and are left out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "stgrpo"

# Bottom first. A package may import its own modules and any package on a lower layer.
LAYERS = (
    ("io", "parallel", "paths"),
    ("kitchen",),
    ("config",),
    ("data",),
    ("expert",),
    ("models",),
    ("rollout",),
    ("train",),
    ("evaluate",),
    ("workflow",),
    ("report",),
    ("stages",),
)
LAYER = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_nodes(tree: ast.AST):
    """Every node of the tree except those under `if TYPE_CHECKING:`."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            typing_only = isinstance(child, ast.If) and ast.unparse(child.test) in (
                "TYPE_CHECKING",
                "typing.TYPE_CHECKING",
            )
            if typing_only:
                todo += child.orelse
            else:
                todo.append(child)


def imported_modules(path: Path) -> set[str]:
    """Every `stgrpo...` module the file imports (for `from a import b`, `a.b` when that is
    a module of ours, else `a`)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in runtime_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return {m for m in found if m == "stgrpo" or m.startswith("stgrpo.")}


FILES = sorted(SRC.rglob("*.py"))
MODULES = {module_name(f): f for f in FILES}
GRAPH = {module_name(f): imported_modules(f) - {module_name(f)} for f in FILES}


def package_of(module: str) -> str:
    return module.split(".")[1] if "." in module else "stgrpo"


def test_every_package_has_a_layer():
    packages = {package_of(m) for m in MODULES} - {"stgrpo"}
    assert packages <= set(LAYER), f"put {sorted(packages - set(LAYER))} in LAYERS"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_run_down(module):
    own = package_of(module)
    if own == "stgrpo":
        return
    upward = [
        target
        for target in sorted(GRAPH[module])
        if package_of(target) not in (own, "stgrpo") and LAYER[package_of(target)] > LAYER[own]
    ]
    assert not upward, f"{module} ({own}) imports a higher layer: {upward}"


def test_no_import_cycle_between_files():
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if target not in GRAPH:
                continue
            if state.get(target) == "open":
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_walk_sees_imports():
    # The checks above pass vacuously if the walk finds nothing: it must see a known arrow,
    # one inside a function included.
    assert (
        "stgrpo.expert.planner" in GRAPH["stgrpo.stages.layouts"] | GRAPH["stgrpo.expert.layouts"]
    )
    assert "stgrpo.rollout.llm_expert" in GRAPH["stgrpo.stages.trajectories"]
