"""``obskit demo``: run the example shop and show what obskit exposes."""

from __future__ import annotations

import argparse
import io
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from obskit.serve import Server

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from obskit.demo._transport import BROKERS

    parser.add_argument(
        "--broker", choices=BROKERS, default="memory", help="in-memory bus (default) or a broker"
    )
    parser.add_argument("--broker-url", metavar="URL", help="the broker's URL (default: loopback)")
    parser.add_argument(
        "--exporter", choices=("none", "otlp"), default="none", help="also send to a collector"
    )
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        default="http://127.0.0.1:4318",
        help="OTLP/HTTP base URL for --exporter otlp (default: %(default)s)",
    )
    parser.add_argument("--export", metavar="FILE", help="write the telemetry as OTLP/JSON lines")
    parser.add_argument("--width", type=int, help="columns (default: the terminal's)")
    parser.add_argument(
        "--serve", action="store_true",
        help="export to an in-process obskit serve and keep it running to explore (Ctrl-C stops)",
    )  # fmt: skip
    parser.add_argument(
        "--port", type=int, default=8000, help="web UI port for --serve (default: %(default)s)"
    )


def run(args: argparse.Namespace) -> int:
    import obskit
    from obskit.demo import CONVENTIONS, run_demo
    from obskit.logging import configure_logging
    from obskit.view._terminal import console_for, print_waterfall
    from obskit.view._waterfall import waterfall

    # The demo shows every log line under the span that wrote it (the OpenTelemetry records);
    # printing them to stderr as well would only scramble the story above the waterfall.
    configure_logging(stream=io.StringIO())
    obskit.configure(
        service_name="obskit-demo", exporter="none", mode="fix", conventions=CONVENTIONS
    )
    try:
        server = _start_server(args.port) if args.serve else None
    except OSError as exc:
        print(f"obskit demo: cannot serve on port {args.port}: {exc}", file=sys.stderr)
        return 1
    if server is not None:
        endpoint: str | None = server.otlp_url
    else:
        endpoint = args.endpoint if args.exporter == "otlp" else None
    try:
        summary = run_demo(
            args.broker, broker_url=args.broker_url, export=args.export, otlp_endpoint=endpoint
        )
    except ModuleNotFoundError as exc:  # the broker's client: the message names the extra
        print(f"obskit demo --broker {args.broker}: {exc}", file=sys.stderr)
        return 1
    except (OSError, ConnectionError) as exc:
        print(f"obskit demo: cannot reach {args.broker}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # e.g. pika's AMQPConnectionError
        if type(exc).__module__.split(".")[0] in ("pika", "nats", "redis"):
            print(f"obskit demo: cannot reach {args.broker}: {exc!r}", file=sys.stderr)
            return 1
        raise
    console = console_for(width=args.width)
    console.print("[bold]obskit demo[/]: a shop of three services on one bus", highlight=False)
    for line in summary.story:
        console.print(f"  {line}", highlight=False, markup=False)
    if summary.interesting_trace_id:
        console.print()
        console.print("[bold]the most eventful trace[/]", highlight=False)
        print_waterfall(waterfall(summary.telemetry, summary.interesting_trace_id), console)
    console.print()
    console.print("[bold]summary[/]", highlight=False)
    for line in summary.lines():
        console.print(line, highlight=False, markup=False)
    if summary.otlp_error:  # the run printed above; the export the user asked for did not happen
        print(f"obskit demo: {summary.otlp_error}", file=sys.stderr)
        return 1
    if server is not None:
        server.flush()
        trace = f"{server.url}/trace/{summary.interesting_trace_id}"
        print(f"\nobskit serve: {server.url}  (the most eventful trace: {trace}; Ctrl-C stops)")
        sys.stdout.flush()
        server.serve_until_stopped()
    return 0


def _start_server(port: int) -> Server:
    """An in-memory ``obskit serve`` on ``port``; its OTLP ports are free ones."""
    from obskit.serve import Server, Store

    return Server(Store(":memory:"), port=port, otlp_port=0, grpc_port=0).start()
