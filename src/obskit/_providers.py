"""Tracer and meter lookup through the OpenTelemetry API, cheap enough for every message.

``trace.get_tracer_provider()`` costs about 0.6 microseconds (it reads the environment each
time); a decorated call with no SDK must cost under one. So obskit reads the API's global
directly, and caches the tracer and instruments per provider: when the host sets a provider
later, the next call notices. obskit never creates or keeps a provider of its own here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Histogram, Meter, Observation
from opentelemetry.trace import NoOpTracerProvider, Tracer

from obskit import _semconv_names as sc
from obskit._losses import losses

_SCOPE = "obskit"
_VERSION = "0.1.0"

# Where the API keeps the global providers. Guarded: if a future API release moves them, obskit
# falls back to the public (slower) getters rather than breaking.
try:
    from opentelemetry.metrics import _internal as _metrics_internal

    _trace_module: Any = trace
    _metrics_module: Any = _metrics_internal
    _trace_module._TRACER_PROVIDER  # noqa: B018
    _metrics_module._METER_PROVIDER  # noqa: B018
    _FAST = True
except (ImportError, AttributeError):  # pragma: no cover - depends on the API version
    _FAST = False

if "OTEL_PYTHON_TRACER_PROVIDER" in os.environ:  # pragma: no cover - env-configured provider
    trace.get_tracer_provider()


def _tracer_provider() -> object:
    if _FAST:
        return _trace_module._TRACER_PROVIDER
    provider = trace.get_tracer_provider()
    return None if isinstance(provider, trace.ProxyTracerProvider) else provider


class _PublicGlobals:
    """Stands in for the API module when its globals moved: same attribute, public getter."""

    @property
    def _TRACER_PROVIDER(self) -> object:
        return _tracer_provider()


#: an object whose ``_TRACER_PROVIDER`` is None exactly when no SDK is set up; wrappers read it
#: inline on every call, the cheapest check there is.
API_GLOBALS: Any = _trace_module if _FAST else _PublicGlobals()


_tracer_cache: list[Any] = [None, None]


def sdk_tracer() -> Tracer | None:
    """The tracer of the global provider, or None when nothing would record (no SDK set up)."""
    provider = _tracer_provider()
    if provider is None:
        return None
    if _tracer_cache[0] is not provider:
        if isinstance(provider, NoOpTracerProvider):
            return None
        _tracer_cache[:] = [provider, provider.get_tracer(_SCOPE, _VERSION)]  # type: ignore[attr-defined]
    tracer: Tracer = _tracer_cache[1]
    return tracer


#: the one series every count past a tally's limit goes to (the SDK's own overflow attribute)
OVERFLOW: Final[dict[str, Any]] = {"otel.metric.overflow": True}


class Tally:
    """Message counts pre-aggregated in process, reported through an observable counter.

    ``Counter.add`` costs the SDK about 5 microseconds per call (it hashes the attributes into
    its aggregation table each time); a consumer counts every message, so obskit keeps the
    counts itself, keyed by the (constant, per-decorator) attribute dict, and hands the totals
    to the SDK at collection time. The exported data is the same monotonic sum. Past
    ``limit`` series (the SDK's own default cardinality limit), new ones count in
    :data:`OVERFLOW`: memory stays bounded whatever names the application makes up.
    """

    limit: Final = 2000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str | None], list[Any]] = {}

    def add(
        self, attributes: dict[str, Any], error_type: str | None = None, count: int = 1
    ) -> None:
        key = (id(attributes), error_type)
        with self._lock:
            entry = self._counts.get(key)
            if entry is None and len(self._counts) >= self.limit:
                attributes, error_type, key = OVERFLOW, None, (id(OVERFLOW), None)
                entry = self._counts.get(key)
            if entry is None:
                labels = (
                    attributes if error_type is None else {**attributes, sc.ERROR_TYPE: error_type}
                )
                # keep ``attributes`` alive so its id cannot be reused while it is a key
                entry = self._counts[key] = [0, labels, attributes]
            entry[0] += count

    def observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            return [Observation(count, labels) for count, labels, _ in self._counts.values()]


consumed_tally = Tally()
sent_tally = Tally()
settled_tally = Tally()


@dataclass(frozen=True)
class Instruments:
    process_duration: Histogram
    message_age: Histogram
    http_server_duration: Histogram
    http_client_duration: Histogram


_instrument_cache: list[Any] = [None, None]

# The messaging and HTTP conventions' advisory boundaries for duration histograms, in seconds.
DURATION_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip

# Message age spans milliseconds (healthy) to hours (a stuck queue).
AGE_BUCKETS = (0.001, 0.01, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0, 3600.0)


#: (field, name, description, bucket boundaries) of each histogram, all in seconds
_HISTOGRAMS: tuple[tuple[str, str, str, tuple[float, ...]], ...] = (
    ("process_duration", sc.METRIC_PROCESS_DURATION, "Duration of processing operation.",
     DURATION_BUCKETS),
    ("message_age", sc.OBSKIT_MESSAGE_AGE,
     "Time from the producer sending a message to its processing.", AGE_BUCKETS),
    ("http_server_duration", sc.METRIC_HTTP_SERVER_DURATION, "Duration of HTTP server requests.",
     DURATION_BUCKETS),
    ("http_client_duration", sc.METRIC_HTTP_CLIENT_DURATION, "Duration of HTTP client requests.",
     DURATION_BUCKETS),
)  # fmt: skip

#: (name, tally, description) of each pre-aggregated message count
_COUNTS = (
    (sc.METRIC_CONSUMED_MESSAGES, consumed_tally,
     "Number of messages that were delivered to the application."),
    (sc.METRIC_SENT_MESSAGES, sent_tally,
     "Number of messages producer attempted to send to the broker."),
    (sc.METRIC_SETTLEMENTS, settled_tally,
     "Messages a settling consumer acknowledged, retried or dead-lettered, by settlement."),
)  # fmt: skip


def instruments() -> Instruments:
    """Metric instruments of the current global meter provider, created once per provider."""
    provider = _metrics_module._METER_PROVIDER if _FAST else metrics.get_meter_provider()
    if _instrument_cache[0] is not provider or _instrument_cache[1] is None:
        meter: Meter = metrics.get_meter(_SCOPE, _VERSION)
        histograms = {
            field: meter.create_histogram(
                name,
                unit="s",
                description=description,
                explicit_bucket_boundaries_advisory=list(buckets),
            )
            for field, name, description, buckets in _HISTOGRAMS
        }
        for name, tally, description in _COUNTS:
            meter.create_observable_counter(
                name, callbacks=[tally.observe], unit="{message}", description=description
            )
        meter.create_observable_counter(
            sc.METRIC_TELEMETRY_DROPPED,
            callbacks=[losses.observe],
            unit="{item}",
            description="Telemetry obskit dropped rather than block or break the host.",
        )
        _instrument_cache[:] = [provider, Instruments(**histograms)]
    result: Instruments = _instrument_cache[1]
    return result
