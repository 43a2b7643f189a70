"""``run_demo()`` in-process: each seeded problem shows up on the spans as obskit promises."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from obskit.demo import DemoSummary, run_demo
from obskit.view import _otlp_json


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSummary]:
    yield run_demo(export=tmp_path_factory.mktemp("demo") / "telemetry.jsonl")


def _consumers(summary: DemoSummary, destination: str, order_id: str) -> list[ReadableSpan]:
    return [
        s
        for s in summary.span_data
        if s.kind is SpanKind.CONSUMER
        and (s.attributes or {}).get("messaging.destination.name") == destination
        and (s.attributes or {}).get("app.order.id") == order_id
    ]


def test_counts(summary: DemoSummary) -> None:
    assert summary.services == ("shop-api", "inventory", "shipping")
    assert (summary.traces, summary.orders, summary.spans, summary.logs) == (6, 6, 41, 21)
    assert (summary.shipped, summary.rejected, summary.retried) == (5, 1, 1)
    assert (summary.late, summary.out_of_order, summary.errors) == (1, 1, 2)


def test_every_span_names_its_service(summary: DemoSummary) -> None:
    by_kind = {(s.kind, (s.attributes or {}).get("service.name")) for s in summary.span_data}
    assert (SpanKind.SERVER, "shop-api") in by_kind
    assert (SpanKind.CONSUMER, "inventory") in by_kind
    assert (SpanKind.CONSUMER, "shipping") in by_kind
    assert all((s.attributes or {}).get("service.name") for s in summary.span_data)


def test_api_requests_are_server_spans_of_obskits_middleware(summary: DemoSummary) -> None:
    servers = [s for s in summary.span_data if s.kind is SpanKind.SERVER]
    assert len(servers) == 6
    for span in servers:
        attributes = span.attributes or {}
        assert span.name == "POST /orders"
        assert attributes["http.request.method"] == "POST"
        assert attributes["http.route"] == "/orders"
        assert attributes["http.response.status_code"] == 202


def test_business_outcome_is_not_an_error_and_not_retried(summary: DemoSummary) -> None:
    (span,) = _consumers(summary, "orders", "ord-1002")
    attributes = span.attributes or {}
    assert attributes["obskit.outcome"] == "business"
    assert attributes["error.type"] == "obskit.errors.BusinessRuleViolation"
    assert span.status.status_code is not StatusCode.ERROR
    assert _consumers(summary, "shipping", "ord-1002") == []  # nothing shipped, no retry
    warnings = [r for r in summary.log_data if r.log_record.body == "stock_insufficient"]
    assert [r.log_record.severity_text for r in warnings] == ["WARNING"]


def test_transient_failure_succeeds_on_attempt_two(summary: DemoSummary) -> None:
    first, second = sorted(
        _consumers(summary, "shipping", "ord-1003"), key=lambda s: s.start_time or 0
    )
    assert first.status.status_code is StatusCode.ERROR
    assert (first.attributes or {})["obskit.error.kind"] == "transient"
    assert (second.attributes or {})["obskit.message.attempt"] == 2
    assert (second.attributes or {})["obskit.message.redelivered"] is True
    assert second.status.status_code is not StatusCode.ERROR
    assert [e.name for e in second.events] == ["obskit.message.redelivered"]


def test_late_message_is_flagged_with_its_age(summary: DemoSummary) -> None:
    (span,) = _consumers(summary, "orders", "ord-1004")
    assert 90 < float((span.attributes or {})["obskit.message.age"]) < 120  # type: ignore[arg-type]
    others = _consumers(summary, "orders", "ord-1001")
    assert float((others[0].attributes or {})["obskit.message.age"]) < 5  # type: ignore[arg-type]


def test_out_of_order_message_is_flagged(summary: DemoSummary) -> None:
    (late,) = _consumers(summary, "orders", "ord-1005")
    (early,) = _consumers(summary, "orders", "ord-1006")
    assert (late.attributes or {})["obskit.message.out_of_order"] is True
    assert "obskit.message.out_of_order" not in (early.attributes or {})
    assert (early.start_time or 0) < (late.start_time or 0)


def test_convention_finding_is_reported_once_and_fixed(summary: DemoSummary) -> None:
    (finding,) = summary.findings
    assert (finding.service, finding.key, finding.fixed_to) == ("shipping", "orderId", "order_id")
    prepared = [r for r in summary.log_data if r.log_record.body == "parcel_prepared"]
    assert len(prepared) == 5
    for record in prepared:
        attributes = record.log_record.attributes or {}
        # fixed to the log key, then exported under the canonical attribute name
        assert "orderId" not in attributes and attributes["app.order.id"].startswith("ord-")
    # reported as any service reports it: one warning record, beside the event that caused it
    (warning,) = [r for r in summary.log_data if r.log_record.body == "obskit.convention.finding"]
    assert warning.log_record.span_id in {r.log_record.span_id for r in prepared}
    assert (warning.log_record.attributes or {})["service.name"] == "shipping"


def test_the_shop_logs_through_obskits_public_logger(summary: DemoSummary) -> None:
    scopes = {r.instrumentation_scope.name for r in summary.log_data if r.instrumentation_scope}
    assert scopes == {"obskit.demo", "obskit.messaging", "obskit"}
    (refused,) = [r for r in summary.log_data if r.log_record.body == "stock_insufficient"]
    assert refused.log_record.severity_text == "WARNING"


def test_logs_belong_to_the_span_that_wrote_them(summary: DemoSummary) -> None:
    (span,) = [
        s
        for s in summary.span_data
        if s.name == "reserve stock" and (s.attributes or {}).get("obskit.outcome") == "business"
    ]
    (record,) = [r for r in summary.log_data if r.log_record.body == "stock_insufficient"]
    assert record.log_record.span_id == span.context.span_id


def test_export_file_decodes_to_the_same_telemetry(summary: DemoSummary) -> None:
    assert summary.export_file is not None
    decoded = _otlp_json.load(Path(summary.export_file))
    assert len(decoded.spans) == summary.spans and len(decoded.logs) == summary.logs
    assert decoded.services() == ["inventory", "shipping", "shop-api"]
    assert len(decoded.trace_ids()) == 6
    assert {m.name for m in decoded.metrics} >= {"messaging.process.duration"}
    assert summary.interesting_trace_id in decoded.trace_ids()
