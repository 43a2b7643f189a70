"""``obskit view FILE [--where K=V] [--trace ID] [--html OUT]``: a waterfall from OTLP/JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from obskit.view import _otlp_json
from obskit.view._select import Selection, parse_where
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
    parser.add_argument(
        "--where", metavar="KEY=VALUE", action="append", default=[],
        help="only traces with a span or resource attribute KEY=VALUE (repeatable: all must hold)",
    )  # fmt: skip
    parser.add_argument("--service", help="only traces with a span from this service")
    parser.add_argument(
        "--error", action=argparse.BooleanOptionalAction, default=None,
        help="only traces with (--error) or without (--no-error) a failed span",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from obskit.view._terminal import console_for, print_waterfall, trace_list

    try:
        selection = Selection(parse_where(args.where), args.service, args.error)
    except ValueError as exc:
        print(f"obskit view: {exc}", file=sys.stderr)
        return 2
    try:
        telemetry = _otlp_json.load(args.file)
    except (OSError, ValueError) as exc:
        print(f"obskit view: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    chosen = selection.apply(telemetry)
    if args.list:
        print("\n".join(trace_list(chosen)) or "no traces")
        return 0
    trace_id = pick_trace(chosen, args.trace)
    if trace_id is None:
        filtered = selection != Selection()
        what = f"no single trace matches {args.trace!r}" if args.trace else "no spans"
        what += " with those filters" if filtered else ""
        print(f"obskit view: {what} in {args.file}", file=sys.stderr)
        return 2
    chart = waterfall(telemetry, trace_id)
    if args.html is not None:
        from obskit.view._html import render_html

        others = [t for t in chosen.trace_ids() if t != trace_id]
        args.html.write_text(render_html(chart, other_traces=others), encoding="utf-8")
        print(f"wrote {args.html} (trace {trace_id})")
        return 0
    print_waterfall(chart, console_for(width=args.width))
    return 0
