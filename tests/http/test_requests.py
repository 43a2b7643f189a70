"""instrument_requests: CLIENT spans per hop against a real loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from opentelemetry.trace import SpanKind, StatusCode

from obskit.http import _http_names as n
from obskit.http import instrument_requests, uninstrument_requests
from obskit.testing import Captured
from tests.http.servers import WerkzeugThread

received: list[dict[str, str]] = []


def app(environ: Any, start_response: Any) -> list[bytes]:
    received.append({k: v for k, v in environ.items() if k.startswith("HTTP_")})
    if environ["PATH_INFO"] == "/redirect":
        start_response("302 Found", [("Location", "/target")])
        return [b""]
    code = "500 Internal Server Error" if environ["PATH_INFO"] == "/fail" else "200 OK"
    start_response(code, [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.fixture(scope="module")
def server() -> Iterator[WerkzeugThread]:
    with WerkzeugThread(app) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    received.clear()
    yield
    uninstrument_requests()


def test_session_spans_inject_and_count_redirect_hops(
    telemetry: Captured, server: WerkzeugThread
) -> None:
    session = instrument_requests(requests.Session())
    session.get(f"{server.url}/redirect?token=t")
    first, second = telemetry.spans
    assert first.kind is SpanKind.CLIENT and first.name == "GET"
    assert first.attributes is not None
    assert first.attributes[n.URL_FULL] == f"{server.url}/redirect?token=[REDACTED]"
    assert first.attributes[n.HTTP_RESPONSE_STATUS_CODE] == 302
    assert first.attributes[n.SERVER_PORT] == server.port
    assert second.attributes is not None and second.attributes[n.HTTP_REQUEST_RESEND_COUNT] == 1
    assert received[1]["HTTP_TRACEPARENT"].split("-")[2] == f"{second.context.span_id:016x}"
    uninstrument_requests(session)
    session.get(f"{server.url}/x")
    assert len(telemetry.spans) == 2


def test_global_instrumentation_marks_5xx_as_errors(
    telemetry: Captured, server: WerkzeugThread
) -> None:
    instrument_requests()
    requests.get(f"{server.url}/fail", timeout=5)
    span = telemetry.span("GET", SpanKind.CLIENT)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None and span.attributes[n.ERROR_TYPE] == "500"
    assert span.attributes[n.NETWORK_PROTOCOL_VERSION] == "1.1"


def test_connection_errors_are_recorded(telemetry: Captured) -> None:
    instrument_requests()
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:9/", timeout=2)
    span = telemetry.span("GET", SpanKind.CLIENT)
    assert span.status.status_code is StatusCode.ERROR
