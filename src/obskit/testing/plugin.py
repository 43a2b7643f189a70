"""pytest plugin (registered through the ``pytest11`` entry point): the ``telemetry``, ``bus``
and ``explore`` fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pytest

from obskit.testing._bus import InMemoryBus
from obskit.testing._capture import Telemetry, capture
from obskit.testing._explore import Exploration, Invariant
from obskit.testing._explore import explore as run_explore
from obskit.testing._schedule import Message, Setup


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    """Spans, logs and metrics the test emitted, in memory."""
    with capture() as captured:
        yield captured


@pytest.fixture
def bus() -> InMemoryBus:
    """A fresh in-memory message bus."""
    return InMemoryBus()


class Explore(Protocol):
    def __call__(
        self, setup: Setup, messages: list[Message], invariant: Invariant, **options: Any
    ) -> Exploration: ...


@pytest.fixture
def explore() -> Explore:
    """``explore(setup, messages, invariant, **options)`` that fails the test with the first
    (minimal) failing schedule: one line per exploration."""

    def explore_and_assert(
        setup: Setup, messages: list[Message], invariant: Invariant, **options: Any
    ) -> Exploration:
        exploration = run_explore(setup, messages, invariant, **options)
        exploration.assert_ok()
        return exploration

    return explore_and_assert
