"""The HTTP duration histograms, created once per meter provider (like ``_providers``)."""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import Histogram

from obskit._providers import _SCOPE, _VERSION
from obskit.http import _names as n

try:
    from opentelemetry.metrics import _internal as _metrics_internal

    _metrics_internal._METER_PROVIDER  # noqa: B018
    _FAST = True
except (ImportError, AttributeError):  # pragma: no cover - depends on the API version
    _FAST = False

#: the HTTP conventions' advisory bucket boundaries for request durations, in seconds
DURATION_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip

_cache: list[Any] = [None, None, None]


def _provider() -> object:
    return _metrics_internal._METER_PROVIDER if _FAST else metrics.get_meter_provider()


def _refresh(provider: object) -> None:
    meter = metrics.get_meter(_SCOPE, _VERSION)
    _cache[:] = [
        provider,
        meter.create_histogram(
            n.METRIC_SERVER_DURATION,
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
        ),
        meter.create_histogram(
            n.METRIC_CLIENT_DURATION,
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
        ),
    ]


def server_duration() -> Histogram:
    """``http.server.request.duration`` of the current global meter provider."""
    provider = _provider()
    if _cache[0] is not provider or _cache[1] is None:
        _refresh(provider)
    histogram: Histogram = _cache[1]
    return histogram


def client_duration() -> Histogram:
    """``http.client.request.duration`` of the current global meter provider."""
    provider = _provider()
    if _cache[0] is not provider or _cache[2] is None:
        _refresh(provider)
    histogram: Histogram = _cache[2]
    return histogram
