"""The public surface other subsystems code against, and the layering rule."""

from __future__ import annotations

import ast
from pathlib import Path

import obskit.conventions as conventions

PACKAGE = Path(conventions.__file__).resolve().parent


def test_public_names() -> None:
    assert set(conventions.__all__) >= {
        "load_registry",
        "Registry",
        "Attribute",
        "Finding",
        "Level",
        "RulesConfig",
        "LoadError",
        "MISSING",
        "BUILTIN_CONVENTIONS",
        "default_registry",
    }
    for name in conventions.__all__:
        assert hasattr(conventions, name), name


def test_imports_nothing_else_from_obskit() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{path.name} imports from outside the package"
                assert not (node.module or "").startswith("obskit"), path.name
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("obskit") for a in node.names), path.name
