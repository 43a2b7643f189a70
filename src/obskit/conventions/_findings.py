"""Findings: what every convention check (runtime, lint, check, drift) reports."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.IntEnum):
    """How serious a finding is; ordered so ``level >= Level.VIOLATION`` reads naturally."""

    INFORMATION = 1
    IMPROVEMENT = 2
    VIOLATION = 3

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(level.name.lower() for level in cls)
            raise ValueError(f"unknown level {text!r}; expected one of {choices}") from None


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one name.

    ``code`` is stable (Weaver's live-check advice id where one matches, e.g. ``deprecated``);
    ``suggestion`` is the canonical name to use instead, when there is exactly one.
    """

    code: str
    level: Level
    name: str
    message: str
    suggestion: str | None = None
