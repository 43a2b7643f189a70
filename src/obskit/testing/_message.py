"""The message the in-memory bus carries, and how obskit reads and settles it.

A :class:`BusMessage` goes through the same adapter seam as every broker's message type: its
adapter reads headers, id, attempt and age; its settler hands a ``settle=True`` decision to the
bus delivering it (found through a context variable: each delivery runs in its own context).
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace

from obskit import _semconv_names as sc
from obskit import propagation
from obskit.messaging._adapter import MessageInfo, SettleRequest, register_adapter
from obskit.testing._shapes import Settled, encode_body

__all__ = ["BusMessage"]


@dataclass
class BusMessage:
    destination: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str = ""
    attempt: int = 1
    published_at: float = field(default_factory=time.time)

    @property
    def redelivered(self) -> bool:
        return self.attempt > 1

    @property
    def trace_id(self) -> int | None:
        """The trace this message belongs to (from its ``traceparent``)."""
        context = propagation.extract(self.headers)
        span_context = trace.get_current_span(context).get_span_context()
        return span_context.trace_id if span_context.is_valid else None

    def again(self, *, attempt: int | None = None, delay: float = 0.0) -> BusMessage:
        """A copy as the broker would hand it over again: redelivered (``attempt``) or late."""
        headers = dict(self.headers)
        if delay and sc.SENT_AT_HEADER in headers:
            headers[sc.SENT_AT_HEADER] = str(int(headers[sc.SENT_AT_HEADER]) - int(delay * 1e9))
        return BusMessage(
            self.destination,
            self.body,
            headers,
            self.message_id,
            self.attempt if attempt is None else attempt,
            self.published_at - delay,
        )

    def describe(self) -> str:
        """``orders {'id': 'o-1'}``: how a schedule or an assertion names this message."""
        return f"{self.destination} {self.body!r}"


def _read(message: BusMessage) -> MessageInfo:
    try:
        size: int | None = len(encode_body(message.body))
    except (TypeError, ValueError):
        size = None
    return MessageInfo(
        headers=message.headers,
        destination=message.destination,
        message_id=message.message_id,
        body_size=size,
        timestamp=message.published_at,
        attempt=message.attempt,
        redelivered=message.redelivered,
    )


#: the settlement of the delivery being handled (each delivery runs in its own context)
_settling: contextvars.ContextVar[Settled | None] = contextvars.ContextVar(
    "obskit_bus_settling", default=None
)


def _settle(message: BusMessage, request: SettleRequest) -> None:
    """``settle=True`` on a handler the bus delivers to: the bus carries out its decision."""
    settled = _settling.get()
    if settled is None:
        raise TypeError("a BusMessage is settled by the InMemoryBus delivering it")
    settled.record(request.decision.action, request.failure)


register_adapter("obskit.testing._message", "BusMessage", _read, settler=_settle)
