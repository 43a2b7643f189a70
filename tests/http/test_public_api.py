"""The public surface of obskit.http, its light import, and pass-through without an SDK."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace

import obskit.http
from tests.support.subprocess_run import run_python


def test_public_names() -> None:
    assert sorted(obskit.http.__all__) == [
        "ASGIMiddleware",
        "DjangoMiddleware",
        "GunicornLogger",
        "UVICORN_LOG_CONFIG",
        "WSGIMiddleware",
        "flask_route",
        "instrument_httpx",
        "instrument_requests",
        "uninstrument_httpx",
        "uninstrument_requests",
    ]
    for name in obskit.http.__all__:
        assert getattr(obskit.http, name).__doc__


def test_importing_obskit_http_imports_no_web_library() -> None:
    out = run_python(
        """
        import json, sys
        import obskit.http
        print(json.dumps(sorted(m for m in ("httpx", "requests", "starlette", "flask", "fastapi",
                                          "django", "gunicorn", "uvicorn")
                                if m in sys.modules)))
        """
    )["result"]
    assert out == []


async def test_without_an_sdk_the_callers_context_passes_through_to_outgoing_calls() -> None:
    """In process: the pytest plugin leaves every test unconfigured, with no SDK."""
    import httpx

    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    sent: list[str | None] = []

    def downstream(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("traceparent"))
        return httpx.Response(200)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(downstream))
        async with obskit.http.instrument_httpx(client) as c:
            await c.get("http://down.test/")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    transport = httpx.ASGITransport(app=obskit.http.ASGIMiddleware(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        await client.get("/", headers={"traceparent": incoming})
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
    assert sent == [incoming]


@pytest.mark.parametrize(
    ("use", "client", "extra"),
    [
        (lambda: obskit.http.instrument_httpx(), "httpx", "http"),
        (lambda: obskit.http.uninstrument_httpx(), "httpx", "http"),
        (lambda: obskit.http.GunicornLogger, "gunicorn", "servers"),
    ],
    ids=["instrument_httpx", "uninstrument_httpx", "GunicornLogger"],
)
def test_a_missing_web_library_names_the_extra_that_installs_it(
    use: Callable[[], object], client: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, client, None)  # as on a machine without obskit[extra]
    with pytest.raises(ModuleNotFoundError) as raised:
        use()
    assert (
        str(raised.value) == f"obskit needs {client!r} for this helper: pip install obskit[{extra}]"
    )
