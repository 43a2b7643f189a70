"""Redaction: sensitive log fields and card numbers never reach a log line or an exporter.

A field is sensitive when its key names a secret (``password``, ``passwd``, ``secret``,
``token``, ``authorization``, ``cookie``, ``api_key``/``apikey``, anywhere in the key and in any
case) or when the registry marks it ``sensitive: true`` (in any spelling the registry
resolves). Its whole value becomes the marker: nothing of the value, not even a prefix, is kept.
Card numbers (13-19 digits, optionally grouped by spaces or dashes, passing the Luhn check) are
replaced inside any string value, the event included. Nested dicts, lists and tuples are
walked. Decisions are cached per key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from structlog.typing import EventDict, WrappedLogger

from obskit._sensitive import SENSITIVE_KEY

if TYPE_CHECKING:
    from obskit.conventions import Registry

__all__ = ["MARKER", "Redactor", "luhn_valid"]

MARKER: Final = "[REDACTED]"

_CARD: Final = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_MIN_CARD_TEXT: Final = 13
_MAX_DEPTH: Final = 8
#: Keys obskit's processors fill with ids and times: not personal data, never rewritten.
_SKIP: Final = frozenset(
    {"level", "timestamp", "logger", "trace_id", "span_id", "trace_flags", "exc_info"}
    | {"stack_info", "_record", "_from_structlog"}
)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number passes."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


class Redactor:
    """A structlog processor: replace sensitive values with ``marker``.

    ``registry`` adds the fields it marks sensitive to the built-in key pattern; ``None``
    means only the built-in rules.
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        marker: str = MARKER,
        key_pattern: re.Pattern[str] = SENSITIVE_KEY,
    ) -> None:
        self.registry = registry
        self.marker = marker
        self.key_pattern = key_pattern
        self._decisions: dict[str, bool] = {key: False for key in _SKIP}

    def redacted(self, mapping: dict[str, Any]) -> dict[str, Any]:
        """``mapping`` itself when nothing in it is sensitive, else a redacted copy."""
        copy = dict(mapping)
        self(None, "", copy)  # redacts in place
        return mapping if copy == mapping else copy

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        decisions = self._decisions
        for key, value in event_dict.items():
            sensitive = decisions.get(key)
            if sensitive is None:
                sensitive = self.is_sensitive(key)
            if sensitive:
                event_dict[key] = self.marker
            elif value.__class__ is str:
                if len(value) >= _MIN_CARD_TEXT and key not in _SKIP:
                    event_dict[key] = self.scrub(value)
            elif isinstance(value, (dict, list, tuple)):
                event_dict[key] = self._nested(value, 0)
        return event_dict

    def is_sensitive(self, key: str) -> bool:
        """Whether a field called ``key`` is redacted whole (cached)."""
        decision = self._decisions.get(key)
        if decision is None:
            decision = key not in _SKIP and (
                self.key_pattern.search(key) is not None
                or (self.registry is not None and self.registry.is_sensitive(key))
            )
            if len(self._decisions) < 100_000:
                self._decisions[key] = decision
        return decision

    def scrub(self, text: str) -> str:
        """``text`` with every Luhn-valid card number replaced by the marker."""
        if len(text) < _MIN_CARD_TEXT:
            return text
        return _CARD.sub(self._card, text)

    def _card(self, match: re.Match[str]) -> str:
        run = match.group()
        digits = run.replace(" ", "").replace("-", "")
        return self.marker if luhn_valid(digits) else run

    def _nested(self, value: Any, depth: int) -> Any:
        if depth >= _MAX_DEPTH:
            return self.marker  # too deep to inspect: never let it through unread
        if isinstance(value, dict):
            return {
                k: self.marker if _is_sensitive_key(self, k) else self._nested(v, depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            items = [self._nested(v, depth + 1) for v in value]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, str):
            return self.scrub(value)
        return value


def _is_sensitive_key(redactor: Redactor, key: object) -> bool:
    """Nested keys may be bytes (decoded as latin-1, which never fails) or anything else."""
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    return isinstance(key, str) and redactor.is_sensitive(key)
