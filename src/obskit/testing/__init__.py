"""Test helpers: in-memory capture, trace assertions, an in-memory message bus, and
``explore()``, which runs handlers under duplicates, reordering, delays and concurrency."""

from obskit.testing._bus import HandlerError, InMemoryBus
from obskit.testing._capture import Captured, capture
from obskit.testing._explore import FAULTS, Exploration, Failure, explore
from obskit.testing._message import BusMessage
from obskit.testing._trace import SpanNotFound, TraceTree, assert_linked, assert_parent

__all__ = [
    "FAULTS",
    "BusMessage",
    "Captured",
    "Exploration",
    "Failure",
    "HandlerError",
    "InMemoryBus",
    "SpanNotFound",
    "TraceTree",
    "assert_linked",
    "assert_parent",
    "capture",
    "explore",
]

#: The name ``Captured`` had before 0.2: kept so old tests still import it. ``obskit.Telemetry``
#: is something else (the handle ``configure()`` returns), hence the rename.
Telemetry = Captured
