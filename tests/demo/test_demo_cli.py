"""``obskit demo`` as a user runs it: a fresh process, exit 0, the summary's exact counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from obskit.demo import CONVENTIONS
from obskit.view import _otlp_json
from tests.conftest import require_broker

SUMMARY = [
    "services:    3 (shop-api, inventory, shipping) over {broker}",
    "traces:      6",
    "spans:       41 (2 with error status)",
    "logs:        21",
    "outcomes:    6 orders: 5 shipped, 1 rejected (business rule)",
    "messages:    1 retried (transient), 1 late, 1 out of order",
    "conventions: 1 finding(s), 1 fixed",
    "  shipping logged 'orderId': near_duplicate, rewritten to 'order_id'",
]


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return subprocess.run(
        [sys.executable, "-m", "obskit.cli", "demo", "--width", "80", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _summary(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    return lines[lines.index("summary") + 1 :]


def test_demo_runs_with_no_set_up_and_reports_exact_counts(tmp_path: Path) -> None:
    export = tmp_path / "shop.jsonl"
    result = _demo("--export", str(export))
    assert result.returncode == 0, result.stderr
    assert "message_failed" not in result.stderr  # logs appear under their spans, not on stderr
    assert "message_failed" in result.stdout
    assert _summary(result.stdout)[: len(SUMMARY)] == [s.format(broker="memory") for s in SUMMARY]
    assert "the most eventful trace" in result.stdout
    assert "ERROR transient" in result.stdout and "retry #2" in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.split("summary")[0].splitlines())
    decoded = _otlp_json.load(export)
    assert decoded.services() == ["inventory", "shipping", "shop-api"]
    assert len(decoded.spans) == 41
    # the export is what `obskit check` reads, and obskit's own telemetry passes it cleanly
    # (with the demo's own conventions, which no default registry holds)
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "obskit.cli",
            "check",
            str(export),
            "--fail-on",
            "improvement",
            "--registry",
            str(CONVENTIONS),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout
    assert "0 violation, 0 improvement" in checked.stdout


@pytest.mark.parametrize(
    ("broker", "client"), [("rabbitmq", "pika"), ("nats", "nats"), ("redis", "redis")]
)
def test_demo_over_a_broker_whose_client_is_missing_names_the_extra(
    broker: str, client: str
) -> None:
    """A fresh ``pip install -e .`` has no broker client: one line names the extra, no traceback."""
    code = (
        f"import sys; sys.modules[{client!r}] = None; from obskit.cli import main; "
        f"raise SystemExit(main(['demo', '--broker', {broker!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"obskit demo --broker {broker}: obskit needs {client!r} for this helper: "
        f"pip install obskit[{broker}]\n"
    )


def test_demo_over_rabbitmq() -> None:
    require_broker("rabbitmq")
    result = _demo("--broker", "rabbitmq")
    assert result.returncode == 0, result.stderr
    assert _summary(result.stdout)[: len(SUMMARY)] == [s.format(broker="rabbitmq") for s in SUMMARY]


def test_demo_over_nats() -> None:
    require_broker("nats")
    result = _demo("--broker", "nats")
    assert result.returncode == 0, result.stderr
    assert _summary(result.stdout)[: len(SUMMARY)] == [s.format(broker="nats") for s in SUMMARY]
    assert "ERROR transient" in result.stdout and "retry #2" in result.stdout


def test_demo_over_redis() -> None:
    require_broker("redis")
    result = _demo("--broker", "redis")
    assert result.returncode == 0, result.stderr
    assert _summary(result.stdout)[: len(SUMMARY)] == [s.format(broker="redis") for s in SUMMARY]
    assert "ERROR transient" in result.stdout and "retry #2" in result.stdout


@pytest.mark.parametrize(
    ("broker", "url"),
    [("nats", "nats://127.0.0.1:1"), ("redis", "redis://127.0.0.1:1/0")],
)
def test_unreachable_broker_exits_1_quickly(broker: str, url: str) -> None:
    result = _demo("--broker", broker, "--broker-url", url)
    assert result.returncode == 1
    assert f"cannot reach {broker}: no " in result.stderr and url in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_broker_is_a_usage_error() -> None:
    result = _demo("--broker", "kafka")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
