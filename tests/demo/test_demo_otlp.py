"""``obskit demo --exporter otlp``: spans reach a collector as one resource per service."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections import Counter

from tests.support.otlp_receiver import http_receiver


def test_otlp_export_groups_spans_by_service() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    with http_receiver() as (endpoint, received):
        result = subprocess.run(
            [sys.executable, "-m", "obskit.cli", "demo", "--exporter", "otlp",
             "--endpoint", endpoint],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        spans_by_service = Counter(resource["service.name"] for resource, _ in received.spans())
        assert set(spans_by_service) == {"shop-api", "inventory", "shipping"}
        assert sum(spans_by_service.values()) == 41
        # 18 from the shop, 2 consumer outcome lines, 1 convention finding
        assert len(received.log_records()) == 21
        assert "messaging.process.duration" in received.metric_names()


def test_an_unreachable_collector_is_reported_not_passed_over_in_silence() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_EXPORTER_OTLP_TIMEOUT"] = "1"  # the exporters' retries give up after a second
    result = subprocess.run(
        [sys.executable, "-m", "obskit.cli", "demo", "--exporter", "otlp", "--endpoint", endpoint],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 1
    assert "outcomes:    6 orders: 5 shipped, 1 rejected (business rule)" in result.stdout
    expected = f"obskit demo: the collector at {endpoint} did not accept the telemetry\n"
    assert result.stderr == expected
