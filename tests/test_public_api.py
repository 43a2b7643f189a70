"""The public surface is small and deliberate (the layers: tests/test_layers.py)."""

from __future__ import annotations

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
