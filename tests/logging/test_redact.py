"""Redaction: secret-named fields, registry-marked fields and card numbers, whole values only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from obskit.conventions import Registry
from obskit.logging import MARKER, Redactor, get_logger, luhn_valid
from tests.logging.conftest import Output


@pytest.mark.parametrize(
    "key",
    [
        *("password", "db_passwd", "client_secret", "access_token", "Authorization"),
        *("set_cookie", "api_key", "apikey", "x-api-key", "private_key", "aws_credentials"),
        "pwd",
    ],
)
def test_secret_named_fields_are_replaced_whole(
    key: str, out: Output, use_mode: Callable[..., None]
) -> None:
    use_mode("off")
    get_logger().info("login", **{key: "hunter2-very-secret"})
    assert out.lines == [f'{{"{key}": "[REDACTED]", "event": "login", "level": "info"}}']
    assert "hunter2" not in out.stream.getvalue()


def test_registry_marked_fields_are_redacted_in_every_spelling(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("off", shop_registry)
    log = get_logger()
    log.info("signup", customer_email="jane@example.com")
    log.info("signup", **{"app.customer.email": "jane@example.com"})
    assert out.lines == [
        '{"customer_email": "[REDACTED]", "event": "signup", "level": "info"}',
        '{"app.customer.email": "[REDACTED]", "event": "signup", "level": "info"}',
    ]


def test_card_numbers_are_replaced_anywhere_in_strings(
    out: Output, use_mode: Callable[..., None]
) -> None:
    use_mode("off")
    log = get_logger()
    log.info("charged 4111 1111 1111 1111", note="card 5500-0000-0000-0004 ok", ref="1234567890123")
    assert out.lines == [
        '{"note": "card [REDACTED] ok", "ref": "1234567890123", '
        '"event": "charged [REDACTED]", "level": "info"}'
    ]


def test_nested_values_are_walked(out: Output, use_mode: Callable[..., None]) -> None:
    use_mode("off")
    get_logger().info(
        "request",
        headers={"Authorization": "Bearer abc", "accept": "json"},
        cards=["4111111111111111"],
    )
    assert out.events[0]["headers"] == {"Authorization": MARKER, "accept": "json"}
    assert out.events[0]["cards"] == [MARKER]


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_the_marker_never_carries_part_of_the_value() -> None:
    redactor = Redactor(marker="***")
    event = redactor(None, "info", {"token": "abcdef", "event": "x", "trace_id": "1" * 32})
    assert event == {"token": "***", "event": "x", "trace_id": "1" * 32}


def test_nested_bytes_keys_are_redacted(out: Output, use_mode: Callable[..., None]) -> None:
    use_mode("off")
    get_logger().info("login", form={b"password": "hunter2", "user": "ada"})
    assert "hunter2" not in out.stream.getvalue()


def test_secrets_in_exception_messages_are_scrubbed_in_lines_and_records(
    out: Output, use_mode: Callable[..., None]
) -> None:
    from obskit.testing import capture

    use_mode("off")
    with capture() as tel:
        try:
            raise ValueError("card 4111 1111 1111 1111 declined")
        except ValueError:
            get_logger().exception("payment_failed")
    assert "4111 1111 1111 1111" not in out.stream.getvalue()
    (record,) = [r.log_record for r in tel.logs if r.log_record.body == "payment_failed"]
    attributes = dict(record.attributes or {})
    assert attributes["exception.type"] == "ValueError"
    assert attributes["exception.message"] == f"card {MARKER} declined"
    assert "4111 1111 1111 1111" not in str(attributes["exception.stacktrace"])
