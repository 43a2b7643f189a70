"""add_trace_context: the current span's W3C ids on each event."""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry import trace

from obskit.logging import add_trace_context, get_logger
from obskit.testing import capture
from tests.logging.conftest import Output


def test_events_inside_a_span_carry_its_ids(out: Output, use_mode: Callable[..., None]) -> None:
    use_mode("off")
    with capture(), trace.get_tracer("t").start_as_current_span("work") as span:
        get_logger().info("inside")
    get_logger().info("outside")
    ctx = span.get_span_context()
    assert out.lines == [
        f'{{"event": "inside", "level": "info", "trace_id": "{ctx.trace_id:032x}", '
        f'"span_id": "{ctx.span_id:016x}", "trace_flags": "{int(ctx.trace_flags):02x}"}}',
        '{"event": "outside", "level": "info"}',
    ]


def test_without_a_span_nothing_is_added() -> None:
    assert add_trace_context(None, "info", {"event": "e"}) == {"event": "e"}


def test_each_span_gets_its_own_ids_as_spans_come_and_go() -> None:
    """The ids are formatted once per span: a new span, a return to an outer one and no span
    at all each get what is current."""
    tracer = trace.get_tracer("t")
    with capture(), tracer.start_as_current_span("outer") as outer:
        first = add_trace_context(None, "info", {})
        with tracer.start_as_current_span("inner") as inner:
            second = add_trace_context(None, "info", {})
        third = add_trace_context(None, "info", {})
    fourth = add_trace_context(None, "info", {})
    outer_id = f"{outer.get_span_context().span_id:016x}"
    inner_id = f"{inner.get_span_context().span_id:016x}"
    assert [first["span_id"], second["span_id"], third["span_id"]] == [outer_id, inner_id, outer_id]
    assert first["trace_id"] == second["trace_id"] == f"{outer.get_span_context().trace_id:032x}"
    assert fourth == {}
