"""Tracer and meter lookup, cheap enough for every message.

``trace.get_tracer_provider()`` costs about 0.6 microseconds (it reads the environment each
time); a decorated call with no SDK must cost under one. So obskit reads the provider from the
state (``STATE.tracing``: the API's global until a configuration pins its own) and caches the
tracer and instruments per provider in the state: when the host sets a provider later, or a new
configuration pins another, the next call notices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import Histogram, Meter
from opentelemetry.trace import NoOpTracerProvider, Tracer

from obskit import _semconv_names as sc
from obskit._losses import losses
from obskit._memory import Tally
from obskit._state import STATE

_SCOPE = "obskit"
_VERSION = "0.1.0"

if "OTEL_PYTHON_TRACER_PROVIDER" in os.environ:  # pragma: no cover - env-configured provider
    trace.get_tracer_provider()


def sdk_tracer() -> Tracer | None:
    """The tracer of the provider in use, or None when nothing would record (no SDK set up)."""
    provider = STATE.tracing._TRACER_PROVIDER
    if provider is None:
        return None
    cached = STATE.tracer
    if cached[0] is not provider:
        if isinstance(provider, NoOpTracerProvider):
            return None
        cached = STATE.tracer = (provider, provider.get_tracer(_SCOPE, _VERSION))
    tracer: Tracer = cached[1]
    return tracer


@dataclass(frozen=True)
class Instruments:
    """One meter provider's instruments, and the counts its observable counters report."""

    process_duration: Histogram
    message_age: Histogram
    http_server_duration: Histogram
    http_client_duration: Histogram
    consumed: Tally
    sent: Tally
    settled: Tally


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

#: (field, name, description) of each pre-aggregated message count
_COUNTS = (
    ("consumed", sc.METRIC_CONSUMED_MESSAGES,
     "Number of messages that were delivered to the application."),
    ("sent", sc.METRIC_SENT_MESSAGES,
     "Number of messages producer attempted to send to the broker."),
    ("settled", sc.METRIC_SETTLEMENTS,
     "Messages a settling consumer acknowledged, retried or dead-lettered, by settlement."),
)  # fmt: skip


def instruments() -> Instruments:
    """Metric instruments of the meter provider in use, created once per provider."""
    provider = STATE.metering._METER_PROVIDER
    cached = STATE.instruments
    if cached[0] is not provider or cached[1] is None:
        meter: Meter = (
            metrics.get_meter(_SCOPE, _VERSION)
            if provider is None
            else provider.get_meter(_SCOPE, _VERSION)
        )
        histograms: dict[str, Any] = {
            field: meter.create_histogram(
                name,
                unit="s",
                description=description,
                explicit_bucket_boundaries_advisory=list(buckets),
            )
            for field, name, description, buckets in _HISTOGRAMS
        }
        for field, name, description in _COUNTS:
            tally = histograms[field] = Tally()
            meter.create_observable_counter(
                name, callbacks=[tally.observe], unit="{message}", description=description
            )
        meter.create_observable_counter(
            sc.METRIC_TELEMETRY_DROPPED,
            callbacks=[losses.observe],
            unit="{item}",
            description="Telemetry obskit dropped rather than block or break the host.",
        )
        cached = STATE.instruments = (provider, Instruments(**histograms))
    result: Instruments = cached[1]
    return result
