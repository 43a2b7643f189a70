"""Lint configuration: ``[tool.obskit]`` from the nearest ``pyproject.toml``, then CLI overrides.

The naming rules themselves come from the registry's :class:`RulesConfig` (so lint judges names as
the runtime does); this adds what only a linter needs: per-path ignores and ``fail-on``.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from obskit.conventions import Level, Registry, RulesConfig, project_registry
from obskit.lint._files import _glob_to_regex

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "ConfigError",
    "LintConfig",
    "add_common_arguments",
    "config_from_args",
    "find_pyproject",
    "load_config",
]


class ConfigError(Exception):
    """The configuration or the command line cannot be used as given (exit status 2)."""


@dataclass(frozen=True)
class LintConfig:
    """Everything that decides which findings a lint run reports and when it fails."""

    rules: RulesConfig = field(default_factory=RulesConfig)
    root: Path = field(default_factory=Path.cwd)
    pyproject: Path | None = None
    semconv: bool = True
    per_path_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    fail_on: Level = Level.VIOLATION

    @cached_property
    def _path_rules(self) -> list[tuple[re.Pattern[str], frozenset[str]]]:
        rules = []
        for glob, codes in self.per_path_ignores:
            body = _glob_to_regex(glob.strip().lstrip("./").rstrip("/"))
            prefix = "" if "/" in glob.strip("/") else "(?:.*/)?"
            rules.append((re.compile(f"^{prefix}{body}(?:/.*)?$"), codes))
        return rules

    def path_ignores(self, path: str) -> frozenset[str]:
        """Codes ignored for ``path`` by ``per-path-ignores`` (``"*"`` stands for all)."""
        try:
            rel = Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except (ValueError, OSError):
            rel = Path(path).as_posix()
        found: frozenset[str] = frozenset()
        for pattern, codes in self._path_rules:
            if pattern.match(rel):
                found |= codes
        return found

    def registry(self) -> Registry:
        """obskit's own conventions, then the project's: the same registry as at runtime."""
        try:
            return project_registry(
                *self.rules.conventions, semconv=self.semconv, config=self.rules
            )
        except (OSError, ValueError) as error:
            raise ConfigError(f"cannot load the registry: {error}") from error


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that can hold ``[tool.obskit]``."""
    start = start.resolve()
    for directory in (start, *start.parents) if start.is_dir() else start.parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _codes(value: object, key: str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise ConfigError(f"[tool.obskit] {key} must be a list of codes, not {value!r}")


def load_config(pyproject: Path | None) -> LintConfig:
    """Read ``[tool.obskit]``; ``None`` (no pyproject found) gives the defaults."""
    if pyproject is None:
        return LintConfig()
    try:
        rules = RulesConfig.from_pyproject(pyproject)
        with pyproject.open("rb") as handle:
            table: Any = tomllib.load(handle).get("tool", {}).get("obskit", {})
    except (OSError, ValueError) as error:
        raise ConfigError(str(error)) from error
    per_path: list[tuple[str, frozenset[str]]] = []
    raw = table.get("per-path-ignores", {})
    if not isinstance(raw, Mapping):
        raise ConfigError("[tool.obskit] per-path-ignores must be a table of glob = [codes]")
    for glob, codes in raw.items():
        per_path.append((str(glob), _codes(codes, f"per-path-ignores {glob!r}")))
    fail_on = _level(table.get("fail-on", "violation"))
    semconv = table.get("semconv", True)
    if not isinstance(semconv, bool):
        raise ConfigError(f"[tool.obskit] semconv must be true or false, not {semconv!r}")
    return LintConfig(
        rules=rules,
        root=pyproject.parent,
        pyproject=pyproject,
        semconv=semconv,
        per_path_ignores=tuple(per_path),
        fail_on=fail_on,
    )


def _level(text: object) -> Level:
    try:
        return Level.parse(str(text))
    except ValueError as error:
        raise ConfigError(f"fail-on: {error}") from None


def _split(values: list[str] | None) -> frozenset[str]:
    return frozenset(c.strip() for v in values or () for c in v.split(",") if c.strip())


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``lint``, ``check`` and ``drift``."""
    parser.add_argument("--config", type=Path, help="pyproject.toml to read [tool.obskit] from")
    parser.add_argument(
        "--registry",
        action="append",
        type=Path,
        metavar="PATH",
        help="registry directory or file (repeatable; replaces [tool.obskit] conventions)",
    )
    parser.add_argument("--no-semconv", action="store_true", help="leave out the semconv package")
    parser.add_argument("--prefix", help="the organisation's attribute prefix")
    parser.add_argument("--select", action="append", metavar="CODES", help="only these codes")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="never these codes")
    parser.add_argument(
        "--fail-on",
        choices=[level.name.lower() for level in Level],
        help="exit 1 on findings at or above this level (default: violation)",
    )
    parser.add_argument(
        "--format", choices=["text", "json", "sarif", "github"], default="text", dest="format"
    )


def config_from_args(args: argparse.Namespace, paths: list[Path]) -> LintConfig:
    """``--config`` or the pyproject nearest the first path (else the cwd), then overrides."""
    if args.config is not None:
        if not args.config.is_file():
            raise ConfigError(f"--config {args.config}: no such file")
        pyproject: Path | None = args.config
    else:
        pyproject = find_pyproject(paths[0] if paths else Path.cwd())
    config = load_config(pyproject)
    rules = config.rules
    changes: dict[str, object] = {}
    if args.registry:
        changes["conventions"] = tuple(args.registry)
    if args.prefix is not None:
        changes["prefix"] = args.prefix
    if args.select:
        changes["select"] = _split(args.select)
    if args.ignore:
        changes["ignore"] = rules.ignore | _split(args.ignore)
    try:
        rules = dataclasses.replace(rules, **changes)  # type: ignore[arg-type]
    except ValueError as error:
        raise ConfigError(str(error)) from error
    return dataclasses.replace(
        config,
        rules=rules,
        semconv=config.semconv and not args.no_semconv,
        fail_on=_level(args.fail_on) if args.fail_on else config.fail_on,
    )
