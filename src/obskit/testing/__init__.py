"""Test helpers: in-memory capture, trace assertions, an in-memory message bus."""

from obskit.testing._bus import BusMessage, InMemoryBus
from obskit.testing._capture import Telemetry, capture
from obskit.testing._trace import SpanNotFound, TraceTree, assert_linked, assert_parent

__all__ = [
    "BusMessage",
    "InMemoryBus",
    "SpanNotFound",
    "Telemetry",
    "TraceTree",
    "assert_linked",
    "assert_parent",
    "capture",
]
