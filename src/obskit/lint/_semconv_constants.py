"""Names behind ``opentelemetry.semconv`` constants, read from the package's source.

Services write ``HTTP_REQUEST_METHOD`` or ``SpanAttributes.HTTP_METHOD`` instead of the string, so
the linter has to know what those constants hold. It never imports user code; it does not even
import the semantic-conventions modules: it parses each one once (with ``ast``) and keeps a
table of its string constants, which is faster than importing ~130 modules and cannot run code.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path

__all__ = ["PACKAGE", "lookup"]

PACKAGE = "opentelemetry.semconv"


@cache
def _root() -> Path | None:
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _module_file(module: str) -> Path | None:
    root = _root()
    if root is None or not (module == PACKAGE or module.startswith(PACKAGE + ".")):
        return None
    parts = module.split(".")[2:]
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _table(module: str) -> dict[str, str] | None:
    """Map ``NAME`` / ``Class.NAME`` to the string (or ``@module.name`` for a re-export)."""
    file = _module_file(module)
    if file is None:
        return None
    try:
        tree = ast.parse(file.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return {}
    table: dict[str, str] = {}

    def collect(body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                value: ast.expr | None = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                targets, value = [stmt.target.id], stmt.value
            elif isinstance(stmt, ast.ClassDef) and not prefix:
                collect(stmt.body, stmt.name + ".")
                continue
            elif isinstance(stmt, ast.ImportFrom) and stmt.module and not prefix:
                for alias in stmt.names:
                    table[alias.asname or alias.name] = f"@{stmt.module}.{alias.name}"
                continue
            else:
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for target in targets:
                    table[prefix + target] = value.value

    collect(tree.body, "")
    return table


def lookup(qualified: str, _depth: int = 0) -> str | None:
    """The string held by ``opentelemetry.semconv...NAME`` (or ``...Class.NAME``), if any."""
    if _depth > 4 or not qualified.startswith(PACKAGE + "."):
        return None
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 1, -1):
        table = _table(".".join(parts[:cut]))
        if table is None:
            continue
        found = table.get(".".join(parts[cut:]))
        if found is None:
            return None
        if found.startswith("@"):
            return lookup(found[1:], _depth + 1)
        return found
    return None
