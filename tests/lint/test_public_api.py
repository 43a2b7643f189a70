"""The public surface of ``obskit.lint`` and its layering."""

from __future__ import annotations

import ast
from pathlib import Path

import obskit.lint


def test_all_names_exist() -> None:
    for name in obskit.lint.__all__:
        assert hasattr(obskit.lint, name), name


def test_lint_builds_only_on_conventions() -> None:
    package = Path(obskit.lint.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("obskit")
            ):
                # obskit._lazy is the vocabulary layer's lazy-name loader: it imports no obskit
                allowed = ("obskit.lint", "obskit.conventions", "obskit.view._otlp_json",
                           "obskit._lazy")  # fmt: skip
                assert node.module.startswith(allowed), module
                assert not node.module.startswith("obskit.conventions._"), module


def test_cli_modules_expose_the_subcommand_protocol() -> None:
    from obskit.lint import _check_cli, _drift_cli, _lint_cli

    for module in (_lint_cli, _check_cli, _drift_cli):
        assert callable(module.add_arguments)
        assert callable(module.run)


def test_docs_list_every_code() -> None:
    from obskit.conventions import RULES
    from obskit.lint import _checks, _drift

    docs = (Path(__file__).parents[2] / "docs" / "lint.md").read_text()
    codes = [*RULES, _checks.DYNAMIC_NAME, _checks.PARSE_ERROR, _checks.UNREADABLE]
    codes += [_drift.SYNONYM, _drift.TYPES, _drift.SINGLE]
    for code in codes:
        assert f"| `{code}` |" in docs, code


def test_pre_commit_hook() -> None:
    import yaml

    [hook] = yaml.safe_load((Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"], hook["types"]) == (
        "obskit-lint",
        "obskit lint",
        "python",
        ["python"],
    )
