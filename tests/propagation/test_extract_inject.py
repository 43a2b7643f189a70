"""extract/inject details: every wanted header in every key spelling, the given context kept,
a custom global propagator honoured in both directions, the pass-through of an incoming
message's context without an SDK, and what the debug record says about bad input."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import baggage, context, propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context

import obskit
from obskit import _carriers, propagation
from obskit._traceparent import parse_traceparent

TRACE_HEX = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_HEX}-00f067aa0ba902b7-01"
BASE = Context({"app.key": "kept"})


def _valid(ctx: Context) -> bool:
    return trace.get_current_span(ctx).get_span_context().is_valid


def _summary(ctx: Context) -> tuple[str, dict[str, str], dict[str, object]]:
    span_context = trace.get_current_span(ctx).get_span_context()
    return (
        f"{span_context.trace_id:032x}" if span_context.is_valid else "",
        dict(span_context.trace_state or {}),
        dict(baggage.get_all(ctx)),
    )


@pytest.mark.parametrize(
    "carrier",
    [
        {"x": "1", b"TraceParent": PARENT.encode(), b"TRACESTATE": b"k=v", b"Baggage": b"a=b"},
        {7: "int keys are skipped", "traceparent": PARENT, "tracestate": ["k=v"], "baggage": "a=b"},
        [("x", b""), ("traceparent", PARENT.encode()), ("tracestate", b"k=v"), ("baggage", b"a=b")],
    ],
    ids=["bytes-keys", "odd-keys", "kafka"],
)  # fmt: skip
def test_every_wanted_header_is_read_in_every_spelling(carrier: object) -> None:
    assert _summary(obskit.extract(carrier)) == (TRACE_HEX, {"k": "v"}, {"a": "b"})


@pytest.mark.parametrize(
    "carrier",
    [
        {"traceparent": PARENT, "tracestate": b"\xff", "baggage": b"\xfe"},
        [("traceparent", PARENT.encode()), ("tracestate", b"\xff"), ("baggage", b"\xfe")],
    ],
)
def test_undecodable_companions_are_counted_and_the_parent_kept(carrier: object) -> None:
    counts = propagation.invalid_header_counts()
    assert _summary(obskit.extract(carrier)) == (TRACE_HEX, {}, {})
    after = propagation.invalid_header_counts()
    assert after["undecodable"] == counts.get("undecodable", 0) + 2
    assert after.get("carrier_error", 0) == counts.get("carrier_error", 0)


def test_an_undecodable_parent_is_counted_not_an_error() -> None:
    counts = propagation.invalid_header_counts()
    assert not _valid(obskit.extract({"traceparent": b"\xff", "x": "1"}))
    after = propagation.invalid_header_counts()
    assert after["undecodable"] == counts.get("undecodable", 0) + 1
    assert after.get("carrier_error", 0) == counts.get("carrier_error", 0)


def test_the_given_context_is_kept() -> None:
    assert obskit.extract({}, BASE) is BASE
    extracted = obskit.extract({"traceparent": PARENT, "baggage": "a=b"}, BASE)
    assert extracted.get("app.key") == "kept"
    assert _summary(extracted) == (TRACE_HEX, {}, {"a": "b"})
    assert obskit.extract({}) == Context()


@pytest.mark.parametrize(
    ("header", "valid"),
    [
        (PARENT, True),
        (f" \t{PARENT}\t ", True),  # optional whitespace around the value
        (f"{PARENT}\n", False),  # a line break is not whitespace the header may carry
        (f"X{PARENT}", False),
        (f"ff{PARENT[2:]}", False),  # version ff is forbidden
        (f"{PARENT}-extra", False),  # version 00 has nothing after the flags
        (f"01{PARENT[2:]}-extra", True),  # a later version may add fields
        (f"01{PARENT[2:]}", True),
        (f"00-{'0' * 32}-00f067aa0ba902b7-01", False),
        (f"00-{TRACE_HEX}-{'0' * 16}-01", False),
        (f"00-{TRACE_HEX.upper()}-00f067aa0ba902b7-01", False),  # lowercase hex only
        (f"00-{TRACE_HEX}-00f067aa0ba902b7-0x", False),
        (f"00-{TRACE_HEX}-00f067aa0ba902b7-+1", False),
        (f"00-{TRACE_HEX[:-1]}_-00f067aa0ba902b7-01", False),
        (f"00-{TRACE_HEX}-00f067aa0ba902b7-ff", True),  # unknown flag bits are dropped
    ],
)
def test_traceparent_versions_and_zero_ids(header: str, valid: bool) -> None:
    parsed = parse_traceparent([header])
    assert (parsed is not None) is valid
    if parsed is not None:
        assert f"{parsed.trace_id:032x}" == TRACE_HEX
        assert parsed.span_id == 0x00F067AA0BA902B7 and parsed.is_remote
        assert int(parsed.trace_flags) in (0x01, 0x03)


def test_the_debug_record_names_the_bad_value(caplog: pytest.LogCaptureFixture) -> None:
    _carriers._last_report.clear()
    with caplog.at_level(logging.DEBUG, logger="obskit.propagation"):
        obskit.extract({"traceparent": "not-a-parent"})
        obskit.extract([("traceparent", b"first-value"), ("traceparent", b"second")])
        obskit.extract(7, BASE)
        obskit.extract({"traceparent": f"00-{TRACE_HEX}-{'0' * 16}-01"})
    messages = [r.getMessage() for r in caplog.records if r.name == "obskit.propagation"]
    assert messages[0].startswith("ignored invalid trace header (malformed_traceparent: not-a-")
    assert messages[1].startswith("ignored invalid trace header (duplicate_traceparent: first-")
    assert len(messages) == 2  # malformed again within the interval: counted, not logged


class Exploding(dict[str, str]):
    def items(self) -> Any:
        raise RuntimeError("boom")


def test_a_carrier_error_is_logged_with_the_exception(caplog: pytest.LogCaptureFixture) -> None:
    _carriers._last_report.clear()
    with caplog.at_level(logging.DEBUG, logger="obskit.propagation"):
        assert obskit.extract(Exploding(), BASE) is BASE
    [record] = [r for r in caplog.records if r.name == "obskit.propagation"]
    assert "carrier_error: RuntimeError('boom')" in record.getMessage()


@pytest.fixture
def baggage_only() -> Iterator[None]:
    previous = propagate.get_global_textmap()
    propagate.set_global_textmap(W3CBaggagePropagator())
    yield
    propagate.set_global_textmap(previous)


def test_a_custom_global_propagator_gets_the_context_and_the_getter(baggage_only: None) -> None:
    extracted = obskit.extract({"Baggage": "a=b", "traceparent": PARENT}, BASE)
    assert extracted.get("app.key") == "kept"
    assert _summary(extracted) == ("", {}, {"a": "b"})
    assert obskit.inject({}, baggage.set_baggage("c", "d")) == {"baggage": "c=d"}
    kafka: list[tuple[str, bytes]] = []
    token = context.attach(baggage.set_baggage("e", "f"))
    try:
        assert obskit.inject(kafka) == [("baggage", b"e=f")]  # obskit's setter, current context
    finally:
        context.detach(token)


def test_inject_writes_baggage_only_when_there_is_some() -> None:
    ctx = obskit.extract({"traceparent": PARENT, "baggage": "a=b"})
    assert obskit.inject([], ctx) == [("traceparent", PARENT.encode()), ("baggage", b"a=b")]
    assert obskit.inject({}, baggage.set_baggage("a", "b")) == {"baggage": "a=b"}
    assert obskit.inject({}, Context()) == {}


def test_an_inject_error_is_logged_with_the_exception(caplog: pytest.LogCaptureFixture) -> None:
    _carriers._last_report.clear()
    with caplog.at_level(logging.DEBUG, logger="obskit.propagation"):
        obskit.inject(7, obskit.extract({"traceparent": PARENT}))
    [record] = [r for r in caplog.records if r.name == "obskit.propagation"]
    assert "inject_error: TypeError('cannot write headers into int')" in record.getMessage()


def test_without_an_sdk_the_incoming_context_passes_through() -> None:
    token = propagation.set_pending_headers({"traceparent": PARENT})
    try:
        assert obskit.inject({}) == {"traceparent": PARENT}
        assert obskit.inject({}, Context()) == {}  # an explicit context wins
    finally:
        propagation.reset_pending_headers(token)
    assert obskit.inject({}) == {}  # reset: nothing pending any more


def test_pending_headers_are_read_lazily_from_the_handler_arguments() -> None:
    calls: list[tuple[Any, Any]] = []

    def read(args: Any, kwargs: Any) -> object:
        calls.append((args, kwargs))
        return args[0]["headers"]

    message = {"headers": {"traceparent": PARENT}}
    token = propagation.set_pending_headers((read, (message,), {"k": 1}))
    try:
        assert calls == []  # nothing parsed until something is sent
        assert obskit.inject({}) == {"traceparent": PARENT}
        assert calls == [((message,), {"k": 1})]
    finally:
        propagation.reset_pending_headers(token)


def test_a_current_span_wins_over_pending_headers() -> None:
    other = "00-11111111111111111111111111111111-2222222222222222-01"
    token = propagation.set_pending_headers({"traceparent": PARENT})
    attached = context.attach(obskit.extract({"traceparent": other, "baggage": "a=b"}))
    try:
        assert obskit.inject({}) == {"traceparent": other, "baggage": "a=b"}
    finally:
        context.detach(attached)
        propagation.reset_pending_headers(token)


SENT_AT = "obskit-sent-at"
INCOMING = [
    {"traceparent": PARENT},
    {"traceparent": PARENT, SENT_AT: "123", "x-other": "1"},
    {"traceparent": PARENT, "tracestate": "k=v", "baggage": "a=b", SENT_AT: b"123"},
    {"Traceparent": PARENT, "traceparent": PARENT},  # two spellings: a duplicate, invalid
    {"traceparent": [PARENT], "OBSKIT-SENT-AT": "123"},
    {b"traceparent": PARENT.encode(), SENT_AT: ["1", "2"]},
    {"traceparent": (PARENT, PARENT)},
    {"traceparent": b"\xff", SENT_AT: b"\xfe"},
    {"traceparent": "not-a-parent", "tracestate": "k=v"},
    {"traceparent": f"01{PARENT[2:]}-later"},
    {"baggage": "a=b"},
    {},
    None,
    7,
    [("traceparent", PARENT.encode()), (SENT_AT, b"123")],
]


@pytest.mark.parametrize("carrier", INCOMING)
def test_the_consumers_one_pass_reads_what_extract_and_header_values_read(carrier: Any) -> None:
    """``extract_incoming`` (the per-message path) agrees with the general functions on every
    carrier: the context, the producer's span context and the further header's values."""
    context, remote, sent = propagation.extract_incoming(carrier, SENT_AT)
    expected = obskit.extract(carrier)
    assert _summary(context) == _summary(expected)
    parent = trace.get_current_span(expected).get_span_context()
    assert remote == (parent if parent.is_valid else None)
    assert sent == propagation.header_values(carrier, SENT_AT)


def test_the_consumers_one_pass_honours_a_custom_global_propagator(baggage_only: None) -> None:
    context, remote, sent = propagation.extract_incoming(
        {"traceparent": PARENT, "Baggage": "a=b", SENT_AT: "5"}, SENT_AT
    )
    assert remote is None  # the global propagator reads baggage only
    assert dict(baggage.get_all(context)) == {"a": "b"}
    assert sent == ["5"]
