"""Log keys and attribute names are one concept: resolve() and log_key()."""

from __future__ import annotations

import pytest

from obskit.conventions import Registry, RulesConfig, load_registry
from obskit.conventions._spelling import derive_log_key, normalize


def test_declared_and_derived_log_keys(registry: Registry) -> None:
    assert registry.log_key("app.order.id") == "order_id"  # declared
    assert registry.log_key("http.request.method") == "http_request_method"  # derived
    assert registry.attributes["http.request.method"].log_key == "http_request_method"
    assert registry.log_key("obskit.message.age") == "obskit_message_age"


def test_prefix_is_stripped_from_derived_log_keys(write, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write(
        "acme.yaml",
        """
        file_format: definition/2
        attributes:
          - {key: acme.invoice.total, type: double, brief: T., stability: stable}
        """,
    )
    registry = load_registry(tmp_path, semconv=False, config=RulesConfig(prefix="acme"))
    assert registry.log_key("acme.invoice.total") == "invoice_total"
    assert registry.resolve("invoice_total") == "acme.invoice.total"
    # a new prefix re-derives the keys
    plain = registry.with_config(RulesConfig())
    assert plain.log_key("acme.invoice.total") == "acme_invoice_total"
    assert plain.resolve("invoice_total") is None


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("app.order.id", "app.order.id"),
        ("order_id", "app.order.id"),
        ("orderId", "app.order.id"),
        ("oid", "app.order.id"),
        ("OrderID", "app.order.id"),
        ("ORDER_ID", "app.order.id"),
        ("http_request_method", "http.request.method"),
        ("messaging.operation", "messaging.operation.type"),
        ("http.method", "http.request.method"),
        ("http_method", "http.request.method"),
        ("http.request.header.accept", "http.request.header.accept"),
        ("no.such.thing", None),
    ],
)
def test_resolve_any_spelling(registry: Registry, spelling: str, canonical: str | None) -> None:
    assert registry.resolve(spelling) == canonical


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("orderId", "order_id"),
        ("order-id", "order_id"),
        ("OrderID", "order_id"),
        ("order.Id", "order_id"),
        ("ORDER_ID", "order_id"),
        ("HTTPRequestMethod", "http_request_method"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_derive_log_key_rule() -> None:
    assert derive_log_key("http.request.method") == "http_request_method"
    assert derive_log_key("app.order.id", "app") == "order_id"
    assert derive_log_key("application.x", "app") == "application_x"
