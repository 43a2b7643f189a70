"""NATS through nats-py: core ``Msg`` (headers, subject) and JetStream messages, whose reply
subject carries the stream, consumer, delivery count and timestamp.

Publishing needs no helper: ``await nc.publish(subject, data, headers=headers)`` with the dict
:func:`obskit.publishing` yields.

Settling (``settle=True``) a JetStream message: ``ack()``; a retry is ``nak(delay)`` (JetStream
counts the deliveries: the attempt is ``num_delivered``); a dead letter is a copy published
through JetStream to ``{subject}.dead-letter`` (a stream must capture it, or the message stays
unsettled and comes back) followed by ``term()``, or only ``term()`` with
``dead_letter=BROKER_DEAD_LETTER`` (JetStream's terminated-message advisory).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from obskit import _semconv_names as sc
from obskit.messaging._adapter import MessageInfo, SettleRequest, _opt_str, register_adapter
from obskit.messaging._decision import Settle

_JS_ACK: Final = "$JS.ACK."
MSG_ID_HEADER: Final = "Nats-Msg-Id"

_log = logging.getLogger("obskit.messaging")


def read_msg(msg: Any) -> MessageInfo:
    headers = msg.headers
    data = msg.data
    info = MessageInfo(
        headers=headers,
        destination=msg.subject,
        message_id=_opt_str(headers.get(MSG_ID_HEADER)) if headers else None,
        body_size=len(data) if data is not None else None,
    )
    reply = msg.reply or ""
    if reply.startswith(_JS_ACK):
        _add_jetstream(info, msg)
    return info


def _add_jetstream(info: MessageInfo, msg: Any) -> None:
    """Delivery count, time and stream from the ack subject; a malformed one keeps the rest."""
    try:
        metadata = msg.metadata
    except Exception:
        _log.debug("obskit: unreadable JetStream metadata in %r", msg.reply)
        return
    delivered = int(metadata.num_delivered)
    info.attempt = delivered
    info.redelivered = delivered > 1
    info.timestamp = metadata.timestamp.timestamp()
    if info.message_id is None:  # the broker's own identity of the message
        info.message_id = f"{metadata.stream}:{metadata.sequence.stream}"
    info.attributes[sc.MESSAGING_CONSUMER_GROUP_NAME] = metadata.consumer


async def settle_msg(msg: Any, request: SettleRequest) -> None:
    if not (msg.reply or "").startswith(_JS_ACK):
        raise TypeError("a core NATS message cannot be settled: only JetStream acknowledges")
    decision = request.decision
    if decision.action is Settle.ACK:
        await msg.ack()
    elif decision.action is Settle.RETRY:
        await msg.nak(delay=decision.delay or None)
    else:
        if request.dead_letter is not None:
            headers = {**(msg.headers or {}), **request.failure}
            # nats-py gives a message no public handle on its client; JetStream publishing
            # confirms that a stream stored the dead letter before the original is dropped
            js = msg._client.jetstream()
            await js.publish(request.dead_letter, msg.data, headers=headers)
        await msg.term()


register_adapter("nats.aio.msg", "Msg", read_msg, settler=settle_msg)
