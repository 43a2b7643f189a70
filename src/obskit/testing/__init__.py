"""Test helpers: in-memory capture, trace assertions, an in-memory message bus, and
``explore()``, which runs handlers under duplicates, reordering, delays and concurrency."""

from obskit.testing._bus import HandlerError, InMemoryBus
from obskit.testing._capture import Telemetry, capture
from obskit.testing._explore import FAULTS, Exploration, Failure, explore
from obskit.testing._message import BusMessage
from obskit.testing._trace import SpanNotFound, TraceTree, assert_linked, assert_parent

__all__ = [
    "FAULTS",
    "BusMessage",
    "Exploration",
    "Failure",
    "HandlerError",
    "InMemoryBus",
    "SpanNotFound",
    "Telemetry",
    "TraceTree",
    "assert_linked",
    "assert_parent",
    "capture",
    "explore",
]
