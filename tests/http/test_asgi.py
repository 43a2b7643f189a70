"""ASGIMiddleware: SERVER spans, stable HTTP attributes, route names, outcomes, streaming."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from obskit._providers import DURATION_BUCKETS
from obskit.errors import BusinessRuleViolation
from obskit.http import ASGIMiddleware
from obskit.http import _http_names as n
from obskit.testing import Captured, assert_parent

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
chunks_done: list[float] = []


async def item(request: Request) -> Response:
    return JSONResponse({"id": request.path_params["item_id"]})


async def boom(request: Request) -> Response:
    raise RuntimeError("boom")


async def refuse(request: Request) -> Response:
    raise BusinessRuleViolation("stock would go negative")


async def status(request: Request) -> Response:
    return PlainTextResponse("x", status_code=int(request.path_params["code"]))


async def stream(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        for index in range(3):
            await asyncio.sleep(0.02)
            yield f"chunk{index}".encode()
        chunks_done.append(time.time_ns())

    return StreamingResponse(body())


async def echo_ws(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


def make_app(**options: Any) -> Starlette:
    routes = [
        Route("/items/{item_id}", item),
        Route("/boom", boom),
        Route("/refuse", refuse, methods=["POST"]),
        Route("/status/{code}", status),
        Route("/stream", stream),
        Route("/health", status),
        WebSocketRoute("/ws", echo_ws),
    ]
    return Starlette(routes=routes, middleware=[Middleware(ASGIMiddleware, **options)])


def client(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://shop.test:8080")


async def test_span_has_the_route_template_and_the_stable_http_attributes(
    telemetry: Captured,
) -> None:
    async with client(make_app()) as http:
        response = await http.get(
            "/items/42?token=abc&page=2", headers={"user-agent": "pytest-agent"}
        )
    assert response.status_code == 200
    span = telemetry.span("GET /items/{item_id}", SpanKind.SERVER)
    assert span.attributes is not None
    assert dict(span.attributes) == {
        n.HTTP_REQUEST_METHOD: "GET",
        n.URL_PATH: "/items/42",
        n.URL_SCHEME: "http",
        n.URL_QUERY: "token=[REDACTED]&page=2",
        n.SERVER_ADDRESS: "shop.test",
        n.SERVER_PORT: 8080,
        n.CLIENT_ADDRESS: "127.0.0.1",
        n.USER_AGENT_ORIGINAL: "pytest-agent",
        n.NETWORK_PROTOCOL_VERSION: "1.1",
        n.HTTP_ROUTE: "/items/{item_id}",
        n.HTTP_RESPONSE_STATUS_CODE: 200,
    }
    assert span.status.status_code is StatusCode.UNSET
    [(attributes, point)] = telemetry.metric_points(n.METRIC_SERVER_DURATION)
    assert attributes == {
        n.HTTP_REQUEST_METHOD: "GET",
        n.URL_SCHEME: "http",
        n.NETWORK_PROTOCOL_VERSION: "1.1",
        n.HTTP_RESPONSE_STATUS_CODE: 200,
        n.HTTP_ROUTE: "/items/{item_id}",
    }
    assert tuple(point.explicit_bounds) == DURATION_BUCKETS
    assert point.count == 1


async def test_fastapi_route_templates_name_the_span(telemetry: Captured) -> None:
    app = FastAPI(telemetry={"tracing": False, "metrics": False})
    app.add_middleware(ASGIMiddleware)

    @app.get("/users/{user_id}/orders")
    async def orders(user_id: int) -> dict[str, int]:
        return {"user": user_id}

    async with client(app) as http:
        assert (await http.get("/users/7/orders")).json() == {"user": 7}
    span = telemetry.span("GET /users/{user_id}/orders", SpanKind.SERVER)
    assert (
        span.attributes is not None and span.attributes[n.HTTP_ROUTE] == "/users/{user_id}/orders"
    )


async def test_wrapping_a_fastapi_app_keeps_a_single_server_span(telemetry: Captured) -> None:
    app = FastAPI()

    @app.get("/ping/{name}")
    async def ping(name: str) -> str:
        return name

    async with client(ASGIMiddleware(app)) as http:
        await http.get("/ping/x")
    assert [s.name for s in telemetry.spans if s.kind is SpanKind.SERVER] == ["GET /ping/{name}"]
    assert len(telemetry.metric_points(n.METRIC_SERVER_DURATION)) == 1


async def test_no_route_means_the_method_alone_and_4xx_is_not_a_server_error(
    telemetry: Captured,
) -> None:
    async with client(make_app()) as http:
        assert (await http.get("/nowhere")).status_code == 404
        assert (await http.get("/status/418")).status_code == 418
    missing = telemetry.span("GET", SpanKind.SERVER)
    assert missing.attributes is not None and n.HTTP_ROUTE not in missing.attributes
    for span in (missing, telemetry.span("GET /status/{code}")):
        assert span.status.status_code is StatusCode.UNSET
        assert span.attributes is not None and n.ERROR_TYPE not in span.attributes


async def test_unknown_methods_are_reported_as_other(telemetry: Captured) -> None:
    async with client(make_app()) as http:
        await http.request("FOO", "/items/1")
    span = telemetry.span("HTTP /items/{item_id}", SpanKind.SERVER)
    assert span.attributes is not None
    assert span.attributes[n.HTTP_REQUEST_METHOD] == "_OTHER"
    assert span.attributes[n.HTTP_REQUEST_METHOD_ORIGINAL] == "FOO"


async def test_5xx_responses_and_unhandled_exceptions_are_span_errors(
    telemetry: Captured,
) -> None:
    async with client(make_app()) as http:
        assert (await http.get("/status/503")).status_code == 503
        assert (await http.get("/boom")).status_code == 500
    answered = telemetry.span("GET /status/{code}")
    assert answered.status.status_code is StatusCode.ERROR
    assert answered.attributes is not None and answered.attributes[n.ERROR_TYPE] == "503"
    crashed = telemetry.span("GET /boom")
    assert crashed.status.status_code is StatusCode.ERROR
    assert crashed.attributes is not None
    assert crashed.attributes[n.ERROR_TYPE] == "RuntimeError"
    assert crashed.attributes["obskit.error.kind"] == "unexpected"
    assert [e.name for e in crashed.events] == ["exception"]
    errors = {a.get(n.ERROR_TYPE) for a, _ in telemetry.metric_points(n.METRIC_SERVER_DURATION)}
    assert errors == {"503", "RuntimeError"}


async def test_a_business_rule_violation_is_answered_422_and_is_not_a_span_error(
    telemetry: Captured,
) -> None:
    async with client(make_app()) as http:
        response = await http.post("/refuse")
    assert response.status_code == 422
    assert response.json() == {
        "error": "obskit.errors.BusinessRuleViolation",
    }
    span = telemetry.span("POST /refuse")
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes is not None
    assert span.attributes["obskit.outcome"] == "business"
    assert span.attributes[n.HTTP_RESPONSE_STATUS_CODE] == 422


async def test_incoming_trace_context_is_continued(telemetry: Captured) -> None:
    async with client(make_app()) as http:
        await http.get(
            "/items/1",
            headers={"TraceParent": PARENT, "tracestate": "congo=t61,foo@bar=1", "baggage": "k=v"},
        )
    span = telemetry.span("GET /items/{item_id}")
    assert span.parent is not None and span.parent.span_id == 0x00F067AA0BA902B7
    assert span.context.trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736
    assert dict(span.context.trace_state) == {"congo": "t61", "foo@bar": "1"}


async def test_streaming_keeps_the_span_open_until_the_last_chunk(telemetry: Captured) -> None:
    chunks_done.clear()
    async with client(make_app()) as http:
        response = await http.get("/stream")
    assert response.text == "chunk0chunk1chunk2"
    span = telemetry.span("GET /stream")
    assert span.end_time is not None and span.end_time >= chunks_done[0]


async def test_exclude_takes_exact_paths_globs_and_regexes(telemetry: Captured) -> None:
    app = make_app(exclude=["/health", "/status/4*", re.compile(r"/items/\d{3}")])
    async with client(app) as http:
        for path in ("/health", "/status/404", "/items/123", "/items/1"):
            await http.get(path)
    assert [s.name for s in telemetry.spans] == ["GET /items/{item_id}"]


async def test_captured_headers_are_recorded_and_sensitive_ones_redacted(
    telemetry: Captured,
) -> None:
    app = make_app(capture_headers=["X-Request-Id", "Authorization", "content-type", "cookie"])
    async with client(app) as http:
        await http.get(
            "/items/1",
            headers=[
                ("x-request-id", "r-1"),
                ("X-Request-Id", "r-2"),
                ("authorization", "Bearer secret"),
                ("cookie", "session=abc"),
            ],
        )
    span = telemetry.span("GET /items/{item_id}")
    assert span.attributes is not None
    assert span.attributes["http.request.header.x_request_id"] == ("r-1", "r-2")
    assert span.attributes["http.request.header.authorization"] == ("[REDACTED]",)
    assert span.attributes["http.request.header.cookie"] == ("[REDACTED]",)
    assert span.attributes["http.response.header.content_type"] == ("application/json",)


async def test_lifespan_and_other_scopes_pass_through_untouched(telemetry: Captured) -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope, receive, send))

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        return None

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    await ASGIMiddleware(app)(scope, receive, send)
    assert seen == [(scope, receive, send)]
    assert telemetry.spans == ()


def _http_scope(path: str = "/stream") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"shop.test")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }


async def test_a_client_disconnect_on_send_is_recorded_not_raised(telemetry: Captured) -> None:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(10)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.body" and sent:
            raise OSError("client went away")
        sent.append(message)

    await make_app()(_http_scope(), receive, send)  # does not raise
    span = telemetry.span("GET /stream")
    assert span.attributes is not None
    assert span.attributes[n.OBSKIT_CLIENT_DISCONNECTED] is True
    assert [e.name for e in span.events] == [n.EVENT_CLIENT_DISCONNECT]
    assert span.status.status_code is StatusCode.UNSET


async def test_an_http_disconnect_before_the_response_is_recorded(telemetry: Captured) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        assert message["type"] == "http.disconnect"

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        raise AssertionError("nothing is sent")

    await ASGIMiddleware(app)(_http_scope("/upload"), receive, send)
    span = telemetry.span("GET", SpanKind.SERVER)
    assert span.attributes is not None and span.attributes[n.OBSKIT_CLIENT_DISCONNECTED] is True


async def test_websocket_sessions_get_a_server_span(telemetry: Captured) -> None:
    incoming = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "hi"},
        {"type": "websocket.disconnect", "code": 1000},
    ]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {**_http_scope("/ws"), "type": "websocket", "scheme": "ws", "subprotocols": []}
    del scope["method"]
    await make_app()(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    span = telemetry.span("GET /ws", SpanKind.SERVER)
    assert span.attributes is not None
    assert span.attributes[n.URL_SCHEME] == "ws"
    assert span.attributes[n.HTTP_RESPONSE_STATUS_CODE] == 101


@pytest.mark.parametrize("policy_reraises", [True])
async def test_a_policy_that_reraises_business_outcomes_lets_the_framework_answer(
    telemetry: Captured, policy_reraises: bool
) -> None:
    from obskit.errors import ErrorKind, ErrorPolicy

    policy = ErrorPolicy.extend(reraise=[ErrorKind.BUSINESS, ErrorKind.UNEXPECTED])
    async with client(make_app(errors=policy)) as http:
        assert (await http.post("/refuse")).status_code == 500
    span = telemetry.span("POST /refuse")
    assert span.attributes is not None and span.attributes["obskit.outcome"] == "business"


async def test_the_server_span_is_the_parent_of_work_in_the_handler(
    telemetry: Captured,
) -> None:
    import obskit

    @obskit.traced
    def price() -> int:
        return 1

    async def priced(request: Request) -> Response:
        return PlainTextResponse(str(price()))

    app = Starlette(routes=[Route("/price", priced)], middleware=[Middleware(ASGIMiddleware)])
    async with client(app) as http:
        await http.get("/price")
    server = telemetry.span("GET /price")
    [inner] = [s for s in telemetry.spans if s.kind is SpanKind.INTERNAL]
    assert_parent(server, inner)


@pytest.mark.parametrize(
    ("telemetry_config", "warned"),
    [({"tracing": False, "metrics": False}, False), (None, True)],
    ids=["fastapi-telemetry-off", "fastapi-telemetry-on"],
)
def test_a_duplicate_fastapi_server_span_is_warned_about_only_when_it_exists(
    telemetry: Captured,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    telemetry_config: dict[str, bool] | None,
    warned: bool,
) -> None:

    app = FastAPI() if telemetry_config is None else FastAPI(telemetry=telemetry_config)

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(ASGIMiddleware)

    async def call() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            return (await client.get("/ping")).status_code

    with caplog.at_level(logging.WARNING, logger="obskit.http"):
        assert asyncio.run(call()) == 200
    assert any("FastAPI's own telemetry" in r.getMessage() for r in caplog.records) is warned


async def _run_raw(middleware: ASGIMiddleware, scope: dict[str, Any]) -> list[Any]:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await middleware(scope, receive, send)
    return sent


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def test_a_host_port_of_non_ascii_digits_is_no_500(telemetry: Captured) -> None:
    scope = _http_scope("/items")
    scope["headers"] = [(b"host", b"example.com:\xb2")]  # latin-1 0xB2 is '²': isdigit() is True
    sent = await _run_raw(ASGIMiddleware(_ok), scope)
    assert sent[0]["status"] == 200
    attributes = telemetry.span("GET", SpanKind.SERVER).attributes
    assert attributes is not None
    assert attributes[n.SERVER_ADDRESS] == "example.com"
    assert attributes[n.SERVER_PORT] == 80


async def test_a_failing_request_set_up_runs_the_app_without_a_span(
    telemetry: Captured, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from obskit.http import _asgi

    def broken(raw: str) -> Any:
        raise ValueError("set-up bug")

    monkeypatch.setattr(_asgi, "method_attributes", broken)
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await _ok(scope, receive, send)

    middleware = ASGIMiddleware(app)
    with caplog.at_level(logging.DEBUG, logger="obskit.http"):
        first = await _run_raw(middleware, _http_scope("/a"))
        second = await _run_raw(middleware, _http_scope("/b"))
    assert calls == ["/a", "/b"]
    assert first[0]["status"] == second[0]["status"] == 200
    assert telemetry.spans == ()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "set-up bug" in (warnings[0].exc_text or "")


async def test_a_raising_exclude_callable_runs_the_app_without_a_span(
    telemetry: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:

    def exclude(path: str) -> bool:
        raise RuntimeError("bad predicate")

    sent = await _run_raw(ASGIMiddleware(_ok, exclude=[exclude]), _http_scope("/a"))
    assert sent[0]["status"] == 200
    assert telemetry.spans == ()
