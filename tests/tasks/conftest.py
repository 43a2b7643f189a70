"""Helpers for the task-queue tests: waiting for spans a worker thread ends."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from opentelemetry.sdk.trace import ReadableSpan

from obskit.testing import Captured


def unique(prefix: str) -> str:
    return f"obskit-test-{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for_spans(
    telemetry: Captured,
    count: int,
    predicate: Callable[[ReadableSpan], bool],
    *,
    bound: float = 30,
) -> list[ReadableSpan]:
    """The spans matching ``predicate`` once ``count`` of them ended (a bounded wait, not a
    timing assertion: the worker runs in another thread)."""
    deadline = time.monotonic() + bound
    while True:
        found = [s for s in telemetry.spans if predicate(s)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)
