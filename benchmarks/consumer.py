"""Per-message cost of ``@traced.consumer`` against the same work hand-written with the
OpenTelemetry API, with the SDK configured and with no SDK at all.

Run: ``python -m benchmarks.consumer`` (each mode runs in its own interpreter, since the global
providers can be set only once per process).
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from benchmarks._timing import install_sdk, machine, per_call_us

NUMBER = 20_000
HEADERS = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
BODY = b'{"order_id": "o-1"}'
_ids = itertools.count()


def message() -> dict[str, Any]:
    """A fresh message per call: real traffic has distinct ids (no duplicate flags)."""
    return {"headers": HEADERS, "body": BODY, "id": str(next(_ids))}


def _handlers() -> dict[str, Any]:
    import time

    from opentelemetry import metrics, propagate, trace
    from opentelemetry.semconv._incubating.attributes import messaging_attributes as m
    from opentelemetry.semconv.attributes import error_attributes
    from opentelemetry.trace import Link, SpanKind, Status, StatusCode

    import obskit

    def work(message: dict[str, Any]) -> int:
        return len(message["body"])

    tracer = trace.get_tracer("handwritten")
    meter = metrics.get_meter("handwritten")
    duration = meter.create_histogram("messaging.process.duration", unit="s")
    consumed = meter.create_counter("messaging.client.consumed.messages")

    def handwritten(message: dict[str, Any]) -> int:
        """What a careful engineer writes by hand for the same telemetry."""
        ctx = propagate.extract(message["headers"])
        producer = trace.get_current_span(ctx).get_span_context()
        attributes = {
            m.MESSAGING_SYSTEM: "rabbitmq",
            m.MESSAGING_OPERATION_TYPE: "process",
            m.MESSAGING_OPERATION_NAME: "process",
            m.MESSAGING_DESTINATION_NAME: "orders",
            m.MESSAGING_MESSAGE_ID: message["id"],
            m.MESSAGING_MESSAGE_BODY_SIZE: len(message["body"]),
        }
        metric_attributes = {
            m.MESSAGING_SYSTEM: "rabbitmq",
            m.MESSAGING_OPERATION_NAME: "process",
            m.MESSAGING_DESTINATION_NAME: "orders",
        }
        start = time.perf_counter()
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
                return work(message)
            except Exception as exc:
                span.set_attribute(error_attributes.ERROR_TYPE, type(exc).__qualname__)
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                span.record_exception(exc)
                metric_attributes[error_attributes.ERROR_TYPE] = type(exc).__qualname__
                raise
            finally:
                duration.record(time.perf_counter() - start, metric_attributes)
                consumed.add(1, metric_attributes)

    obskit_handler = obskit.traced.consumer("orders", system="rabbitmq")(work)
    return {"bare": work, "handwritten": handwritten, "obskit": obskit_handler}


def measure(mode: str, number: int) -> dict[str, float]:
    if mode == "sdk":
        install_sdk()
    handlers = _handlers()
    return {
        name: per_call_us(lambda h=handler: h(message()), number=number)
        for name, handler in handlers.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["sdk", "nosdk"])
    parser.add_argument("--number", type=int, default=NUMBER)
    args = parser.parse_args(argv)
    if args.mode:
        print(json.dumps(measure(args.mode, args.number)))
        return 0
    print(f"machine: {machine()}")
    print(
        f"{'mode':<8}{'bare µs':>10}{'hand µs':>10}{'obskit µs':>11}{'obskit/hand':>13}"
        f"{'obskit-bare':>13}"
    )
    for mode in ("sdk", "nosdk"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.consumer",
                "--mode",
                mode,
                "--number",
                str(args.number),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{mode:<8}{r['bare']:>10.2f}{r['handwritten']:>10.2f}{r['obskit']:>11.2f}"
            f"{r['obskit'] / r['handwritten']:>13.2f}{r['obskit'] - r['bare']:>13.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
