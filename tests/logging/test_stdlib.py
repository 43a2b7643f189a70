"""stdlib logging records through the same chain, without clobbering the host's handlers."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest

from obskit.conventions import Registry
from obskit.logging import ObskitHandler, install_stdlib_handler
from obskit.testing import capture
from tests.logging.conftest import Output


@pytest.fixture
def stdlib_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("tests.logging.host")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger
    logger.handlers.clear()
    logger.propagate = True


def test_records_run_through_the_chain(
    out: Output,
    use_mode: Callable[..., None],
    shop_registry: Registry,
    stdlib_logger: logging.Logger,
) -> None:
    use_mode("fix", shop_registry)
    install_stdlib_handler(stdlib_logger)
    with capture() as tel:
        stdlib_logger.info("paid %s", "now", extra={"orderId": "o-1", "password": "pw"})
    assert out.lines[-1] == (
        '{"event": "paid now", "password": "[REDACTED]", "order_id": "o-1", "level": "info", '
        '"logger": "tests.logging.host"}'
    )
    (record,) = [r.log_record for r in tel.logs if r.log_record.body == "paid now"]
    assert dict(record.attributes or {})["app.order.id"] == "o-1"


def test_the_handler_is_added_once_and_host_handlers_stay(stdlib_logger: logging.Logger) -> None:
    host = logging.NullHandler()
    stdlib_logger.addHandler(host)
    first = install_stdlib_handler(stdlib_logger)
    assert install_stdlib_handler(stdlib_logger) is first
    ours = [h for h in stdlib_logger.handlers if type(h).__name__ != "LogCaptureHandler"]
    assert ours == [host, first]  # (pytest may add its own capture handlers)
    assert isinstance(first, ObskitHandler)


def test_exceptions_are_rendered(
    out: Output, use_mode: Callable[..., None], stdlib_logger: logging.Logger
) -> None:
    use_mode("off")
    install_stdlib_handler(stdlib_logger)
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        stdlib_logger.exception("broke")
    (event,) = out.events
    assert event["event"] == "broke" and "ZeroDivisionError" in event["exception"]


def test_a_host_formatter_running_first_leaks_no_fields(
    out: Output, use_mode: Callable[..., None], stdlib_logger: logging.Logger
) -> None:
    use_mode("off")
    host = logging.StreamHandler(io.StringIO())
    host.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    stdlib_logger.addHandler(host)  # formats (and so mutates) the record before obskit's handler
    install_stdlib_handler(stdlib_logger)
    stdlib_logger.info("paid %s", "now", extra={"amount": 5})
    event = out.events[-1]
    assert "message" not in event and "asctime" not in event
    assert (event["event"], event["amount"]) == ("paid now", 5)
