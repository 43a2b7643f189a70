"""Baggage: oversized or invalid baggage is dropped with one bounded warning, never logged
whole; outgoing HTTP calls carry it only to the hosts ``configure(baggage_hosts=...)`` names."""

from __future__ import annotations

import logging

import httpx
import pytest
from opentelemetry import baggage, context
from opentelemetry.baggage.propagation import W3CBaggagePropagator

from obskit import _baggage, propagation
from obskit._state import Settings, update_settings
from obskit.http import instrument_httpx
from obskit.testing import Captured

TRACEPARENT = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
SECRETISH = "tenant=" + "x" * 9000  # over the 8,192-byte limit, and nothing to log whole


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    _baggage._warned.clear()


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_oversized_baggage_is_dropped_with_one_bounded_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = propagation.invalid_header_counts().get("baggage_oversized", 0)
    for _ in range(100):
        extracted = propagation.extract(
            {"baggage": SECRETISH, "traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}
        )
        assert baggage.get_all(extracted) == {}
    records = _records(caplog)
    longest = max(len(r.getMessage()) for r in records)
    print(f"\n100 oversized baggage headers: {len(records)} warning, {longest} characters long")
    assert len(records) == 1 and longest < 200
    assert "xxxxxxxx" not in caplog.text
    assert propagation.invalid_header_counts()["baggage_oversized"] - before == 100


def test_invalid_members_are_skipped_and_valid_ones_kept(caplog: pytest.LogCaptureFixture) -> None:
    header = "tenant=acme, bad member here,user%20id=u-1;prop=1, =novalue, " + "k=" + "v" * 5000
    extracted = propagation.extract({"baggage": header})
    assert baggage.get_all(extracted) == {"tenant": "acme", "user id": "u-1"}
    assert len(_records(caplog)) == 2  # invalid, member too long: one warning per kind


def test_members_past_the_limit_are_dropped() -> None:
    header = ",".join(f"k{i}=v" for i in range(200))
    assert len(baggage.get_all(propagation.extract({"baggage": header}))) == 180


def test_the_sdk_propagator_never_logs_a_header_whole(caplog: pytest.LogCaptureFixture) -> None:
    W3CBaggagePropagator().extract({"baggage": SECRETISH})
    assert caplog.records and all(len(r.getMessage()) < 200 for r in caplog.records)


@pytest.mark.parametrize(
    ("url", "carries"),
    [
        ("https://api.internal/x", True),
        ("https://billing.example.com/x", True),
        ("https://example.com/x", True),
        ("https://evil.test/x", False),
        ("https://example.com.evil.test/x", False),
    ],
)
def test_baggage_goes_only_to_the_chosen_hosts(
    url: str, carries: bool, telemetry: Captured
) -> None:
    update_settings(Settings(baggage_hosts=frozenset({"api.internal", ".example.com"})))
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = instrument_httpx(httpx.Client(transport=httpx.MockTransport(handler)))
    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        client.get(url)
    finally:
        context.detach(token)
    [request] = seen
    assert ("baggage" in request.headers) is carries
    assert "traceparent" in request.headers  # the trace always goes on


def test_without_a_host_list_baggage_goes_everywhere(telemetry: Captured) -> None:
    seen: list[httpx.Request] = []
    client = instrument_httpx(
        httpx.Client(transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200)))
    )
    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        client.get("https://anywhere.test/")
    finally:
        context.detach(token)
    assert seen[0].headers["baggage"] == "tenant=acme"
