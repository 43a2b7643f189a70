"""``obskit view FILE [--trace ID] [--html OUT.html]``: a trace waterfall from OTLP/JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from obskit.view import _otlp_json
from obskit.view._waterfall import pick_trace, waterfall

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="OTLP/JSON (the Collector's file exporter output)")
    parser.add_argument(
        "--trace", metavar="ID", help="trace id or a unique prefix (default: the most eventful)"
    )
    parser.add_argument("--html", metavar="OUT", type=Path, help="write a self-contained page")
    parser.add_argument("--list", action="store_true", help="list the file's traces")
    parser.add_argument("--width", type=int, help="columns (default: the terminal's)")


def run(args: argparse.Namespace) -> int:
    from obskit.view._terminal import console_for, print_waterfall, trace_list

    try:
        telemetry = _otlp_json.load(args.file)
    except (OSError, ValueError) as exc:
        print(f"obskit view: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    if args.list:
        print("\n".join(trace_list(telemetry)) or "no traces")
        return 0
    trace_id = pick_trace(telemetry, args.trace)
    if trace_id is None:
        what = f"no single trace matches {args.trace!r}" if args.trace else "no spans"
        print(f"obskit view: {what} in {args.file}", file=sys.stderr)
        return 2
    chart = waterfall(telemetry, trace_id)
    if args.html is not None:
        from obskit.view._html import render_html

        others = [t for t in telemetry.trace_ids() if t != trace_id]
        args.html.write_text(render_html(chart, other_traces=others), encoding="utf-8")
        print(f"wrote {args.html} (trace {trace_id})")
        return 0
    print_waterfall(chart, console_for(width=args.width))
    return 0
