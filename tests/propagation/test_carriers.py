"""Reading and writing headers in each carrier shape, and obskit's Trace Context propagator used
as a plain OpenTelemetry ``TextMapPropagator`` (as ``OTEL_PROPAGATORS`` composites use it)."""

from __future__ import annotations

import email.message
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

import obskit
from obskit import _carriers, propagation
from obskit.propagation import HEADER_GETTER, HEADER_SETTER, TraceContextPropagator, header_values

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
OTHER = "00-11111111111111111111111111111111-2222222222222222-00"


class Frozen(Mapping[Any, Any]):
    """A read-only mapping that is not a dict (multidict proxies, AMQP property views)."""

    def __init__(self, *pairs: tuple[Any, Any]) -> None:
        self._pairs = dict(pairs)

    def __getitem__(self, key: Any) -> Any:
        return self._pairs[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)


@pytest.mark.parametrize(
    ("carrier", "values"),
    [
        ({"traceparent": PARENT}, [PARENT]),
        ({"traceparent": (PARENT, OTHER)}, [PARENT, OTHER]),
        ({"x": "1", "traceparent": PARENT}, [PARENT]),
        ({"x": "1", "TraceParent": [PARENT, OTHER]}, [PARENT, OTHER]),
        ({b"TRACEPARENT": PARENT.encode(), "x": "1"}, [PARENT]),
        ({b"TRACEPARENT": (PARENT.encode(),), "x": "1"}, [PARENT]),
        ({"traceparent": PARENT, "TRACEPARENT": OTHER}, [PARENT, OTHER]),
        (Frozen(("traceparent", PARENT)), [PARENT]),
        (Frozen(("traceparent", [PARENT, OTHER])), [PARENT, OTHER]),
        (Frozen(("Traceparent", PARENT), ("traceparent", OTHER)), [PARENT, OTHER]),
        (Frozen(("TraceParent", (PARENT,)), (b"traceparent", OTHER.encode())), [PARENT, OTHER]),
        (Frozen(("x", "1"), (7, "int key")), []),
        ([("traceparent", PARENT), ["TraceParent", OTHER.encode()]], [PARENT, OTHER]),
        ([("traceparent",), ("traceparent", PARENT, "x"), (b"traceparent", PARENT)], [PARENT]),
        ([(1, PARENT), "traceparent"], []),
        ({"traceparent": bytearray(PARENT.encode())}, [PARENT]),
        ({"x": "1", "traceparent": memoryview(PARENT.encode())}, [PARENT]),
        (None, []),
    ],
)
def test_header_values_in_every_shape(carrier: object, values: list[str]) -> None:
    assert header_values(carrier, "traceparent") == values


@pytest.mark.parametrize("method", ["getall", "get_all", "get_list"])
def test_header_values_through_a_multi_value_getter(method: str) -> None:
    class Headers:
        def lookup(self, key: str) -> list[object] | None:
            if key == "missing":
                raise KeyError(key)
            if key == "wrong":
                raise TypeError(key)
            return [PARENT, OTHER.encode()] if key == "traceparent" else None

    setattr(Headers, method, Headers.lookup)
    assert header_values(Headers(), "traceparent") == [PARENT, OTHER]
    assert header_values(Headers(), "tracestate") == []
    assert header_values(Headers(), "missing") == []
    assert header_values(Headers(), "wrong") == []


def test_undecodable_values_are_skipped_and_counted() -> None:
    before = propagation.invalid_header_counts().get("undecodable", 0)
    carrier = Frozen(("traceparent", [b"\xff", PARENT, 3]))
    assert header_values(carrier, "traceparent") == [PARENT]
    assert propagation.invalid_header_counts()["undecodable"] == before + 2


def test_a_report_is_due_again_after_the_interval(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _carriers._last_report.clear()
    clock = iter([1000.0, 1059.0, 1060.0])
    monkeypatch.setattr(_carriers.time, "monotonic", lambda: next(clock))
    with caplog.at_level("DEBUG", logger="obskit.propagation"):
        for detail in ("a", "b", "c" * 100):
            _carriers.note_invalid("reason_x", detail)
    messages = [r.getMessage() for r in caplog.records if r.name == "obskit.propagation"]
    count = propagation.invalid_header_counts()["reason_x"]
    assert messages == [
        f"ignored invalid trace header (reason_x: a); {count - 2} so far",
        f"ignored invalid trace header (reason_x: {'c' * 64}); {count} so far",
    ]


def test_getter_keys_of_each_shape() -> None:
    class Keyed:
        def keys(self) -> list[object]:
            return ["a", 1]

    assert HEADER_GETTER.keys({"a": 1, b"b": 2}) == ["a", "b"]
    assert HEADER_GETTER.keys([("a", b"1"), (b"b", b"2"), ("c",)]) == ["a", "b"]
    assert HEADER_GETTER.keys(Keyed()) == ["a", "1"]
    assert HEADER_GETTER.keys(object()) == []
    assert HEADER_GETTER.get({"TRACEPARENT": PARENT}, "TraceParent") == [PARENT]
    assert HEADER_GETTER.get({}, "traceparent") is None


def test_setter_replaces_in_each_shape_and_keeps_the_encoding() -> None:
    mapping: dict[Any, Any] = {"TraceParent": "old", b"traceparent": b"old", "x": "1"}
    HEADER_SETTER.set(mapping, "traceparent", "new")
    assert mapping == {"x": "1", "traceparent": b"new"}  # bytes values already there
    text: dict[Any, Any] = {"x": "1"}
    HEADER_SETTER.set(text, "traceparent", "new")
    assert text == {"x": "1", "traceparent": "new"}
    kafka: list[Any] = [("TRACEPARENT", b"old"), ("x", b"1"), (), ["traceparent", b"old"]]
    HEADER_SETTER.set(kafka, "traceparent", "new")
    assert kafka == [("x", b"1"), (), ("traceparent", b"new")]
    message = email.message.Message()
    HEADER_SETTER.set(message, "traceparent", "one")
    HEADER_SETTER.set(message, "traceparent", "two")
    assert message.get_all("traceparent") == ["two"]


def test_setter_assigns_on_a_carrier_that_cannot_delete() -> None:
    class AppendOnly:
        def __init__(self) -> None:
            self.items: list[tuple[str, str]] = []

        def __setitem__(self, key: str, value: str) -> None:
            self.items.append((key, value))

    carrier = AppendOnly()
    HEADER_SETTER.set(carrier, "traceparent", "v")
    assert carrier.items == [("traceparent", "v")]
    with pytest.raises(TypeError, match="cannot write headers into int"):
        HEADER_SETTER.set(7, "traceparent", "v")


def test_the_propagator_as_a_textmap_propagator() -> None:
    propagator = TraceContextPropagator()
    assert propagator.fields == {"traceparent", "tracestate"}
    base = Context()
    context = propagator.extract({"traceparent": PARENT, "tracestate": "k=v"}, base)
    span_context = trace.get_current_span(context).get_span_context()
    assert (span_context.trace_id, span_context.span_id) == (
        0x4BF92F3577B34DA6A3CE929D0E0E4736,
        0x00F067AA0BA902B7,
    )
    assert dict(span_context.trace_state) == {"k": "v"}
    carrier: dict[str, str] = {}
    propagator.inject(carrier, context)
    assert carrier == {"traceparent": PARENT, "tracestate": "k=v"}
    without_state: dict[str, str] = {}
    propagator.inject(without_state, propagator.extract({"traceparent": PARENT}))
    assert without_state == {"traceparent": PARENT}
    assert propagator.extract({"traceparent": "bad"}, base) is base
    assert trace.get_current_span(propagator.extract({})).get_span_context().is_valid is False
    nothing: dict[str, str] = {}
    propagator.inject(nothing, Context())
    assert nothing == {}


def test_the_propagator_survives_a_raising_getter() -> None:
    class Raising:
        def get(self, carrier: object, key: str) -> list[str]:
            raise RuntimeError("boom")

        def keys(self, carrier: object) -> list[str]:
            return []

    before = propagation.invalid_header_counts().get("carrier_error", 0)
    base = Context()
    assert TraceContextPropagator().extract({}, base, getter=Raising()) is base  # type: ignore[arg-type]
    assert propagation.invalid_header_counts()["carrier_error"] == before + 1


@pytest.fixture
def sdk_composite() -> Iterator[None]:
    previous = propagate.get_global_textmap()
    propagate.set_global_textmap(
        CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
    )
    yield
    propagate.set_global_textmap(previous)


def test_the_sdk_default_pair_still_gets_the_strict_parser(sdk_composite: None) -> None:
    # the SDK's parser would accept an upper-case traceparent; obskit's does not
    context = obskit.extract({"traceparent": PARENT.upper()})
    assert not trace.get_current_span(context).get_span_context().is_valid
    context = obskit.extract({"traceparent": PARENT})
    assert obskit.inject({}, context) == {"traceparent": PARENT}


def test_an_extract_failure_keeps_the_given_context() -> None:
    class Exploding(dict[str, str]):
        def items(self) -> Any:
            raise RuntimeError("boom")

    base = Context({"k": "v"})
    assert obskit.extract(Exploding(), base) is base


def test_an_inject_failure_is_counted_and_returns_the_carrier() -> None:
    before = propagation.invalid_header_counts().get("inject_error", 0)
    assert obskit.inject(7, obskit.extract({"traceparent": PARENT})) == 7
    assert propagation.invalid_header_counts()["inject_error"] == before + 1
