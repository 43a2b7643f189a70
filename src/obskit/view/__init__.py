"""Reading exported telemetry: the OTLP/JSON codec and the trace viewer (terminal and HTML).

Tooling, not runtime: ``obskit view``, ``obskit check`` and the demo build on it, and nothing a
service imports (``configure``, ``traced``, logging, messaging, http) ever loads it. The terminal
view needs ``rich`` and is imported only by the command that draws it.
"""

from obskit.view._html import render_html
from obskit.view._otlp_json import (
    EventRecord,
    LinkRecord,
    LogRecord,
    MetricRecord,
    SpanRecord,
    TelemetryFile,
    decode,
    load,
    loads,
    write,
)
from obskit.view._waterfall import Row, Waterfall, pick_trace, waterfall

__all__ = [
    "EventRecord",
    "LinkRecord",
    "LogRecord",
    "MetricRecord",
    "Row",
    "SpanRecord",
    "TelemetryFile",
    "Waterfall",
    "decode",
    "load",
    "loads",
    "pick_trace",
    "render_html",
    "waterfall",
    "write",
]
