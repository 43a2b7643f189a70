"""The example shop: an HTTP API, an inventory consumer and a shipping consumer.

``shop-api`` takes an order over HTTP (a Starlette app inside obskit's ASGI middleware) and
publishes ``OrderPlaced`` to ``orders``; ``inventory`` reserves stock and publishes
``PrepareShipping`` to ``shipping``; ``shipping`` books a carrier and prepares the parcel. The
code is what a team would write with obskit: decorators, ``publishing()``, structured logs, and
domain exceptions that the error policy classifies. The seeded problems live in
:func:`scenario` and in the knobs on :class:`Shop` (a flaky carrier, a delayed queue, a held
message), not in obskit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from obskit import _semconv_names as sc
from obskit import get_logger, publishing, traced
from obskit.demo._http import ASGIApp, Message, Receive, Scope, Send, ServiceApp, call, instrument
from obskit.demo._logs import LOGGER
from obskit.demo._services import in_service
from obskit.demo._transport import Envelope, Transport
from obskit.errors import BusinessRuleViolation, TransientError
from obskit.testing import BusMessage

__all__ = ["API", "CONVENTIONS", "INVENTORY", "SERVICES", "SHIPPING", "Shop", "scenario"]

#: the shop's own ``app.*`` conventions: they live with the demo, which loads them explicitly
#: (``configure(conventions=...)``); a service that does not ask never gets them
CONVENTIONS = Path(__file__).with_name("conventions.yaml")

API, INVENTORY, SHIPPING = "shop-api", "inventory", "shipping"
SERVICES = (API, INVENTORY, SHIPPING)
ORDERS, SHIPMENTS = "orders", "shipping"


def _sequence(message: BusMessage) -> tuple[str, int]:
    """Orders carry the API's sequence number: inventory notices when one overtakes another."""
    return ORDERS, int(message.body["sequence"])


def _order_id(message: BusMessage) -> dict[str, Any]:
    """The registered ``app.order.id`` on every consumer span: search traces by order."""
    return {"app.order.id": str(message.body.get("order_id", ""))}


class Shop:
    """Three services wired to one transport; state is per instance (one demo run)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.log = get_logger(LOGGER)
        self.stock = {"SKU-RED-MUG": 10, "SKU-BLUE-MUG": 1, "SKU-TEAPOT": 5}
        #: how many carrier bookings time out next (the transient failure)
        self.carrier_timeouts = 0
        self._order_ids = itertools.count(1001)
        self._sequence = itertools.count(1)
        self._held: list[Envelope] | None = None
        self._queue_delay_ns = 0
        self.api: ASGIApp = ServiceApp(instrument(self._app()), API)
        system = transport.system

        @traced.consumer(ORDERS, system=system, sequence=_sequence, attributes=_order_id)
        def on_order_placed(message: BusMessage) -> None:
            self.reserve_stock(message.body)

        @traced.consumer(SHIPMENTS, system=system, attributes=_order_id)
        def on_prepare_shipping(message: BusMessage) -> None:
            self.prepare_parcel(message.body)

        transport.subscribe(ORDERS, in_service(INVENTORY, on_order_placed))
        transport.subscribe(SHIPMENTS, in_service(SHIPPING, on_prepare_shipping))

    # -- shop-api ---------------------------------------------------------------------------
    def _app(self) -> ASGIApp:
        try:
            from starlette.applications import Starlette
            from starlette.requests import Request
            from starlette.responses import JSONResponse
            from starlette.routing import Route
        except ImportError:  # pragma: no cover - starlette ships with obskit[http]
            return self._plain_app

        async def orders(request: Request) -> JSONResponse:
            status, body = self.place_order(await request.json())
            return JSONResponse(body, status_code=status)

        app: ASGIApp = Starlette(routes=[Route("/orders", orders, methods=["POST"])])
        return app

    async def _plain_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        import json

        message: Message = await receive()
        status, body = self.place_order(json.loads(message.get("body") or b"{}"))
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    def place_order(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        order_id = f"ord-{next(self._order_ids)}"
        sku, quantity = str(payload.get("sku", "")), int(payload.get("quantity", 0))
        if quantity <= 0:
            self.log.warning("order_refused", sku=sku, quantity=quantity)
            return 422, {"error": "quantity must be positive"}
        self.log.info("order_received", order_id=order_id, sku=sku, quantity=quantity)
        order = {"type": "OrderPlaced", "order_id": order_id, "sku": sku, "quantity": quantity}
        self.publish(ORDERS, {**order, "sequence": next(self._sequence)}, f"{order_id}/placed")
        return 202, {"order_id": order_id, "status": "accepted"}

    # -- inventory --------------------------------------------------------------------------
    @traced(name="reserve stock")
    def reserve_stock(self, order: dict[str, Any]) -> None:
        order_id, sku, quantity = order["order_id"], order["sku"], int(order["quantity"])
        available = self.stock.get(sku, 0)
        if quantity > available:
            self.log.warning("stock_insufficient", order_id=order_id, sku=sku, quantity=quantity)
            raise BusinessRuleViolation(f"{sku}: {quantity} requested, {available} in stock")
        self.stock[sku] = available - quantity
        self.log.info("stock_reserved", order_id=order_id, sku=sku, quantity=quantity)
        shipment = {"type": "PrepareShipping", "order_id": order_id, "sku": sku}
        self.publish(SHIPMENTS, shipment, f"{order_id}/ship")

    # -- shipping ---------------------------------------------------------------------------
    def prepare_parcel(self, shipment: dict[str, Any]) -> None:
        self.book_carrier(shipment["order_id"])
        # The convention slip the validator catches: the registry's log key is ``order_id``.
        self.log.info("parcel_prepared", orderId=shipment["order_id"], sku=shipment["sku"])

    @traced(name="book carrier")
    def book_carrier(self, order_id: str) -> None:
        if self.carrier_timeouts > 0:
            self.carrier_timeouts -= 1
            self.log.warning("carrier_timeout", order_id=order_id)
            raise TransientError("carrier API timed out after 2.0s")

    # -- messaging --------------------------------------------------------------------------
    def publish(self, destination: str, body: dict[str, Any], message_id: str) -> None:
        with publishing(destination, system=self.transport.system, message_id=message_id) as h:
            envelope = Envelope(destination, body, dict(h), message_id)
        if self._queue_delay_ns and sc.SENT_AT_HEADER in envelope.headers:
            sent = int(envelope.headers[sc.SENT_AT_HEADER]) - self._queue_delay_ns
            envelope.headers[sc.SENT_AT_HEADER] = str(sent)
        if self._held is not None:
            self._held.append(envelope)
        else:
            self.transport.send(envelope)

    @contextmanager
    def queue_delay(self, seconds: float) -> Iterator[None]:
        """Messages published here look as if they waited ``seconds`` in a backed-up queue."""
        self._queue_delay_ns = int(seconds * 1e9)
        try:
            yield
        finally:
            self._queue_delay_ns = 0

    @contextmanager
    def hold_messages(self) -> Iterator[list[Envelope]]:
        """Messages published here are held back (a slow network path) until released."""
        held: list[Envelope] = []
        self._held = held
        try:
            yield held
        finally:
            self._held = None

    def release(self, held: list[Envelope]) -> None:
        for envelope in held:
            self.transport.send(envelope)
        held.clear()


QUEUE_DELAY_SECONDS = 95.0


async def scenario(shop: Shop) -> list[str]:
    """Six orders, each showing one thing; returns what happened, one line per order."""
    story: list[str] = []
    transport = shop.transport

    async def order(sku: str, quantity: int) -> str:
        response = await call(shop.api, "POST", "/orders", {"sku": sku, "quantity": quantity})
        return str(response.body.get("order_id", "?")) if isinstance(response.body, dict) else "?"

    first = await order("SKU-RED-MUG", 2)
    transport.run_until_idle()
    story.append(f"{first}: 2 x SKU-RED-MUG, reserved and shipped")

    second = await order("SKU-BLUE-MUG", 3)
    transport.run_until_idle()
    story.append(f"{second}: 3 x SKU-BLUE-MUG, only 1 in stock: a business outcome, not an error")

    shop.carrier_timeouts = 1
    third = await order("SKU-TEAPOT", 1)
    transport.run_until_idle()
    story.append(f"{third}: the carrier timed out (transient); redelivered, shipped on attempt 2")

    with shop.queue_delay(QUEUE_DELAY_SECONDS):
        fourth = await order("SKU-RED-MUG", 1)
    transport.run_until_idle()
    story.append(f"{fourth}: sat {QUEUE_DELAY_SECONDS:.0f}s in a backed-up queue: flagged late")

    with shop.hold_messages() as held:
        fifth = await order("SKU-TEAPOT", 1)
    sixth = await order("SKU-RED-MUG", 1)
    transport.run_until_idle()
    shop.release(held)
    transport.run_until_idle()
    story.append(f"{sixth}: overtook {fifth} on the way to inventory")
    story.append(f"{fifth}: arrived after {sixth}: flagged out of order")
    return story
