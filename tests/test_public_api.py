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


def _public_modules() -> list[str]:
    """Every module whose dotted path has no private part: found, not listed by hand."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        if not any(part.startswith("_") for part in parts):
            found.append(".".join(parts))
    return found


def test_the_public_modules_are_the_documented_ones() -> None:
    assert _public_modules() == sorted(
        ["obskit", "obskit.cli", "obskit.conventions", "obskit.demo", "obskit.errors",
         "obskit.http", "obskit.lint", "obskit.logging", "obskit.messaging", "obskit.propagation",
         "obskit.serve", "obskit.tasks", "obskit.testing", "obskit.testing.plugin", "obskit.view"]
    )  # fmt: skip


@pytest.mark.parametrize("module", _public_modules())
def test_every_public_module_declares_its_surface(module: str) -> None:
    imported = importlib.import_module(module)
    assert imported.__all__, module
    for name in imported.__all__:
        assert getattr(imported, name) is not None, f"{module}.{name}"


def test_one_name_per_concept() -> None:
    """``obskit.Telemetry`` is configure()'s handle; what a capture records is ``Captured``
    (``obskit.testing.Telemetry`` stays only as the old name of the latter)."""
    import obskit.testing

    assert "Telemetry" not in obskit.testing.__all__
    assert obskit.testing.Telemetry is obskit.testing.Captured
    assert obskit.testing.Captured is not obskit.Telemetry


def test_the_entry_points_resolve() -> None:
    """The ``obskit`` script, the pytest plugin and the zero-code configurator load."""
    import tomllib

    project = tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text())["project"]
    targets = [project["scripts"]["obskit"]]
    targets += [group["obskit"] for group in project["entry-points"].values()]
    for target in targets:
        module, _, attribute = target.partition(":")
        loaded = importlib.import_module(module)
        assert attribute == "" or callable(getattr(loaded, attribute)), target
    plugin = importlib.import_module("obskit.testing.plugin")
    assert {"telemetry", "bus", "explore", "obskit_isolation"} <= set(plugin.__all__)


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
