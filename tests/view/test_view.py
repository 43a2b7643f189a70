"""The terminal waterfall: tree order, services, bars, logs, and never wider than the screen."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from obskit.demo import run_demo
from obskit.view import _otlp_json
from obskit.view._terminal import console_for, print_waterfall, render_text
from obskit.view._waterfall import Waterfall, pick_trace, waterfall


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("view") / "shop.jsonl"
    run_demo(export=path)
    yield path


@pytest.fixture(scope="module")
def chart(export: Path) -> Waterfall:
    telemetry = _otlp_json.load(export)
    trace_id = pick_trace(telemetry)
    assert trace_id is not None
    return waterfall(telemetry, trace_id)


def test_most_eventful_trace_is_the_retried_one_in_tree_order(chart: Waterfall) -> None:
    names = [(row.depth, row.span.name, row.span.service) for row in chart.rows]
    assert names[:3] == [
        (0, "POST /orders", "shop-api"),
        (1, "send orders", "shop-api"),
        (2, "process orders", "inventory"),
    ]
    retries = [row for row in chart.rows if row.span.name == "process shipping"]
    assert [row.outcome for row in retries] == ["ERROR transient", "ok"]
    assert retries[1].flags == ("retry #2",)
    assert chart.rows[0].offset == 0.0
    assert all(0 <= row.offset <= 1 and 0 <= row.width <= 1 for row in chart.rows)


@pytest.mark.parametrize("width", [80, 200])
def test_no_line_is_wider_than_the_console(chart: Waterfall, width: int) -> None:
    for fancy in (True, False):
        text = render_text(chart, width, fancy=fancy)
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= width
        assert len(lines) > len(chart.rows)  # logs, links and notes beneath the spans
    assert "carrier_timeout" in text and "↳ link → send shipping (inventory)" in text
    assert "✖ transient: carrier API timed out" in text


def test_long_names_end_in_an_ellipsis(chart: Waterfall) -> None:
    assert "process shipp…" in render_text(chart, 80)
    assert "process shipping " in render_text(chart, 200)


def test_plain_output_without_a_terminal_has_no_escape_codes(chart: Waterfall) -> None:
    out = io.StringIO()
    print_waterfall(chart, console_for(out, width=80))
    assert "\x1b[" not in out.getvalue()
    assert "=" in out.getvalue() and "█" not in out.getvalue()


def test_terminal_output_is_coloured_and_cropped(chart: Waterfall) -> None:
    out = io.StringIO()
    print_waterfall(chart, console_for(out, width=80, terminal=True))
    assert "\x1b[" in out.getvalue() and "█" in out.getvalue()
    for line in out.getvalue().splitlines():
        plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
        assert len(plain) <= 80


def test_view_command(export: Path) -> None:
    telemetry = _otlp_json.load(export)
    trace_id = telemetry.trace_ids()[1]
    result = subprocess.run(
        [sys.executable, "-m", "obskit.cli", "view", str(export), "--trace", trace_id[:12]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"trace {trace_id}")
    assert "stock_insufficient" in result.stdout and "business" in result.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "obskit.cli", "view", str(export), "--trace", "ffffffffffff"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "no single trace" in missing.stderr


def _span(span_id: str, parent: str, name: str = "op", **attributes: object) -> Any:
    return _otlp_json.SpanRecord(
        trace_id="a" * 32, span_id=span_id, parent_span_id=parent, name=name, kind=1,
        start_unix_nano=int(span_id, 16), end_unix_nano=int(span_id, 16) + 10, service="svc",
        attributes=dict(attributes),
    )  # fmt: skip


def test_spans_in_a_parent_loop_and_very_deep_traces_are_all_drawn() -> None:
    looped = [
        _span("0000000000000001", ""),
        _span("0000000000000002", "0000000000000003"),
        _span("0000000000000003", "0000000000000002"),
        _span("0000000000000004", "0000000000000004"),
    ]
    deep = [_span(f"{i + 1:016x}", f"{i:016x}" if i else "") for i in range(1500)]
    for spans, count in ((looped, 4), (deep, 1500)):
        chart = waterfall(_otlp_json.TelemetryFile(spans=spans), "a" * 32)
        assert len(chart.rows) == count
        assert len({row.span.span_id for row in chart.rows}) == count


def test_no_value_can_break_out_of_the_html_data_block() -> None:
    from obskit.view._html import render_html

    hostile = _span("0000000000000001", "", name="</script><script>alert(1)</script>",
                    x="<!--<script>", y="a & b")  # fmt: skip
    page = render_html(waterfall(_otlp_json.TelemetryFile(spans=[hostile]), "a" * 32))
    data_block = page.split('type="application/json"', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_block.split(">", 1)[1] and "&" not in data_block


def test_narrow_terminals_keep_a_readable_bar_and_wide_names_keep_columns() -> None:
    spans = [
        _span("0000000000000001", "", name="注文を作成する処理"),
        _span("0000000000000002", "0000000000000001", name="plain"),
    ]
    chart = waterfall(_otlp_json.TelemetryFile(spans=spans), "a" * 32)
    lines = render_text(chart, width=60).splitlines()
    body = [line for line in lines if " svc " in line]
    assert len(body) == 2
    # the service column starts at the same display cell whatever the name's script
    from rich.cells import cell_len

    starts = {cell_len(line[: line.index("svc")]) for line in body}
    assert len(starts) == 1
    bar = re.search(r"[=.]{8,}", body[0])
    assert bar is not None and len(bar.group()) >= 12
