"""Per-message cost of ``@traced.consumer`` against the same work hand-written with the
OpenTelemetry API, with the SDK configured and with no SDK at all, on a dict message and on a
pika delivery; Logfire's ``@instrument`` alongside where it is installed.

Run: ``python -m benchmarks.consumer``. Each setting runs in its own interpreter (the global
providers can be set once per process):

- ``sdk``: a ``TracerProvider`` with a ``BatchSpanProcessor`` into a discarding exporter and a
  ``MeterProvider``. The hand-written peer does what obskit does: extract, a CONSUMER span
  that is the producer's child plus a link, the messaging attributes, the
  ``messaging.process.duration`` histogram (no counter: obskit pre-aggregates its counts),
  recorded once the span has ended, as obskit records it (inside the span the SDK would also
  take an exemplar, work obskit does not do). Target: obskit at most 0.9x. "SDK calls only" is
  the same SDK calls with the span started and attached by hand: what any instrumentation
  recording this telemetry must at least spend.
- ``nosdk``: nothing configured. Target: obskit at most +0.5 µs over the bare call.
- ``logfire``: ``logfire.configure(send_to_logfire=False)`` and ``@logfire.instrument`` on the
  same handler (its own SDK set-up, so only its cost over the bare call compares).

Variants are interleaved in every round; the figures are the process's CPU time per message
(``time.process_time``, the export thread included: a shared machine inflates it less than wall
time), best and median of the rounds.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks._timing import install_sdk, machine

NUMBER = 10_000
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
HEADERS = {"traceparent": TRACEPARENT}
BODY = b'{"order_id": "o-1"}'
_ids = itertools.count()


def dict_message() -> tuple[Any, ...]:
    """A fresh message per call: real traffic has distinct ids (no duplicate flags)."""
    return ({"headers": HEADERS, "body": BODY, "id": str(next(_ids))},)


def pika_delivery() -> tuple[Any, ...]:
    """pika's ``(channel, method, properties, body)`` callback arguments, as pika builds them."""
    import pika
    from pika.spec import Basic

    method = Basic.Deliver(
        consumer_tag="c-1", delivery_tag=next(_ids), redelivered=False, routing_key="orders"
    )
    properties = pika.BasicProperties(headers=dict(HEADERS), message_id=str(method.delivery_tag))
    return (None, method, properties, BODY)


def _handlers(shape: str) -> dict[str, Callable[..., Any]]:
    from opentelemetry import context as context_api
    from opentelemetry import metrics, propagate, trace
    from opentelemetry.semconv._incubating.attributes import messaging_attributes as m
    from opentelemetry.semconv.attributes import error_attributes
    from opentelemetry.trace import Link, SpanKind, Status, StatusCode

    import obskit

    if shape == "dict":

        def work(message: dict[str, Any]) -> int:
            return len(message["body"])

        def read(args: tuple[Any, ...]) -> tuple[Any, str, int, dict[str, Any]]:
            message = args[0]
            return message["headers"], message["id"], len(message["body"]), {}

    else:

        def work(channel: Any, method: Any, properties: Any, body: bytes) -> int:  # type: ignore[misc]
            return len(body)

        def read(args: tuple[Any, ...]) -> tuple[Any, str, int, dict[str, Any]]:
            _, method, properties, body = args
            extra = {
                "messaging.rabbitmq.destination.routing_key": method.routing_key,
                "messaging.rabbitmq.message.delivery_tag": method.delivery_tag,
            }
            return properties.headers or {}, properties.message_id, len(body), extra

    tracer = trace.get_tracer("handwritten")
    duration = metrics.get_meter("handwritten").create_histogram(
        "messaging.process.duration", unit="s"
    )

    def handwritten(*args: Any) -> Any:
        """What a careful engineer writes by hand for the same telemetry."""
        headers, message_id, size, extra = read(args)
        ctx = propagate.extract(headers)
        producer = trace.get_current_span(ctx).get_span_context()
        attributes = {
            m.MESSAGING_SYSTEM: "rabbitmq",
            m.MESSAGING_OPERATION_TYPE: "process",
            m.MESSAGING_OPERATION_NAME: "process",
            m.MESSAGING_DESTINATION_NAME: "orders",
            m.MESSAGING_MESSAGE_ID: message_id,
            m.MESSAGING_MESSAGE_BODY_SIZE: size,
            **extra,
        }
        metric_attributes = {
            m.MESSAGING_SYSTEM: "rabbitmq",
            m.MESSAGING_OPERATION_NAME: "process",
            m.MESSAGING_DESTINATION_NAME: "orders",
        }
        start = time.perf_counter()
        try:
            with tracer.start_as_current_span(
                "process orders",
                context=ctx,
                kind=SpanKind.CONSUMER,
                attributes=attributes,
                links=[Link(producer)] if producer.is_valid else None,
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                try:
                    return work(*args)
                except Exception as exc:
                    span.set_attribute(error_attributes.ERROR_TYPE, type(exc).__qualname__)
                    span.set_status(Status(StatusCode.ERROR, str(exc)))
                    span.record_exception(exc)
                    metric_attributes[error_attributes.ERROR_TYPE] = type(exc).__qualname__
                    raise
        finally:
            # after the span, as obskit records it: inside the span the SDK would also take an
            # exemplar (the span's ids on the metric point), work obskit does not do
            duration.record(time.perf_counter() - start, metric_attributes)

    attach, detach = context_api.attach, context_api.detach

    def floor(*args: Any) -> Any:
        """The same SDK calls, the span started and attached by hand (no context manager)."""
        headers, message_id, size, extra = read(args)
        ctx = propagate.extract(headers)
        producer = trace.get_current_span(ctx).get_span_context()
        attributes = {
            m.MESSAGING_SYSTEM: "rabbitmq",
            m.MESSAGING_OPERATION_TYPE: "process",
            m.MESSAGING_OPERATION_NAME: "process",
            m.MESSAGING_DESTINATION_NAME: "orders",
            m.MESSAGING_MESSAGE_ID: message_id,
            m.MESSAGING_MESSAGE_BODY_SIZE: size,
            **extra,
        }
        start = time.perf_counter()
        span = tracer.start_span(
            "process orders",
            ctx,
            SpanKind.CONSUMER,
            attributes,
            [Link(producer)] if producer.is_valid else None,
        )
        token = attach(trace.set_span_in_context(span, ctx))
        try:
            return work(*args)
        finally:
            detach(token)
            span.end()
            duration.record(time.perf_counter() - start, _METRIC_ATTRIBUTES)

    handlers = {
        "bare": work,
        "hand-written OTel": handwritten,
        "SDK calls only": floor,
        "obskit": obskit.traced.consumer("orders", system="rabbitmq")(work),
    }
    return handlers


_METRIC_ATTRIBUTES = {
    "messaging.system": "rabbitmq",
    "messaging.operation.name": "process",
    "messaging.destination.name": "orders",
}


def measure(setting: str, number: int, repeat: int) -> dict[str, list[float]]:
    if setting == "sdk":
        install_sdk()
    handlers: dict[str, tuple[Callable[..., Any], Callable[[], tuple[Any, ...]]]] = {}
    for shape, make in (("dict", dict_message), ("pika", pika_delivery)):
        for name, handler in _handlers(shape).items():
            if setting != "sdk" and name == "SDK calls only":
                continue
            if setting == "logfire" and name == "hand-written OTel":
                import logfire

                logfire.configure(send_to_logfire=False, console=False, inspect_arguments=False)
                name = "logfire @instrument"
                handler = logfire.instrument("process orders")(_handlers(shape)["bare"])
            handlers[f"{name} [{shape}]"] = (handler, make)
    times: dict[str, list[float]] = {name: [] for name in handlers}
    for _ in range(repeat):
        for name, (handler, make) in handlers.items():
            messages = [make() for _ in range(number)]
            for args in messages[:200]:
                handler(*args)
            gc.collect()
            gc.disable()
            start = time.process_time()
            for args in messages:
                handler(*args)
            times[name].append((time.process_time() - start) / number * 1e6)
            gc.enable()
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=["sdk", "nosdk", "logfire"])
    parser.add_argument("--number", type=int, default=NUMBER)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    if args.setting:
        print(json.dumps(measure(args.setting, args.number, args.repeat)))
        return 0
    print(machine())
    settings = ["sdk", "nosdk"]
    try:
        import logfire  # noqa: F401

        settings.append("logfire")
    except ImportError:
        print("(logfire not installed: its row is left out)")
    for setting in settings:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.consumer", "--setting", setting,
             "--number", str(args.number), "--repeat", str(args.repeat)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        times = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"\n{setting}: CPU µs per message (min / median of {args.repeat} rounds)")
        for shape in ("dict", "pika"):
            bare = min(times[f"bare [{shape}]"])
            others = ("bare", "obskit", "SDK calls only")
            peer = next(n for n in times if n.endswith(f"[{shape}]") and not n.startswith(others))
            rows = [n for n in times if n.endswith(f"[{shape}]") and n != peer]
            for name in (f"bare [{shape}]", peer, *rows[1:]):
                runs = times[name]
                best, ratio = min(runs), min(runs) / min(times[peer])
                print(f"  {name:<34} {best:8.2f} / {statistics.median(runs):8.2f}"
                      f"   +{best - bare:7.2f} over bare   {ratio:5.2f}x the peer")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
