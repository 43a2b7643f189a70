"""Exactly one message to ``shipping`` with this body, in this trace: with a readable diff.

The article's advice ("exactly a single PrepareShipping message", "precisely the data") as one
call; when it fails, the message lists every message that was sent there and, for each, how
its body differs from the expected one and whether it is in the expected trace.
"""

from __future__ import annotations

import difflib
import pprint
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from obskit.testing._bus import BusMessage


def _trace(trace_id: int | None) -> str:
    return "no trace" if trace_id is None else f"trace {trace_id:032x}"


def _diff(expected: Any, actual: Any) -> list[str]:
    lines = difflib.ndiff(
        pprint.pformat(expected, width=80).splitlines(),
        pprint.pformat(actual, width=80).splitlines(),
    )
    return [f"       {line}" for line in lines if not line.startswith("? ")]


def exactly_one(
    sent: Sequence[BusMessage], destination: str, body: Any, trace_id: int | None
) -> BusMessage:
    """The one message of ``sent`` with ``body`` (and ``trace_id``); else AssertionError."""
    matching = [m for m in sent if m.body == body and (trace_id is None or m.trace_id == trace_id)]
    if len(matching) == 1:
        return matching[0]
    wanted = f"{body!r}" + ("" if trace_id is None else f" in {_trace(trace_id)}")
    lines = [
        f"expected exactly one message to {destination!r} with body {wanted}; "
        f"found {len(matching)} among {len(sent)} sent there"
    ]
    for number, message in enumerate(sent, 1):
        lines.append(f"  {number}. {message.body!r} ({_trace(message.trace_id)})")
        if message.body != body:
            lines.append("     body differs (- expected, + sent):")
            lines.extend(_diff(body, message.body))
        elif trace_id is not None and message.trace_id != trace_id:
            lines.append(f"     same body, but not in the expected {_trace(trace_id)}")
        else:
            lines.append("     matches")
    raise AssertionError("\n".join(lines))
