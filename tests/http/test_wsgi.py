"""WSGIMiddleware: SERVER spans for Flask (and any WSGI app), route via flask_route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response, stream_with_context
from opentelemetry.trace import SpanKind, StatusCode
from werkzeug.test import Client as _Client

from obskit.errors import BusinessRuleViolation
from obskit.http import WSGIMiddleware, flask_route
from obskit.http import _http_names as n
from obskit.testing import Captured

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Client(_Client):
    """werkzeug's test client, buffering (and so closing) every response like a server."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def make_app(**options: Any) -> Any:
    app = flask_route(Flask("shop"))

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.post("/refuse")
    def refuse() -> str:
        raise BusinessRuleViolation("already shipped")

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @app.get("/status/<int:code>")
    def status(code: int) -> tuple[str, int]:
        return "x", code

    @app.get("/stream")
    def stream() -> Response:
        def body() -> Iterator[str]:
            yield "a"
            yield "b"

        return Response(stream_with_context(body()))

    app.wsgi_app = WSGIMiddleware(app.wsgi_app, **options)  # type: ignore[method-assign]
    return app


def test_flask_span_has_the_rule_and_the_stable_attributes(telemetry: Captured) -> None:
    client = Client(make_app())
    response = client.get(
        "/items/3?password=x&q=1",
        headers={"User-Agent": "ua", "traceparent": PARENT, "tracestate": "a@b=1"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert response.status_code == 200
    span = telemetry.span("GET /items/<int:item_id>", SpanKind.SERVER)
    assert span.attributes is not None
    assert dict(span.attributes) == {
        n.HTTP_REQUEST_METHOD: "GET",
        n.URL_PATH: "/items/3",
        n.URL_SCHEME: "http",
        n.URL_QUERY: "password=[REDACTED]&q=1",
        n.SERVER_ADDRESS: "localhost",
        n.SERVER_PORT: 80,
        n.CLIENT_ADDRESS: "10.0.0.1",
        n.USER_AGENT_ORIGINAL: "ua",
        n.NETWORK_PROTOCOL_VERSION: "1.1",
        n.HTTP_ROUTE: "/items/<int:item_id>",
        n.HTTP_RESPONSE_STATUS_CODE: 200,
    }
    assert span.context.trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736
    assert dict(span.context.trace_state) == {"a@b": "1"}
    [(attributes, point)] = telemetry.metric_points(n.METRIC_SERVER_DURATION)
    assert attributes[n.HTTP_ROUTE] == "/items/<int:item_id>"
    assert point.count == 1


def test_errors_follow_the_policy(telemetry: Captured) -> None:
    client = Client(make_app())
    assert client.get("/status/404").status_code == 404
    assert client.get("/status/502").status_code == 502
    refused = client.post("/refuse")
    assert refused.status_code == 422
    assert refused.json == {
        "error": "obskit.errors.BusinessRuleViolation",
    }
    assert client.get("/boom").status_code == 500  # Flask answers; the span still saw it
    by_status = {
        s.attributes[n.HTTP_RESPONSE_STATUS_CODE]: s  # type: ignore[index]
        for s in telemetry.spans
    }
    assert by_status[404].status.status_code is StatusCode.UNSET
    assert by_status[502].status.status_code is StatusCode.ERROR
    assert by_status[422].status.status_code is StatusCode.UNSET
    assert by_status[422].attributes["obskit.outcome"] == "business"  # type: ignore[index]
    assert by_status[500].status.status_code is StatusCode.ERROR


def test_an_exception_escaping_a_bare_wsgi_app_is_recorded_and_reraised(
    telemetry: Captured,
) -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        raise ValueError("bad")

    with pytest.raises(ValueError):
        Client(WSGIMiddleware(app)).get("/x")
    span = telemetry.span("GET", SpanKind.SERVER)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None and span.attributes[n.ERROR_TYPE] == "ValueError"


def test_streamed_bodies_end_the_span_when_closed(telemetry: Captured) -> None:
    response = Client(make_app()).get("/stream")
    assert response.get_data() == b"ab"
    response.close()
    assert telemetry.span("GET /stream").attributes[n.HTTP_RESPONSE_STATUS_CODE] == 200  # type: ignore[index]


def test_a_body_closed_early_is_a_client_disconnect(telemetry: Captured) -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"a"
        yield b"b"

    body = WSGIMiddleware(app)({"REQUEST_METHOD": "GET", "PATH_INFO": "/s"}, lambda *a: None)
    next(iter(body))
    body.close()  # type: ignore[attr-defined]
    span = telemetry.span("GET", SpanKind.SERVER)
    assert span.attributes is not None and span.attributes[n.OBSKIT_CLIENT_DISCONNECTED] is True


def test_exclude_and_captured_headers(telemetry: Captured) -> None:
    client = Client(
        make_app(exclude=["/status/*"], capture_headers=["x-request-id", "authorization"])
    )
    client.get("/status/200")
    client.get("/items/1", headers={"X-Request-Id": "r-9", "Authorization": "Basic x"})
    [span] = telemetry.spans
    assert span.attributes is not None
    assert span.attributes["http.request.header.x_request_id"] == ("r-9",)
    assert span.attributes["http.request.header.authorization"] == ("[REDACTED]",)


def _ok(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _environ(**extra: str) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/items", "wsgi.url_scheme": "http", **extra}


def _run(app: Any, environ: dict[str, Any]) -> tuple[list[str], bytes]:
    statuses: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        data = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    return statuses, data


@pytest.mark.parametrize(
    ("environ", "port"),
    [
        (_environ(HTTP_HOST="example.com:\u00b2"), 80),  # byte 0xB2 as a WSGI (latin-1) string
        (_environ(SERVER_NAME="example.com", SERVER_PORT="\u00b2"), None),
    ],
)
def test_a_port_of_non_ascii_digits_is_no_500(
    telemetry: Captured, environ: Any, port: int | None
) -> None:
    assert _run(WSGIMiddleware(_ok), environ) == (["200 OK"], b"ok")
    attributes = telemetry.span("GET", SpanKind.SERVER).attributes
    assert attributes is not None
    assert attributes[n.SERVER_ADDRESS] == "example.com"
    assert attributes.get(n.SERVER_PORT) == port


def test_a_failing_request_set_up_runs_the_app_without_a_span(
    telemetry: Captured, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from obskit.http import _wsgi

    def broken(raw: str) -> Any:
        raise ValueError("set-up bug")

    monkeypatch.setattr(_wsgi, "method_attributes", broken)
    middleware = WSGIMiddleware(_ok)
    with caplog.at_level(logging.DEBUG, logger="obskit.http"):
        assert _run(middleware, _environ()) == (["200 OK"], b"ok")
        assert _run(middleware, _environ()) == (["200 OK"], b"ok")
    assert telemetry.spans == ()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "set-up bug" in (warnings[0].exc_text or "")


def test_a_path_that_is_not_latin_1_runs_the_app_without_a_span(
    telemetry: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:

    environ = _environ(PATH_INFO="/caf\u20ac")  # a server breaking PEP 3333's latin-1 rule
    assert _run(WSGIMiddleware(_ok), environ) == (["200 OK"], b"ok")


def test_a_streaming_body_runs_inside_the_request_trace(telemetry: Captured) -> None:
    from opentelemetry import trace

    seen: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])

        def body() -> Iterator[bytes]:
            for chunk in (b"a", b"b"):
                seen.append(trace.get_current_span().get_span_context().span_id)
                yield chunk

        return body()

    response = _Client(WSGIMiddleware(app)).get("/stream")
    assert b"".join(response.iter_encoded()) == b"ab"
    response.close()
    span = telemetry.span("GET", SpanKind.SERVER)
    assert seen == [span.context.span_id, span.context.span_id]
