"""Rule configuration: which codes run, at what level, for which organisation prefix.

Read from ``[tool.obskit]`` in ``pyproject.toml`` so the runtime validator, ``obskit lint`` and
``obskit conventions`` all judge names the same way.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ._findings import Level

DEFAULT_MAX_LENGTH = 255


class ConfigError(ValueError):
    """``[tool.obskit]`` cannot be used as written (the CLI exits 2 on it)."""


def _toml() -> Any:
    """``tomllib`` (3.11+) or its backport ``tomli``; a clear error when neither exists."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:  # pragma: no cover - exercised on 3.10 only
        return importlib.import_module("tomli")
    except ImportError:  # pragma: no cover
        raise ConfigError(
            "reading pyproject.toml on Python 3.10 needs the 'tomli' package: pip install tomli"
        ) from None


def _load_toml(path: Path) -> dict[str, Any]:
    toml = _toml()
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = toml.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return data


def _strings(value: object, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"[tool.obskit] {key} must be a list of strings, not {value!r}")


@dataclass(frozen=True)
class RulesConfig:
    """How names are judged. Empty ``select`` means every rule; ``ignore`` wins over it."""

    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    levels: Mapping[str, Level] = field(default_factory=dict)
    prefix: str | None = None
    max_length: int = DEFAULT_MAX_LENGTH
    #: registry sources named in ``[tool.obskit] conventions``, resolved against the pyproject.
    conventions: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "select", frozenset(self.select))
        object.__setattr__(self, "ignore", frozenset(self.ignore))
        object.__setattr__(self, "levels", MappingProxyType(dict(self.levels)))
        object.__setattr__(self, "conventions", tuple(Path(p) for p in self.conventions))
        if self.prefix is not None:
            object.__setattr__(self, "prefix", self.prefix.strip().rstrip(".") or None)
        if self.max_length < 1:
            raise ConfigError(f"max-name-length must be positive, not {self.max_length}")

    def __hash__(self) -> int:
        return hash((self.select, self.ignore, tuple(sorted(self.levels.items())), self.prefix))

    def enabled(self, code: str) -> bool:
        return (not self.select or code in self.select) and code not in self.ignore

    def level(self, code: str, default: Level) -> Level:
        return self.levels.get(code, default)

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], base: Path | None = None) -> RulesConfig:
        """Build from a ``[tool.obskit]`` table; relative paths are resolved against ``base``."""
        levels: dict[str, Level] = {}
        raw_levels = table.get("levels", {})
        if not isinstance(raw_levels, Mapping):
            raise ConfigError("[tool.obskit] levels must be a table of code = level")
        for code, text in raw_levels.items():
            try:
                levels[str(code)] = Level.parse(str(text))
            except ValueError as exc:
                raise ConfigError(f"[tool.obskit.levels] {code}: {exc}") from None
        max_length = table.get("max-name-length", DEFAULT_MAX_LENGTH)
        if not isinstance(max_length, int) or isinstance(max_length, bool):
            raise ConfigError(
                f"[tool.obskit] max-name-length must be an integer, not {max_length!r}"
            )
        prefix = table.get("prefix")
        if prefix is not None and not isinstance(prefix, str):
            raise ConfigError(f"[tool.obskit] prefix must be a string, not {prefix!r}")
        root = base or Path.cwd()
        conventions = tuple(root / p for p in _strings(table.get("conventions", []), "conventions"))
        return cls(
            select=frozenset(_strings(table.get("select", []), "select")),
            ignore=frozenset(_strings(table.get("ignore", []), "ignore")),
            levels=levels,
            prefix=prefix,
            max_length=max_length,
            conventions=conventions,
        )

    @classmethod
    def from_pyproject(cls, path: str | Path) -> RulesConfig:
        """Read ``[tool.obskit]``; a missing table gives the defaults."""
        path = Path(path)
        data = _load_toml(path)
        table = data.get("tool", {}).get("obskit", {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"{path}: [tool.obskit] must be a table")
        return cls.from_mapping(table, base=path.parent)
