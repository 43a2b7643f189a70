"""YAML reading that remembers line numbers, so every load error can point at a line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Node(dict[str, Any]):
    """A YAML mapping that knows the (1-based) line it starts on."""

    __slots__ = ("line",)

    def __init__(self, items: dict[Any, Any], line: int) -> None:
        super().__init__(items)
        self.line = line


class _LineLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader (libyaml when available) whose mappings are :class:`Node`."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Node:
    return Node(loader.construct_mapping(node, deep=True), node.start_mark.line + 1)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlError(Exception):
    """Syntax error with the 1-based line it was found on."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def read_yaml(path: Path) -> object:
    """Parse one file; raise :class:`YamlError` (with a line) or ``OSError``."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or str(exc)
        raise YamlError(f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", 1) from None


def line_of(value: object, default: int = 1) -> int:
    return value.line if isinstance(value, Node) else default
