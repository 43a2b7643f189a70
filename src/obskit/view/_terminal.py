"""The terminal waterfall (rich): one trace as a tree, a time bar per span, logs beneath.

Every line is cut to the console's width (names end in an ellipsis), so the view stays readable
at 80 columns. Without a terminal it prints plain text: no colour codes, ASCII bars.
"""

from __future__ import annotations

import datetime as dt
from typing import IO

from rich.console import Console
from rich.text import Text

from obskit.view._otlp_json import LogRecord, TelemetryFile
from obskit.view._waterfall import Row, Waterfall, format_duration

__all__ = ["console_for", "render", "render_text"]

_SERVICE_STYLES = ("cyan", "magenta", "green", "yellow", "blue", "bright_red")
_SEVERITY_STYLES = {"WARN": "yellow", "WARNING": "yellow", "ERROR": "red", "FATAL": "bold red"}


def console_for(
    file: IO[str] | None = None, *, width: int | None = None, terminal: bool | None = None
) -> Console:
    """A console that writes plain text when ``file`` is not a terminal (or ``terminal=False``)."""
    return Console(
        file=file,
        width=width,
        highlight=False,
        soft_wrap=True,
        force_terminal=terminal,
        color_system="standard" if terminal else "auto",
    )


def _fit(text: Text, width: int) -> Text:
    text = text.copy()
    text.truncate(max(width, 0), overflow="ellipsis")
    return text


def _cell(value: str, width: int, style: str = "") -> Text:
    fitted = _fit(Text(value, style=style), width)
    return fitted + Text(" " * max(0, width - fitted.cell_len))  # cells: CJK is two wide


def _bar(row: Row, width: int, fancy: bool) -> Text:
    start = min(int(row.offset * width), width - 1)
    length = max(1, round(row.width * width))
    length = min(length, width - start)
    fill, empty = ("█", "·") if fancy else ("=", ".")
    style = "red" if row.span.is_error else ("yellow" if row.flags else "green")
    return (
        Text(empty * start)
        + Text(fill * length, style=style)
        + Text(empty * (width - start - length))
    )


def _time(nanos: int) -> str:
    return dt.datetime.fromtimestamp(nanos / 1e9, tz=dt.timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def _log_line(log: LogRecord, indent: str, width: int) -> Text:
    fields = " ".join(
        f"{k}={v}" for k, v in log.attributes.items() if k not in ("service.name", "event")
    )
    severity = (log.severity_text or "INFO").upper()
    line = Text(f"{indent}│ ", style="dim")
    line += Text(f"{_time(log.time_unix_nano)} ", style="dim")
    line += Text(f"{severity:<7}", style=_SEVERITY_STYLES.get(severity, "blue"))
    line += Text(f" {log.body}", style="bold") + Text(f" {fields}" if fields else "", style="dim")
    return _fit(line, width)


_MIN_BAR = 12


def render(waterfall: Waterfall, width: int, *, fancy: bool = True) -> list[Text]:
    """The waterfall as lines, none longer than ``width``."""
    width = max(width, 40)
    styles = {
        s: _SERVICE_STYLES[i % len(_SERVICE_STYLES)] for i, s in enumerate(waterfall.services)
    }
    service_w = min(12, max((len(s) for s in waterfall.services), default=7))
    duration_w, kind_w = 8, 4
    flags_w = 24 if width >= 120 else 16
    name_w = min(44, max(14, int(width * 0.3)))
    # a narrow terminal shrinks the flag and name columns before the bars lose their meaning
    shortfall = max(
        0, _MIN_BAR - (width - (name_w + service_w + kind_w + flags_w + duration_w + 5))
    )
    flags_w -= min(shortfall, flags_w - 6)
    shortfall = max(
        0, _MIN_BAR - (width - (name_w + service_w + kind_w + flags_w + duration_w + 5))
    )
    name_w -= min(shortfall, name_w - 10)
    bar_w = width - (name_w + service_w + kind_w + flags_w + duration_w + 5)
    lines: list[Text] = []
    header = Text(f"trace {waterfall.trace_id}", style="bold")
    header += Text(
        f"  {len(waterfall.rows)} spans · {len(waterfall.services)} services · "
        f"{format_duration(waterfall.duration_nano)}"
        + (f" · {waterfall.errors} error(s)" if waterfall.errors else "")
    )
    lines.append(_fit(header, width))
    total = format_duration(waterfall.duration_nano)
    scale = "0" + total.rjust(bar_w - 1)
    axis = (
        _cell("span", name_w, "dim")
        + Text(" ")
        + _cell("service", service_w, "dim")
        + Text(" ")
        + _cell("kind", kind_w, "dim")
        + Text(" ")
        + _cell(scale, bar_w, "dim")
        + Text(" ")
        + _cell("duration", duration_w, "dim")
        + Text(" ")
        + _cell("outcome", flags_w, "dim")
    )
    lines.append(_fit(axis, width))
    for row in waterfall.rows:
        span = row.span
        indent = "  " * row.depth
        name_style = "bold red" if span.is_error else "bold"
        status = ", ".join((row.outcome, *row.flags))
        status_style = (
            "red" if span.is_error else ("yellow" if row.flags or row.outcome != "ok" else "green")
        )
        line = (
            _cell(indent + span.name, name_w, name_style)
            + Text(" ")
            + _cell(span.service, service_w, styles.get(span.service, ""))
            + Text(" ")
            + _cell(row.kind_short, kind_w, "dim")
            + Text(" ")
            + _bar(row, bar_w, fancy)
            + Text(" ")
            + _cell(format_duration(span.duration_nano).rjust(duration_w), duration_w)
            + Text(" ")
            + _cell(status, flags_w, status_style)
        )
        lines.append(_fit(line, width))
        detail = indent + "  "
        if row.note:
            mark = "✖" if span.is_error else "⚑"
            style = "red" if span.is_error else "yellow"
            lines.append(_fit(Text(f"{detail}{mark} {row.note}", style=style), width))
        for link, target in row.links:
            where = f"{target.name} ({target.service})" if target else f"span {link.span_id}"
            if target is None or target.trace_id != span.trace_id:
                where += f" in trace {link.trace_id}"
            lines.append(_fit(Text(f"{detail}↳ link → {where}", style="dim"), width))
        lines.extend(_log_line(log, detail, width) for log in row.logs)
    return lines


def render_text(waterfall: Waterfall, width: int, *, fancy: bool = False) -> str:
    """Plain text (no colour codes) at ``width``: what a pipe or a test sees."""
    return "".join(line.plain.rstrip() + "\n" for line in render(waterfall, width, fancy=fancy))


def print_waterfall(waterfall: Waterfall, console: Console) -> None:
    fancy = console.is_terminal
    if not fancy:
        console.file.write(render_text(waterfall, console.width))
        return
    for line in render(waterfall, console.width, fancy=True):
        line.rstrip()
        console.print(line, no_wrap=True, overflow="ellipsis")


def trace_list(telemetry: TelemetryFile) -> list[str]:
    """One line per trace: id, root span, span count, errors."""
    lines = []
    for trace_id in telemetry.trace_ids():
        spans = telemetry.trace(trace_id)
        root = min(spans, key=lambda s: s.start_unix_nano)
        errors = sum(1 for s in spans if s.is_error)
        lines.append(
            f"{trace_id}  {root.service}: {root.name}  {len(spans)} spans"
            + (f", {errors} error(s)" if errors else "")
        )
    return lines
