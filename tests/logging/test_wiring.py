"""get_logger and configure() in any order, JSON or console, and a host's own structlog."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
import structlog

import obskit
from obskit.conventions import Registry
from obskit.demo import CONVENTIONS
from obskit.logging import (
    ConventionValidator,
    OTelLogBridge,
    Redactor,
    configure_logging,
    get_logger,
    install_stdlib_handler,
    processors,
)
from tests.logging.conftest import Output


def test_a_logger_created_before_configure_follows_it() -> None:
    log = obskit.get_logger("early")  # before configure()
    buf = io.StringIO()
    configure_logging(stream=buf, timestamps=False)
    obskit.configure(
        service_name="s",
        exporter="none",
        environment="production",
        mode="fix",
        conventions=CONVENTIONS,
    )
    log.info("order_received", orderId="o-1")
    logging.getLogger("host").warning("from stdlib")
    out = buf.getvalue().splitlines()
    where = '"service.name": "s", "deployment.environment.name": "production"}'
    assert out == [
        '{"obskit_convention_finding_code": "near_duplicate", "obskit_convention_finding_name": '
        '"orderId", "obskit_convention_finding_suggestion": "order_id", '
        f'"event": "obskit.convention.finding", "level": "warning", "logger": "obskit", {where}',
        '{"event": "order_received", "order_id": "o-1", "level": "info", "logger": "early", '
        + where,
        '{"event": "from stdlib", "level": "warning", "logger": "host", ' + where,
    ]


def test_no_processor_runs_twice(
    out: Output,
    use_mode: Callable[..., None],
    shop_registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_mode("warn", shop_registry)
    calls: list[str] = []
    for cls in (ConventionValidator, Redactor, OTelLogBridge):
        original = cls.__call__

        def counting(self: Any, lg: Any, m: str, ed: Any, _o: Any = original) -> Any:
            calls.append(type(self).__name__)
            return _o(self, lg, m, ed)

        monkeypatch.setattr(cls, "__call__", counting)
    log = get_logger("a").bind(order_id="o-1")  # bound before the chain was built
    install_stdlib_handler(logging.getLogger("tests.logging.twice")).setLevel(logging.INFO)
    log.info("once")
    assert calls == ["ConventionValidator", "Redactor", "OTelLogBridge"]
    assert out.lines == ['{"order_id": "o-1", "event": "once", "level": "info", "logger": "a"}']
    logging.getLogger("tests.logging.twice").handlers.clear()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_console_only_at_a_terminal_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    """``OBSKIT_LOG_FORMAT=auto`` (the default): a pipe or a file gets JSON even in development,
    so a service's logs are never rendered for a console nobody reads."""
    monkeypatch.delenv("OBSKIT_LOG_FORMAT", raising=False)
    monkeypatch.delenv("OBSKIT_ENVIRONMENT", raising=False)
    terminal, pipe = _Terminal(), io.StringIO()
    configure_logging(stream=terminal, timestamps=False)
    get_logger("dev").info("hello", server_port=8080)
    configure_logging(stream=pipe, timestamps=False)
    get_logger("piped").info("hello")
    configure_logging(stream=terminal, timestamps=False, environment="production")
    get_logger("prod").info("hello", server_port=8080)
    monkeypatch.setenv("OBSKIT_LOG_FORMAT", "json")
    configure_logging(stream=terminal, timestamps=False, environment="development")
    get_logger("forced").info("hello")
    monkeypatch.setenv("OBSKIT_LOG_FORMAT", "console")
    configure_logging(stream=pipe, timestamps=False)
    get_logger("asked").info("hello")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue())  # a terminal gets colours
    assert plain.splitlines() == [
        "[info     ] hello                          [dev] server_port=8080",
        '{"server_port": 8080, "event": "hello", "level": "info", "logger": "prod"}',
        '{"event": "hello", "level": "info", "logger": "forced"}',
    ]
    assert pipe.getvalue().splitlines() == [
        '{"event": "hello", "level": "info", "logger": "piped"}',
        "[info     ] hello                          [asked]",
    ]


def test_timestamps_are_iso_utc(use_mode: Callable[..., None]) -> None:
    use_mode("off")
    stream = io.StringIO()
    configure_logging(stream=stream, format="json")
    get_logger().info("x")
    assert '"timestamp": "20' in stream.getvalue() and 'Z"' in stream.getvalue()


def test_levels_below_the_minimum_are_dropped(use_mode: Callable[..., None]) -> None:
    use_mode("off")
    stream = io.StringIO()
    configure_logging(stream=stream, format="json", timestamps=False, level="warning")
    log = get_logger()
    log.info("quiet")
    log.warning("loud")
    assert stream.getvalue().splitlines() == ['{"event": "loud", "level": "warning"}']


def test_a_host_structlog_configuration_is_left_alone(
    out: Output, use_mode: Callable[..., None]
) -> None:
    use_mode("off")
    host_stream = io.StringIO()
    structlog.configure(
        processors=[structlog.processors.KeyValueRenderer()],
        logger_factory=structlog.PrintLoggerFactory(host_stream),
        cache_logger_on_first_use=False,
    )
    try:
        structlog.get_logger().info("host_event", a=1)
        get_logger().info("obskit_event", a=1)
    finally:
        structlog.reset_defaults()
    assert host_stream.getvalue() == "a=1 event='host_event'\n"
    assert out.lines == ['{"a": 1, "event": "obskit_event", "level": "info"}']


def test_processors_lists_the_chain_in_order(use_mode: Callable[..., None]) -> None:
    use_mode("warn")
    configure_logging(format="json")
    names = [getattr(p, "__name__", type(p).__name__) for p in processors()]
    assert names == [
        "merge_contextvars",
        "ConventionValidator",
        "_add_level_and_logger",
        "Timestamp",
        "add_trace_context",
        "_exceptions_as_text",
        "Redactor",
        "OTelLogBridge",
        "JSONRenderer",
    ]


def test_configure_reads_the_projects_tool_obskit_table(tmp_path: Any) -> None:
    """``conventions="pyproject.toml"``: the runtime uses the same registry and rules as lint."""
    (tmp_path / "conventions").mkdir()
    (tmp_path / "conventions" / "acme.yaml").write_text(
        "file_format: definition/2\n"
        "attributes:\n"
        "  - key: acme.invoice.id\n"
        "    type: string\n"
        "    brief: The invoice.\n"
        "    stability: stable\n"
        "    annotations:\n"
        "      obskit:\n"
        "        log_key: invoice_id\n"
        "        aliases: [invoiceId]\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.obskit]\nconventions = ["conventions"]\nprefix = "acme"\n'
        'ignore = ["missing_namespace"]\n'
    )
    buf = io.StringIO()
    configure_logging(stream=buf, timestamps=False)
    obskit.configure(
        service_name="s",
        exporter="none",
        environment="production",
        mode="fix",
        conventions=str(tmp_path / "pyproject.toml"),
    )
    obskit.get_logger("billing").info("invoiced", invoiceId="i-1", amount=5)
    out = buf.getvalue().splitlines()
    events = [json.loads(line) for line in out]
    invoiced = [e for e in events if e["event"] == "invoiced"]
    assert invoiced == [{"event": "invoiced", "invoice_id": "i-1", "amount": 5, "level": "info",
                         "logger": "billing", "service.name": "s",
                         "deployment.environment.name": "production"}]  # fmt: skip
    codes = {e.get("obskit_convention_finding_code") for e in events}
    assert "near_duplicate" in codes  # invoiceId, the project's own alias
    assert "missing_namespace" not in codes  # ignored by the project's [tool.obskit]


def test_a_field_the_renderer_cannot_encode_never_breaks_the_log_call(
    out: Output, use_mode: Callable[..., None]
) -> None:
    use_mode("off")
    log = get_logger("app")
    log.info("odd", d={(1, 2): "v"}, token="t-123")  # JSON cannot encode a tuple key
    line = json.loads(out.lines[-1])
    assert line["event"] == "odd" and line["token"] == "[REDACTED]"
    assert "(1, 2)" in str(line["d"])
