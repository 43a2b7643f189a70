"""User hooks and bad configuration: a raising sampler, adapter, ``attributes=`` callable or
hook never stops the handler (it runs, with one warning); wrong types are refused where they
are given; strict mode raises only in the user's own calls."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from opentelemetry.sdk.trace.sampling import Sampler, SamplingResult

import obskit
from obskit._state import STATE, Settings, update_settings
from obskit.errors import ErrorPolicy
from obskit.logging import ConventionError, configure_logging, install_stdlib_handler
from obskit.testing import Captured


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


class _BrokenSampler(Sampler):
    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        raise RuntimeError("sampler bug")

    def get_description(self) -> str:
        return "broken"


def test_a_raising_sampler_never_stops_the_handler(caplog: pytest.LogCaptureFixture) -> None:
    obskit.configure("svc", exporter="memory", sampler=_BrokenSampler())
    ran: list[int] = []

    @obskit.traced
    def work(n: int) -> int:
        ran.append(n)
        return n

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, Any]) -> None:
        ran.append(message["n"])

    results = [work(1), work(2), handle({"headers": {}, "n": 3}), handle({"n": 4})]
    assert (ran, results) == ([1, 2, 3, 4], [1, 2, None, None])
    warnings = [w for w in _warnings(caplog) if "setting up its span raised" in w]
    print(f"\nraising sampler: 4 calls ran, {len(warnings)} warnings (one per function)")
    assert len(warnings) == 2


@pytest.mark.parametrize(
    "hook",
    ["headers", "attributes", "destination", "sequence"],
)
def test_a_raising_hook_never_stops_the_handler(
    hook: str, telemetry: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{hook} bug")

    ran: list[int] = []
    options: dict[str, Any] = {hook: broken}
    destination = options.pop("destination", "orders")

    @obskit.traced.consumer(destination, system="rabbitmq", **options)
    def handle(message: dict[str, Any]) -> None:
        ran.append(message["n"])

    for n in range(3):
        handle({"headers": {}, "n": n})
    assert ran == [0, 1, 2]
    assert len(telemetry.spans) == 3
    warned = _warnings(caplog)
    print(f"\nraising {hook}=: 3 messages handled, {len(warned)} warning(s)")
    assert len(warned) == 1


def test_a_wrong_typed_adapter_result_never_stops_the_handler(
    telemetry: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[int] = []

    @obskit.traced.consumer("orders", system="rabbitmq", headers=lambda message: 42)
    def handle(message: dict[str, Any]) -> None:
        ran.append(message["n"])

    for n in range(3):
        handle({"n": n})
    assert ran == [0, 1, 2]
    assert len(telemetry.spans) == 3
    assert len(_warnings(caplog)) <= 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"service_name": 3},
        {"environment": ["prod"]},
        {"errors": "business"},
        {"sampler": "always_on"},
        {"resource_attributes": {1: "x"}},
        {"redact_patterns": [3]},
        {"baggage_hosts": [b"api.example.com"]},
    ],
)
def test_configure_refuses_wrong_types_before_setting_anything_up(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        obskit.configure(exporter="none", **kwargs)
    assert STATE.telemetry is None


def test_attributes_with_non_string_keys_are_refused_at_decoration() -> None:
    with pytest.raises(TypeError, match="strings"):
        obskit.traced(attributes={1: "x"})(lambda: None)  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="strings"):
        obskit.traced.consumer("q", system="rabbitmq", attributes={b"k": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="strings"):
        obskit.traced.producer("q", system="rabbitmq", attributes={("a",): 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="dict or a callable"):
        obskit.traced(attributes=["app.x"])(lambda: None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="strings"):  # noqa: SIM117 - the error is at entry
        with obskit.publishing("q", system="rabbitmq", attributes={2: "x"}):  # type: ignore[dict-item]
            pass


@pytest.mark.parametrize("given", [["ValueError"], "ValueError", ValueError, [ValueError, 3]])
def test_error_policy_takes_exception_classes_only(given: Any) -> None:
    with pytest.raises(TypeError, match="exception classes"):
        ErrorPolicy.extend(business=given)
    with pytest.raises(TypeError, match="exception classes"):
        ErrorPolicy(transient=given)


def test_strict_mode_raises_in_own_calls_never_on_a_library_record() -> None:
    update_settings(Settings(mode="strict"))
    stream = io.StringIO()
    configure_logging(stream=stream, format="json", timestamps=False)
    handler = install_stdlib_handler()
    try:
        logging.getLogger("somelib").warning("retrying", extra={"orderId": "o-1"})
        with pytest.raises(ConventionError):
            obskit.get_logger("mine").info("placed", orderId="o-1")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert any('"retrying"' in line and '"orderId": "o-1"' in line for line in lines)
