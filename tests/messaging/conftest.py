"""Helpers for the messaging tests: the producer's W3C ids, handler logs (the broker round
trip is ``tests/support/brokers.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog
from structlog.typing import EventDict

from obskit.logging import add_trace_context

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
PRODUCER_TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
PRODUCER_SPAN_ID = 0xB7AD6B7169203331


@pytest.fixture
def handler_logs() -> Iterator[list[EventDict]]:
    """Events logged with structlog, after ``obskit.logging.add_trace_context`` ran."""
    with structlog.testing.capture_logs(processors=[add_trace_context]) as events:
        yield events
