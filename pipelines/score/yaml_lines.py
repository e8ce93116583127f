"""Methodology YAML read with the line of every key, and a checker whose every failure names file, line and key."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import yaml


class MethodologyError(ValueError):
    """A methodology file that does not make sense; the message names the file, the line and the key."""


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every key, so errors can point at it."""


def _compose(loader: _LineLoader, node: yaml.Node, path: tuple, lines: dict) -> object:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in out:
                raise MethodologyError(f"{key_node.start_mark.line + 1}: {'.'.join(map(str, path + (key,)))}: "
                                       "given twice")
            out[key] = _compose(loader, value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_compose(loader, item, path + (i,), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def read_with_lines(path: Path) -> tuple[dict, dict[tuple, int]]:
    """Return the YAML document and the line of every key path in it."""
    text = path.read_text(encoding="utf-8")
    loader = _LineLoader(text)
    try:
        root = loader.get_single_node()
        lines: dict[tuple, int] = {}
        doc = _compose(loader, root, (), lines) if root is not None else None
    except yaml.YAMLError as exc:
        raise MethodologyError(f"{path.name}: not valid YAML: {exc}") from exc
    except MethodologyError as exc:
        raise MethodologyError(f"{path.name}:{exc}") from exc
    finally:
        loader.dispose()
    if not isinstance(doc, dict):
        raise MethodologyError(f"{path.name}: line 1: expected a mapping at the top level")
    return doc, lines


def content_hash(doc: object) -> str:
    """Return the sha256 of a document's canonical JSON: formatting and comments do not change it."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass
class Checker:
    """Checks values of one YAML document; every failure names the file, the line and the key."""

    path: Path
    lines: dict[tuple, int]

    def fail(self, key: tuple, problem: str) -> None:
        line = next((self.lines[key[:n]] for n in range(len(key), -1, -1) if key[:n] in self.lines), 1)
        raise MethodologyError(f"{self.path.name}:{line}: {'.'.join(map(str, key)) or '(top)'}: {problem}")

    def number(self, key: tuple, value: object, low: float | None = None, high: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            self.fail(key, f"expected a number, found {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"from {low:g} to {high:g}" if high is not None else f"≥ {low:g}"
            self.fail(key, f"expected a number {span}, found {value!r}")
        return float(value)

    def whole(self, key: tuple, value: object, low: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.fail(key, f"expected a whole number ≥ {low}, found {value!r}")
        return value

    def known(self, key: tuple, mapping: object, allowed: set[str]) -> dict:
        if not isinstance(mapping, dict):
            self.fail(key, f"expected a mapping, found {mapping!r}")
        unknown = sorted(set(map(str, mapping)) - allowed)
        if unknown:
            self.fail(key + (unknown[0],), f"unknown key; known keys: {', '.join(sorted(allowed))}")
        return mapping
