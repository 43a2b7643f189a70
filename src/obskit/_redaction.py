"""Redaction of log events: the structlog face of :mod:`obskit._sensitive`.

A field whose name is sensitive (the shared word list, or the registry's ``sensitive: true`` in
any spelling it resolves) becomes the marker whole: nothing of the value, not even a prefix, is
kept. Every other value, the event included, is scrubbed of secret-shaped text, walking nested
mappings, sequences, sets, bytes and the text of other objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from structlog.typing import EventDict, WrappedLogger

from obskit._sensitive import MARKER, Scrubber, luhn_valid

if TYPE_CHECKING:
    from obskit.conventions import Registry

__all__ = ["MARKER", "Redactor", "luhn_valid"]

#: Keys obskit's processors fill with ids and times: not personal data, never rewritten.
_SKIP: Final = frozenset(
    {"level", "timestamp", "logger", "trace_id", "span_id", "trace_flags", "exc_info"}
    | {"stack_info", "_record", "_from_structlog"}
)


class Redactor:
    """A structlog processor: replace sensitive values with ``marker``.

    ``registry`` adds the fields it marks sensitive to the built-in words; ``None`` means only
    the built-in rules. ``patterns`` are the user's own (each bounded in time per value).
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        marker: str = MARKER,
        patterns: Iterable[str | re.Pattern[str]] = (),
    ) -> None:
        self.registry = registry
        self.marker = marker
        self.scrubber = Scrubber(
            None if registry is None else registry.is_sensitive, patterns=patterns, marker=marker
        )

    def redacted(self, mapping: dict[str, Any]) -> dict[str, Any]:
        """``mapping`` itself when nothing in it is sensitive, else a redacted copy."""
        copy = dict(mapping)
        self(None, "", copy)  # redacts in place
        return mapping if copy == mapping else copy

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        scrubber = self.scrubber
        for key, value in event_dict.items():
            if key in _SKIP:
                continue
            if scrubber.name(key):
                event_dict[key] = self.marker
            elif value.__class__ is str:
                event_dict[key] = scrubber.text(value)
            else:
                event_dict[key] = scrubber.value(value)
        return event_dict

    def is_sensitive(self, key: str) -> bool:
        """Whether a field called ``key`` is redacted whole."""
        return key not in _SKIP and self.scrubber.name(key)

    def scrub(self, text: str) -> str:
        """``text`` with every secret-shaped part replaced by the marker."""
        return self.scrubber.text(text)
