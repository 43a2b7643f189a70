"""The naming-convention mode: one type for ``configure(mode=)``, the validator and the CLI."""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["MODES", "Mode"]

Mode = Literal["off", "warn", "fix", "strict"]
MODES: Final = ("off", "warn", "fix", "strict")
