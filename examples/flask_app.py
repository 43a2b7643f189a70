"""A Flask service instrumented by obskit: the inventory the FastAPI example calls.

Run: ``flask --app examples.flask_app run --port 8001`` (or any WSGI server: gunicorn,
``werkzeug.serving.run_simple``).
"""

from __future__ import annotations

import os
from typing import Any

import requests
from flask import Flask

import obskit
from obskit.http import WSGIMiddleware, flask_route, instrument_requests

obskit.configure(
    service_name="inventory",
    exporter=os.environ.get("OBSKIT_EXAMPLE_EXPORTER", "console"),  # type: ignore[arg-type]
)
instrument_requests()  # outgoing requests calls: CLIENT spans + traceparent

app = flask_route(Flask(__name__))  # route templates and handler exceptions reach the span
app.wsgi_app = WSGIMiddleware(app.wsgi_app, exclude=["/health"])  # type: ignore[method-assign]
STOCK = {"sku-1": 3, "sku-2": 0}
PRICING = os.environ.get("PRICING_URL")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/stock/<sku>")
def stock(sku: str) -> dict[str, Any]:
    if PRICING:
        requests.get(f"{PRICING}/price/{sku}", timeout=5)
    return {"sku": sku, "available": STOCK.get(sku, 0)}
