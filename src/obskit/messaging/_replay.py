"""``replay_dead_letters()``: move dead letters back to where they failed, with a fresh budget.

Each dead letter goes back to the destination its ``obskit-dead-letter-from`` header names (for
RabbitMQ's own dead-lettering, the queue in ``x-death``), or to ``to=``, without the failure
headers and the attempt count, so it gets ``max_attempts`` again; it keeps its trace context, so
the replay joins the original trace. One call per client: a pika ``BlockingChannel``, an
aio-pika channel, a redis-py client, a nats-py JetStream context (async clients return an
awaitable).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from obskit.messaging._adapter import DEAD_LETTER_FROM_HEADER, FAILURE_HEADERS

__all__ = ["replay_dead_letters"]

#: what a failure added: obskit's headers, RabbitMQ's dead-lettering history and counts
_STRIPPED = frozenset(
    {
        *FAILURE_HEADERS,
        *(f"x-{edge}-death-{part}" for edge in ("first", "last") for part in
          ("exchange", "queue", "reason")),
        "x-death",
        "x-delivery-count",
    }
)  # fmt: skip


def replay_dead_letters(
    client: Any, dead_letter: str, *, to: str | None = None, limit: int | None = None
) -> Any:
    """Move up to ``limit`` dead letters from ``dead_letter`` back; the number moved.

    ``replay_dead_letters(channel, "orders.dead-letter")`` (pika),
    ``await replay_dead_letters(js, "orders.dead-letter")`` (JetStream: the subject),
    ``replay_dead_letters(redis_client, "orders.dead-letter")`` (a stream).
    """
    module = type(client).__module__
    if module.startswith("pika"):
        return _pika(client, dead_letter, to, limit)
    if module.startswith("aio_pika"):
        return _aio_pika(client, dead_letter, to, limit)
    if module.startswith("nats"):
        return _jetstream(client, dead_letter, to, limit)
    if module.startswith("redis.asyncio"):
        return _redis_async(client, dead_letter, to, limit)
    if module.startswith("redis"):
        return _redis(client, dead_letter, to, limit)
    raise TypeError(f"cannot replay dead letters through a {type(client).__qualname__}")


def replayed(headers: Mapping[Any, Any] | None, to: str | None) -> tuple[dict[Any, Any], str]:
    """The headers a replayed message carries, and where it goes."""
    headers = dict(headers or {})
    origin = headers.get(DEAD_LETTER_FROM_HEADER, headers.get(DEAD_LETTER_FROM_HEADER.encode()))
    target = to or _text(origin) or _death_queue(headers)
    if not target:
        raise ValueError("a dead letter without obskit-dead-letter-from needs to=")
    kept = {k: v for k, v in headers.items() if _text(k) not in _STRIPPED}
    return kept, target


def _death_queue(headers: Mapping[Any, Any]) -> str:
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        return _text(deaths[0].get("queue"))
    return ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _remaining(limit: int | None, moved: int) -> bool:
    return limit is None or moved < limit


def _pika(channel: Any, dead_letter: str, to: str | None, limit: int | None) -> int:
    moved = 0
    while _remaining(limit, moved):
        method, properties, body = channel.basic_get(dead_letter)
        if method is None:
            break
        properties.headers, target = replayed(properties.headers, to)
        channel.basic_publish("", target, body, properties)
        channel.basic_ack(method.delivery_tag)
        moved += 1
    return moved


async def _aio_pika(channel: Any, dead_letter: str, to: str | None, limit: int | None) -> int:
    import aio_pika

    queue = await channel.get_queue(dead_letter, ensure=False)
    moved = 0
    while _remaining(limit, moved):
        message = await queue.get(fail=False)
        if message is None:
            break
        headers, target = replayed(message.headers, to)
        copy = aio_pika.Message(
            message.body,
            headers=headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=message.delivery_mode,
            correlation_id=message.correlation_id,
            message_id=message.message_id,
        )
        await channel.default_exchange.publish(copy, routing_key=target)
        await message.ack()
        moved += 1
    return moved


async def _jetstream(js: Any, dead_letter: str, to: str | None, limit: int | None) -> int:
    import nats.errors

    subscription = await js.pull_subscribe(dead_letter)  # an ephemeral consumer
    moved = 0
    try:
        while _remaining(limit, moved):
            try:
                (msg,) = await subscription.fetch(1, timeout=0.5)
            except nats.errors.TimeoutError:
                break
            headers, target = replayed(msg.headers, to)
            await js.publish(target, msg.data, headers=headers)
            await msg.ack()
            metadata = msg.metadata  # a limits stream keeps acknowledged messages: delete it
            await js.delete_msg(metadata.stream, metadata.sequence.stream)
            moved += 1
    finally:
        await subscription.unsubscribe()
    return moved


def _redis(client: Any, dead_letter: str, to: str | None, limit: int | None) -> int:
    moved = 0
    for entry_id, fields in client.xrange(dead_letter, count=limit):
        kept, target = replayed(fields, to)
        pipe = client.pipeline(transaction=True)
        pipe.xadd(target, kept)
        pipe.xdel(dead_letter, entry_id)
        pipe.execute()
        moved += 1
    return moved


async def _redis_async(client: Any, dead_letter: str, to: str | None, limit: int | None) -> int:
    moved = 0
    for entry_id, fields in await client.xrange(dead_letter, count=limit):
        kept, target = replayed(fields, to)
        pipe = client.pipeline(transaction=True)
        pipe.xadd(target, kept)
        pipe.xdel(dead_letter, entry_id)
        await pipe.execute()
        moved += 1
    return moved
