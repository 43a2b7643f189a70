"""``obskit demo``: run the example shop and show what obskit exposes."""

from __future__ import annotations

import argparse
import io
import sys

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
        summary = run_demo(
            args.broker,
            broker_url=args.broker_url,
            export=args.export,
            otlp_endpoint=args.endpoint if args.exporter == "otlp" else None,
        )
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
    return 0
