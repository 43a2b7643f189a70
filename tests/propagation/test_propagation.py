"""inject/extract over every header shape; extraction never raises."""

from __future__ import annotations

import email.message
import logging
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.context import Context

import obskit
from obskit import _carriers, propagation

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_ID = 0x00F067AA0BA902B7
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _span_context(context: Context) -> trace.SpanContext:
    return trace.get_current_span(context).get_span_context()


@pytest.mark.parametrize(
    "carrier",
    [
        {"traceparent": PARENT},
        {"traceparent": PARENT.encode()},
        {"TraceParent": PARENT},
        [("traceparent", PARENT.encode())],
        [("other", b"x"), ("TRACEPARENT", PARENT.encode())],
        (("traceparent", PARENT),),
        {"traceparent": [PARENT]},
    ],
    ids=["str", "bytes", "mixed-case", "kafka", "kafka-upper", "tuple", "nats-list"],
)
def test_extract_reads_every_header_shape(carrier: object) -> None:
    span_context = _span_context(obskit.extract(carrier))
    assert span_context.trace_id == TRACE_ID
    assert span_context.span_id == SPAN_ID
    assert span_context.is_remote and span_context.trace_flags.sampled


def test_extract_reads_multidict_like_carriers() -> None:
    class Headers:
        def getall(self, key: str) -> list[str]:
            return [PARENT] if key == "traceparent" else []

    assert _span_context(obskit.extract(Headers())).trace_id == TRACE_ID


def test_extract_keeps_tracestate_with_a_valid_parent() -> None:
    ctx = obskit.extract({"traceparent": PARENT, "tracestate": "vendor=abc,other=1"})
    assert dict(_span_context(ctx).trace_state) == {"vendor": "abc", "other": "1"}


@pytest.mark.parametrize(
    ("carrier", "reason"),
    [
        (None, None),
        ({}, None),
        ({"traceparent": b"\xff\xfe\x00"}, "undecodable"),
        ({"traceparent": 42}, "undecodable"),
        ({"traceparent": "garbage"}, "malformed_traceparent"),
        ({"traceparent": PARENT.upper()}, "malformed_traceparent"),
        ({"traceparent": PARENT, "TRACEPARENT": PARENT}, "duplicate_traceparent"),
        (
            [("traceparent", PARENT.encode()), ("traceparent", PARENT.encode())],
            "duplicate_traceparent",
        ),
        (object(), None),
        (12345, None),
    ],
)
def test_bad_input_gives_a_fresh_root_context_and_is_counted(
    carrier: object, reason: str | None
) -> None:
    before = propagation.invalid_header_counts().get(reason or "", 0)
    ctx = obskit.extract(carrier)
    assert not _span_context(ctx).is_valid
    if reason is not None:
        assert propagation.invalid_header_counts()[reason] == before + 1


def test_bad_headers_are_logged_at_debug_at_most_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _carriers._last_report.clear()
    with caplog.at_level(logging.DEBUG, logger="obskit.propagation"):
        for _ in range(50):
            obskit.extract({"traceparent": "nope"})
    records = [r for r in caplog.records if r.name == "obskit.propagation"]
    assert len(records) == 1
    assert records[0].levelno == logging.DEBUG
    assert "malformed_traceparent" in records[0].getMessage()


def test_a_buggy_carrier_never_raises() -> None:
    class Exploding(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

        def get(self, key, default=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    assert not _span_context(obskit.extract(Exploding())).is_valid


@pytest.mark.parametrize(
    ("carrier", "expected"),
    [
        ({"traceparent": "old", "other": "x"}, dict),
        ({"TraceParent": "old"}, dict),
        ([("traceparent", b"old"), ("key", b"v")], list),
    ],
)
def test_inject_replaces_an_existing_traceparent(carrier: object, expected: type) -> None:
    parent = obskit.extract({"traceparent": PARENT})
    obskit.inject(carrier, parent)
    values = propagation.header_values(carrier, "traceparent")
    assert values == [PARENT]
    assert isinstance(carrier, expected)
    if isinstance(carrier, list):
        assert ("traceparent", PARENT.encode()) in carrier  # Kafka headers stay bytes
        assert ("key", b"v") in carrier


def test_inject_keeps_bytes_in_a_bytes_mapping() -> None:
    carrier: dict[str, object] = {"x-id": b"1"}
    obskit.inject(carrier, obskit.extract({"traceparent": PARENT}))
    assert carrier["traceparent"] == PARENT.encode()


def test_inject_without_a_context_writes_nothing() -> None:
    carrier: dict[str, str] = {}
    obskit.inject(carrier, Context())
    assert carrier == {}


def test_baggage_round_trips() -> None:
    ctx = obskit.extract({"traceparent": PARENT, "baggage": "tenant=acme"})
    carrier: dict[str, str] = {}
    obskit.inject(carrier, ctx)
    assert carrier["baggage"] == "tenant=acme"
    assert carrier["traceparent"] == PARENT


header_values = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=80),
    st.binary(max_size=80),
    st.lists(st.text(max_size=60), max_size=3),
)
carriers = st.one_of(
    st.dictionaries(
        st.sampled_from(["traceparent", "TRACEPARENT", "tracestate", "baggage", "x"]),
        header_values,
        max_size=4,
    ),
    st.lists(
        st.tuples(st.sampled_from(["traceparent", "tracestate", "baggage"]), header_values),
        max_size=4,
    ),
    header_values,
)


# CI runs a bounded fuzz; OBSKIT_FUZZ_EXAMPLES=100000 makes it a soak.
@settings(max_examples=int(os.environ.get("OBSKIT_FUZZ_EXAMPLES", "400")), deadline=None)
@given(carriers)
def test_fuzzed_carriers_never_raise_and_never_join_a_bogus_trace(carrier: object) -> None:
    ctx = obskit.extract(carrier)
    span_context = _span_context(ctx)
    if span_context.is_valid:
        values = propagation.header_values(carrier, "traceparent")
        assert len(values) == 1
        assert f"{span_context.trace_id:032x}" in values[0]


@pytest.mark.parametrize(
    ("flags", "forwarded"), [("01", "01"), ("03", "03"), ("02", "02"), ("ff", "03"), ("00", "00")]
)
def test_level_2_random_flag_is_kept_and_unknown_flags_are_not(flags: str, forwarded: str) -> None:
    incoming = f"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-{flags}"
    assert obskit.inject({}, obskit.extract({"traceparent": incoming})) == {
        "traceparent": incoming[:-2] + forwarded
    }


def test_email_message_carriers_get_one_traceparent() -> None:
    carrier = email.message.Message()
    context = obskit.extract({"traceparent": PARENT})
    obskit.inject(carrier, context)
    obskit.inject(carrier, context)
    assert carrier.get_all("traceparent") == [PARENT]
