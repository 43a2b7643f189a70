"""Regressions from the code review: each test failed before its fix."""

from __future__ import annotations

import asyncio
import email.message
import types
from typing import Any

import pytest

import obskit
from obskit.errors import BusinessRuleViolation, ErrorPolicy
from obskit.testing import BusMessage, InMemoryBus, Telemetry
from tests.support.subprocess_run import run_python

UNSAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_failures_under_an_unsampled_parent_keep_the_policy(telemetry: Telemetry) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handler(message: dict[str, Any]) -> None:
        raise BusinessRuleViolation("no stock")

    assert handler({"headers": {"traceparent": UNSAMPLED}}) is None  # not an AttributeError
    with (
        pytest.raises(ValueError, match="bad payload"),
        obskit.publishing("orders", system="rabbitmq", headers={"traceparent": UNSAMPLED}),
    ):
        raise ValueError("bad payload")
    [(attributes, _)] = telemetry.metric_points("messaging.process.duration")
    assert attributes["error.type"] == "obskit.errors.BusinessRuleViolation"


def test_a_publish_only_service_exports_its_sent_count(telemetry: Telemetry) -> None:
    InMemoryBus().publish("billing", {"amount": 1})
    [(attributes, point)] = telemetry.metric_points("messaging.client.sent.messages")
    assert attributes["messaging.destination.name"] == "billing" and point.value == 1


def test_a_batch_counts_every_message(telemetry: Telemetry) -> None:
    @obskit.traced.batch_consumer("orders", system="kafka")
    def handle(batch: list[dict[str, Any]]) -> None: ...

    handle([{"headers": {}} for _ in range(10)])
    [(_, point)] = telemetry.metric_points("messaging.client.consumed.messages")
    assert point.value == 10


def test_fan_out_to_two_consumers_is_not_a_duplicate(telemetry: Telemetry) -> None:
    bus = InMemoryBus()

    @obskit.traced.consumer("orders", system="obskit.memory", consumer_group="billing")
    def billing(message: BusMessage) -> None: ...

    @obskit.traced.consumer("orders", system="obskit.memory", consumer_group="shipping")
    def shipping(message: BusMessage) -> None: ...

    bus.subscribe("orders", billing)
    bus.subscribe("orders", shipping)
    bus.publish("orders", {"id": 1})
    bus.drain()
    spans = telemetry.find_spans("process orders")
    assert len(spans) == 2
    assert all("obskit.message.duplicate" not in (s.attributes or {}) for s in spans)


def test_interrupts_and_cancellation_are_never_swallowed(telemetry: Telemetry) -> None:
    ack_everything = ErrorPolicy(reraise=frozenset())

    @obskit.traced.consumer("orders", system="rabbitmq", errors=ack_everything)
    def handler(message: dict[str, Any]) -> None:
        raise KeyboardInterrupt

    @obskit.traced.consumer("orders", system="rabbitmq", errors=ack_everything)
    async def slow(message: dict[str, Any]) -> None:
        await asyncio.sleep(10)

    with pytest.raises(KeyboardInterrupt):
        handler({"headers": {}})

    async def cancel() -> bool:
        task = asyncio.ensure_future(slow({"headers": {}}))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled()

    assert asyncio.run(cancel()) is True


def test_publishing_into_a_carrier_that_refuses_headers(telemetry: Telemetry) -> None:
    read_only = types.MappingProxyType({})
    with obskit.publishing("orders", system="rabbitmq", headers=read_only) as carrier:
        assert carrier is read_only
    assert telemetry.span("send orders").name == "send orders"


def test_email_message_carriers_get_one_traceparent() -> None:
    carrier = email.message.Message()
    context = obskit.extract({"traceparent": SAMPLED})
    obskit.inject(carrier, context)
    obskit.inject(carrier, context)
    assert carrier.get_all("traceparent") == [SAMPLED]


def test_tuple_header_values_and_negative_selectors(telemetry: Telemetry) -> None:
    context = obskit.extract({"traceparent": (SAMPLED,)})
    assert obskit.inject({}, context) == {"traceparent": SAMPLED}

    @obskit.traced.consumer("orders", system="rabbitmq", message=-5)
    def handler(a: int, b: int) -> str:
        return "ran"

    assert handler(1, 2) == "ran"


def test_without_an_sdk_async_helpers_and_generator_consumers_pass_context() -> None:
    out = run_python(
        f"""
        import asyncio, json, obskit
        from obskit.errors import BusinessRuleViolation

        @obskit.traced
        async def helper():
            return obskit.inject({{}})

        @obskit.traced.consumer("orders", system="rabbitmq")
        async def consumer(message):
            return await helper()

        @obskit.traced.consumer("orders", system="rabbitmq")
        def gen_consumer(message):
            yield obskit.inject({{}})
            raise BusinessRuleViolation("no stock")

        message = {{"headers": {{"traceparent": {SAMPLED!r}}}}}
        print(json.dumps([asyncio.run(consumer(message)), list(gen_consumer(message))]))
        """
    )["result"]
    assert out == [{"traceparent": SAMPLED}, [{"traceparent": SAMPLED}]]
