"""Cost per log event of obskit's chain against plain structlog doing the same work, in one run.

Run: ``python -m benchmarks.logging``. Two interpreters, one per setting of the global
OpenTelemetry LoggerProvider (it can be set once per process):

- ``noexport``: ``obskit.configure(exporter="none")`` (an SDK LoggerProvider with no exporter).
  Peer: structlog with ``merge_contextvars``, ``add_log_level``, ``TimeStamper``, a hand-written
  trace-id processor and ``JSONRenderer``. Target: obskit JSON at most 1.2x.
- ``export``: log export on. obskit is ``obskit.configure(exporter="otlp")`` (its own
  LoggerProvider and bounded export queue) with the OTLP exporters' ``export`` replaced by one
  that discards, so neither side pays for encoding or a network. Peer: the same structlog
  chain plus a hand-written processor that emits the same record through the SDK's
  ``Logger.emit`` on an SDK ``LoggerProvider`` with a ``BatchLogRecordProcessor`` into a
  discarding exporter. Both queues hold 100,000 records, so neither side drops (the drops are
  counted and printed). Target: obskit at most 0.8x.

Every event is logged inside a span (so trace ids are added) with three fields, to a null
stream. Variants are interleaved in each round; the best and the median of the rounds are shown.
Times are the process's CPU time (``time.process_time``, the export thread included), so the
other jobs on a shared machine inflate them less than wall time.
The validator's cost on its cached path is shown twice: the validator alone, called on the
benchmark's event as the chain hands it over, and obskit ``warn`` (and ``fix``) minus ``off``
(a difference of two whole events, so noisier).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks._timing import discarding_log_provider, machine

NUMBER = 20_000
#: each side's export queue: room for a whole round, so nothing is dropped
QUEUE = 100_000


class _Null(io.StringIO):
    def write(self, text: str) -> int:
        return len(text)


def _trace_ids(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The hand-written trace-id processor a careful engineer adds to structlog."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def _discard_otlp_exports() -> None:
    """obskit's OTLP exporters (HTTP/protobuf, its default) discard what they are given, as
    the peer's exporter does: the cost measured is the host thread's and the export queue's,
    not protobuf encoding or a socket."""
    from opentelemetry.exporter.otlp.proto.http import (
        _log_exporter,
        metric_exporter,
        trace_exporter,
    )
    from opentelemetry.sdk._logs.export import LogRecordExportResult
    from opentelemetry.sdk.metrics.export import MetricExportResult
    from opentelemetry.sdk.trace.export import SpanExportResult

    _log_exporter.OTLPLogExporter.export = (  # type: ignore[method-assign]
        lambda self, batch: LogRecordExportResult.SUCCESS
    )
    trace_exporter.OTLPSpanExporter.export = (  # type: ignore[method-assign]
        lambda self, spans: SpanExportResult.SUCCESS
    )
    metric_exporter.OTLPMetricExporter.export = (  # type: ignore[method-assign]
        lambda self, data, timeout_millis=0, **kwargs: MetricExportResult.SUCCESS
    )


def _hand_bridge() -> Callable[[Any, str, dict[str, Any]], dict[str, Any]]:
    """A hand-written processor that emits the event as an OTel log record via ``Logger.emit``."""
    from opentelemetry._logs import SeverityNumber

    otel_logger = discarding_log_provider(QUEUE).get_logger("bench")
    severity = {"info": (SeverityNumber.INFO, "INFO")}
    skip = {"event", "level", "timestamp", "trace_id", "span_id"}

    def emit(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        number, text = severity.get(method, (SeverityNumber.INFO, "INFO"))
        otel_logger.emit(
            timestamp=time.time_ns(),
            severity_number=number,
            severity_text=text,
            body=event_dict["event"],
            attributes={k: v for k, v in event_dict.items() if k not in skip},
        )
        return event_dict

    return emit


def _structlog(*, bridge: bool) -> Callable[[], None]:
    import logging

    import structlog

    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _trace_ids,
        *([_hand_bridge()] if bridge else []),
        structlog.processors.JSONRenderer(),
    ]
    log = structlog.wrap_logger(
        structlog.PrintLogger(_Null()),
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )
    return lambda: log.info("order_received", order_id="o-1", sku="SKU-1", quantity=2)


def _obskit(mode: str) -> Callable[[], None]:
    import obskit
    from obskit._state import Settings, update_settings
    from obskit.logging import configure_logging

    update_settings(Settings(mode=mode))  # type: ignore[arg-type]
    configure_logging(stream=_Null(), format="json", level="info")
    log = obskit.get_logger("bench")
    return lambda: log.info("order_received", order_id="o-1", sku="SKU-1", quantity=2)


def _in_span(function: Callable[[], None]) -> Callable[[], None]:
    from opentelemetry import context, trace

    span = trace.NonRecordingSpan(
        trace.SpanContext(
            0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, False, trace.TraceFlags(1)
        )
    )

    def call() -> None:
        token = context.attach(trace.set_span_in_context(span))
        try:
            function()
        finally:
            context.detach(token)

    return call


def _validator_alone(number: int) -> float:
    """CPU µs per call of the current chain's validator on the benchmark's event, as the chain
    hands it over (the keyword fields, then ``event``): its cached path, call included."""
    from obskit.logging._chain import current_chain

    validator = current_chain().validator
    assert validator is not None
    event = {"order_id": "o-1", "sku": "SKU-1", "quantity": 2, "event": "order_received"}
    start = time.process_time()
    for _ in range(number):
        validator(None, "info", event)
    return (time.process_time() - start) / number * 1e6


def measure(setting: str, number: int, repeat: int) -> dict[str, Any]:
    import gc

    import obskit
    from obskit._losses import losses

    if setting == "export":
        _discard_otlp_exports()
        os.environ["OTEL_BLRP_MAX_QUEUE_SIZE"] = str(QUEUE)
        obskit.configure(service_name="bench", exporter="otlp")
    else:
        obskit.configure(service_name="bench", exporter="none")
    variants = {"structlog": _structlog(bridge=setting == "export")}
    for mode in ("off", "warn", "fix"):
        variants[f"obskit {mode}"] = _obskit(mode)  # each builds its own chain; rebuilt below
    calls = {name: _in_span(function) for name, function in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in calls}
    alone: dict[str, list[float]] = {"warn": [], "fix": []}
    from obskit._state import Settings, update_settings
    from obskit.logging import configure_logging

    for _ in range(repeat):
        for name, call in calls.items():
            mode = name.split()[-1]
            if name.startswith("obskit"):
                update_settings(Settings(mode=mode))  # type: ignore[arg-type]
                configure_logging(stream=_Null(), format="json", level="info")
            for _ in range(200):  # warm: the chain is built, every key seen
                call()
            gc.collect()
            gc.disable()
            start = time.process_time()
            for _ in range(number):
                call()
            times[name].append((time.process_time() - start) / number * 1e6)
            if mode in alone:
                alone[mode].append(_validator_alone(number))
            gc.enable()
    return {"times": times, "validator": alone, "dropped": losses.total("log")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=["noexport", "export"])
    parser.add_argument("--number", type=int, default=NUMBER)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--only",
        choices=["off", "warn", "fix"],
        help="only log --number events in this obskit mode, no export (to count instructions)",
    )
    args = parser.parse_args()
    if args.only:
        import obskit

        obskit.configure(service_name="bench", exporter="none")
        call = _in_span(_obskit(args.only))
        for _ in range(200 + args.number):
            call()
        return
    if args.setting:
        print(json.dumps(measure(args.setting, args.number, args.repeat)))
        return
    print(machine())
    for setting, target in (("noexport", 1.2), ("export", 0.8)):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.logging", "--setting", setting,
             "--number", str(args.number), "--repeat", str(args.repeat)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        times = measured["times"]
        peer = "structlog JSON + trace ids" + (
            " + hand-written Logger.emit" if setting == "export" else ""
        )
        print(f"\n{setting}: CPU µs per event (min / median of {args.repeat} rounds)")
        base = min(times["structlog"])
        for name, runs in times.items():
            label = peer if name == "structlog" else f"{name} (JSON)"
            print(f"  {label:<58} {min(runs):6.2f} / {statistics.median(runs):6.2f}"
                  f"   {min(runs) / base:5.2f}x")  # fmt: skip
        print(f"  target: obskit warn at most {target}x; "
              f"obskit log records dropped: {measured['dropped']}")  # fmt: skip
        for mode, runs in measured["validator"].items():
            added = min(times[f"obskit {mode}"]) - min(times["obskit off"])
            print(f"  validator ({mode}, cached path, target <= 0.5 µs/event): "
                  f"alone {min(runs):.2f} / {statistics.median(runs):.2f}, "
                  f"in the chain ({mode} - off) {added:+.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
