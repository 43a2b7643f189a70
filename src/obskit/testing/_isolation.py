"""Test isolation: every test starts unconfigured, with OpenTelemetry's globals unset.

OpenTelemetry's API sets each global provider once per process and offers no reset; its own test
utilities (``opentelemetry.test.globals_test``) put the module globals back. obskit does the
same here, so a test that calls ``configure(service_name="billing")`` after one that configured
``orders`` gets its own providers, and code that reads the API's globals (contrib
instrumentation, the host's own spans) sees them too.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry._logs import _internal as _logs_internal
from opentelemetry.metrics import _internal as _metrics_internal
from opentelemetry.util._once import Once

from obskit._setup import reset

__all__ = ["reset_for_test", "reset_opentelemetry_globals"]


def reset_opentelemetry_globals() -> None:
    """Unset the API's tracer, meter and logger providers, as OpenTelemetry's test utils do."""
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    _metrics_internal._METER_PROVIDER_SET_ONCE = Once()
    _metrics_internal._METER_PROVIDER = None
    _metrics_internal._PROXY_METER_PROVIDER = _metrics_internal._ProxyMeterProvider()
    _logs_internal._LOGGER_PROVIDER_SET_ONCE = Once()
    _logs_internal._LOGGER_PROVIDER = None
    _logs_internal._PROXY_LOGGER_PROVIDER = _logs_internal.ProxyLoggerProvider()


def reset_for_test(*, opentelemetry: bool = True) -> None:
    """``obskit.reset()``, and (unless told not to) the OpenTelemetry API's globals."""
    reset()
    if opentelemetry:
        reset_opentelemetry_globals()
