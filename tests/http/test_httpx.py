"""instrument_httpx: CLIENT spans, injection, redaction, redirects, sync and async."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from obskit.http import _http_names as n
from obskit.http import instrument_httpx, uninstrument_httpx
from obskit.testing import Captured

seen: list[httpx.Request] = []


def handler(request: httpx.Request) -> httpx.Response:
    seen.append(request)
    if request.url.path == "/redirect":
        return httpx.Response(302, headers={"location": "/target"})
    if request.url.path == "/missing":
        return httpx.Response(404)
    return httpx.Response(200, json={"ok": True})


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    seen.clear()
    yield
    uninstrument_httpx()


def test_a_client_span_is_created_and_its_context_injected(telemetry: Captured) -> None:
    client = instrument_httpx(httpx.Client(transport=httpx.MockTransport(handler)))
    client.get(
        "https://user:pw@api.test/items?api_key=k&x=1",
        headers={"traceparent": "00-11111111111111111111111111111111-1111111111111111-01"},
    )
    span = telemetry.span("GET", SpanKind.CLIENT)
    assert span.attributes is not None
    assert (
        span.attributes[n.URL_FULL]
        == "https://[REDACTED]:[REDACTED]@api.test/items?api_key=[REDACTED]&x=1"
    )
    assert span.attributes[n.SERVER_ADDRESS] == "api.test"
    assert span.attributes[n.SERVER_PORT] == 443
    assert span.attributes[n.HTTP_RESPONSE_STATUS_CODE] == 200
    [request] = seen
    assert request.headers.get_list("traceparent") == [
        f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}"
        f"-{int(span.context.trace_flags):02x}"
    ]
    [(attributes, _)] = telemetry.metric_points(n.METRIC_CLIENT_DURATION)
    assert attributes == {  # required and recommended; url.scheme is opt-in for this metric
        n.HTTP_REQUEST_METHOD: "GET",
        n.SERVER_ADDRESS: "api.test",
        n.SERVER_PORT: 443,
        n.HTTP_RESPONSE_STATUS_CODE: 200,
    }


def test_4xx_is_a_client_error_and_redirect_hops_count_resends(telemetry: Captured) -> None:
    client = instrument_httpx(
        httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)
    )
    client.get("http://api.test/missing")
    client.get("http://api.test/redirect")
    missing, first, second = telemetry.spans
    assert missing.status.status_code is StatusCode.ERROR
    assert missing.attributes is not None and missing.attributes[n.ERROR_TYPE] == "404"
    assert first.attributes is not None and n.HTTP_REQUEST_RESEND_COUNT not in first.attributes
    assert second.attributes is not None and second.attributes[n.HTTP_REQUEST_RESEND_COUNT] == 1


def test_transport_errors_are_recorded(telemetry: Captured) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    client = instrument_httpx(httpx.Client(transport=httpx.MockTransport(fail)))
    with pytest.raises(httpx.ConnectError):
        client.get("http://api.test/")
    span = telemetry.span("GET", SpanKind.CLIENT)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None and span.attributes[n.ERROR_TYPE] == "httpx.ConnectError"


async def test_async_clients_and_global_instrumentation(telemetry: Captured) -> None:
    instrument_httpx()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        await client.post("http://api.test/x")
    span = telemetry.span("POST", SpanKind.CLIENT)
    assert "traceparent" in seen[0].headers
    uninstrument_httpx()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        await client.post("http://api.test/x")
    assert len(telemetry.spans) == 1 and span is not None


async def test_a_cancelled_client_call_is_not_an_error(telemetry: Captured) -> None:
    """Semantic conventions 1.40: a call the caller cancelled did not fail."""
    import asyncio

    async def cancelled(request: httpx.Request) -> httpx.Response:
        raise asyncio.CancelledError

    client = instrument_httpx(httpx.AsyncClient(transport=httpx.MockTransport(cancelled)))
    with pytest.raises(asyncio.CancelledError):
        await client.get("https://api.test/slow")
    span = telemetry.span("GET", SpanKind.CLIENT)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes is not None and n.ERROR_TYPE not in span.attributes
    assert not [e for e in span.events if e.name == "exception"]
    [(attributes, _)] = telemetry.metric_points(n.METRIC_CLIENT_DURATION)
    assert n.ERROR_TYPE not in attributes
