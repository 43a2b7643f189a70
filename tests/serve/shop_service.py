"""Two stages of a small shop, each run as its own process exporting to ``obskit serve``.

``api``: three ``POST /orders`` requests for one order, each publishing a stock change
(sequence 1, 3, 2: the third overtakes the second); the messages (with their trace context)
are written to a file. ``stock``: another service reads them and handles each, also the first
one a second time (a duplicate); sequence 2 times out once and is redelivered.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from opentelemetry import trace
from opentelemetry.trace import SpanKind

import obskit
from obskit.testing import BusMessage, InMemoryBus


def api(order: str, outbox: Path) -> None:
    bus = InMemoryBus()
    tracer = trace.get_tracer("shop")
    log = obskit.get_logger("shop.api")
    for sequence in (1, 3, 2):
        with tracer.start_as_current_span(
            "POST /orders", kind=SpanKind.SERVER, attributes={"app.order.id": order}
        ):
            log.info("order_received", order_id=order, sequence=sequence)
            bus.publish("stock", {"order": order, "seq": sequence})
    sent = [
        {"body": m.body, "headers": m.headers, "message_id": m.message_id}
        for m in bus.sent("stock")
    ]
    outbox.write_text(json.dumps(sent))


def stock(outbox: Path) -> None:
    bus = InMemoryBus()
    log = obskit.get_logger("shop.stock")

    @obskit.traced.consumer(
        "stock", system="obskit.memory", sequence=lambda m: (m.body["order"], m.body["seq"])
    )
    def on_stock(message: BusMessage) -> None:
        log.info("stock_changed", order_id=message.body["order"], attempt=message.attempt)
        if message.body["seq"] == 2 and message.attempt == 1:
            raise TimeoutError("the warehouse did not answer")

    bus.subscribe("stock", on_stock)
    sent = json.loads(outbox.read_text())
    for item in [*sent, sent[0]]:
        bus.deliver(BusMessage("stock", item["body"], item["headers"], item["message_id"]))
    bus.drain()


def main(stage: str, protocol: str, endpoint: str, order: str, outbox: str) -> None:
    telemetry = obskit.configure(
        service_name=f"shop-{stage}",
        exporter="otlp",
        protocol="grpc" if protocol == "grpc" else "http/protobuf",
        endpoint=endpoint,
    )
    if stage == "api":
        api(order, Path(outbox))
    else:
        stock(Path(outbox))
    telemetry.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:6])
