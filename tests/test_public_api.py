"""The public surface is small and deliberate, and the layers point one way."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import obskit

PACKAGE = Path(obskit.__file__).parent


def test_top_level_surface() -> None:
    assert sorted(obskit.__all__) == sorted(
        [
            "BusinessRuleViolation",
            "ErrorKind",
            "ErrorPolicy",
            "Telemetry",
            "__version__",
            "configure",
            "extract",
            "get_logger",
            "inject",
            "publishing",
            "reset",
            "traced",
        ]
    )
    public = {n for n in vars(obskit) if not n.startswith(("_", "@"))} - {"annotations"}
    # subpackages become attributes once imported; everything else public is in __all__
    assert public - set(obskit.__all__) <= {
        "conventions", "errors", "http", "lint", "logging", "messaging", "propagation", "testing",
        "demo", "cli", "view", "tasks", "serve",
    }  # fmt: skip


@pytest.mark.parametrize(
    "module",
    ["obskit.errors", "obskit.propagation", "obskit.messaging", "obskit.testing", "obskit.http",
     "obskit.logging", "obskit.conventions", "obskit.lint", "obskit.view", "obskit.tasks",
     "obskit.serve"],
)  # fmt: skip
def test_every_public_module_declares_its_surface(module: str) -> None:
    imported = importlib.import_module(module)
    assert imported.__all__, module
    for name in imported.__all__:
        assert hasattr(imported, name), f"{module}.{name}"


def _obskit_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "obskit":
            found.update(f"obskit.{a.name}" for a in node.names)  # from obskit import _x
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("obskit"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("obskit"))
    return found


@pytest.mark.parametrize(
    ("layer", "allowed"),
    [
        ("conventions", ("obskit.conventions",)),
        ("propagation.py", ("obskit._baggage", "obskit._carriers", "obskit._traceparent")),
        ("_traceparent.py", ("obskit._carriers", "obskit._tracestate")),
        ("_carriers.py", ()),
        ("_tracestate.py", ()),
        ("errors.py", ()),
    ],
)
def test_the_bottom_layers_import_nothing_above_them(layer: str, allowed: tuple[str, ...]) -> None:
    target = PACKAGE / layer
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    for path in files:
        for module in _obskit_imports(path):
            assert module.startswith(allowed), f"{path.name} imports {module}"


def test_nothing_below_the_cli_imports_it() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name != "cli.py":
            assert "obskit.cli" not in _obskit_imports(path), path


def test_the_type_checked_usage_example_runs() -> None:
    """``tests/typing/api_usage.py`` is type-checked by ``scripts/test``; here it also runs."""
    import runpy

    runpy.run_path(str(Path(__file__).parent / "typing" / "api_usage.py"), run_name="__main__")


def test_the_cli_works_without_docstrings_and_says_usage_errors_on_stderr() -> None:
    import subprocess
    import sys

    helped = subprocess.run(
        [sys.executable, "-OO", "-m", "obskit.cli", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "usage: obskit" in helped.stdout
    bare = subprocess.run([sys.executable, "-m", "obskit.cli"], capture_output=True, text=True)
    assert bare.returncode == 2 and bare.stdout == "" and "usage: obskit" in bare.stderr
