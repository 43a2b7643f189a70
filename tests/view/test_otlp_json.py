"""OTLP/JSON: hex ids, int64 as strings, one resource per service, and decoding back."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from opentelemetry import _logs, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from obskit.testing import Captured
from obskit.view import _otlp_json


def _spans(telemetry: Captured) -> None:
    tracer = trace.get_tracer("tests.otlp")
    with tracer.start_as_current_span(
        "parent", kind=SpanKind.SERVER, attributes={"service.name": "api", "n": 3}
    ) as parent:
        parent.add_event("checked", {"ok": True})
        _logs.get_logger("tests.otlp").emit(
            _logs.LogRecord(body="inside", attributes={"service.name": "api", "order_id": "o-1"})
        )
        with tracer.start_as_current_span(
            "child",
            kind=SpanKind.CONSUMER,
            attributes={"service.name": "worker", "ratio": 0.5, "tags": ["a", "b"]},
            links=[trace.Link(parent.get_span_context())],
        ) as child:
            child.set_status(Status(StatusCode.ERROR, "boom"))


def test_span_ids_are_hex_and_ints_are_strings(telemetry: Captured) -> None:
    _spans(telemetry)
    document = _otlp_json.encode_spans(telemetry.spans)
    spans = [
        span
        for block in document["resourceSpans"]
        for scope in block["scopeSpans"]
        for span in scope["spans"]
    ]
    child = next(s for s in spans if s["name"] == "child")
    parent = next(s for s in spans if s["name"] == "parent")
    assert child["traceId"] == f"{telemetry.spans[0].context.trace_id:032x}"
    assert len(child["spanId"]) == 16 and int(child["spanId"], 16)
    assert child["parentSpanId"] == parent["spanId"]
    assert child["links"][0]["spanId"] == parent["spanId"]
    assert child["kind"] == 5 and parent["kind"] == 2
    assert child["status"] == {"code": 2, "message": "boom"}
    assert isinstance(parent["startTimeUnixNano"], str)
    assert {"key": "n", "value": {"intValue": "3"}} in parent["attributes"]
    assert parent["events"][0]["name"] == "checked"


def test_service_attribute_becomes_a_resource_per_service(telemetry: Captured) -> None:
    _spans(telemetry)
    document = _otlp_json.encode_spans(telemetry.spans)
    services = {}
    for block in document["resourceSpans"]:
        resource = {a["key"]: a["value"] for a in block["resource"]["attributes"]}
        names = [s["name"] for scope in block["scopeSpans"] for s in scope["spans"]]
        services[resource["service.name"]["stringValue"]] = names
        for scope in block["scopeSpans"]:
            for span in scope["spans"]:
                assert "service.name" not in {a["key"] for a in span.get("attributes", [])}
    assert services == {"api": ["parent"], "worker": ["child"]}


def test_logs_carry_hex_trace_context(telemetry: Captured) -> None:
    _spans(telemetry)
    document = _otlp_json.encode_logs(telemetry.logs)
    (block,) = document["resourceLogs"]
    record = block["scopeLogs"][0]["logRecords"][0]
    parent = telemetry.span("parent")
    assert record["spanId"] == f"{parent.context.span_id:016x}"
    assert record["traceId"] == f"{parent.context.trace_id:032x}"


def test_round_trip_through_a_file(telemetry: Captured, tmp_path: Path) -> None:
    _spans(telemetry)
    path = tmp_path / "telemetry.jsonl"
    _otlp_json.write(path, spans=telemetry.spans, logs=telemetry.logs)
    assert len(path.read_text().splitlines()) == 2  # one document per line, like the Collector
    decoded = _otlp_json.load(path)
    child = next(s for s in decoded.spans if s.name == "child")
    parent = next(s for s in decoded.spans if s.name == "parent")
    assert (child.service, parent.service) == ("worker", "api")
    assert child.parent_span_id == parent.span_id
    assert child.kind_name == "CONSUMER" and child.is_error and child.status_message == "boom"
    assert child.attributes == {"ratio": 0.5, "tags": ["a", "b"]}
    assert parent.attributes == {"n": 3}
    assert parent.events[0].attributes == {"ok": True}
    assert child.links[0].span_id == parent.span_id
    assert decoded.trace_ids() == [parent.trace_id]
    (log,) = decoded.logs_for(parent.span_id)
    assert log.body == "inside" and log.service == "api"
    assert log.attributes == {"order_id": "o-1"}


def test_reads_a_pretty_document_with_base64_ids() -> None:
    trace_id, span_id = bytes(range(16)), bytes(range(8))
    document = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "x"},
                        "spans": [
                            {
                                "traceId": base64.b64encode(trace_id).decode(),
                                "spanId": base64.b64encode(span_id).decode(),
                                "name": "work",
                                "kind": 1,
                                "startTimeUnixNano": "1000",
                                "endTimeUnixNano": "3000",
                            }
                        ],
                    }
                ],
            }
        ]
    }
    decoded = _otlp_json.loads(json.dumps(document, indent=2))
    (span,) = decoded.spans
    assert span.trace_id == trace_id.hex() and span.span_id == span_id.hex()
    assert span.service == "svc" and span.duration_nano == 2000 and span.scope == "x"


def test_bad_lines_are_reported_with_their_number() -> None:
    try:
        _otlp_json.loads('{"resourceSpans": []}\nnot json\n')
    except ValueError as exc:
        assert "line 2" in str(exc)
    else:
        raise AssertionError("expected a ValueError")


def test_protobuf_enum_names_are_read_too() -> None:
    document = {
        "resourceSpans": [{"scopeSpans": [{"spans": [{
            "traceId": "a" * 32, "spanId": "b" * 16, "name": "GET",
            "kind": "SPAN_KIND_SERVER", "status": {"code": "STATUS_CODE_ERROR"},
        }]}]}]
    }  # fmt: skip
    (span,) = _otlp_json.decode([document]).spans
    assert (span.kind_name, span.status_name, span.is_error) == ("SERVER", "ERROR", True)
