"""The per-request shortcuts behave exactly like the general paths they skip."""

from __future__ import annotations

import gc
from typing import Any

import httpx
import pytest
from opentelemetry import baggage, context
from opentelemetry.trace import SpanKind

from obskit.http import WSGIMiddleware, instrument_httpx, uninstrument_httpx
from obskit.http._wsgi import ENVIRON_EXCHANGE
from obskit.testing import Captured


def test_httpx_injection_replaces_any_spelling_and_keeps_baggage(telemetry: Captured) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = instrument_httpx(httpx.Client(transport=httpx.MockTransport(handler)))
    try:
        client.get(
            "http://api.test/a", headers={"TraceParent": "00-" + "1" * 32 + "-" + "1" * 16 + "-01"}
        )
        token = context.attach(baggage.set_baggage("tenant", "t1"))
        try:
            client.get("http://api.test/b")
        finally:
            context.detach(token)
    finally:
        uninstrument_httpx(client)
    first, second = telemetry.spans
    assert first.kind is SpanKind.CLIENT
    assert seen[0].headers.get_list("traceparent") == [
        f"00-{first.context.trace_id:032x}-{first.context.span_id:016x}"
        f"-{int(first.context.trace_flags):02x}"
    ]
    assert seen[1].headers["traceparent"].split("-")[2] == f"{second.context.span_id:016x}"
    assert seen[1].headers["baggage"] == "tenant=t1"


def test_requests_injection_replaces_any_spelling_and_keeps_baggage(telemetry: Captured) -> None:
    import requests
    from requests.adapters import HTTPAdapter

    from obskit.http import instrument_requests, uninstrument_requests

    seen: list[requests.PreparedRequest] = []

    class Answer(HTTPAdapter):
        def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
            seen.append(request)
            response = requests.Response()
            response.status_code, response.request, response.url = 200, request, request.url
            return response

    session = requests.Session()
    session.mount("http://", Answer())
    instrument_requests(session)
    try:
        session.get(
            "http://api.test/a", headers={"TraceParent": "00-" + "1" * 32 + "-" + "1" * 16 + "-01"}
        )
        token = context.attach(baggage.set_baggage("tenant", "t1"))
        try:
            session.get("http://api.test/b")
        finally:
            context.detach(token)
    finally:
        uninstrument_requests(session)
    first, second = telemetry.spans
    assert [k for k in seen[0].headers if k.lower() == "traceparent"] == ["traceparent"]
    assert seen[0].headers["traceparent"] == (
        f"00-{first.context.trace_id:032x}-{first.context.span_id:016x}"
        f"-{int(first.context.trace_flags):02x}"
    )
    assert seen[1].headers["traceparent"].split("-")[2] == f"{second.context.span_id:016x}"
    assert seen[1].headers["baggage"] == "tenant=t1"


def test_the_wsgi_exchange_leaves_the_environ_when_the_response_closes(
    telemetry: Captured,
) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ok"]

    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "shop.test",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    start_response: Any = lambda *args: None  # noqa: E731
    body: Any = WSGIMiddleware(app)(environ, start_response)
    assert ENVIRON_EXCHANGE in environ
    list(body)
    body.close()
    assert ENVIRON_EXCHANGE not in environ  # no environ <-> exchange cycle keeping the span alive
    del body
    gc.collect()
    assert len(telemetry.spans) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:p#ss@host/x", "https://[REDACTED]:[REDACTED]@host/x"),
        ("https://u:p?q@host/x", "https://[REDACTED]:[REDACTED]@host/x"),
        ("https://host/users/@me", "https://host/users/@me"),
    ],
)
def test_user_info_with_delimiters_never_leaks(url: str, expected: str) -> None:
    from obskit.http._http_redaction import redact_url

    assert redact_url(url) == expected
