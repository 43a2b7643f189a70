"""The service graph and the message timeline, from hand-made spans."""

from __future__ import annotations

from obskit.serve import service_graph, timeline
from obskit.view import LinkRecord, SpanRecord, TelemetryFile

PRODUCER, CONSUMER, SERVER = 4, 5, 2


def span(
    number: int,
    service: str,
    kind: int,
    start: int,
    end: int,
    *,
    trace: int = 1,
    parent: int | None = None,
    links: tuple[int, ...] = (),
    error: bool = False,
    **attributes: object,
) -> SpanRecord:
    return SpanRecord(
        trace_id=f"{trace:032x}",
        span_id=f"{number:016x}",
        parent_span_id="" if parent is None else f"{parent:016x}",
        name=f"{service}-{number}",
        kind=kind,
        start_unix_nano=start,
        end_unix_nano=end,
        service=service,
        attributes=attributes,
        status_code=2 if error else 0,
        links=tuple(LinkRecord(f"{trace:032x}", f"{link:016x}") for link in links),
    )


def test_graph_counts_calls_messages_and_errors_per_edge() -> None:
    telemetry = TelemetryFile(
        spans=[
            span(1, "api", SERVER, 0, 10),
            span(2, "api", PRODUCER, 1, 2, parent=1),
            span(3, "api", PRODUCER, 3, 4, parent=1),
            span(4, "stock", CONSUMER, 5, 6, parent=2, links=(2,)),
            span(5, "stock", CONSUMER, 5, 7, parent=3, error=True),
            span(6, "billing", CONSUMER, 8, 9, links=(2, 3)),  # a batch: links, no parent
        ]
    )
    edges = [
        (e.source, e.target, e.via, e.calls, e.messages, e.errors) for e in service_graph(telemetry)
    ]
    assert edges == [
        ("api", "billing", "link", 2, 2, 0),
        ("api", "stock", "parent", 2, 2, 1),
    ]


def test_timeline_marks_overlaps_duplicates_redeliveries_and_who_overtook() -> None:
    key = {"app.order.id": "o-1"}
    telemetry = TelemetryFile(
        spans=[
            span(1, "api", PRODUCER, 0, 1, **{"messaging.message.id": "m-1", **key}),
            span(
                2,
                "stock",
                CONSUMER,
                10,
                30,
                parent=1,
                **{
                    "messaging.message.id": "m-2",
                    "obskit.message.sequence_key": "o-1",
                    "obskit.message.sequence": 2,
                },
            ),
            span(
                3,
                "stock",
                CONSUMER,
                20,
                25,
                parent=1,
                **{
                    "messaging.message.id": "m-1",
                    "obskit.message.sequence_key": "o-1",
                    "obskit.message.sequence": 1,
                    "obskit.message.out_of_order": True,
                    "obskit.message.overtaken_by": 2,
                },
            ),
            span(4, "stock", CONSUMER, 40, 41, parent=1, **{"messaging.message.id": "m-1"}),
            span(
                5,
                "stock",
                CONSUMER,
                50,
                51,
                parent=1,
                **{
                    "messaging.message.id": "m-2",
                    "obskit.message.attempt": 2,
                    "obskit.message.redelivered": True,
                },
            ),
            span(6, "stock", CONSUMER, 60, 61, trace=2, **{"app.order.id": "o-2"}),
            span(7, "api", SERVER, 0, 100, **key),  # not a send or a process
        ]
    )
    moments = timeline(telemetry, "app.order.id", "o-1")
    got = [(int(m.span.span_id, 16), m.operation, m.marks) for m in moments]
    assert got == [
        (1, "send", []),
        (2, "process", ["overlaps"]),
        (3, "process", ["out of order", "overlaps"]),
        (4, "process", ["duplicate"]),
        (5, "process", ["redelivered"]),
    ]
    assert moments[2].overtaken_by == f"{2:016x}"
    assert moments[1].overlaps == [f"{3:016x}"] and moments[2].overlaps == [f"{2:016x}"]
