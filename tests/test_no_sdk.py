"""Without configure() or any SDK: decorators are cheap no-ops that still pass context through."""

from __future__ import annotations

from tests.support.subprocess_run import run_python

SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_incoming_context_passes_through_to_what_the_handler_publishes() -> None:
    out = run_python(
        """
        import json, obskit
        from obskit.errors import BusinessRuleViolation
        incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        sent = []

        @obskit.traced.consumer("orders", system="rabbitmq")
        def handler(message):
            with obskit.publishing("shipping", system="rabbitmq") as headers:
                sent.append(dict(headers))
            sent.append(obskit.inject({}))
            log_context = {}
            from obskit.logging import add_trace_context
            sent.append(add_trace_context(None, "info", {}))
            if message.get("refuse"):
                raise BusinessRuleViolation("no stock")
            return "ok"

        result = handler({"headers": {"traceparent": incoming}})
        refused = handler({"headers": {"traceparent": incoming}, "refuse": True})
        after = obskit.inject({})
        print(json.dumps({"result": result, "refused": refused, "sent": sent, "after": after}))
        """
    )["result"]
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert out["result"] == "ok"
    assert out["refused"] is None  # the error policy holds with or without an SDK
    assert out["sent"][0] == {"traceparent": incoming}
    assert out["sent"][1] == {"traceparent": incoming}
    assert out["sent"][2]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert out["after"] == {}  # nothing survives the handler


def test_a_provider_set_later_is_noticed() -> None:
    out = run_python(
        """
        import json, obskit
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        @obskit.traced.consumer("orders", system="rabbitmq")
        def handler(message):
            return "ok"

        handler({"headers": {}})
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        handler({"headers": {}})
        print(json.dumps([s.name for s in exporter.get_finished_spans()]))
        """
    )["result"]
    assert out == ["process orders"]


def test_importing_obskit_stays_light() -> None:
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
    out = run_python(
        """
        import asyncio, json, obskit

        @obskit.traced
        def echo():
            received = yield "ready"
            while True:
                received = yield received * 2

        @obskit.traced
        async def aecho():
            received = yield "ready"
            while True:
                received = yield received * 2

        async def drive():
            agen = aecho()
            return [await agen.asend(None), await agen.asend(3)]

        gen = echo()
        print(json.dumps([next(gen), gen.send(4), asyncio.run(drive())]))
        """
    )["result"]
    assert out == ["ready", 8, ["ready", 6]]


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


def test_settlement_happens_without_an_sdk() -> None:
    """Settling is correctness, not telemetry: no provider, and the message is still settled."""
    out = run_python(
        """
        import json, obskit
        from obskit.errors import PoisonMessage, TransientError
        from obskit.messaging import MessageInfo, register_adapter

        class Letter:
            def __init__(self, attempt):
                self.attempt, self.done = attempt, []

        def settle(letter, request):
            letter.done.append([request.decision.action.value, request.dead_letter])

        register_adapter("__main__", "Letter", lambda l: MessageInfo(attempt=l.attempt),
                         settler=settle)

        @obskit.traced.consumer("orders", system="rabbitmq", settle=True, max_attempts=2)
        def handler(letter):
            raise TransientError("down")

        letters = [Letter(1), Letter(2)]
        results = [handler(letter) for letter in letters]  # nothing is re-raised
        from opentelemetry import trace
        print(json.dumps({"done": [l.done for l in letters], "results": results,
                          "sdk": type(trace.get_tracer_provider()).__name__}))
        """
    )["result"]
    assert out["sdk"] == "ProxyTracerProvider"
    assert out["results"] == [None, None]
    assert out["done"] == [
        [["retry", "orders.dead-letter"]],
        [["dead_letter", "orders.dead-letter"]],
    ]
