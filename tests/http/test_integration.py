"""One trace across real servers: FastAPI (uvicorn) -> Flask (werkzeug) over httpx, and FastAPI ->
message -> consumer -> Flask over requests, all on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from fastapi import FastAPI
from flask import Flask
from opentelemetry.trace import SpanKind

import obskit
from obskit.http import (
    ASGIMiddleware,
    WSGIMiddleware,
    flask_route,
    instrument_httpx,
    instrument_requests,
)
from obskit.testing import Captured, InMemoryBus, assert_parent
from tests.http.servers import UvicornThread, WerkzeugThread, wait_for


def inventory_app() -> Any:
    app = flask_route(Flask("inventory"))

    @app.get("/stock/<sku>")
    def stock(sku: str) -> dict[str, Any]:
        return {"sku": sku, "available": 3}

    app.wsgi_app = WSGIMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app


@pytest.fixture
def system(bus: InMemoryBus) -> Iterator[tuple[str, InMemoryBus]]:
    with WerkzeugThread(inventory_app()) as inventory:
        session = instrument_requests(requests.Session())

        @obskit.traced.consumer("orders", system="obskit.memory")
        def reserve(message: Any) -> None:
            session.get(
                f"{inventory.url}/stock/{message.body['sku']}", timeout=5
            ).raise_for_status()

        bus.subscribe("orders", reserve)
        orders = FastAPI(telemetry={"tracing": False, "metrics": False})
        orders.add_middleware(ASGIMiddleware)

        @orders.post("/orders/{sku}")
        async def place(sku: str) -> dict[str, Any]:
            async with instrument_httpx(httpx.AsyncClient(timeout=5)) as client:
                stock = (await client.get(f"{inventory.url}/stock/{sku}")).json()
            bus.publish("orders", {"sku": sku})
            return stock

        with UvicornThread(orders) as api:
            yield api.url, bus


def test_one_trace_crosses_fastapi_flask_and_a_message(
    telemetry: Captured, system: tuple[str, InMemoryBus]
) -> None:
    url, bus = system
    response = httpx.post(f"{url}/orders/sku-1", timeout=5)
    assert response.json() == {"sku": "sku-1", "available": 3}
    bus.drain()
    wait_for(lambda: len(telemetry.find_spans(kind=SpanKind.SERVER)) == 3)

    assert len(telemetry.trace_ids()) == 1, [s.name for s in telemetry.spans]
    tree = telemetry.trace(telemetry.spans[0])
    api = tree.find("POST /orders/{sku}", SpanKind.SERVER)
    http_call, rest_call = sorted(
        telemetry.find_spans("GET", SpanKind.CLIENT), key=lambda s: s.start_time or 0
    )
    first_inventory, second_inventory = sorted(
        telemetry.find_spans("GET /stock/<sku>", SpanKind.SERVER), key=lambda s: s.start_time or 0
    )
    [producer] = telemetry.find_spans(kind=SpanKind.PRODUCER)
    [consumer] = telemetry.find_spans(kind=SpanKind.CONSUMER)

    assert tree.roots == [api], tree.render()
    assert_parent(api, http_call)
    assert_parent(http_call, first_inventory)
    assert_parent(api, producer)
    assert_parent(producer, consumer)
    assert_parent(consumer, rest_call)
    assert_parent(rest_call, second_inventory)
    assert len(tree.spans) == 7, tree.render()
