"""The timestamp and the JSON line, as structlog's ``TimeStamper`` and ``JSONRenderer`` write
them, for less: every event pays both, and they were the two dearest steps of the chain.

- :class:`Timestamp` writes ``2026-11-30T06:40:13.123456Z`` (structlog's ``fmt="iso",
  utc=True``) but formats the date and time once per second, not once per event;
- :class:`JSONRenderer` encodes with one prepared ``json.JSONEncoder`` (``json.dumps`` with a
  ``default`` builds a new encoder for each call) and adds the service's resource fields.
"""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

from structlog.typing import EventDict, WrappedLogger

__all__ = ["JSONRenderer", "Timestamp"]


class Timestamp:
    """``timestamp``: the UTC time in ISO 8601 with microseconds, as structlog writes it."""

    __slots__ = ("_second",)

    def __init__(self) -> None:
        #: (UNIX second, its date and time as text): replaced whole, so threads share it
        self._second: tuple[int, str] = (-1, "")

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        second, nanos = divmod(time.time_ns(), 1_000_000_000)
        cached, text = self._second
        if cached != second:
            moment = datetime.datetime.fromtimestamp(second, datetime.timezone.utc)
            text = moment.strftime("%Y-%m-%dT%H:%M:%S")
            self._second = (second, text)
        micros = nanos // 1000
        # as datetime.isoformat(): no fraction when it is zero
        event_dict["timestamp"] = f"{text}.{micros:06d}Z" if micros else f"{text}Z"
        return event_dict


def _fallback(value: Any) -> Any:
    """What JSON cannot encode: its ``__structlog__()``, else its ``repr`` (as structlog)."""
    try:
        return value.__structlog__()
    except AttributeError:
        return repr(value)


class JSONRenderer:
    """The event as one JSON object; ``fields`` (the service's name and environment) are added
    where the event has no such key, so a line read on its own says where it came from."""

    __slots__ = ("_encode", "fields")

    def __init__(self, fields: dict[str, str] | None = None) -> None:
        self.fields = fields or {}
        self._encode = json.JSONEncoder(default=_fallback).encode

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> str:
        for key, value in self.fields.items():
            if key not in event_dict:
                event_dict[key] = value
        return self._encode(event_dict)
