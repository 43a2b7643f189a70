"""@traced on every kind of callable: the span, its name, attributes, and its lifetime."""

from __future__ import annotations

import asyncio
import inspect
import logging
import types
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

import obskit
from obskit.conventions import BUILTIN_CONVENTIONS, load_registry
from obskit.errors import BusinessRuleViolation
from obskit.testing import Captured, assert_parent
from tests.support.registries import DEMO_CONVENTIONS


@obskit.traced
def add(a: int, b: int) -> int:
    return a + b


@obskit.traced(name="pricing.quote", attributes={"app.currency": "EUR"})
def quote(order: str) -> str:
    return order


@obskit.traced(attributes=lambda order, qty: {"app.quantity": qty})
def reserve(order: str, qty: int) -> int:
    return qty


class Service:
    @obskit.traced
    def method(self, x: int) -> int:
        return x * 2

    @obskit.traced
    @staticmethod
    def static(x: int) -> int:
        return x + 1

    @obskit.traced
    @classmethod
    def klass(cls, x: int) -> str:
        return f"{cls.__name__}:{x}"


def test_bare_decorator_names_the_span_after_the_function(telemetry: Captured) -> None:
    assert add(1, 2) == 3
    span = telemetry.span("add")
    assert span.kind == SpanKind.INTERNAL
    assert span.status.status_code == StatusCode.UNSET


def test_name_and_attributes(telemetry: Captured) -> None:
    quote("o-1")
    reserve("o-1", 5)
    assert dict(telemetry.span("pricing.quote").attributes or {}) == {"app.currency": "EUR"}
    assert dict(telemetry.span("reserve").attributes or {}) == {"app.quantity": 5}


def test_methods_staticmethods_and_classmethods(telemetry: Captured) -> None:
    service = Service()
    assert service.method(2) == 4
    assert Service.static(2) == 3
    assert service.static(3) == 4
    assert Service.klass(1) == "Service:1"
    assert service.klass(2) == "Service:2"
    names = [s.name for s in telemetry.spans]
    assert names == [
        "Service.method",
        "Service.static",
        "Service.static",
        "Service.klass",
        "Service.klass",
    ]


async def test_async_functions(telemetry: Captured) -> None:
    @obskit.traced
    async def outer() -> str:
        await asyncio.sleep(0)
        return await inner()

    @obskit.traced
    async def inner() -> str:
        return "done"

    assert asyncio.iscoroutinefunction(outer)
    assert await outer() == "done"
    tree = telemetry.trace(telemetry.span("test_async_functions.<locals>.outer"))
    assert_parent(
        telemetry.span("test_async_functions.<locals>.outer"),
        telemetry.span("test_async_functions.<locals>.inner"),
    )
    assert len(tree.spans) == 2


def test_a_generator_span_lasts_until_exhausted(telemetry: Captured) -> None:
    @obskit.traced
    def numbers():  # type: ignore[no-untyped-def]
        for i in range(3):
            yield trace.get_current_span().get_span_context().span_id, i

    gen = numbers()
    first = next(gen)
    assert telemetry.spans == ()  # still open after the first yield
    assert trace.get_current_span().get_span_context().is_valid is False  # nothing leaked
    rest = list(gen)
    span = telemetry.span("test_a_generator_span_lasts_until_exhausted.<locals>.numbers")
    assert {first[0], *(r[0] for r in rest)} == {span.context.span_id}
    assert [first[1], *(r[1] for r in rest)] == [0, 1, 2]


def test_a_closed_generator_ends_its_span_without_detach_errors(
    telemetry: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    @obskit.traced
    def endless():  # type: ignore[no-untyped-def]
        while True:
            yield 1

    with caplog.at_level(logging.ERROR):
        gen = endless()
        next(gen)
        gen.close()
        abandoned = endless()
        next(abandoned)
        del abandoned
    assert (
        len(
            telemetry.find_spans(
                "test_a_closed_generator_ends_its_span_without_detach_errors.<locals>.endless"
            )
        )
        == 2
    )
    assert not [r for r in caplog.records if "detach" in r.getMessage().lower()]


def test_generator_send_and_throw(telemetry: Captured) -> None:
    @obskit.traced
    def echo():  # type: ignore[no-untyped-def]
        received = yield "ready"
        while True:
            try:
                received = yield received * 2
            except KeyError:
                received = -1

    gen = echo()
    assert next(gen) == "ready"
    assert gen.send(4) == 8
    assert gen.throw(KeyError("k")) == -2
    gen.close()
    assert len(telemetry.spans) == 1


async def test_async_generators(telemetry: Captured) -> None:
    @obskit.traced
    async def ticks():  # type: ignore[no-untyped-def]
        for i in range(2):
            await asyncio.sleep(0)
            yield i

    assert [i async for i in ticks()] == [0, 1]
    assert len(telemetry.spans) == 1
    assert telemetry.spans[0].end_time is not None


def test_exceptions_are_classified_and_reraised(telemetry: Captured) -> None:
    @obskit.traced
    def fails() -> None:
        raise ValueError("bad")

    @obskit.traced
    def refuses() -> None:
        raise BusinessRuleViolation("stock would go negative")

    with pytest.raises(ValueError):
        fails()
    with pytest.raises(BusinessRuleViolation):
        refuses()  # plain functions always re-raise: only consumers swallow business outcomes
    failed = telemetry.span("test_exceptions_are_classified_and_reraised.<locals>.fails")
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.attributes["error.type"] == "ValueError"
    assert failed.attributes["obskit.error.kind"] == "unexpected"
    assert [e.name for e in failed.events] == ["exception"]
    refused = telemetry.span("test_exceptions_are_classified_and_reraised.<locals>.refuses")
    assert refused.status.status_code == StatusCode.UNSET
    assert refused.attributes["obskit.error.kind"] == "business"
    assert refused.attributes["error.type"] == "obskit.errors.BusinessRuleViolation"


def test_record_exception_false_keeps_events_empty(telemetry: Captured) -> None:
    @obskit.traced(record_exception=False)
    def fails() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        fails()
    assert telemetry.spans[0].events == ()


def test_a_raising_attributes_callable_never_breaks_the_call(telemetry: Captured) -> None:
    @obskit.traced(attributes=lambda x: {"app.value": 1 / x})
    def invert(x: int) -> int:
        return x

    assert invert(0) == 0
    assert dict(telemetry.spans[0].attributes or {}) == {}


def test_sensitive_attribute_values_never_reach_a_span(telemetry: Captured) -> None:
    # the demo's conventions mark app.customer.email sensitive (no default registry has it)
    obskit.configure(
        conventions=load_registry(BUILTIN_CONVENTIONS, DEMO_CONVENTIONS), exporter="none"
    )
    given = {"app.customer.email": "ada@example.com", "password": "hunter2", "app.sku": "MUG"}

    @obskit.traced(attributes=given)
    def checkout() -> None: ...

    @obskit.traced.consumer("orders", system="rabbitmq", attributes=lambda m: {"token": m["t"]})
    def handle(message: dict[str, str]) -> None: ...

    checkout()
    handle({"headers": {}, "t": "secret-token"})
    assert dict(
        telemetry.span(
            "test_sensitive_attribute_values_never_reach_a_span.<locals>.checkout"
        ).attributes
        or {}
    ) == {
        "app.customer.email": "[REDACTED]",
        "password": "[REDACTED]",
        "app.sku": "MUG",
    }
    assert telemetry.span("process orders").attributes["token"] == "[REDACTED]"
    assert given["password"] == "hunter2"  # the caller's dict is untouched


async def test_async_generators_receive_asend_and_athrow(telemetry: Captured) -> None:
    @obskit.traced
    async def accumulate():  # type: ignore[no-untyped-def]
        total = 0
        while True:
            try:
                total += yield total
            except ValueError:
                total = -1

    gen = accumulate()
    assert await gen.asend(None) == 0
    assert await gen.asend(5) == 5
    assert await gen.athrow(ValueError("reset")) == -1
    await gen.aclose()
    assert len(telemetry.spans) == 1


def _module_level(message: dict[str, object]) -> object:
    return message["id"]


async def _module_level_async(message: dict[str, object]) -> object:
    return message["id"]


def _module_level_generator(message: dict[str, object]) -> Iterator[object]:
    yield message["id"]


class _Handlers:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(self, message: dict[str, object]) -> object:
        return (self, message["id"])


def test_a_function_nothing_binds_gets_a_plain_closure_of_its_own_kind(
    telemetry: Captured,
) -> None:
    """No wrapt proxy (about 0.5 µs a call) where no class can bind the function; frameworks
    that inspect the handler still see a coroutine or generator function."""
    consumer = obskit.traced.consumer("orders", system="rabbitmq")
    plain = consumer(_module_level)
    coroutine = consumer(_module_level_async)
    generator = consumer(_module_level_generator)
    assert [type(f) for f in (plain, coroutine, generator)] == [types.FunctionType] * 3
    assert inspect.iscoroutinefunction(coroutine) and inspect.isgeneratorfunction(generator)
    assert inspect.unwrap(plain) is _module_level and plain.__name__ == "_module_level"
    assert type(vars(_Handlers)["handle"]) is not types.FunctionType  # a class binds it: wrapt
    handlers = _Handlers()
    assert plain({"id": "m-1", "headers": {}}) == "m-1"
    assert asyncio.run(coroutine({"id": "m-2", "headers": {}})) == "m-2"
    assert list(generator({"id": "m-3", "headers": {}})) == ["m-3"]
    assert handlers.handle({"id": "m-4", "headers": {}}) == (handlers, "m-4")
    ids = sorted(str((s.attributes or {})["messaging.message.id"]) for s in telemetry.spans)
    assert ids == ["m-1", "m-2", "m-3", "m-4"]


@pytest.mark.parametrize(
    ("opt_in", "as_event", "as_log"),
    [
        (None, True, False),
        ("logs", False, True),
        ("logs/dup", True, True),
        ("http,logs", False, True),
    ],
)
def test_exceptions_as_span_events_or_log_records(
    telemetry: Captured,
    monkeypatch: pytest.MonkeyPatch,
    opt_in: str | None,
    as_event: bool,
    as_log: bool,
) -> None:
    """OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN (semantic conventions 1.40): ``logs`` sends an
    exception as a log record instead of a span event, ``logs/dup`` as both."""
    if opt_in is None:
        monkeypatch.delenv("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", raising=False)
    else:
        monkeypatch.setenv("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", opt_in)

    @obskit.traced
    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        fail()
    span = telemetry.span("test_exceptions_as_span_events_or_log_records.<locals>.fail")
    events = [e for e in span.events if e.name == "exception"]
    records = [r.log_record for r in telemetry.logs if r.log_record.event_name == "exception"]
    assert (len(events), len(records)) == (int(as_event), int(as_log))
    for record in records:
        assert (record.trace_id, record.span_id) == (
            span.context.trace_id,
            span.context.span_id,
        )
        attributes = dict(record.attributes or {})
        assert attributes["exception.type"] == "ValueError"
        assert attributes["exception.message"] == "boom"
        assert "Traceback" in str(attributes["exception.stacktrace"])
    assert span.attributes is not None and span.attributes["error.type"] == "ValueError"
    assert "error.message" not in span.attributes  # not used (semantic conventions 1.40)
