"""``obskit serve``: a local OTLP receiver with a searchable store and a web UI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="web UI and JSON API (default: %(default)s)"
    )
    parser.add_argument(
        "--otlp-port", type=int, default=4318, help="OTLP/HTTP (default: %(default)s)"
    )
    parser.add_argument(
        "--grpc-port", type=int, default=4317, help="OTLP/gRPC (default: %(default)s)"
    )
    parser.add_argument(
        "--db",
        metavar="FILE",
        help="SQLite file, or :memory: (default: under the user's data directory)",
    )
    parser.add_argument(
        "--retain",
        metavar="AGE|SIZE",
        help="keep at most e.g. 7d, 12h or 500MB; the oldest traces go first",
    )
    parser.add_argument(
        "--load",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="OTLP/JSON lines to load first (repeatable)",
    )
    parser.add_argument(
        "--max-payload",
        metavar="BYTES",
        type=int,
        help="largest OTLP request accepted (default: 16 MiB)",
    )


def run(args: argparse.Namespace) -> int:
    from obskit.serve._receivers import MAX_PAYLOAD
    from obskit.serve._server import Server, default_db
    from obskit.serve._store import Retention, Store
    from obskit.view import _otlp_json

    try:
        retention = Retention.parse(args.retain) if args.retain else Retention()
    except ValueError as exc:
        print(f"obskit serve: {exc}", file=sys.stderr)
        return 2
    store = Store(args.db or default_db(), retention)
    for path in args.load:
        try:
            store.add(_otlp_json.load(path))
        except (OSError, ValueError) as exc:
            print(f"obskit serve: cannot load {path}: {exc}", file=sys.stderr)
            return 2
    server = Server(
        store, host=args.host, port=args.port, otlp_port=args.otlp_port,
        grpc_port=args.grpc_port, max_payload=args.max_payload or MAX_PAYLOAD,
    )  # fmt: skip
    try:
        server.start()
    except OSError as exc:
        print(f"obskit serve: {exc}", file=sys.stderr)
        return 1
    print(
        f"obskit serve: {server.url}  (OTLP/HTTP {server.otlp_url}, OTLP/gRPC "
        f"{server.grpc_endpoint}, database {store.path})",
        flush=True,
    )
    server.serve_until_stopped()
    return 0
