"""The SQLite store: every search filter, correlated logs, retention with counted drops, restart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from obskit.serve import Retention, Search, Store
from obskit.view import LogRecord, SpanRecord, TelemetryFile

NOW = time.time_ns()
RESOURCE = {"service.name": "orders", "deployment.environment.name": "test"}


def span(
    trace: int,
    number: int,
    *,
    parent: int | None = None,
    start_ms: float = 0,
    length_ms: float = 1,
    name: str = "process orders",
    service: str = "orders",
    error: bool = False,
    **attributes: object,
) -> SpanRecord:
    start = NOW + int(start_ms * 1e6)
    return SpanRecord(
        trace_id=f"{trace:032x}",
        span_id=f"{number:016x}",
        parent_span_id="" if parent is None else f"{parent:016x}",
        name=name,
        kind=5,
        start_unix_nano=start,
        end_unix_nano=start + int(length_ms * 1e6),
        service=service,
        attributes=attributes,
        status_code=2 if error else 0,
        resource={**RESOURCE, "service.name": service},
    )


@pytest.fixture
def store() -> Store:
    store = Store(":memory:")
    store.add(
        TelemetryFile(
            spans=[
                span(1, 1, name="POST /orders", service="api", **{"app.order.id": "ord-1"}),
                span(1, 2, parent=1, start_ms=1, length_ms=30, **{"messaging.system": "rabbitmq"}),
                span(
                    2,
                    3,
                    start_ms=100,
                    name="POST /orders",
                    service="api",
                    **{"app.order.id": "ord-2"},
                ),
                span(
                    2, 4, parent=3, start_ms=101, error=True, **{"app.quantity": 3, "retry": True}
                ),
                span(3, 5, start_ms=200, length_ms=500, name="GET /stock", service="api"),
            ]
        )
    )
    return store


def ids(store: Store, **filters: object) -> list[int]:
    return [int(t.trace_id, 16) for t in store.search(Search(**filters))]  # type: ignore[arg-type]


def test_newest_first_with_summaries(store: Store) -> None:
    summaries = store.search(Search())
    assert [int(s.trace_id, 16) for s in summaries] == [3, 2, 1]
    first = summaries[2]
    assert (first.root, first.services, first.span_count, first.error_count) == (
        "POST /orders",
        ("api", "orders"),
        2,
        0,
    )
    assert first.duration_ms == pytest.approx(31.0)


def test_each_filter(store: Store) -> None:
    assert ids(store, where=(("app.order.id", "ord-2"),)) == [2]
    assert ids(store, where=(("app.quantity", "3"), ("retry", "true"))) == [2]  # typed values
    assert ids(store, where=(("app.order.id", "ord-2"), ("app.order.id", "ord-1"))) == []
    assert ids(store, where=(("deployment.environment.name", "test"),)) == [3, 2, 1]  # resource
    assert ids(store, service="orders") == [2, 1]
    assert ids(store, service="order") == []  # a service is matched whole, not by prefix
    assert ids(store, operation="GET /stock") == [3]
    assert ids(store, service="orders", operation="POST /orders") == []
    assert ids(store, service="api", operation="POST /orders") == [2, 1]
    assert ids(store, error=True) == [2] and ids(store, error=False) == [3, 1]
    assert ids(store, min_duration_ms=30) == [3, 1]
    assert ids(store, since_ns=NOW + 50_000_000) == [3, 2]
    assert ids(store, until_ns=NOW + 150_000_000) == [2, 1]
    assert ids(store, limit=1) == [3]


def test_services_and_operations(store: Store) -> None:
    assert store.services() == {"api": ["GET /stock", "POST /orders"], "orders": ["process orders"]}


def test_a_trace_arriving_in_pieces_is_one_summary_with_its_logs() -> None:
    store = Store(":memory:")
    trace_id = f"{9:032x}"
    log = LogRecord(NOW, "INFO", 9, "order_received", "orders", trace_id, f"{2:016x}", {"k": 1})
    store.add(TelemetryFile(logs=[log]))  # the log first, its span later
    store.add(TelemetryFile(spans=[span(9, 2, parent=1, start_ms=5, length_ms=1)]))
    store.add(TelemetryFile(spans=[span(9, 1, name="root", length_ms=2)]))
    [summary] = store.search(Search())
    assert (summary.root, summary.span_count, summary.duration_ms) == ("root", 2, 6.0)
    telemetry = store.telemetry([trace_id])
    assert telemetry.logs == [log]
    assert telemetry.logs_for(f"{2:016x}") == [log]


def test_retention_by_age_drops_the_oldest_and_counts_them() -> None:
    store = Store(":memory:", Retention.parse("1h"))
    two_hours = 2 * 3600 * 1000
    store.add(TelemetryFile(spans=[span(1, 1, start_ms=-two_hours), span(2, 2, parent=1)]))
    store.enforce_retention()
    assert ids(store) == [2]
    stats = store.stats()
    assert (stats["dropped_traces"], stats["dropped_spans"], stats["traces"]) == (1, 1, 1)


def test_retention_by_size_keeps_the_newest() -> None:
    store = Store(":memory:", Retention.parse("150KB"))
    for trace in range(1, 301):
        padding = "x" * 400
        store.add(TelemetryFile(spans=[span(trace, trace, start_ms=trace, pad=padding, n=trace)]))
        store.enforce_retention()
    stats = store.stats()
    assert stats["bytes"] <= 150_000 and stats["dropped_traces"] > 0
    kept = ids(store, limit=1000)
    assert kept == list(range(300, 300 - len(kept), -1))  # the oldest went first
    assert stats["dropped_traces"] + len(kept) == 300


def test_retention_spellings() -> None:
    assert Retention.parse("7d") == Retention(max_age_s=7 * 86400)
    assert Retention.parse("500MB") == Retention(max_bytes=500_000_000)
    with pytest.raises(ValueError, match="--retain"):
        Retention.parse("lots")


def test_a_reopened_database_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "telemetry.db"
    first = Store(path)
    first.add(TelemetryFile(spans=[span(1, 1, **{"app.order.id": "ord-1"})]))
    first.close()
    again = Store(path)
    assert ids(again, where=(("app.order.id", "ord-1"),)) == [1]
    assert again.telemetry([f"{1:032x}"]).spans[0].attributes == {"app.order.id": "ord-1"}


def test_the_default_database_is_under_the_users_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sys

    from obskit.serve import default_db

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert default_db() == tmp_path / "obskit" / "telemetry.db"
    assert default_db().name == "telemetry.db" and default_db().parent.name == "obskit"
