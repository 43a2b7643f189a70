"""Helpers for the messaging tests: unique names, a span's W3C ids, handler logs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import structlog
from opentelemetry.sdk.trace import ReadableSpan
from structlog.typing import EventDict

from obskit.logging import add_trace_context

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
PRODUCER_TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
PRODUCER_SPAN_ID = 0xB7AD6B7169203331


def unique(prefix: str) -> str:
    return f"obskit-test-{prefix}-{uuid.uuid4().hex[:12]}"


def trace_hex(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.trace_id:032x}"


@pytest.fixture
def handler_logs() -> Iterator[list[EventDict]]:
    """Events logged with structlog, after ``obskit.logging.add_trace_context`` ran."""
    with structlog.testing.capture_logs(processors=[add_trace_context]) as events:
        yield events
