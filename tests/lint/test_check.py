"""``obskit check``: captured OTLP JSON (Collector file exporter) and Weaver samples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from obskit.lint import observations
from tests.lint.conftest import SAMPLES, Run, RunCli

OTLP = SAMPLES / "otlp" / "telemetry.jsonl"
WEAVER = SAMPLES / "otlp" / "weaver-samples.json"
CONFIG = SAMPLES / "shop" / "pyproject.toml"

EXPECTED = f"""\
{OTLP}:1:1: deprecated 'http.method' is deprecated (renamed): use 'http.request.method' (span 'POST /orders')
{OTLP}:1:1: type_mismatch 'app.order.total' is registered as double, got str (span 'POST /orders')
{OTLP}:1:1: near_duplicate 'app.order_number' is another spelling of the registered 'app.order.id' (log key 'order_id') (event 'order.placed' of span 'POST /orders')
{OTLP}:1:1: missing_namespace 'cart' has no namespace (span 'process shipping')
{OTLP}:2:1: near_duplicate 'customerId' is another spelling of the registered 'app.customer.id' (log key 'customer_id') (log 'order_placed')
{OTLP}:3:1: invalid_format 'orderLatency' must be lowercase [a-z][a-z0-9]* parts joined by single '.' or '_' (metric 'orderLatency')
not stable: 1 registered names are not stable yet (information; --format json lists each use): messaging.system
coverage: 2 of 4 registered names seen (50%)
  seen: app.order.id, app.order.total
  unregistered: cart
obskit: 1 files; 20 names checked; 5 violation, 1 improvement, 1 information; 0 dynamic names
"""  # noqa: E501


def test_otlp_json_lines(cli: RunCli) -> None:
    result = cli("check", OTLP, "--config", CONFIG)
    assert result.out == EXPECTED
    assert result.code == 1


def test_decodes_every_otlp_value_shape() -> None:
    values: dict[str, object] = {}
    for seen in observations(OTLP.read_text()):
        values.setdefault(seen.name, seen.value)
    assert values["http.response.status_code"] == 200  # intValue is a string in OTLP JSON
    assert values["cart"] is True
    assert values["app.order.total"] == "12.50"
    assert {o.kind for o in observations(OTLP.read_text())} == {
        "attribute",
        "event",
        "log_field",
        "metric",
    }


def test_single_document_and_json_format(tmp_path: Path, cli: RunCli) -> None:
    document = json.loads(OTLP.read_text().splitlines()[0])
    single = tmp_path / "traces.json"
    single.write_text(json.dumps(document, indent=2))
    result = cli("check", single, "--config", CONFIG, "--format", "json", "--select", "deprecated")
    report = json.loads(result.out)
    assert [(f["code"], f["name"], f["context"]) for f in report["findings"]] == [
        ("deprecated", "http.method", "span 'POST /orders'")
    ]
    assert report["coverage"]["seen"] == ["app.order.id", "app.order.total"]
    assert result.code == 1


def test_weaver_live_check_samples(cli: RunCli) -> None:
    result = cli("check", WEAVER, "--config", CONFIG, "--format", "json")
    found = {(f["code"], f["name"], f["context"]) for f in json.loads(result.out)["findings"]}
    assert ("invalid_format", "TaskId", "span 'test'") in found
    # one finding per name: inside semconv's session.* namespace is the most specific reason
    assert ("foreign_namespace", "session.idd", "log 'session.start'") in found
    assert ("not_stable", "system.memory.usage", "metric 'system.memory.usage'") in found
    assert ("deprecated", "state", "metric 'system.memory.usage'") in found


def test_clean_telemetry_exits_zero(tmp_path: Path, cli: RunCli) -> None:
    clean = tmp_path / "clean.jsonl"
    span = {"name": "s", "attributes": [{"key": "app.order.id", "value": {"stringValue": "o"}}]}
    clean.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}) + "\n")
    result = cli("check", clean, "--config", CONFIG)
    assert result.code == 0
    assert "coverage: 1 of 4 registered names seen (25%)" in result.out


def test_unreadable_and_invalid_files(tmp_path: Path, cli: RunCli) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"resourceSpans": []}\n{oops\n')
    result = cli("check", bad, tmp_path / "missing.json", "--config", CONFIG)
    assert f"{bad}:1:1: parse_error line 2: not JSON" in result.out
    assert f"{tmp_path / 'missing.json'}:1:1: unreadable cannot read" in result.out
    assert result.code == 1
    assert cli("check").code == 2


def test_non_object_items_are_skipped_not_a_traceback(tmp_path: Path, cli: RunCli) -> None:
    shapes = {
        "resource.json": '{"resourceSpans":["oops"]}',
        "span.json": '{"resourceSpans":[{"scopeSpans":[{"spans":["oops"]}]}]}',
        "weaver.json": '[{"span":{"span_events":["e"]}}]',
        "deep.json": json.dumps(
            {
                "resourceSpans": [
                    {"scopeSpans": [{"spans": [{"events": [1], "links": [None]}, "x"]}]}
                ],
                "resourceLogs": [{"scopeLogs": ["x", {"logRecords": [3]}]}],
                "resourceMetrics": [
                    {"scopeMetrics": [{"metrics": [[], {"sum": {"dataPoints": [0]}}]}]}
                ],
            }
        ),
        "weaver-more.json": '[{"span":{"span_links":[1]}},{"metric":{"data_points":["p"]}}]',
    }
    for name, text in shapes.items():
        path = tmp_path / name
        path.write_text(text)
        result = cli("check", path, "--config", CONFIG)
        assert result.code == 0, (name, result)
        assert result.out.endswith("0 violation, 0 improvement, 0 information; 0 dynamic names\n")


def test_unexpected_decoding_errors_are_parse_errors(
    tmp_path: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import obskit.lint._check as check

    def broken(text: str, selection: object = None) -> Iterator[object]:
        raise AttributeError("'str' object has no attribute 'get'")
        yield

    monkeypatch.setattr(check, "observations", broken)
    path = tmp_path / "odd.json"
    path.write_text("{}")
    result = cli("check", path, "--config", CONFIG)
    assert result.code == 1
    assert f"{path}:1:1: parse_error unexpected structure: AttributeError:" in result.out


def _spans(service: str, scope: str, attributes: dict[str, str]) -> dict[str, object]:
    return {
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [
            {
                "scope": {"name": scope},
                "spans": [
                    {
                        "name": "s",
                        "attributes": [
                            {"key": k, "value": {"stringValue": v}} for k, v in attributes.items()
                        ],
                    }
                ],
            }
        ],
    }


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Two services; each has obskit's spans and a contrib instrumentation on old names."""
    path = tmp_path / "mixed.jsonl"
    resources = [
        _spans("orders", "obskit", {"messaging.system": "rabbitmq"}),
        _spans("orders", "opentelemetry.instrumentation.pika", {"net.peer.name": "mq"}),
        _spans("billing", "obskit", {"http.method": "GET"}),
        _spans("billing", "opentelemetry.instrumentation.requests", {"http.url": "u"}),
    ]
    path.write_text(json.dumps({"resourceSpans": resources}) + "\n")
    return path


def _codes(result: Run) -> set[tuple[str, str]]:
    return {(f["code"], f["name"]) for f in json.loads(result.out)["findings"]}


def test_check_filters_and_fails_by_scope_and_service(mixed: Path, cli: RunCli) -> None:
    everything = cli("check", mixed, "--format", "json")
    assert everything.code == 1
    assert {n for c, n in _codes(everything) if c == "deprecated"} == {
        "net.peer.name",
        "http.method",
        "http.url",
    }
    # leave the contrib instrumentations out: only obskit's own telemetry is judged
    own = cli("check", mixed, "--format", "json", "--exclude-scope", "opentelemetry.*")
    assert {n for c, n in _codes(own) if c == "deprecated"} == {"http.method"}
    assert own.code == 1
    orders = cli("check", mixed, "--format", "json", "--service", "orders", "--scope", "obskit")
    assert _codes(orders) == {("not_stable", "messaging.system")}
    assert orders.code == 0  # fails by what is left: information only
    billing_out = cli("check", mixed, "--format", "json", "--exclude-service", "billing")
    assert {n for c, n in _codes(billing_out) if c == "deprecated"} == {"net.peer.name"}


def test_check_groups_not_stable_notes(mixed: Path, cli: RunCli) -> None:
    result = cli("check", mixed, "--scope", "obskit")
    lines = result.out.splitlines()
    assert not any(": not_stable " in line for line in lines)  # no line per use
    assert (
        "not stable: 1 registered names are not stable yet (information; --format json lists "
        "each use): messaging.system"
    ) in lines
