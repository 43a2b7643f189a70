"""Never leak: 64 secrets of 12 kinds through every path out of the process, 0 leaks.

Each path is checked on what actually leaves: rendered log lines, exported spans (attributes,
events, status) and OpenTelemetry log records, and HTTP responses.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import requests
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import obskit
from obskit._sensitive import MARKER, PATTERN_BUDGET, Scrubber
from obskit._state import Settings, update_settings
from obskit.conventions import BUILTIN_CONVENTIONS, load_registry
from obskit.errors import BusinessRuleViolation
from obskit.http import ASGIMiddleware, instrument_httpx, instrument_requests, uninstrument_requests
from obskit.logging import configure_logging, install_stdlib_handler
from obskit.testing import Captured
from tests.support.secrets import CORPUS, REGISTRY_YAML, Secret, leaks


@dataclass
class Holder:
    """An object a log field may carry: its repr is what a renderer shows."""

    note: str


def header_name(secret: Secret) -> str:
    return secret.name.replace("_", "-").replace(".", "-")


def url_for(secret: Secret, base: str = "https://api.example.com/items") -> str:
    return f"{base}?{secret.name}={quote(secret.value, safe='')}&page=2"


class Outputs:
    """Everything that left the process for one path."""

    def __init__(self, telemetry: Captured, stream: io.StringIO) -> None:
        self.telemetry, self.stream = telemetry, stream
        self.responses: list[str] = []

    def take(self) -> str:
        text = "\n".join(
            [
                self.stream.getvalue(),
                *(span.to_json() for span in self.telemetry.spans),
                *(record.to_json() for record in self.telemetry.logs),
                *self.responses,
            ]
        )
        self.stream.seek(0)
        self.stream.truncate()
        self.telemetry.clear()
        self.responses.clear()
        return text


@pytest.fixture
def outputs(
    telemetry: Captured, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Outputs]:
    (tmp_path / "ids.yaml").write_text(REGISTRY_YAML)
    registry = load_registry(BUILTIN_CONVENTIONS, tmp_path)
    update_settings(Settings(mode="off", registry=registry))
    stream = io.StringIO()
    configure_logging(stream=stream, format="json")
    root = logging.getLogger()
    handler = install_stdlib_handler()
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield Outputs(telemetry, stream)
    finally:
        root.setLevel(level)
        root.removeHandler(handler)


log = obskit.get_logger("shop")


def _log_fields(secret: Secret) -> None:
    log.info("stored", **{secret.name: secret.value})


def _log_nested(secret: Secret) -> None:
    log.info(
        "stored",
        context={"inner": [{secret.name: secret.value}], "texts": (secret.text,)},
        raw=secret.text.encode(),
        raw_fields={secret.name.encode(): secret.value.encode()},
    )


def _log_sets_and_objects(secret: Secret) -> None:
    log.info(
        "stored",
        notes={secret.text},
        holder=Holder(secret.text),
        namespace=SimpleNamespace(**{secret.name: secret.value}),
    )


def _log_event(secret: Secret) -> None:
    log.warning(secret.text)


def _log_exception(secret: Secret) -> None:
    try:
        raise RuntimeError(secret.text)
    except RuntimeError:
        log.exception("failed")


def _stdlib_record(secret: Secret) -> None:
    logging.getLogger("thirdparty.client").error("call failed: %s", secret.text)


def _httpx_record(secret: Secret) -> None:
    logging.getLogger("httpx").info(
        'HTTP Request: %s %s "%s %d %s"', "GET", url_for(secret), "HTTP/1.1", 200, "OK"
    )


def _traced_attributes(secret: Secret) -> None:
    @obskit.traced(attributes={secret.name: secret.value, "app.note": secret.text})
    def work() -> None:
        return None

    work()


def _traced_exception(secret: Secret) -> None:
    @obskit.traced
    def work() -> None:
        raise ValueError(secret.text)

    with pytest.raises(ValueError):
        work()


def _publishing(secret: Secret) -> None:
    attributes = {secret.name: secret.value, "app.note": secret.text}
    with (
        pytest.raises(RuntimeError),
        obskit.publishing("orders", system="rabbitmq", attributes=attributes),
    ):
        raise RuntimeError(secret.text)


def _consumer(secret: Secret) -> None:
    @obskit.traced.consumer(
        "orders",
        system="rabbitmq",
        attributes=lambda message: {secret.name: secret.value, "app.note": secret.text},
    )
    def handle(message: dict[str, Any]) -> None:
        raise RuntimeError(secret.text)

    with pytest.raises(RuntimeError):
        handle({"headers": {}, "body": secret.text})


def _producer(secret: Secret) -> None:
    @obskit.traced.producer(
        "orders", system="rabbitmq", attributes={secret.name: secret.value, "app.n": secret.text}
    )
    def send() -> None:
        raise ConnectionError(secret.text)

    with pytest.raises(ConnectionError):
        send()


def _httpx_client(secret: Secret) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    client = instrument_httpx(httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(httpx.ConnectError):
        client.get(url_for(secret), headers={"x-note": secret.text.replace("\n", " ")})


def _requests_client(secret: Secret) -> None:
    with pytest.raises(requests.ConnectionError):
        requests.get(url_for(secret, "http://127.0.0.1:9/items"), timeout=5)


SYNC_PATHS: dict[str, Callable[[Secret], None]] = {
    "log fields": _log_fields,
    "log nested, bytes": _log_nested,
    "log sets, objects": _log_sets_and_objects,
    "log event": _log_event,
    "log exception": _log_exception,
    "stdlib record": _stdlib_record,
    "httpx's own record": _httpx_record,
    "@traced(attributes=)": _traced_attributes,
    "span exception": _traced_exception,
    "publishing(attributes=)": _publishing,
    "consumer attributes": _consumer,
    "producer attributes": _producer,
    "httpx client error": _httpx_client,
    "requests client error": _requests_client,
}


async def _refuse(request: Request) -> PlainTextResponse:
    raise BusinessRuleViolation(request.headers.get("x-note", ""))


def _server_app(names: list[str]) -> Starlette:
    routes = [Route("/items", _refuse)]
    middleware = [Middleware(ASGIMiddleware, capture_headers=[*names, "x-note"])]
    return Starlette(routes=routes, middleware=middleware)


async def _http_server(outputs: Outputs, corpus: tuple[Secret, ...]) -> str:
    app = _server_app([header_name(secret) for secret in corpus])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as http:
        for secret in corpus:
            headers = {
                header_name(secret): secret.value.replace("\n", " "),
                "x-note": secret.text.replace("\n", " "),
            }
            response = await http.get(url_for(secret, "/items"), headers=headers)
            assert response.status_code == 422
            outputs.responses.append(f"{response.headers}\n{response.text}")
    return outputs.take()


async def test_no_secret_of_the_corpus_leaves_by_any_path(outputs: Outputs) -> None:
    assert len(CORPUS) >= 60 and len({secret.kind for secret in CORPUS}) == 12
    instrument_requests()
    try:
        found: dict[str, str] = {}
        for path, run in SYNC_PATHS.items():
            for secret in CORPUS:
                run(secret)
            found[path] = outputs.take()
        found["HTTP server headers, query, 422"] = await _http_server(outputs, CORPUS)
    finally:
        uninstrument_requests()
    leaked = leaks(CORPUS, found)
    checks = len(CORPUS) * len(found)
    print(
        f"\nnever leak: {len(CORPUS)} secrets of {len({s.kind for s in CORPUS})} kinds x "
        f"{len(found)} paths = {checks} checks, {len(leaked)} leaks"
    )
    assert leaked == []
    assert all(found.values()), "every path emitted something to check"


@pytest.mark.parametrize(
    "header", ["x-access-token", "api-key", "private-token", "x-amz-security-token", "x-csrf"]
)
def test_sensitive_headers_come_from_the_word_list_not_a_fixed_set(header: str) -> None:
    from obskit.http._http_redaction import header_value

    assert header_value(header, "opaque-value-123") == "[REDACTED]"
    assert header_value("x-request-id", "opaque-value-123") == "opaque-value-123"


#: Logfire's DEFAULT_PATTERNS (logfire/_internal/scrubbing.py): every name they scrub, we do
LOGFIRE_FLOOR = [
    "password", "passwd", "mysql_pwd", "secret", "auth", "credential", "private_key",
    "private-key", "api_key", "api key", "session", "cookie", "social_security",
    "credit_card", "csrf", "xsrf", "jwt", "ssn",
]  # fmt: skip


@pytest.mark.parametrize("name", LOGFIRE_FLOOR)
def test_logfire_default_patterns_are_the_floor(name: str) -> None:
    scrubber = Scrubber()
    assert scrubber.name(name)
    assert scrubber.name(f"user.{name}")


@pytest.mark.parametrize(
    "name", ["author", "passenger", "compass", "routing_key", "messaging.destination.name"]
)
def test_ordinary_names_are_not_sensitive(name: str) -> None:
    assert not Scrubber().name(name)


def test_a_catastrophic_user_pattern_costs_its_budget_and_redacts_the_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scrubber = Scrubber(patterns=[r"(a|aa)+$"])
    evil = "a" * 40 + "!"
    started = time.perf_counter()
    results = [scrubber.text(evil) for _ in range(5)]
    elapsed = time.perf_counter() - started
    print(
        f"\ncatastrophic pattern on {len(evil)} chars: {elapsed / 5 * 1000:.1f} ms per value "
        f"(budget {PATTERN_BUDGET * 1000:.0f} ms; unbounded it would take hours)"
    )
    assert results == [MARKER] * 5  # over budget: the value goes whole, never unread
    assert scrubber.text("order o-1 for aaa") == "order o-1 for [REDACTED]"
    budget_warnings = [r for r in caplog.records if "budget" in r.getMessage()]
    assert len(budget_warnings) == 1


def test_user_patterns_reach_logs_and_spans(
    telemetry: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    update_settings(Settings(mode="off", redact_patterns=(r"ACME-\d{6}",)))
    stream = io.StringIO()
    configure_logging(stream=stream, format="json")
    obskit.get_logger().info("ticket", ref="case ACME-123456 opened")

    @obskit.traced(name="work", attributes={"app.ref": "ACME-654321"})
    def work() -> None:
        raise ValueError("for ACME-111111")

    with pytest.raises(ValueError):
        work()
    exported = stream.getvalue() + telemetry.span("work").to_json()
    assert "ACME-" not in exported
    assert "case [REDACTED] opened" in stream.getvalue()


def test_values_deeper_than_the_limit_are_redacted_whole() -> None:
    deep: Any = "visible"
    for _ in range(12):
        deep = {"level": deep}
    redacted = Scrubber().value(deep)
    for _ in range(8):
        redacted = redacted["level"]
    assert redacted == MARKER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dsn=postgres://u:p@ss@db/x", "dsn=postgres://[REDACTED]@db/x"),
        ('cfg={"password": "two words"}', 'cfg={"password": [REDACTED]}'),
        ("Authorization: Bearer abcdefgh", "Authorization: [REDACTED]"),
        ("sent Bearer abcdefgh now", "sent Bearer [REDACTED] now"),
        ("ref 1234567890123 ok", "ref 1234567890123 ok"),  # not a Luhn-valid card
        ("GET /a?page=2&token=x1", "GET /a?page=2&token=[REDACTED]"),
        ("plain words only", "plain words only"),
    ],
)
def test_secret_shapes_in_text(text: str, expected: str) -> None:
    assert Scrubber().text(text) == expected


def test_a_secret_cut_by_a_length_limit_is_scrubbed_first(outputs: Outputs) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmNkZWZnaGlqIn0.c2lnbmF0dXJlLXZhbHVl"

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, Any]) -> None:
        raise RuntimeError("x" * 170 + " " + jwt)

    with pytest.raises(RuntimeError):
        handle({"headers": {}})
    assert "eyJhbGciOiJIUzI1" not in outputs.take()


@pytest.mark.parametrize("secret", ["pwd=abc", "otp=123", "pass:hu", "jwt=x1"])
def test_short_secrets_reach_no_path(outputs: Outputs, secret: str) -> None:
    """A value under 8 characters is scanned too: ``pwd=abc`` is a whole secret."""
    value = secret.split("=")[-1].split(":")[-1]

    @obskit.traced.consumer("orders", system="rabbitmq", attributes={"app.note": secret})
    def handle(message: dict[str, Any]) -> None:
        obskit.get_logger("short").info(secret, note=secret, nested={"n": [secret]})
        raise RuntimeError(secret)

    with pytest.raises(RuntimeError):
        handle({"headers": {}})
    out = outputs.take()
    assert out.count(MARKER) >= 5  # event, field, nested field, attribute, exception message
    assert f"={value}" not in out and f":{value}" not in out
