"""The package's import graph: no cycles, and no private name imported across modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "stance"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _runtime_nodes(tree: ast.AST, *, top_level_only: bool) -> list[ast.AST]:
    """The statements that run: ``if TYPE_CHECKING:`` blocks never do (type hints only)."""
    out: list[ast.AST] = []

    def walk(node: ast.AST, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inside_definition = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
            if top_level_only and inside_definition:
                continue
            out.append(child)
            walk(child, depth + 1)

    walk(tree, 0)
    return out


def _imports(module: str, path: Path, modules: dict[str, Path], *, top_level_only: bool) -> set[str]:
    """The stance modules ``module`` imports (at module level only, if asked)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in _runtime_nodes(tree, top_level_only=top_level_only):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node, path.name == "__init__.py")
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules and name != module}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_among_stance_modules():
    """Imports anywhere in a module (lazy ones inside functions too) count: a lazy import
    can hide a cycle but not remove it. A package's ``__init__`` re-exporting its own
    modules is not a cycle, so edges from a module to the package that contains it are
    left out."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = _imports(name, path, modules, top_level_only=False)
        graph[name] = {e for e in edges if not name.startswith(e + ".")}
    # the package root lazily exports public names (PEP 562): leave its edges out
    graph["stance"] = set()
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_no_private_name_is_imported_across_modules():
    offenders = []
    modules = _modules()
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("stance")):
                offenders += [f"{name}: {alias.name}" for alias in node.names if alias.name.startswith("_") and alias.name != "__version__"]
    assert not offenders, offenders


@pytest.mark.parametrize("module", sorted(_modules()))
def test_every_module_imports_on_its_own_in_a_fresh_interpreter(module):
    result = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
