"""``obskit serve`` at scale: ingestion rate, and searches over 1,000,000 stored spans.

Run: ``python -m benchmarks.serve`` (``--spans N`` for another size, ``--db FILE`` to keep the
database). Traces of ten spans from ten services (an HTTP request, a send, the processing and
the calls it makes), with the attributes obskit records: an order id per trace, message ids,
destinations, ages, 1% errors. Requests of 1,000 spans each, encoded as OTLP protobuf before
the clock starts. Targets: ingestion at least 20,000 spans/s, an attribute search under 300 ms.

1. ingestion: every request through ``receive()``, the function both receivers call (parse,
   decode, queue), and the writer that stores what queued up in one transaction, until the last
   request is stored, into a database file;
2. the same over the wire: a separate client process POSTs 200,000 more spans to the OTLP/HTTP
   port of a running server (keep-alive, one request at a time);
3. searches over the full store, each the median of 7 runs: an attribute (``where``), two
   attributes, a service and operation, errors, a minimum duration, the newest traces.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks._timing import machine

BATCH = 1_000
SERVICES = [f"svc-{n}" for n in range(10)]
DESTINATIONS = [f"queue-{n}" for n in range(20)]
START = 1_767_225_600_000_000_000  # 2026-01-01, 1 ms between traces


def _kv(key: str, value: object) -> Any:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def requests(spans: int, *, first_trace: int = 0, seed: int = 1) -> Iterator[bytes]:
    """Encoded ``ExportTraceServiceRequest`` bodies of ``BATCH`` spans, traces of ten spans."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

    rng = random.Random(seed)
    resources = {
        s: Resource(
            attributes=[
                _kv("service.name", s),
                _kv("service.instance.id", f"{s}-instance"),
                _kv("deployment.environment.name", "bench"),
                _kv("telemetry.sdk.language", "python"),
                _kv("telemetry.sdk.name", "opentelemetry"),
                _kv("host.name", "bench-host"),
            ]
        )
        for s in SERVICES
    }
    by_service: dict[str, list[Any]] = {}
    count = 0
    for trace in range(first_trace, first_trace + spans // 10):
        trace_id = trace.to_bytes(16, "big")
        begin = START + trace * 1_000_000
        order = f"ord-{trace}"
        destination = rng.choice(DESTINATIONS)
        for number in range(10):
            service = SERVICES[(trace + number) % len(SERVICES)]
            kind = 2 if number == 0 else 4 if number == 1 else 5 if number == 2 else 3
            failed = rng.random() < 0.01
            attributes = [_kv("app.order.id", order)] if number < 3 else []
            if kind in (4, 5):
                attributes += [
                    _kv("messaging.system", "rabbitmq"),
                    _kv("messaging.destination.name", destination),
                    _kv("messaging.operation.type", "send" if kind == 4 else "process"),
                    _kv("messaging.message.id", f"m-{trace}"),
                ]
            if kind == 5:
                attributes += [
                    _kv("obskit.message.age", rng.random()),
                    _kv("obskit.message.attempt", 1),
                ]
            if kind in (2, 3):
                attributes += [
                    _kv("http.request.method", "POST"),
                    _kv("http.route", f"/api/{number}"),
                    _kv("http.response.status_code", 500 if failed else 200),
                ]
            if failed:
                attributes.append(_kv("error.type", "TimeoutError"))
            start = begin + number * 100_000
            by_service.setdefault(service, []).append(
                Span(
                    trace_id=trace_id,
                    span_id=(trace * 10 + number + 1).to_bytes(8, "big"),
                    parent_span_id=b""
                    if number == 0
                    else (trace * 10 + max(1, number - 1)).to_bytes(8, "big"),
                    name=["POST /orders", f"send {destination}", f"process {destination}"][number]
                    if number < 3
                    else f"GET /api/{number}",
                    kind=kind,
                    start_time_unix_nano=start,
                    end_time_unix_nano=start + rng.randint(50_000, 5_000_000),
                    attributes=attributes,
                    status=Status(code=2 if failed else 0),
                )
            )
            count += 1
            if count % BATCH == 0:
                yield ExportTraceServiceRequest(
                    resource_spans=[
                        ResourceSpans(
                            resource=resources[s],
                            scope_spans=[ScopeSpans(spans=group)],
                        )
                        for s, group in by_service.items()
                    ]
                ).SerializeToString()
                by_service = {}


def ingest(store: Any, bodies: list[bytes]) -> tuple[float, float]:
    """Wall and CPU seconds to receive every request (CPU: what an idle machine would see)."""
    from obskit.serve._ingest import Ingest
    from obskit.serve._receivers import receive

    start = time.perf_counter()
    cpu = time.process_time()
    ingest = Ingest(store)
    for body in bodies:
        receive(ingest, "traces", body)
    ingest.close()  # everything stored
    return time.perf_counter() - start, time.process_time() - cpu


def over_http(spans: int, first_trace: int) -> None:
    """The client process: encode, then POST each request and print the elapsed seconds."""
    port = int(os.environ["OBSKIT_BENCH_PORT"])
    bodies = list(requests(spans, first_trace=first_trace, seed=2))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    for body in bodies:
        connection.request("POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
    print(time.perf_counter() - start)


def _median_ms(store: Any, search: Any) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(7):
        start = time.perf_counter()
        found = len(store.search(search))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="database file (default: a temporary one)")
    parser.add_argument("--http-client", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.http_client:
        over_http(*args.http_client)
        return

    from obskit.serve import Search, Server, Store

    folder = tempfile.TemporaryDirectory()
    path = args.db or Path(folder.name) / "bench.db"
    print(f"obskit serve benchmark: {args.spans:,} spans, requests of {BATCH:,}; {machine()}")
    started = time.perf_counter()
    bodies = list(requests(args.spans))
    print(f"  encoded in {time.perf_counter() - started:.1f} s (not timed below)")
    store = Store(path)
    seconds, cpu = ingest(store, bodies)
    del bodies
    print(
        f"  ingestion via receive(): {args.spans / seconds:,.0f} spans/s wall ({seconds:.1f} s), "
        f"{args.spans / cpu:,.0f} spans per CPU-second; load average {os.getloadavg()[0]:.1f}"
    )

    wire = 200_000
    with Server(store, port=0, otlp_port=0, grpc_port=0) as server:
        env = {**os.environ, "OBSKIT_BENCH_PORT": str(server.otlp_port)}
        client = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.serve",
                "--http-client",
                str(wire),
                str(args.spans // 10),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        elapsed = float(client.stdout.strip())
        print(f"  ingestion over OTLP/HTTP (client process): {wire / elapsed:,.0f} spans/s")
        store = Store(path)  # the server closed the one it was given
    stats = store.stats()
    size = stats["bytes"] / 1e6
    print(f"  stored: {stats['spans']:,} spans in {stats['traces']:,} traces, {size:,.0f} MB")
    middle = args.spans // 20
    searches = [
        ("where app.order.id=<one order>", Search(where=(("app.order.id", f"ord-{middle}"),))),
        (
            "where app.order.id + messaging.message.id",
            Search(
                where=(("app.order.id", f"ord-{middle}"), ("messaging.message.id", f"m-{middle}"))
            ),
        ),
        (
            "where messaging.destination.name=queue-3, limit 20",
            Search(where=(("messaging.destination.name", "queue-3"),)),
        ),
        (
            "service svc-3 + operation POST /orders, limit 20",
            Search(service="svc-3", operation="POST /orders"),
        ),
        ("error=true, limit 20", Search(error=True)),
        ("min_duration_ms=5, limit 20", Search(min_duration_ms=5)),
        ("newest 20 (no filter)", Search()),
    ]
    print("  searches (median of 7):")
    for label, search in searches:
        ms, found = _median_ms(store, search)
        print(f"    {label:<55} {ms:8.2f} ms  ({found} traces)")
    store.close()


if __name__ == "__main__":
    main()
