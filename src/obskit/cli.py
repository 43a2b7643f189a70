"""The ``obskit`` command: one thin dispatcher over subcommand modules.

Each subcommand lives beside the subsystem it drives and exposes ``add_arguments(parser)`` and
``run(args) -> int``. They are imported only when chosen, so ``obskit --help`` and importing
``obskit`` in a service stay light.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["SUBCOMMANDS", "main"]

_DESCRIPTION = "The obskit command: lint, check, drift, conventions, view, serve and demo."

#: subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("obskit.demo._demo_cli", "run the example shop and show what obskit exposes"),
    "lint": ("obskit.lint._lint_cli", "check attribute and log field names in Python source"),
    "check": (
        "obskit.lint._check_cli",
        "check captured telemetry (OTLP JSON) against the registry",
    ),
    "drift": ("obskit.lint._drift_cli", "compare names across services"),
    "conventions": (
        "obskit.conventions._conventions_cli",
        "list, show, search and check the registry",
    ),
    "view": ("obskit.view._view_cli", "draw a trace waterfall from an OTLP JSON file"),
    "serve": ("obskit.serve._serve_cli", "receive OTLP, store it, and explore it in a browser"),
}


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="obskit", description=_DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module).add_arguments(sub_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if exit_.code in (0, None) else 2
    if args.command is None:
        parser.print_help(sys.stderr)  # a usage error: no subcommand
        return 2
    module = importlib.import_module(SUBCOMMANDS[args.command][0])
    return int(module.run(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
