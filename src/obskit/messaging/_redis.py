"""Redis Streams through redis-py.

An XREAD/XREADGROUP entry is a bare ``(entry_id, {field: value})`` tuple (or list): a handler
may receive it as it is (its fields are read as headers, bytes or decoded). Nothing in it says
which stream or group it came from, so to record those, count deliveries or settle it, the
handler receives a :class:`RedisStreamEntry`, built with :func:`redis_entry` or, for a whole
reply, :func:`redis_entries`. Trace context travels in the entry's fields (publish with
``obskit.publishing(stream, system="redis", headers={"body": ...})`` and ``XADD`` the yielded
dict). Redis knows how often an entry was delivered only through ``XPENDING``:
:func:`redis_delivery_counts` reads it (after ``XCLAIM`` or when re-reading the pending list).

Settling (``settle=True``, entries built with ``client=``): ``XACK``; a retry re-adds the entry
with ``obskit-attempt`` incremented and acknowledges the original, in one ``MULTI``; a dead
letter is added to ``{stream}.dead-letter`` with the failure in its fields, the same way.
Redis has no delayed delivery: a retry is re-added at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple

from obskit import _semconv_names as sc
from obskit.messaging._adapter import (
    ATTEMPT_HEADER,
    MessageInfo,
    SettleRequest,
    _opt_str,
    attribute_adapter,
    register_adapter,
)
from obskit.messaging._decision import Settle

__all__ = [
    "RedisStreamEntry",
    "pending_delivery_counts",
    "redis_delivery_counts",
    "redis_entries",
    "redis_entry",
]

_CONTEXT_FIELDS: Final = frozenset(
    {"traceparent", "tracestate", "baggage", sc.SENT_AT_HEADER, ATTEMPT_HEADER}
)


class RedisStreamEntry(NamedTuple):
    """One stream entry with what the reply does not say: its stream, group and deliveries."""

    stream: str
    entry_id: str
    fields: Mapping[Any, Any]
    group: str | None = None
    consumer: str | None = None
    delivery_count: int | None = None
    client: Any = None  # the redis-py client (sync or asyncio) that settles it


def redis_entry(
    stream: str | bytes,
    entry_id: str | bytes,
    fields: Mapping[Any, Any] | None,
    *,
    group: str | bytes | None = None,
    consumer: str | bytes | None = None,
    delivery_count: int | None = None,
    client: Any = None,
) -> RedisStreamEntry:
    """Wrap one entry of an XREADGROUP/XREAD/XCLAIM reply for ``@traced.consumer``."""
    return RedisStreamEntry(
        _text(stream),
        _text(entry_id),
        fields or {},
        _opt_str(group),
        _opt_str(consumer),
        delivery_count,
        client,
    )


def redis_entries(
    reply: Any,
    *,
    stream: str | bytes | None = None,
    group: str | bytes | None = None,
    consumer: str | bytes | None = None,
    delivery_counts: Mapping[str, int] | None = None,
    client: Any = None,
) -> list[RedisStreamEntry]:
    """Every entry of an XREADGROUP/XREAD reply (RESP2 list or RESP3 dict), or of an
    XCLAIM/XRANGE reply (a flat list of entries, which needs ``stream=``).

    Entries read with ``>`` are first deliveries (count 1, when a group is given); pass
    ``delivery_counts`` (from :func:`redis_delivery_counts`) for re-read or claimed ones, and
    ``client`` (with ``group``) to let ``settle=True`` acknowledge them.
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
                    client=client,
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
        attempt=_attempt(entry.fields, count),
        redelivered=count > 1 if count is not None else None,
        attributes=attributes,
    )


def read_raw(entry: Sequence[Any]) -> MessageInfo:
    """A bare ``(entry_id, fields)`` from an XREAD/XREADGROUP reply; other sequences are read
    like any object."""
    if not _is_entry(entry) or entry[1] is None:
        return attribute_adapter(entry)
    entry_id, fields = _text(entry[0]), entry[1]
    return MessageInfo(
        headers=fields,
        message_id=entry_id,
        body_size=_body_size(fields),
        timestamp=_id_time(entry_id),
        attempt=_attempt(fields, None),
    )


def _attempt(fields: Mapping[Any, Any], delivery_count: int | None) -> int | None:
    """Re-added copies count in ``obskit-attempt``; XPENDING counts deliveries of this one."""
    value = fields.get(ATTEMPT_HEADER, fields.get(ATTEMPT_HEADER.encode()))
    base = int(value) if isinstance(value, str | bytes) and value.isdigit() else None
    if base is None:
        return delivery_count
    return base + (delivery_count - 1 if delivery_count else 0)


def settle_entry(entry: RedisStreamEntry, request: SettleRequest) -> Any:
    """XACK, with the re-added copy or the dead letter in the same MULTI (a list of replies, or
    an awaitable one for ``redis.asyncio``)."""
    if entry.client is None or entry.group is None:
        raise TypeError("settling a Redis entry needs redis_entries(..., group=, client=)")
    decision = request.decision
    pipe = entry.client.pipeline(transaction=True)
    if decision.action is Settle.RETRY:
        pipe.xadd(entry.stream, _fields(entry.fields, {ATTEMPT_HEADER: decision.next_attempt}))
    elif decision.action is Settle.DEAD_LETTER:
        target = request.dead_letter or f"{entry.stream}.dead-letter"
        pipe.xadd(target, _fields(entry.fields, request.failure))
    pipe.xack(entry.stream, entry.group, entry.entry_id)
    return pipe.execute()


def _fields(fields: Mapping[Any, Any], extra: Mapping[str, Any]) -> dict[Any, Any]:
    """``fields`` with ``extra`` replacing same-named ones, whether bytes or text."""
    kept = {k: v for k, v in fields.items() if _text(k) not in extra}
    return {**kept, **extra}


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


register_adapter("obskit.messaging._redis", "RedisStreamEntry", read_entry, settler=settle_entry)
register_adapter("builtins", "tuple", read_raw)
register_adapter("builtins", "list", read_raw)
