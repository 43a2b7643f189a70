"""The seam between a consumer decorator and a broker client's message type.

An adapter reads what a message says about itself (headers, destination, id, size, timestamp,
attempt) into a :class:`MessageInfo`; a settler carries out a settlement through the client's
own API. Both are picked by the message's type through one table; they are named by the type's
module and class so that obskit never imports a broker client to recognise its messages.
Argument shapes (pika's ``(channel, method, properties, body)``) are recognised here too, so
the consumer decorator has no per-client cases. The in-memory bus and every broker use the
same seam.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from obskit.messaging._decision import SettlementDecision

__all__ = [
    "MessageInfo",
    "SettleRequest",
    "adapter_for",
    "register_adapter",
    "register_arguments",
    "settler_for",
]

_log = logging.getLogger("obskit.messaging")


@dataclass(slots=True)
class MessageInfo:
    """What obskit knows of one message; every field but ``headers`` is optional."""

    headers: object = None
    destination: str | None = None
    message_id: str | None = None
    conversation_id: str | None = None
    body_size: int | None = None
    timestamp: float | None = None  # seconds since the epoch, as the broker or producer says
    attempt: int | None = None  # 1 for a first delivery
    redelivered: bool | None = None
    attributes: dict[str, Any] = field(default_factory=dict)  # broker-specific conventions
    readable: bool = True  # False: nothing in the message's shape says where headers are


#: the attempt a retried copy is (brokers that cannot count redeliveries carry it in a header)
ATTEMPT_HEADER: Final = "obskit-attempt"
ERROR_TYPE_HEADER: Final = "obskit-error-type"
ERROR_KIND_HEADER: Final = "obskit-error-kind"
DEAD_LETTERED_AT_HEADER: Final = "obskit-dead-lettered-at"
DEAD_LETTER_FROM_HEADER: Final = "obskit-dead-letter-from"
#: headers a dead letter gains; a replay removes them (and the attempt count) again
FAILURE_HEADERS: Final = (
    ATTEMPT_HEADER,
    ERROR_TYPE_HEADER,
    ERROR_KIND_HEADER,
    DEAD_LETTERED_AT_HEADER,
    DEAD_LETTER_FROM_HEADER,
)


@dataclass(frozen=True, slots=True)
class SettleRequest:
    """What a settler is asked to do with one message, and what it needs to do it."""

    decision: SettlementDecision
    info: MessageInfo
    destination: str  # where a retry goes back to: the consumer's queue, subject or stream
    dead_letter: str | None  # where a dead letter goes; None: the broker's own mechanism
    failure: dict[str, str]  # headers a dead letter gains: error type, kind, attempt, time


Adapter = Callable[[Any], MessageInfo]
#: carries out a settlement; an async client's settler returns an awaitable. ``False`` (or an
#: awaitable of it) means the handler had settled the message itself, so nothing was done
Settler = Callable[[Any, SettleRequest], Any]
#: the message among a handler's positional arguments, or None when the shape is not its own
ArgumentShape = Callable[[tuple[Any, ...]], Any]

# (module prefix, class name) -> adapter; checked in registration order along the type's MRO.
_by_name: dict[tuple[str, str], Adapter] = {}
_settlers: dict[tuple[str, str], Settler] = {}
_cache: dict[type, Adapter] = {}
_settler_cache: dict[type, Settler | None] = {}
#: argument count -> the shapes of that many arguments that hold a message (pika, paho)
argument_shapes: dict[int, list[ArgumentShape]] = {}


def register_adapter(
    module_prefix: str, class_name: str, adapter: Adapter, *, settler: Settler | None = None
) -> None:
    """Teach obskit a message type by name (no import of the client library needed)."""
    _by_name[(module_prefix, class_name)] = adapter
    if settler is not None:
        _settlers[(module_prefix, class_name)] = settler
    _cache.clear()
    _settler_cache.clear()


def register_arguments(count: int, shape: ArgumentShape) -> None:
    """Teach obskit a callback whose ``count`` positional arguments together hold a message."""
    argument_shapes.setdefault(count, []).append(shape)


def settler_for(message_type: type) -> Settler | None:
    """How to settle a message of this type through its client; None when obskit cannot."""
    if message_type not in _settler_cache:
        _settler_cache[message_type] = _lookup(_settlers, message_type)
    return _settler_cache[message_type]


def adapter_for(message_type: type) -> Adapter:
    adapter = _cache.get(message_type)
    if adapter is None:
        adapter = _find(message_type)
        _cache[message_type] = adapter
    return adapter


def _find(message_type: type) -> Adapter:
    adapter: Adapter | None = _lookup(_by_name, message_type)
    if adapter is not None:
        return adapter
    if issubclass(message_type, Mapping):
        return mapping_adapter
    return attribute_adapter


def _lookup(table: Mapping[tuple[str, str], Any], message_type: type) -> Any:
    for base in message_type.__mro__:
        module = base.__module__
        for (prefix, name), entry in table.items():
            if base.__name__ == name and module.startswith(prefix):
                return entry
    return None


def mapping_adapter(message: Mapping[str, Any]) -> MessageInfo:
    """A mapping with ``headers`` (and optionally ``id``, ``body``, ``destination``)."""
    get = message.get
    headers = get("headers", _NO_HEADERS)
    destination, conversation = get("destination"), get("conversation_id")
    body = get("body")
    return MessageInfo(  # positional: this runs for every message
        None if headers is _NO_HEADERS else headers,
        None if destination is None else _opt_str(destination),
        _opt_str(get("id") or get("message_id")),
        None if conversation is None else _opt_str(conversation),
        len(body) if type(body) is bytes else _size(body),
        readable=headers is not _NO_HEADERS,
    )


def attribute_adapter(message: Any) -> MessageInfo:
    """Any object with ``.headers`` (and optionally ``.id``/``.message_id``, ``.body``)."""
    message_id = getattr(message, "message_id", None) or getattr(message, "id", None)
    headers = getattr(message, "headers", _NO_HEADERS)
    return MessageInfo(
        readable=headers is not _NO_HEADERS,
        headers=None if headers is _NO_HEADERS else headers,
        message_id=_opt_str(message_id),
        conversation_id=_opt_str(getattr(message, "correlation_id", None)),
        body_size=_size(getattr(message, "body", None)),
    )


_NO_HEADERS: Any = object()


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _size(body: object) -> int | None:
    if isinstance(body, bytes | bytearray | memoryview):
        return len(body)
    if isinstance(body, str):
        return len(body.encode("utf-8"))
    return None


def read_message(message: Any, headers: Callable[[Any], object] | None) -> MessageInfo:
    """Adapter output for ``message``; a failing adapter gives an empty MessageInfo, logged."""
    try:
        adapter = _cache.get(type(message)) or adapter_for(type(message))
        info = adapter(message)
        if headers is not None:
            info.headers = headers(message)
            info.readable = True
        return info
    except Exception:
        from obskit._spans import warn_once

        warn_once(headers or type(message), "could not read the message; no context from it")
        return MessageInfo()
