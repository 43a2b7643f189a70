"""A FastAPI service instrumented by obskit: SERVER spans, duration metric, outgoing httpx calls.

Run: ``uvicorn examples.fastapi_app:app --port 8000`` (set ``OTEL_EXPORTER_OTLP_ENDPOINT`` to send
to a Collector, or ``OBSKIT_EXAMPLE_EXPORTER=console`` to print spans), then
``curl localhost:8000/orders/sku-1``.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from fastapi import FastAPI

import obskit
from obskit.errors import BusinessRuleViolation
from obskit.http import ASGIMiddleware, instrument_httpx

obskit.configure(
    service_name="orders",
    exporter=os.environ.get("OBSKIT_EXAMPLE_EXPORTER", "console"),  # type: ignore[arg-type]
)
instrument_httpx()  # every httpx client created from now on: CLIENT spans + traceparent

# FastAPI 0.16x records its own SERVER span when an SDK is configured: keep one (obskit's).
app = FastAPI(telemetry={"tracing": False, "metrics": False})
app.add_middleware(
    ASGIMiddleware,
    exclude=["/health"],
    capture_headers=["x-request-id", "authorization"],  # authorization is always redacted
)
INVENTORY = os.environ.get("INVENTORY_URL", "http://127.0.0.1:8001")
log = obskit.get_logger(__name__)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/orders/{sku}")
async def order(sku: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as client:
        stock = (await client.get(f"{INVENTORY}/stock/{sku}")).json()
    if stock.get("available", 0) < 1:
        # Answered 422 by the middleware, recorded as a business outcome (not a span error).
        raise BusinessRuleViolation(f"{sku} is out of stock")
    log.info("order_placed", sku=sku)
    return {"sku": sku, "reserved": True}
