"""pytest plugin (``pytest11`` entry point): isolation, and the ``telemetry``, ``bus`` and
``explore`` fixtures.

Every test starts unconfigured: an autouse fixture calls ``obskit.reset()`` and resets the
OpenTelemetry API's global providers before and after each test, so ``configure()`` inside a test
takes effect for that test, in process. A suite that sets up OpenTelemetry once for the whole
session keeps its providers with ``obskit_reset = obskit`` in its pytest ini options (obskit's
state only), or opts out with ``obskit_reset = off``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pytest

from obskit.testing._bus import InMemoryBus
from obskit.testing._capture import Captured, capture
from obskit.testing._explore import Exploration, Invariant
from obskit.testing._explore import explore as run_explore
from obskit.testing._isolation import reset_for_test
from obskit.testing._schedule import Message, Setup

__all__ = ["bus", "explore", "obskit_isolation", "pytest_addoption", "telemetry"]

_RESET_CHOICES = ("all", "obskit", "off")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "obskit_reset",
        "what the obskit plugin resets around each test: all (obskit and the OpenTelemetry "
        "globals), obskit (its own state only) or off",
        default="all",
    )


@pytest.fixture(autouse=True)
def obskit_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts (and leaves) obskit unconfigured; see the module docstring."""
    choice = str(request.config.getini("obskit_reset")).strip().lower()
    if choice not in _RESET_CHOICES:
        raise pytest.UsageError(f"obskit_reset must be one of {', '.join(_RESET_CHOICES)}")
    if choice == "off":
        yield
        return
    reset_for_test(opentelemetry=choice == "all")
    yield
    reset_for_test(opentelemetry=choice == "all")


@pytest.fixture
def telemetry() -> Iterator[Captured]:
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
