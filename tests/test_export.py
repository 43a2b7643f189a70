"""A dead, silent, slow or trickling collector never blocks the host.

Each case runs a real exporter (gRPC and HTTP/protobuf) in a fresh interpreter against a real
socket from :mod:`tests.support.collectors`, and prints what it measured. The only time bound
asserted is the requirement itself: exit and ``shutdown()`` within ``shutdown_timeout`` (plus
3 s for the interpreter to start and stop), ``force_flush`` within its own timeout.
"""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import pytest
from benchmarks import dead_collector
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

import obskit
from obskit._export import BoundedMetricReader
from tests.support.collectors import COLLECTORS, trickling_server
from tests.support.otlp_receiver import free_port, grpc_receiver, http_receiver
from tests.support.subprocess_run import run_python

PROTOCOLS = ("grpc", "http/protobuf")
CASES = [(protocol, collector) for protocol in PROTOCOLS for collector in COLLECTORS]
SLACK = 3.0  # interpreter start-up and teardown, on a shared 2-core machine

WORK = """
import json, time
import obskit
telemetry = obskit.configure(
    service_name="bounded", exporter="otlp", endpoint={endpoint!r}, protocol={protocol!r},
    {timeout_arg}
)
log = obskit.get_logger("bounded")

@obskit.traced
def work(n):
    log.info("order_received", order_id=str(n))
    return n

for n in range(10):
    work(n)
started = time.monotonic()
flushed = telemetry.force_flush(timeout_millis=1000)
flush_s = time.monotonic() - started
for n in range(10):
    work(n)
started = time.monotonic()
finished = {finish}
shutdown_s = time.monotonic() - started
print(json.dumps({{"flushed": flushed, "flush_s": flush_s, "finished": finished,
                   "shutdown_s": shutdown_s, "exit_at": time.time()}}), flush=True)
"""


def _run(protocol: str, collector: str, how: str, timeout: float | None) -> dict[str, Any]:
    with COLLECTORS[collector](protocol) as endpoint:
        code = WORK.format(
            endpoint=endpoint,
            protocol=protocol,
            timeout_arg=f"shutdown_timeout={timeout}," if timeout else "",
            finish="telemetry.shutdown()" if how == "shutdown()" else "None  # at exit",
        )
        out = run_python(code, timeout=60)
        exited = time.time()
    result: dict[str, Any] = out["result"]
    result["exit_s"] = exited - result["exit_at"]
    return result


def _matrix(how: str, timeout: float | None) -> None:
    budget = timeout or 5.0
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = {case: pool.submit(_run, *case, how, timeout) for case in CASES}
        results = {case: future.result() for case, future in runs.items()}
    print(f"\n{how} with shutdown_timeout={budget:g} s (bound {budget + SLACK:g} s):")
    for (protocol, collector), result in results.items():
        print(
            f"  {protocol:<14} {collector:<17} force_flush(1000 ms) {result['flush_s']:.2f} s "
            f"({result['flushed']}), "
            f"{how} {result['shutdown_s']:.2f} s, process exit {result['exit_s']:.2f} s"
        )
    for result in results.values():
        assert result["flushed"] is False  # nothing answered in time, and it says so
        assert result["flush_s"] < 1.0 + SLACK
        assert result["shutdown_s"] + result["exit_s"] < budget + SLACK


def test_shutdown_is_bounded_whatever_the_collector_does() -> None:
    _matrix("shutdown()", 2.0)


def test_exit_is_bounded_whatever_the_collector_does() -> None:
    _matrix("exit", 2.0)


@pytest.mark.slow
def test_exit_is_bounded_with_the_default_five_seconds() -> None:
    _matrix("exit", None)


FLOOD = """
import json, os, obskit
from obskit.testing import capture  # before configure(): its metrics can then be captured
telemetry = obskit.configure(service_name="flood", exporter="otlp", endpoint={endpoint!r})
log = obskit.get_logger("flood")

@obskit.traced.consumer("orders", system="rabbitmq")
def handle(message):
    log.info("order_received", order_id=str(message["n"]))
    return message["n"]

with capture() as captured:
    results = [handle({{"headers": {{}}, "n": n}}) for n in range({count})]
    names = {{name for name, _, _ in captured.metrics}}
    dropped = {{
        a["obskit.telemetry.signal"] + "/" + a["error.type"]: point.value
        for a, point in captured.metric_points("obskit.telemetry.dropped")
    }}
print(json.dumps({{
    "handled": len(results), "last": results[-1], "dropped": dropped,
    "sdk_metrics": sorted(n for n in names if n.startswith("otel.sdk")),
    "sdk_metrics_env": os.environ.get("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED"),
}}))
"""
SMALL_QUEUES = {
    "OTEL_BSP_MAX_QUEUE_SIZE": "256",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "128",
    "OTEL_BLRP_MAX_QUEUE_SIZE": "256",
    "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "128",
    "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
}


@pytest.mark.parametrize("collector", ["closed port", "5 s-slow server"])
def test_a_flood_against_a_failing_collector_is_dropped_counted_and_warned_once(
    collector: str,
) -> None:
    with COLLECTORS[collector]("http/protobuf") as endpoint:
        out = run_python(FLOOD.format(endpoint=endpoint, count=5000), SMALL_QUEUES, timeout=120)
    result = out["result"]
    print(f"\n{collector}: 5000 messages handled, dropped {result['dropped']}")
    assert result["handled"] == 5000 and result["last"] == 4999  # the host never noticed
    # the queues hold 256: the rest of the flood was dropped there, and counted
    for signal in ("span", "log"):
        dropped = result["dropped"]
        assert dropped.get(f"{signal}/queue_full", 0) >= 5000 - 256 - 128 * 4
        warnings = [line for line in out["stderr"].splitlines() if f"dropping {signal} " in line]
        assert len(warnings) == 1  # one warning, whatever the number of drops
        assert warnings[0].endswith("every drop is counted in obskit.telemetry.dropped")
    # the SDK's own processor metrics (about 30 % of a handler's cost) stay off
    assert result["sdk_metrics"] == [] and result["sdk_metrics_env"] is None


RESUME = """
import json, sys, time
import obskit
from obskit._losses import losses
telemetry = obskit.configure(
    service_name="resume", exporter="otlp", endpoint={endpoint!r}, protocol={protocol!r}
)

@obskit.traced
def work(n):
    return n

for n in range(5):
    work(n)
deadline = time.monotonic() + 20
while not losses.total("span") and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps({{"dropped": losses.counts.get(("span", "export_failed"), 0)
                   + losses.counts.get(("span", "export_timeout"), 0)}}), flush=True)
sys.stdin.readline()  # the collector is back
for n in range(5, 10):
    work(n)
print(json.dumps({{"sent": 5}}), flush=True)
sys.stdin.readline()
"""


def _readline(process: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "the child said nothing in time"
    line = process.stdout.readline()
    assert line, "the child ended early"
    result: dict[str, Any] = json.loads(line)
    return result


def _resume(protocol: str, collector: str) -> None:
    port = free_port()
    receiver = grpc_receiver if protocol == "grpc" else http_receiver
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_BSP_SCHEDULE_DELAY="200", OTEL_EXPORTER_OTLP_TIMEOUT="1")
    code = RESUME.format(endpoint=f"http://127.0.0.1:{port}", protocol=protocol)
    with ExitStack() as misbehaving, ExitStack() as cleanup:
        if collector == "trickling server":
            misbehaving.enter_context(trickling_server(port=port))
        process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=env,
        )  # fmt: skip
        cleanup.callback(process.kill)
        down = _readline(process, 30)
        misbehaving.close()  # the misbehaving collector goes away
        with receiver(port=port) as (_endpoint, received):
            assert process.stdin is not None
            process.stdin.write("\n")
            process.stdin.flush()
            _readline(process, 30)
            deadline = time.monotonic() + 40
            while len(received.spans()) < 5 and time.monotonic() < deadline:
                time.sleep(0.1)
            took = 40 - (deadline - time.monotonic())
            process.stdin.write("\n")
            process.stdin.flush()
            process.communicate(timeout=30)
        spans = received.spans()
    print(
        f"\n{protocol} {collector}: {down['dropped']} spans dropped while it was down; "
        f"after it came back {len(spans)} spans arrived within {took:.1f} s, with no flush"
    )
    assert down["dropped"] == 5
    assert sorted(span.name for _, span in spans) == ["work"] * 5


@pytest.mark.parametrize(
    ("protocol", "collector"), [("http/protobuf", "trickling server"), ("grpc", "closed port")]
)
def test_export_resumes_after_the_collector_comes_back(protocol: str, collector: str) -> None:
    _resume(protocol, collector)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("protocol", "collector"), [("grpc", "trickling server"), ("http/protobuf", "closed port")]
)
def test_export_resumes_after_the_collector_comes_back_more(protocol: str, collector: str) -> None:
    _resume(protocol, collector)


OUTAGES = """
import json, logging, sys, time
import obskit
from obskit._losses import losses
from tests.support.otlp_receiver import {receiver}
obskit.configure(service_name="outages", exporter="otlp", endpoint="http://127.0.0.1:{port}",
                 protocol={protocol!r}, shutdown_timeout=1)

@obskit.traced
def work():
    return None

def failed():
    return losses.counts.get(("span", "export_failed"), 0) + losses.counts.get(
        ("span", "export_timeout"), 0)

def until(done):
    deadline = time.monotonic() + 20
    while not done() and time.monotonic() < deadline:
        work()
        time.sleep(0.05)

def two_failed_exports():
    until(lambda: failed() > 0)
    first = failed()
    until(lambda: failed() > first)

two_failed_exports()
# the collector refused the data: not an outage, told even while the outage is quiet
logging.getLogger({refusal_logger!r}).error({refusal!r}, *{refusal_args!r})
print("--- collector back", file=sys.stderr, flush=True)
with {receiver}(port={port}) as (_endpoint, received):
    until(lambda: received.spans())
print("--- collector gone again", file=sys.stderr, flush=True)
two_failed_exports()
print(json.dumps({{"failed": failed(), "received": len(received.spans())}}))
"""

REFUSALS = {
    "http/protobuf": (
        "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        "Failed to export %s batch code: %s, reason: %s",
        ("spans", 401, "Unauthorized"),
    ),
    "grpc": (
        "opentelemetry.exporter.otlp.proto.grpc.exporter",
        "Failed to export %s to %s, error code: %s, error details: %s",
        ("traces", "collector:4317", "StatusCode.UNAUTHENTICATED", "no token"),
    ),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_collector_outage_reaches_the_host_logs_once_per_outage(protocol: str) -> None:
    """The OTLP exporters log every retry and every failed batch; the host's logs get one of
    those lines per outage (the drops are counted), the next outage's once export came back, and
    a record that is not about an outage (the collector refusing the data) as it comes. (The
    gRPC exporter's own filter drops a record repeating the last within 20 s: the second
    outage's line may be the one its metrics export logs at exit.)"""
    port = free_port()
    logger, refusal, args = REFUSALS[protocol]
    code = OUTAGES.format(
        receiver="grpc_receiver" if protocol == "grpc" else "http_receiver", port=port,
        protocol=protocol, refusal_logger=logger, refusal=refusal, refusal_args=args,
    )  # fmt: skip
    out = run_python(code, {"OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_EXPORTER_OTLP_TIMEOUT": "1"})
    phases = out["stderr"].split("--- collector ")
    outage_lines = [
        [line for line in phase.splitlines() if "Transient error" in line or "Failed" in line]
        for phase in phases
    ]
    print(f"\n{protocol}: {out['result']}; exporter lines per phase: {outage_lines}")
    assert out["result"]["failed"] >= 4 and out["result"]["received"] > 0
    first, back, again = outage_lines
    assert len(first) == 2 and args[2] in first[1]  # down: one line, then the refusal
    assert len(back + again) == 1  # down again (some time before exit): one line


def test_handler_throughput_with_a_dead_collector_is_printed() -> None:
    """The figure (target >= 0.8x of ``exporter="none"``); the full run is
    ``python -m benchmarks.dead_collector``. No time is asserted on a shared machine."""
    best = dead_collector.measure(number=2000, rounds=1)
    print("\n" + dead_collector.report(best))
    assert set(best) == {"exporter='none'", "dead collector"}
    assert all(set(times) == {"thread", "process", "wall"} for times in best.values())
    assert all(0 < us < float("inf") for times in best.values() for us in times.values())


def test_shutdown_timeout_defaults_to_five_seconds_and_is_checked_where_given() -> None:
    with pytest.raises(ValueError, match="shutdown_timeout"):
        obskit.configure(exporter="none", shutdown_timeout=0)
    with pytest.raises(TypeError, match="shutdown_timeout"):
        obskit.configure(exporter="none", shutdown_timeout="5")  # type: ignore[arg-type]
    telemetry = obskit.configure(service_name="default", exporter="none")
    assert telemetry.shutdown_timeout == 5.0


FORKED_METRICS = """
import json, os, threading, time
import obskit
telemetry = obskit.configure(
    service_name="prefork", exporter="otlp", endpoint={endpoint!r}, protocol={protocol!r},
    shutdown_timeout=5,
)

@obskit.traced.consumer("orders", system="rabbitmq")
def handle(message):
    return message

handle({{"headers": {{}}}})  # the parent's own measurement, on the parent's connection
# a collection under way (the slow collector holds it) when the children fork
threading.Thread(target=telemetry.meter_provider.force_flush, daemon=True).start()
time.sleep(0.5)
pids = []
for n in range({children}):
    pid = os.fork()
    if pid == 0:
        handle({{"headers": {{}}}})
        telemetry.shutdown()  # the documented hook before os._exit
        os._exit(0)
    pids.append(pid)
codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
parent = telemetry.tracer_provider.resource.attributes["service.instance.id"]
print(json.dumps({{"codes": codes, "parent": parent}}))
"""


def _instances(received: Any, metric: str) -> set[Any]:
    """The ``service.instance.id`` of every resource that sent ``metric``."""
    from tests.support.otlp_receiver import attributes

    with received.lock:
        return {
            attributes(resource_metrics.resource.attributes).get("service.instance.id")
            for request in received.metrics
            for resource_metrics in request.resource_metrics
            for scope_metrics in resource_metrics.scope_metrics
            for found in scope_metrics.metrics
            if found.name == metric
        }


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_forked_children_export_metrics_through_their_own_exporter(protocol: str) -> None:
    """A prefork child's metrics arrive, even when it forked while the parent was exporting
    (the parent's connection is not the child's, nor is the export lock its thread held)."""
    receiver = grpc_receiver if protocol == "grpc" else http_receiver
    children = 3
    with receiver(delay=1.0) as (endpoint, received):
        code = FORKED_METRICS.format(endpoint=endpoint, protocol=protocol, children=children)
        out = run_python(code, timeout=120)
        senders = _instances(received, "messaging.process.duration")
    result = out["result"]
    children_seen = senders - {result["parent"]}
    print(f"\n{protocol}: {len(children_seen)} of {children} forked children's metrics received")
    assert result["codes"] == [0] * children
    assert len(children_seen) == children


def test_a_service_that_exports_aggregates_each_measurement_once() -> None:
    """Each metric reader aggregates every measurement: the in-memory one ``capture()`` reads
    rides along only where a capture may read it (``none``, ``memory``, a test run)."""
    out = run_python(
        """
        import json, sys, obskit
        from obskit import _state
        telemetry = obskit.configure(service_name="svc", exporter="otlp",
                                     endpoint="http://127.0.0.1:9", shutdown_timeout=1)
        exporting = _state.captured_metric_reader()
        obskit.reset()
        obskit.configure(service_name="svc", exporter="none")
        print(json.dumps({"exporting": exporting is not None,
                          "none": _state.captured_metric_reader() is not None,
                          "testing": "obskit.testing" in sys.modules}))
        """
    )
    assert out["result"] == {"exporting": False, "none": True, "testing": False}


def test_capture_sees_the_metrics_of_a_service_that_exports() -> None:
    from obskit.testing import capture

    obskit.configure(
        service_name="svc", exporter="otlp", endpoint="http://127.0.0.1:9", shutdown_timeout=1
    )

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, Any]) -> None:
        return None

    with capture() as captured:
        handle({"headers": {}})
    points = captured.metric_points("messaging.process.duration")
    assert [attrs["messaging.destination.name"] for attrs, _ in points] == ["orders"]
    assert points[0][1].count == 1


def test_capture_says_once_when_it_cannot_see_the_metrics_of_a_service_that_exports() -> None:
    """``obskit.testing`` imported after ``configure()`` with an exporter: the capture reader was
    not attached, and ``capture()`` says so once instead of returning no metrics without a word."""
    out = run_python(
        """
        import json, obskit
        obskit.configure(service_name="svc", exporter="otlp",
                         endpoint="http://127.0.0.1:9", shutdown_timeout=1)
        from obskit.testing import capture

        @obskit.traced.consumer("orders", system="rabbitmq")
        def handle(message):
            return None

        seen = []
        for _ in range(3):
            with capture() as captured:
                handle({"headers": {}})
            seen.append(len(captured.metrics))
        print(json.dumps(seen))
        """
    )
    warnings = [line for line in out["stderr"].splitlines() if "capture() sees no metrics" in line]
    assert out["result"] == [0, 0, 0]
    assert len(warnings) == 1
    assert "import obskit.testing before configure()" in warnings[0]
    assert "or use exporter=" in warnings[0]


PROBE = """
import json, time
import obskit
from obskit._losses import losses
obskit.configure(service_name="probe", exporter="otlp", endpoint="http://127.0.0.1:9")

@obskit.traced
def work(n):
    return n

for n in range(1000):
    work(n)
deadline = time.monotonic() + 30
while losses.counts.get(("span", "export_failed"), 0) <= 128 and time.monotonic() < deadline:
    time.sleep(0.02)
print(json.dumps({reason: n for (signal, reason), n in losses.counts.items() if signal == "span"}))
"""


def test_after_a_failure_one_span_probes_the_collector() -> None:
    """A collector that stays down costs one span per attempt (encoded, sent, dropped), not a
    batch; the queue stays full and the host's spans are refused at the door, the cheap way."""
    out = run_python(PROBE, SMALL_QUEUES, timeout=60)
    dropped = out["result"]
    print(f"\nspans dropped against a closed port, by reason: {dropped}")
    assert dropped["export_failed"] == 128 + 1  # the first batch, then a one-span probe
    assert dropped["queue_full"] == 1000 - 128 - 256  # the rest waits in the full queue


def test_metric_shutdown_keeps_to_the_deadline_the_reader_passes() -> None:
    """The SDK's reader hands its exporter what is left of its deadline (``timeout=``, in ms):
    an exporter whose close never returns is left behind at that deadline, not at 30 s."""
    released = threading.Event()

    class NeverClosed(ConsoleMetricExporter):
        def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
            released.wait(60)

    provider = MeterProvider(
        metric_readers=[BoundedMetricReader(lambda: NeverClosed(out=io.StringIO()), 1.0)]
    )
    started = time.monotonic()
    provider.shutdown(timeout_millis=500)
    took = time.monotonic() - started
    released.set()
    print(f"\nmeter provider shutdown(500 ms) with an exporter that never closes: {took:.2f} s")
    assert took < 0.5 + SLACK
