"""The pytest plugin isolates tests: each starts unconfigured, configure() takes effect in process.

The two ``test_*_service`` tests are the issue's own example: a suite that configures ``orders``
in one test and ``billing`` in the next sees each service's own ``service.name``.
"""

from __future__ import annotations

import logging

import pytest
from opentelemetry import trace

import obskit
from obskit._state import STATE
from tests.support.otlp_receiver import http_receiver


def _recorded_service_name(telemetry: obskit.Telemetry) -> object:
    @obskit.traced
    def work() -> None: ...

    work()
    assert telemetry.memory is not None
    [span] = telemetry.memory.spans.get_finished_spans()
    return span.resource.attributes["service.name"]


@pytest.mark.parametrize("service", ["orders", "billing"])
def test_each_test_sees_its_own_service(service: str) -> None:
    assert STATE.telemetry is None  # every test starts unconfigured
    telemetry = obskit.configure(service_name=service, exporter="memory")
    assert _recorded_service_name(telemetry) == service
    # code that reads the OpenTelemetry API's globals (contrib, the host) sees the same provider
    assert trace.get_tracer_provider() is telemetry.tracer_provider


def test_a_configured_orders_service() -> None:
    assert _recorded_service_name(obskit.configure("orders", exporter="memory")) == "orders"


def test_a_configured_billing_service() -> None:
    assert _recorded_service_name(obskit.configure("billing", exporter="memory")) == "billing"


def test_reset_returns_to_unconfigured_and_a_new_configuration_records_on_its_own() -> None:
    first = obskit.configure("orders", exporter="memory")
    obskit.reset()
    assert STATE.telemetry is None and STATE.settings.mode == "warn"
    # the API's global still holds the first provider (the API allows no reset) ...
    assert trace.get_tracer_provider() is first.tracer_provider
    second = obskit.configure("billing", exporter="memory", mode="fix")
    # ... yet obskit's own paths record through the new configuration's providers
    assert _recorded_service_name(second) == "billing"
    assert first.memory is not None and first.memory.spans.get_finished_spans() == ()
    assert STATE.settings.mode == "fix"


def test_after_reset_nothing_reaches_the_closed_providers_the_api_still_holds(
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """After ``reset()`` obskit is unconfigured, as in a process that never configured it: the
    API's globals still hold the shut-down providers, and obskit records nothing through them
    (no span, no "dropping span (shutdown)", no "shutdown MeterProvider" warning) while the
    caller's context still passes through."""
    with http_receiver() as (endpoint, _received):
        closed = obskit.configure("orders", exporter="otlp", endpoint=endpoint)
        obskit.reset()
    capfd.readouterr()
    caplog.clear()
    assert trace.get_tracer_provider() is closed.tracer_provider

    @obskit.traced
    def work() -> bool:
        return trace.get_current_span().get_span_context().is_valid

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: object) -> dict[str, str]:
        obskit.get_logger("orders").info("order_received")
        return obskit.inject({})

    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert work() is False  # no span was started
    assert handle({"headers": {"traceparent": incoming}}) == {"traceparent": incoming}
    said = caplog.text + capfd.readouterr().err
    assert "shutdown" not in said.lower(), said
    # a configuration after that records through its own providers again
    assert _recorded_service_name(obskit.configure("billing", exporter="memory")) == "billing"


def test_the_plugin_reset_is_what_each_test_starts_from(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import obskit
        from opentelemetry import trace

        def test_one():
            obskit.configure("orders", exporter="memory")

        def test_two():
            from obskit._state import STATE
            assert STATE.telemetry is None
            assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
            telemetry = obskit.configure("billing", exporter="memory")
            assert telemetry.tracer_provider.resource.attributes["service.name"] == "billing"
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=2)  # the installed plugin


def test_reset_takes_configures_log_handler_off_the_root_logger() -> None:
    from obskit.logging import ObskitHandler

    def installed() -> list[logging.Handler]:
        return [h for h in logging.getLogger().handlers if isinstance(h, ObskitHandler)]

    assert installed() == []
    obskit.configure("orders", exporter="none")
    assert len(installed()) == 1
    obskit.reset()
    assert installed() == []


def test_after_reset_a_log_call_does_not_reach_the_closed_provider(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The API's global still holds the closed provider: it would warn on every record."""
    first = obskit.configure("orders", exporter="memory")
    obskit.reset()
    assert first.memory is not None and first.memory.logs.get_finished_logs() == ()
    with caplog.at_level(logging.DEBUG, logger="opentelemetry"):
        obskit.get_logger("orders").info("order_received")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("opentelemetry")] == []
