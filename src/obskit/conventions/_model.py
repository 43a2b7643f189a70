"""The registry's value objects: what one attribute or metric is, and what went wrong loading."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Stability levels that count as stable; anything else is reported as ``not_stable``.
STABLE: Final = "stable"

PRIMITIVE_TYPES: Final = frozenset(
    {"string", "int", "double", "boolean", "any"}
    | {f"{t}[]" for t in ("string", "int", "double", "boolean")}
)
ENUM: Final = "enum"
#: how the semantic conventions say a name now lives in another registry (GenAI's own
#: repository): deprecated *here*, but not a name to stop using
MOVED_PREFIX: Final = "Moved to"


class _Missing(enum.Enum):
    """A value was not given (``None`` is a value an attribute can be set to)."""

    MISSING = enum.auto()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing.MISSING


@dataclass(frozen=True, slots=True)
class Attribute:
    """One registered attribute (equally: one log field; ``log_key`` is its keyword spelling).

    ``type`` is the Weaver type (``string``, ``int[]``, ``template[string]``, ``enum``) or ``None``
    when the source does not say (the installed semconv package only knows names and enums).
    ``deprecated`` is the reason (``renamed``, ``obsoleted``, ``uncategorized``) or ``None``.
    """

    name: str
    type: str | None = None
    brief: str = ""
    stability: str | None = None
    examples: tuple[object, ...] = ()
    deprecated: str | None = None
    renamed_to: str | None = None
    members: tuple[str | int | float | bool, ...] = ()
    sensitive: bool = False
    log_key: str = ""
    aliases: tuple[str, ...] = ()
    source: str = ""
    cardinality: str | None = None
    #: True when ``log_key`` was declared in ``annotations.obskit``, not derived.
    log_key_declared: bool = False
    #: "Moved to another registry": marked deprecated there, still a name in use.
    moved: bool = False

    @property
    def retired(self) -> bool:
        """Deprecated and not merely moved to another registry: a name to stop using."""
        return self.deprecated is not None and not self.moved

    @property
    def is_template(self) -> bool:
        return self.type is not None and self.type.startswith("template[")

    @property
    def is_enum(self) -> bool:
        return self.type == ENUM


@dataclass(frozen=True, slots=True)
class Metric:
    """One registered metric instrument name."""

    name: str
    instrument: str | None = None
    unit: str | None = None
    brief: str = ""
    stability: str | None = None
    deprecated: str | None = None
    renamed_to: str | None = None
    source: str = ""
    moved: bool = False

    @property
    def retired(self) -> bool:
        """Deprecated and not merely moved to another registry."""
        return self.deprecated is not None and not self.moved


@dataclass(frozen=True, slots=True)
class LoadError:
    """A file that could not be read as a registry; the rest of the sources still load."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"
