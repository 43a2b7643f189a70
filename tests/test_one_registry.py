"""One registry, resolved once per configuration, for every path.

A name that only the configured registry marks sensitive (``shop.customer.pin``: no built-in word
covers it) is redacted in log fields, span attributes set through obskit, captured HTTP headers,
query values and message attributes; ``obskit lint`` and ``obskit check`` read the same file
through the same loader (``conventions.project_registry``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import obskit
from obskit._state import STATE, policy
from obskit.conventions import RulesConfig, project_registry
from obskit.http._http_redaction import header_value, redact_query
from obskit.lint import LintConfig, load_config
from obskit.logging import configure_logging
from obskit.testing import Captured

PIN = "4711-0815"
SHOP_YAML = """\
file_format: definition/2
attributes:
  - key: shop.customer.pin
    type: string
    brief: The customer's PIN.
    stability: development
    annotations:
      obskit:
        sensitive: true
"""


@pytest.fixture
def conventions(tmp_path: Path) -> Path:
    directory = tmp_path / "conventions"
    directory.mkdir()
    (directory / "shop.yaml").write_text(SHOP_YAML)
    return directory


@pytest.fixture
def configured(conventions: Path, telemetry: Captured) -> Iterator[Captured]:
    obskit.configure("shop", exporter="none", conventions=conventions, mode="off")
    yield telemetry


def test_the_registry_is_resolved_once_per_configuration(conventions: Path) -> None:
    obskit.configure("shop", exporter="none", conventions=conventions)
    first = policy()
    assert policy() is first and first.registry.is_sensitive("shop.customer.pin")
    with pytest.warns(RuntimeWarning, match="already called"):
        obskit.configure("shop", exporter="none", conventions=conventions, mode="fix")
    assert policy() is not first and policy().settings.mode == "fix"


def test_lint_check_and_the_runtime_share_the_loader(conventions: Path, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.obskit]\nconventions = ["conventions"]\n')
    obskit.configure("shop", exporter="none", conventions=tmp_path / "pyproject.toml")
    runtime = policy().registry
    linted = load_config(tmp_path / "pyproject.toml").registry()
    direct = LintConfig(rules=RulesConfig(conventions=(conventions,))).registry()
    for registry in (runtime, linted, direct, project_registry(conventions)):
        assert registry.is_sensitive("shop.customer.pin")
    assert set(runtime.attributes) == set(linted.attributes) == set(direct.attributes)


def test_log_fields(configured: Captured) -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, format="json", timestamps=False)
    key = policy().registry.log_key("shop.customer.pin")
    obskit.get_logger("shop").info("paid", **{key: PIN})
    [line] = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert line[key] == "[REDACTED]" and PIN not in stream.getvalue()


def test_span_attributes(configured: Captured) -> None:
    @obskit.traced(name="pay", attributes={"shop.customer.pin": PIN})
    def pay() -> None: ...

    pay()
    assert configured.span("pay").attributes == {"shop.customer.pin": "[REDACTED]"}


def test_message_attributes(configured: Captured) -> None:
    @obskit.traced.consumer(
        "payments", system="rabbitmq", attributes=lambda m: {"shop.customer.pin": m["pin"]}
    )
    def handle(message: dict[str, Any]) -> None: ...

    handle({"headers": {}, "pin": PIN})
    span = configured.span("process payments")
    assert (span.attributes or {})["shop.customer.pin"] == "[REDACTED]"


def test_http_headers_and_query_values(configured: Captured) -> None:
    assert header_value("shop.customer.pin", PIN) == "[REDACTED]"
    assert redact_query(f"shop.customer.pin={PIN}&page=2") == "shop.customer.pin=[REDACTED]&page=2"
    key = policy().registry.log_key("shop.customer.pin")  # the spelling a log field uses
    assert redact_query(f"{key}={PIN}&page=2") == f"{key}=[REDACTED]&page=2"


def test_without_the_registry_the_name_is_not_secret() -> None:
    """The control: the redaction above comes from the configured registry, not a built-in word."""
    assert STATE.telemetry is None
    assert header_value("shop.customer.pin", "1234") == "1234"
    assert redact_query("shop.customer.pin=1234") == "shop.customer.pin=1234"
