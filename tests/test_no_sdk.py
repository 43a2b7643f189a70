"""Without configure() or any SDK: decorators are cheap no-ops that still pass context through.

In process: the pytest plugin's reset leaves every test unconfigured, with the OpenTelemetry
API's global providers unset, which is exactly "no SDK".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import obskit
from obskit.errors import BusinessRuleViolation, TransientError
from obskit.logging import add_trace_context
from obskit.messaging import MessageInfo, SettleRequest, register_adapter
from tests.support.subprocess_run import run_python

SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_incoming_context_passes_through_to_what_the_handler_publishes() -> None:
    sent: list[dict[str, Any]] = []

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handler(message: dict[str, Any]) -> str:
        with obskit.publishing("shipping", system="rabbitmq") as headers:
            sent.append(dict(headers))
        sent.append(obskit.inject({}))
        sent.append(dict(add_trace_context(None, "info", {})))
        if message.get("refuse"):
            raise BusinessRuleViolation("no stock")
        return "ok"

    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
    assert handler({"headers": {"traceparent": SAMPLED}}) == "ok"
    refused = handler({"headers": {"traceparent": SAMPLED}, "refuse": True})
    assert refused is None  # the error policy holds with or without an SDK
    assert sent[0] == {"traceparent": SAMPLED}
    assert sent[1] == {"traceparent": SAMPLED}
    assert sent[2]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert obskit.inject({}) == {}  # nothing survives the handler


def test_a_provider_set_later_is_noticed() -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handler(message: dict[str, Any]) -> str:
        return "ok"

    handler({"headers": {}})
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # the plugin puts the API's global back afterwards
    handler({"headers": {}})
    assert [s.name for s in exporter.get_finished_spans()] == ["process orders"]


def test_importing_obskit_stays_light() -> None:
    """A fresh interpreter: what ``import obskit`` alone loads."""
    out = run_python(
        """
        import json, sys, obskit
        # (rich is left out: structlog itself imports it when it is installed)
        heavy = ["pika", "aio_pika", "nats", "redis", "paho", "aiokafka",
                 "confluent_kafka", "httpx", "requests", "starlette", "yaml", "grpc"]
        print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
        """
    )["result"]
    assert out == []


def test_generators_keep_their_protocol_without_an_sdk() -> None:
    @obskit.traced
    def echo() -> Iterator[Any]:
        received = yield "ready"
        while True:
            received = yield received * 2

    @obskit.traced
    async def aecho() -> AsyncIterator[Any]:
        received = yield "ready"
        while True:
            received = yield received * 2

    async def drive() -> list[Any]:
        agen = aecho()
        return [await agen.asend(None), await agen.asend(3)]

    gen = echo()
    assert [next(gen), gen.send(4), asyncio.run(drive())] == ["ready", 8, ["ready", 6]]


def test_without_an_sdk_async_helpers_and_generator_consumers_pass_context() -> None:
    @obskit.traced
    async def helper() -> dict[str, str]:
        return obskit.inject({})

    @obskit.traced.consumer("orders", system="rabbitmq")
    async def consumer(message: dict[str, Any]) -> dict[str, str]:
        return await helper()

    @obskit.traced.consumer("orders", system="rabbitmq")
    def gen_consumer(message: dict[str, Any]) -> Iterator[dict[str, str]]:
        yield obskit.inject({})
        raise BusinessRuleViolation("no stock")

    message = {"headers": {"traceparent": SAMPLED}}
    assert asyncio.run(consumer(message)) == {"traceparent": SAMPLED}
    assert list(gen_consumer(message)) == [{"traceparent": SAMPLED}]


class Letter:
    def __init__(self, attempt: int) -> None:
        self.attempt = attempt
        self.done: list[list[Any]] = []


def _settle(letter: Letter, request: SettleRequest) -> None:
    letter.done.append([request.decision.action.value, request.dead_letter])


register_adapter(
    __name__, "Letter", lambda letter: MessageInfo(attempt=letter.attempt), settler=_settle
)


def test_settlement_happens_without_an_sdk() -> None:
    """Settling is correctness, not telemetry: no provider, and the message is still settled."""

    @obskit.traced.consumer("orders", system="rabbitmq", settle=True, max_attempts=2)
    def handler(letter: Letter) -> None:
        raise TransientError("down")

    letters = [Letter(1), Letter(2)]
    assert [handler(letter) for letter in letters] == [None, None]  # nothing is re-raised
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
    assert [letter.done for letter in letters] == [
        [["retry", "orders.dead-letter"]],
        [["dead_letter", "orders.dead-letter"]],
    ]
