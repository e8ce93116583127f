"""The code a pipeline step runs, and one hash over it: what a stage's key and a step's cache key take as its code.

A step's code is its modules, every pipelines module they import in turn, and the SQL and templates of their
folders; the hash changes whenever any of those files does, whatever the version number says.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipelines import __version__
from pipelines.sources import files_digest

PACKAGE = Path(__file__).resolve().parent
# Beside a step's Python modules, the SQL and templates of their folders are its code.
DATA_SUFFIXES = (".sql", ".j2")


@dataclass(frozen=True)
class ModuleInfo:
    """What is read of a module's source: the pipelines modules it imports, and its READS if it has one."""

    imports: frozenset[str]
    reads: tuple[str, ...] | None


# Modules by their source's sha256: a refresh plans twice (before Prefect starts, and under the lock), and parsing
# every step's modules is most of a plan's time.
_INFO: dict[str, ModuleInfo] = {}


def module_info(path: Path) -> ModuleInfo:
    """Return the imports (at any depth of its code) and the READS of the module at `path`, parsing it once."""
    source = path.read_bytes()
    key = hashlib.sha256(source).hexdigest()
    if key not in _INFO:
        tree = ast.parse(source.decode("utf-8"))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipelines"):
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("pipelines")}
        reads = next((tuple(ast.literal_eval(node.value)) for node in tree.body if isinstance(node, ast.Assign)
                      and any(isinstance(t, ast.Name) and t.id == "READS" for t in node.targets)), None)
        _INFO[key] = ModuleInfo(frozenset(found), reads)
    return _INFO[key]


def module_file(module: str) -> Path | None:
    """Return the file of the pipelines module named `module` (its .py, or its package's __init__.py), if any."""
    path = PACKAGE.parent / module.replace(".", "/")
    return next((p for p in (path.with_suffix(".py"), path / "__init__.py") if p.is_file()), None)


def _own_data_files(folder: Path) -> set[Path]:
    """Return the SQL and templates of a package folder (models/, templates/ ...), not those of packages inside it."""
    found = set()
    for path in folder.rglob("*"):
        between = path.parent.relative_to(folder).parts
        if path.suffix in DATA_SUFFIXES and not any(
                (folder.joinpath(*between[:i + 1]) / "__init__.py").exists() for i in range(len(between))):
            found.add(path)
    return found


def step_code(modules: list[str]) -> list[Path]:
    """Return the code a step runs: its modules, every pipelines module they import in turn, and the SQL and
    templates in the folders of those modules."""
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        module = todo.pop()
        path = module_file(module)
        if module in seen or path is None:
            continue
        seen[module] = path
        parent = module.rpartition(".")[0]
        todo += [m for m in module_info(path).imports | ({parent} if parent else set()) if m not in seen]
    files = set(seen.values())
    for folder in {p.parent for p in files}:
        files |= _own_data_files(folder)
    return sorted(files)


def code_hash(modules: list[str]) -> str:
    """Return one sha256 over the code of the steps `modules` (see step_code) and the pipeline's version."""
    return hashlib.sha256((__version__ + files_digest(step_code(modules), PACKAGE)).encode()).hexdigest()
