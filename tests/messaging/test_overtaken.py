"""An out-of-order message names the sequence number that overtook it."""

from __future__ import annotations

import obskit
from obskit.testing import BusMessage, InMemoryBus, capture


def test_out_of_order_records_which_message_overtook_it() -> None:
    bus = InMemoryBus()

    @obskit.traced.consumer(
        "stock", system="obskit.memory", sequence=lambda m: (m.body["sku"], m.body["seq"])
    )
    def on_stock(message: BusMessage) -> None: ...

    bus.subscribe("stock", on_stock)
    with capture() as telemetry:
        for number in (1, 4, 2, 3, 5):
            bus.publish("stock", {"sku": "A", "seq": number})
        bus.drain()
    spans = telemetry.find_spans("process stock")
    seen = [
        (
            (s.attributes or {})["obskit.message.sequence"],
            (s.attributes or {}).get("obskit.message.out_of_order", False),
            (s.attributes or {}).get("obskit.message.overtaken_by"),
        )
        for s in spans
    ]
    assert seen == [
        (1, False, None),
        (4, False, None),
        (2, True, 4),
        (3, True, 4),
        (5, False, None),
    ]
