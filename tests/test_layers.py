"""Layers point one way: every import in ``src/obskit`` goes down the rank table, never up or
sideways. Module-level and function-level imports both count; ``if TYPE_CHECKING:`` blocks do not
(they never run). A module's subsystem is the longest prefix below that names it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import obskit

PACKAGE = Path(obskit.__file__).parent

#: (rank, subsystem, the modules it is made of); a lower rank never imports a higher one, and two
#: subsystems of one rank never import each other
RANKS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    # the vocabulary: names, words, the mode type and a lock that survives fork
    (0, "vocabulary", ("obskit._semconv_names", "obskit._sensitive", "obskit._modes",
                       "obskit._forksafe", "obskit._extras", "obskit._lazy")),
    # the bottom: no state, no telemetry of their own
    (1, "errors", ("obskit.errors",)),
    (1, "conventions", ("obskit.conventions",)),
    (1, "propagation", ("obskit.propagation", "obskit._carriers", "obskit._traceparent",
                        "obskit._tracestate", "obskit._baggage")),
    # the one runtime state and what it holds: providers, sinks, memory, the resolved policy
    (2, "state", ("obskit._state", "obskit._memory", "obskit._fanout", "obskit._providers",
                  "obskit._redaction", "obskit._validator", "obskit._losses", "obskit._instance",
                  "obskit._export")),
    # one recorded call: spans, outcomes and the wrapping mechanism
    (3, "runtime", ("obskit._spans", "obskit._instrument")),
    # the log chain (messaging logs its outcomes through it)
    (4, "logging", ("obskit.logging",)),
    (5, "messaging", ("obskit.messaging",)),
    (5, "http", ("obskit.http",)),
    # set-up wires the subsystems together: configure(), the decorators, the public root
    (6, "setup", ("obskit._setup", "obskit._traced", "obskit._zero_code", "obskit._otlp_file",
                  "obskit.__init__")),
    (7, "tasks", ("obskit.tasks",)),
    # the tools, which the runtime (everything above) never imports: the viewer and OTLP JSON
    # codec first, because the others read through it (explore() draws a failing schedule's
    # waterfall, check reads OTLP JSON, serve and the demo show traces)
    (8, "view", ("obskit.view",)),
    (9, "testing", ("obskit.testing",)),
    (10, "lint", ("obskit.lint",)),
    (10, "serve", ("obskit.serve",)),
    (11, "demo", ("obskit.demo",)),  # shows every tool: it can serve its own run
    (12, "cli", ("obskit.cli",)),
)  # fmt: skip


def subsystem(module: str) -> tuple[int, str]:
    best: tuple[int, int, str] | None = None
    for rank, name, prefixes in RANKS:
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rank, name)
    if best is None:
        raise LookupError(f"{module} is in no subsystem of the rank table")
    return best[1], best[2]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """``(line, module)`` for every obskit import that runs (``from obskit import x`` names
    ``obskit.x``, relative imports resolved)."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.startswith("obskit"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if base == "obskit" or (node.level and not node.module):
                found.extend((node.lineno, f"{base}.{a.name}") for a in node.names)
            elif base.startswith("obskit"):
                found.append((node.lineno, base))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _target(imported: str) -> str:
    """``obskit.x`` where ``x`` is not a module of its own is the package ``obskit``'s root."""
    return "obskit.__init__" if imported == "obskit" else imported


def violations(root: Path = PACKAGE) -> list[str]:
    """Every import that points up or sideways against :data:`RANKS`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        source = _module_name(path, root).removesuffix(".__init__") or "obskit"
        here = subsystem("obskit.__init__" if source == "obskit" else source)
        for line, imported in imports(path, root):
            try:
                there = subsystem(_target(imported))
            except LookupError:
                there = subsystem("obskit.__init__")  # ``from obskit import traced`` and kin
            if there[1] == here[1]:
                continue
            if there[0] >= here[0]:
                way = "up" if there[0] > here[0] else "sideways"
                rel = path.relative_to(root.parent)
                found.append(f"{rel}:{line}: {here[1]} imports {imported} ({there[1]}, {way})")
    return found


def test_every_module_is_in_the_rank_table() -> None:
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path, PACKAGE)
        subsystem("obskit.__init__" if module == "obskit.__init__" else module)


def test_imports_point_down_the_rank_table() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from obskit.logging import _chain\n", "runtime imports obskit.logging"),
        ("def f():\n    from obskit._setup import configure\n", "runtime imports obskit._setup"),
    ],
)
def test_an_upward_import_is_found_at_module_and_function_level(
    tmp_path: Path, source: str, expected: str
) -> None:
    root = tmp_path / "obskit"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "_spans.py").write_text(source)
    assert [v.split(": ", 1)[1].split(" (")[0] for v in violations(root)] == [expected]


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    root = tmp_path / "obskit"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "_spans.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from obskit._setup import x\n"
    )
    assert violations(root) == []
