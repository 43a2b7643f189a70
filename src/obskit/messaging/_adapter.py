"""The seam between a consumer decorator and a broker client's message type.

An adapter reads what a message says about itself (headers, destination, id, size, timestamp,
attempt) into a :class:`MessageInfo`. Adapters are picked by the message's type through one
table; they are named by the type's module and class so that obskit never imports a broker
client to recognise its messages. The in-memory bus and every broker use the same seam.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MessageInfo", "adapter_for", "register_adapter"]

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


Adapter = Callable[[Any], MessageInfo]

# (module prefix, class name) -> adapter; checked in registration order along the type's MRO.
_by_name: dict[tuple[str, str], Adapter] = {}
_cache: dict[type, Adapter] = {}


def register_adapter(module_prefix: str, class_name: str, adapter: Adapter) -> None:
    """Teach obskit a message type by name (no import of the client library needed)."""
    _by_name[(module_prefix, class_name)] = adapter
    _cache.clear()


def adapter_for(message_type: type) -> Adapter:
    adapter = _cache.get(message_type)
    if adapter is None:
        adapter = _find(message_type)
        _cache[message_type] = adapter
    return adapter


def _find(message_type: type) -> Adapter:
    for base in message_type.__mro__:
        module = base.__module__
        for (prefix, name), adapter in _by_name.items():
            if base.__name__ == name and module.startswith(prefix):
                return adapter
    if issubclass(message_type, Mapping):
        return mapping_adapter
    return attribute_adapter


def mapping_adapter(message: Mapping[str, Any]) -> MessageInfo:
    """A mapping with ``headers`` (and optionally ``id``, ``body``, ``destination``)."""
    body = message.get("body")
    return MessageInfo(
        headers=message.get("headers"),
        destination=_opt_str(message.get("destination")),
        message_id=_opt_str(message.get("id") or message.get("message_id")),
        conversation_id=_opt_str(message.get("conversation_id")),
        body_size=_size(body),
    )


def attribute_adapter(message: Any) -> MessageInfo:
    """Any object with ``.headers`` (and optionally ``.id``/``.message_id``, ``.body``)."""
    message_id = getattr(message, "message_id", None) or getattr(message, "id", None)
    return MessageInfo(
        headers=getattr(message, "headers", None),
        message_id=_opt_str(message_id),
        conversation_id=_opt_str(getattr(message, "correlation_id", None)),
        body_size=_size(getattr(message, "body", None)),
    )


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
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
        info = adapter_for(type(message))(message)
        if headers is not None:
            info.headers = headers(message)
        return info
    except Exception:
        _log.warning(
            "obskit: could not read %s as a message; continuing without its context",
            type(message).__name__,
            exc_info=True,
        )
        return MessageInfo()
