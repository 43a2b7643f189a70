"""pytest plugin (registered through the ``pytest11`` entry point): the ``telemetry`` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from obskit.testing._bus import InMemoryBus
from obskit.testing._capture import Telemetry, capture


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    """Spans, logs and metrics the test emitted, in memory."""
    with capture() as captured:
        yield captured


@pytest.fixture
def bus() -> InMemoryBus:
    """A fresh in-memory message bus."""
    return InMemoryBus()
