"""Redis Streams through redis-py.

An XREADGROUP entry is a bare ``(entry_id, {field: value})`` tuple: nothing in its type says
"Redis" or which stream it came from. So the handler receives a :class:`RedisStreamEntry`,
built with :func:`redis_entry` or, for a whole reply, :func:`redis_entries`; trace context
travels in the entry's fields (publish with ``obskit.publishing(stream, system="redis",
headers={"body": ...})`` and ``XADD`` the yielded dict). Redis knows how often an entry was
delivered only through ``XPENDING``: :func:`redis_delivery_counts` reads it (after ``XCLAIM``
or when re-reading the pending list).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple

from obskit import _semconv_names as sc
from obskit.messaging._adapter import MessageInfo, _opt_str, register_adapter

__all__ = [
    "RedisStreamEntry",
    "pending_delivery_counts",
    "redis_delivery_counts",
    "redis_entries",
    "redis_entry",
]

_CONTEXT_FIELDS: Final = frozenset({"traceparent", "tracestate", "baggage", sc.SENT_AT_HEADER})


class RedisStreamEntry(NamedTuple):
    """One stream entry with what the reply does not say: its stream, group and deliveries."""

    stream: str
    entry_id: str
    fields: Mapping[Any, Any]
    group: str | None = None
    consumer: str | None = None
    delivery_count: int | None = None


def redis_entry(
    stream: str | bytes,
    entry_id: str | bytes,
    fields: Mapping[Any, Any] | None,
    *,
    group: str | bytes | None = None,
    consumer: str | bytes | None = None,
    delivery_count: int | None = None,
) -> RedisStreamEntry:
    """Wrap one entry of an XREADGROUP/XREAD/XCLAIM reply for ``@traced.consumer``."""
    return RedisStreamEntry(
        _text(stream),
        _text(entry_id),
        fields or {},
        _opt_str(group),
        _opt_str(consumer),
        delivery_count,
    )


def redis_entries(
    reply: Any,
    *,
    stream: str | bytes | None = None,
    group: str | bytes | None = None,
    consumer: str | bytes | None = None,
    delivery_counts: Mapping[str, int] | None = None,
) -> list[RedisStreamEntry]:
    """Every entry of an XREADGROUP/XREAD reply (RESP2 list or RESP3 dict), or of an
    XCLAIM/XRANGE reply (a flat list of entries, which needs ``stream=``).

    Entries read with ``>`` are first deliveries (count 1, when a group is given); pass
    ``delivery_counts`` (from :func:`redis_delivery_counts`) for re-read or claimed ones.
    """
    entries: list[RedisStreamEntry] = []
    counts = delivery_counts or {}
    for name, items in _streams(reply, stream):
        for item in items or ():
            if not isinstance(item, Sequence) or len(item) != 2:
                continue
            entry_id = _text(item[0])
            default = 1 if group is not None and delivery_counts is None else None
            entries.append(
                redis_entry(
                    name,
                    entry_id,
                    item[1],
                    group=group,
                    consumer=consumer,
                    delivery_count=counts.get(entry_id, default),
                )
            )
    return entries


def _streams(reply: Any, stream: str | bytes | None) -> Iterable[tuple[Any, Any]]:
    if isinstance(reply, Mapping):  # RESP3: {stream: [entries]} (or [[entries]])
        for name, items in reply.items():
            if items and isinstance(items[0], list) and not _is_entry(items[0]):
                items = items[0]
            yield name, items
        return
    if not reply:
        return
    first = reply[0]
    if not _is_entry(first):
        for name, items in reply:  # RESP2 XREAD(GROUP): [[stream, [entries]], ...]
            yield name, items
        return
    if stream is None:
        raise ValueError("a flat list of entries (XCLAIM, XRANGE) needs stream=")
    yield stream, reply


def _is_entry(item: Any) -> bool:
    """``(entry_id, fields)``; XCLAIM gives ``None`` fields for a deleted entry."""
    return (
        isinstance(item, Sequence)
        and len(item) == 2
        and isinstance(item[0], str | bytes)
        and (item[1] is None or isinstance(item[1], Mapping))
    )


def pending_delivery_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """``{entry_id: times_delivered}`` from redis-py's ``xpending_range`` rows (sync or async)."""
    return {
        _text(row["message_id"]): int(row["times_delivered"])
        for row in rows
        if "message_id" in row and "times_delivered" in row
    }


def redis_delivery_counts(
    client: Any, stream: str | bytes, group: str | bytes, entry_ids: Iterable[str | bytes]
) -> dict[str, int]:
    """How often each entry was delivered, from ``XPENDING`` (one round trip, pipelined).

    For ``redis.asyncio``, await ``client.xpending_range(...)`` yourself and pass the rows to
    :func:`pending_delivery_counts`.
    """
    ids = [_text(entry_id) for entry_id in entry_ids]
    if not ids:
        return {}
    pipe = client.pipeline(transaction=False)
    for entry_id in ids:
        pipe.xpending_range(stream, group, min=entry_id, max=entry_id, count=1)
    counts: dict[str, int] = {}
    for rows in pipe.execute():
        counts.update(pending_delivery_counts(rows))
    return counts


def read_entry(entry: RedisStreamEntry) -> MessageInfo:
    attributes: dict[str, Any] = {}
    if entry.group is not None:
        attributes[sc.MESSAGING_CONSUMER_GROUP_NAME] = entry.group
    if entry.consumer is not None:
        attributes[sc.MESSAGING_CLIENT_ID] = entry.consumer
    count = entry.delivery_count
    return MessageInfo(
        headers=entry.fields,
        destination=entry.stream,
        message_id=entry.entry_id,
        body_size=_body_size(entry.fields),
        timestamp=_id_time(entry.entry_id),
        attempt=count,
        redelivered=count > 1 if count is not None else None,
        attributes=attributes,
    )


def _body_size(fields: Mapping[Any, Any]) -> int:
    """Bytes of the fields that are the message (trace-context fields are not)."""
    size = 0
    for name, value in fields.items():
        if _text(name).lower() in _CONTEXT_FIELDS:
            continue
        if isinstance(value, bytes | bytearray):
            size += len(value)
        else:
            size += len(str(value).encode("utf-8"))
    return size


def _id_time(entry_id: str) -> float | None:
    """An entry id is ``<milliseconds>-<sequence>``: the time Redis added it."""
    millis, _, _ = entry_id.partition("-")
    return int(millis) / 1000 if millis.isdigit() else None


def _text(value: str | bytes | Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


register_adapter("obskit.messaging._redis", "RedisStreamEntry", read_entry)
