"""``tracestate`` list parsing per the W3C Trace Context recommendation.

Kept apart from the SDK's ``TraceState`` parser on purpose: the recommendation's key grammar is
newer than the one the SDK validates against, and invalid members are dropped one by one rather
than discarding the whole header.
"""

from __future__ import annotations

import re
from typing import Final

from opentelemetry.trace import TraceState

MAX_MEMBERS: Final = 32

# simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
# multi-tenant-key = tenant-id "@" system-id
_KEY = re.compile(
    r"[a-z][a-z0-9_\-*/]{0,255}"
    r"|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}"
)
# value = 0*255(chr) nblk-chr ; chr = %x20 / nblk-chr ; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
_VALUE = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")


def parse(headers: list[str]) -> TraceState:
    """Combine every ``tracestate`` header line; drop invalid members; keep at most 32."""
    members: list[tuple[str, str]] = []
    seen: set[str] = set()
    for header in headers:
        for member in header.split(","):
            member = member.strip(" \t")
            if not member:
                continue
            key, sep, value = member.partition("=")
            if not sep or not _KEY.fullmatch(key) or not _VALUE.fullmatch(value):
                continue
            if key in seen:
                continue  # a duplicated key keeps the header; the later duplicate is dropped
            seen.add(key)
            members.append((key, value))
    return _build(members[:MAX_MEMBERS])


def _build(members: list[tuple[str, str]]) -> TraceState:
    state = TraceState()
    # TraceState's constructor re-validates keys with the SDK's older grammar; the members are
    # already validated here, so fill the mapping it wraps directly.
    state._dict.update(members)
    return state
