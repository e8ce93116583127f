"""No import cycle in pipelines/: every module imports on its own, and the import graph has no cycle.

The graph counts every import, those inside functions and under TYPE_CHECKING too: hiding one there is still a cycle.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys

from tests.conftest import ROOT

PACKAGE = ROOT / "pipelines"


def _modules() -> dict[str, ast.Module]:
    """Return the parsed source of every module under pipelines/, by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return modules


def _imported(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """Return the modules of `known` that a module imports anywhere in its body (in functions too)."""
    is_package = (PACKAGE.parent / name.replace(".", "/") / "__init__.py").is_file()
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join([*parent, *([base] if base else [])])
            # `from package import module` imports the module; `from module import name` the module itself.
            out |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names}
    return {module for module in out if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    """Return, per module under pipelines/, the modules under pipelines/ it imports."""
    modules = _modules()
    return {name: _imported(name, tree, set(modules)) for name, tree in modules.items()}


def test_every_module_imports_on_its_own():
    # One fresh interpreter; before each module, every pipelines.* module is dropped from sys.modules, so each is
    # imported as if first (the libraries they use stay loaded: they cannot take part in a cycle of ours).
    script = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "pipelines" or m.startswith("pipelines.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=-3))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""
    result = subprocess.run([sys.executable, "-c", script, *sorted(_modules())], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_import_graph_of_pipelines_has_no_cycle():
    graph = import_graph()
    assert "pipelines.score.yaml_lines" in graph["pipelines.score.cohort"]       # the graph sees imports
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' → '.join(reversed(exc.args[1]))} (each imports the next)") from None
