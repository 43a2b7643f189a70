"""``obskit view --where / --service / --error``: picking traces from a file without code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from obskit.demo import run_demo
from obskit.view import SpanRecord, TelemetryFile, load
from obskit.view._select import Selection, parse_where


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("select") / "shop.jsonl"
    run_demo(export=path)
    return path


def view(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "obskit.cli", "view", *args], capture_output=True, text=True
    )


def traces_where(path: Path, key: str, value: str) -> set[str]:
    """The docs' old hand-written search, kept here as the oracle."""
    found = set()
    for line in path.read_text().splitlines():
        for resource_spans in json.loads(line).get("resourceSpans", []):
            for scope_spans in resource_spans["scopeSpans"]:
                for span in scope_spans["spans"]:
                    attributes = {a["key"]: a["value"] for a in span.get("attributes", [])}
                    if attributes.get(key) == {"stringValue": value}:
                        found.add(span["traceId"])
    return found


def listed(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode == 0, result.stderr
    return {line.split()[0] for line in result.stdout.splitlines() if line != "no traces"}


def test_where_finds_the_orders_trace(export: Path) -> None:
    expected = traces_where(export, "app.order.id", "ord-1003")
    assert len(expected) == 1
    assert listed(view(str(export), "--where", "app.order.id=ord-1003", "--list")) == expected
    drawn = view(str(export), "--where", "app.order.id=ord-1003", "--width", "120")
    assert drawn.returncode == 0 and f"trace {next(iter(expected))}" in drawn.stdout


def test_filters_combine(export: Path) -> None:
    telemetry = load(export)
    failed = {s.trace_id for s in telemetry.spans if s.is_error}
    everything = set(telemetry.trace_ids())
    shipping = {s.trace_id for s in telemetry.spans if s.service == "shipping"}
    assert failed and shipping and failed != everything
    assert listed(view(str(export), "--error", "--list")) == failed
    assert listed(view(str(export), "--no-error", "--list")) == everything - failed
    assert listed(view(str(export), "--service", "shipping", "--list")) == shipping
    both = listed(view(str(export), "--service", "shipping", "--error", "--list"))
    assert both == shipping & failed
    nothing = view(str(export), "--where", "app.order.id=ord-1003", "--where", "app.order.id=x")
    assert nothing.returncode == 2 and "with those filters" in nothing.stderr


def test_a_malformed_where_is_a_usage_error(export: Path) -> None:
    result = view(str(export), "--where", "novalue")
    assert result.returncode == 2 and "key=value" in result.stderr


def test_values_match_by_their_text_and_resources_count() -> None:
    span = SpanRecord(
        trace_id="a" * 32, span_id="b" * 16, parent_span_id="", name="x", kind=1,
        start_unix_nano=0, end_unix_nano=1, service="orders",
        attributes={"retry": True, "app.quantity": 3}, resource={"host.name": "box"},
    )  # fmt: skip
    telemetry = TelemetryFile(spans=[span])
    for where, kept in (
        ("retry=true", 1), ("app.quantity=3", 1), ("host.name=box", 1), ("retry=True", 0),
    ):  # fmt: skip
        assert len(Selection(parse_where([where])).apply(telemetry).spans) == kept, where
