"""The timestamp and the JSON line: what structlog's TimeStamper and JSONRenderer write."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
import structlog

from obskit.logging._render import JSONRenderer, Timestamp


@pytest.mark.parametrize(
    "nanos",
    [
        1_796_000_000_123_456_789,  # microseconds
        1_796_000_000_000_000_000,  # a whole second: no fraction, as datetime.isoformat()
        1_796_000_000_000_999_999,  # under a microsecond: still a whole second
        1_796_000_059_999_999_000,  # the last microsecond of a minute
    ],
)
def test_the_timestamp_is_structlogs_iso_utc(monkeypatch: pytest.MonkeyPatch, nanos: int) -> None:
    stamper = Timestamp()
    stamper(None, "info", {})  # another second cached first
    monkeypatch.setattr(time, "time_ns", lambda: nanos)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    moment = epoch + datetime.timedelta(microseconds=nanos // 1000)
    expected = moment.isoformat().replace("+00:00", "Z")  # what TimeStamper writes then
    assert stamper(None, "info", {})["timestamp"] == expected
    assert stamper(None, "info", {})["timestamp"] == expected  # from the cached second


def test_the_timestamp_is_now() -> None:
    stamped = Timestamp()(None, "info", {})["timestamp"]
    written = datetime.datetime.fromisoformat(stamped)
    assert abs(written - datetime.datetime.now(datetime.timezone.utc)).total_seconds() < 1


class _Custom:
    def __structlog__(self) -> str:
        return "custom!"


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


def test_the_json_line_is_structlogs() -> None:
    event: dict[str, Any] = {
        "event": "order_received",
        "quantity": 2,
        "price": 9.5,
        "ok": True,
        "none": None,
        "nested": {"a": [1, "b", {"c": _Opaque()}]},
        "custom": _Custom(),
        "opaque": _Opaque(),
        "text": 'naïve \u2603 "quoted"',
    }
    expected = structlog.processors.JSONRenderer()(None, "info", dict(event))
    assert JSONRenderer()(None, "info", dict(event)) == expected


def test_resource_fields_are_added_unless_the_event_has_them() -> None:
    render = JSONRenderer({"service.name": "orders", "deployment.environment.name": "prod"})
    assert render(None, "info", {"event": "e"}) == (
        '{"event": "e", "service.name": "orders", "deployment.environment.name": "prod"}'
    )
    assert render(None, "info", {"event": "e", "service.name": "mine"}) == (
        '{"event": "e", "service.name": "mine", "deployment.environment.name": "prod"}'
    )
