"""The package's layers: ``nn`` (math) ← ``train`` ← ``check``/``diagnosis`` ← ``report`` ←
``demos``/``cli``, with ``data`` beside ``nn``. A module imports only from its own layer or
the layers below, so the math never depends on the commands that use it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "dlrecipe"
# The rank of each top-level part; a module may import parts of its rank or lower.
RANKS = {
    "errors": 0,
    "validation": 0,
    "nn": 1,
    "data": 1,
    "initializers": 1,
    "optimizers": 1,
    "schedules": 1,
    "train": 2,
    "check": 3,
    "diagnosis": 3,
    "sklearn": 3,
    "report": 4,
    "demos": 5,
    "cli": 6,
    "__main__": 7,
}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imported_parts(path: Path) -> set[str]:
    """The top-level parts of dlrecipe that ``path`` imports (relative or absolute)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(PACKAGE).parts)  # 1 for dlrecipe/x.py, 2 for dlrecipe/a/x.py
    parts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = [node.module or ""]
            elif node.level == depth:  # up to the package itself: ``from .. import x``
                names = [node.module] if node.module else [a.name for a in node.names]
            elif node.level < depth:  # inside the module's own part
                continue
            else:
                continue
            for name in names:
                if node.level == 0 and not name.startswith("dlrecipe."):
                    continue
                parts.add(name.removeprefix("dlrecipe.").split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dlrecipe."):
                    parts.add(alias.name.split(".")[1])
    return parts


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _part(p) in RANKS)


def test_every_part_has_a_rank():
    parts = {_part(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert parts <= set(RANKS), f"parts without a layer: {parts - set(RANKS)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path):
    rank = RANKS[_part(path)]
    upward = {part for part in _imported_parts(path) if part in RANKS and RANKS[part] > rank}
    assert not upward, f"{path.relative_to(PACKAGE)} imports {sorted(upward)}, a higher layer"
