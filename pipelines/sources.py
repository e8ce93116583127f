"""The sources: one contract per folder of data/raw/ (config/sources/<source>.yaml), and the raw files they govern.

A contract says everything about one source in one place: its columns (types, aliases, defaults, rules), key,
table-level gates and what it feeds. Ingest's column mapping, the Great Expectations suites, the planner's input
list, the movers' row fingerprints and the report's coverage table are all derived from it. This module also
owns what ingest and the planner agree on about raw files: which files are inputs, their fingerprints, the salt.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import load_yaml

REGION_FILE = "_region.yaml"
SIDECAR = "_source.yaml"
TYPES = {"region_code", "region_name", "integer", "number", "text", "timestamp", "category"}
RULE_KEYS = {"required", "between", "in_set", "not_in_set", "in_parameter", "unique", "fix", "rules"}
COLUMN_KEYS = {"type", "aliases", "scheme_aliases", "default", "values"} | RULE_KEYS
TABLE_KEYS = {"description", "key", "columns", "cell_scope", "file_rules", "pairs", "greater"}
CONTRACT_KEYS = TABLE_KEYS | {"label", "order", "feeds", "table", "has_region", "allow_provinces", "parser_columns",
                              "applies_to", "layout", "supersede_by", "long_columns", "personal_columns", "more_tables",
                              "indicator_titles"}
REQUIRED_KEYS = ("label", "order", "feeds", "table", "key", "columns")


class ContractError(ValueError):
    """A source contract that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Contracts(Mapping):
    """Every source's contract (region columns filled in), by source name in ingest order."""

    specs: dict[str, dict]

    def __getitem__(self, source: str) -> dict:
        return self.specs[source]

    def __iter__(self) -> Iterator[str]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def tables(self) -> dict[str, dict]:
        """Return every curated table's spec (the contract's own table, then its `more_tables`), in validation order.

        Each spec carries `source`, `key`, `columns` (source_file and source_row added) and its rules.
        """
        out = {}
        for source, spec in self.specs.items():
            columns = {name: c for name, c in spec["columns"].items() if c["type"] != "region_name"}
            out[spec["table"]] = {**{k: spec[k] for k in TABLE_KEYS if k in spec}, "source": source,
                                  "allow_provinces": spec.get("allow_provinces", False),
                                  "columns": {**columns, **spec.get("parser_columns", {}), **_LINEAGE}}
            for table, more in spec.get("more_tables", {}).items():
                out[table] = {**more, "source": source, "allow_provinces": False,
                              "columns": {**more["columns"], **_LINEAGE}}
        return out

    def source_of(self) -> dict[str, str]:
        """Return the source of each curated table."""
        return {table: spec["source"] for table, spec in self.tables().items()}

    def feeding(self, part: str) -> list[str]:
        """Return the sources that feed an index or part of the scores (their contracts' `feeds`)."""
        return [source for source, spec in self.specs.items() if part in spec["feeds"]]


# Every curated row says where it came from.
_LINEAGE = {"source_file": {"type": "text", "required": True}, "source_row": {"type": "integer", "required": True}}


def _check(path: Path, doc: object, region: dict) -> dict:
    def fail(message: str) -> None:
        raise ContractError(f"{path}: {message}")

    if not isinstance(doc, dict):
        fail("a contract is a mapping of keys (label, table, key, columns, ...)")
    unknown = sorted(set(doc) - CONTRACT_KEYS)
    if unknown:
        fail(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(CONTRACT_KEYS))})")
    missing = [k for k in REQUIRED_KEYS if k not in doc]
    if missing:
        fail(f"missing key {missing[0]!r}")
    columns = {**({} if doc.get("has_region") is False else region), **(doc["columns"] or {})}
    tables = [("columns", columns), ("parser_columns", doc.get("parser_columns") or {})]
    tables += [(f"more_tables.{t}.columns", (m or {}).get("columns") or {}) for t, m in (doc.get("more_tables") or {}).items()]
    for where, cols in tables:
        for name, column in cols.items():
            if not isinstance(column, dict) or column.get("type") not in TYPES:
                fail(f"{where}.{name}: `type` must be one of {', '.join(sorted(TYPES))}")
            if set(column) - COLUMN_KEYS:
                fail(f"{where}.{name}: unknown key {sorted(set(column) - COLUMN_KEYS)[0]!r}")
    for key in doc["key"]:
        if key not in columns and key not in (doc.get("parser_columns") or {}):
            fail(f"key column {key!r} is not among the columns")
    if not isinstance(doc["feeds"], list):
        fail("`feeds` lists the indices and parts that read this source, e.g. [screening]")
    return {**doc, "columns": columns}


def load_contracts(sources_dir: Path) -> Contracts:
    """Return the checked contract of every source under config/sources/ (one `<source>.yaml` each)."""
    if not sources_dir.is_dir():
        raise ContractError(f"{sources_dir}: no source contracts (config/sources/<source>.yaml)")
    region = load_yaml(sources_dir / REGION_FILE)
    specs = {path.stem: _check(path, load_yaml(path), region)
             for path in sorted(sources_dir.glob("*.yaml")) if path.name != REGION_FILE}
    orders = [spec["order"] for spec in specs.values()]
    if len(set(orders)) != len(orders):
        raise ContractError(f"{sources_dir}: two contracts share an `order`; each source needs its own place")
    ordered = dict(sorted(specs.items(), key=lambda item: item[1]["order"]))
    return Contracts(specs=ordered)


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_digest(paths: list[Path], root: Path) -> str:
    """Return a sha256 over files' paths (relative to `root`) and bytes, in path order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def folder_digest(folder: Path) -> str:
    """Return a sha256 over every file under `folder` (a change to any of them changes it)."""
    return files_digest([p for p in folder.rglob("*") if p.is_file()], folder)


def is_inside(path: Path, raw_dir: Path) -> bool:
    """Return True when a path, with every link followed, is inside `raw_dir` (itself resolved, so it may be a link)."""
    return path.resolve().is_relative_to(raw_dir.resolve())


def is_candidate(path: Path, raw_dir: Path) -> bool:
    """Return True for a file to read or report: a link leading out of data/raw/ is reported (never read), even one
    to a folder; sidecars, hidden files and office lock files are not files of their own."""
    return ((path.is_file() or (path.is_symlink() and not is_inside(path, raw_dir)))
            and path.name != SIDECAR and not path.name.startswith((".", "~$")))


def raw_files(raw_dir: Path, sources: Contracts) -> list[tuple[str, Path]]:
    """Return (source, path) for every raw file, sources in ingest order, files sorted by name.

    Links that lead outside `raw_dir` are listed too: ingest reports them without reading them (is_inside).
    """
    found = []
    for source in sources:
        folder = raw_dir / source
        if folder.is_dir():
            found += [(source, p) for p in sorted(folder.rglob("*")) if is_candidate(p, raw_dir)]
    return found


def is_input(path: Path, raw_dir: Path, sources: Contracts) -> bool:
    """Return True for what a refresh fingerprints: files in the source folders, their sidecars included, not hidden
    or lock files."""
    return (path.is_file() and not path.name.startswith((".", "~$"))
            and path.relative_to(raw_dir).parts[0] in sources)


def fingerprint(path: Path, raw_dir: Path) -> str:
    """Return what identifies a raw file's content: its sha256, or for a link out of `raw_dir` the sha256 of where it
    points (`link:` + hex), so that its bytes are never read."""
    if is_inside(path, raw_dir):
        return file_sha256(path)
    return "link:" + hashlib.sha256(os.readlink(path).encode()).hexdigest()


def pii_salt(path: Path) -> str:
    """Return this installation's salt for respondent hashes (kept at `path`), creating it on first use (never
    committed)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
    return path.read_text().strip()
