"""``tracestate`` list parsing per the W3C Trace Context recommendation (levels 1 and 2).

Kept apart from the SDK's ``TraceState`` parser on purpose: the recommendation's key grammar is
newer than the one the SDK validates against. The current grammar (Trace Context Level 2, and the
test suite since w3c/trace-context#584) drops the old ``tenant@system`` split::

    key     = ( lcalpha / DIGIT ) 0*255 ( keychar )
    keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
    value   = 0*255(chr) nblk-chr

What happens to bad input (the processing model lets a vendor discard the whole header or only the
bad entries; obskit does what the conformance suite checks at its strict level):

- several ``tracestate`` header lines are combined in order; empty and whitespace-only members
  are allowed and skipped;
- a member that is not ``key=value`` with a valid key and value, or more than 32 members,
  discards the whole ``tracestate`` (the ``traceparent`` is still honoured);
- a duplicated key keeps the header; the later duplicate is dropped (receivers are not required to
  clean duplicates up, w3c/trace-context#477 and #552).
"""

from __future__ import annotations

import re
from typing import Final

from opentelemetry.trace import TraceState

MAX_MEMBERS: Final = 32

_KEY = re.compile(r"[a-z0-9][a-z0-9_\-*/@]{0,255}")
_VALUE = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")
_EMPTY: Final = TraceState()


def parse(headers: list[str]) -> TraceState:
    """The combined ``tracestate`` of every header line; empty when any member is invalid."""
    members: dict[str, str] = {}
    count = 0
    for header in headers:
        for member in header.split(","):
            member = member.strip(" \t")
            if not member:
                continue
            count += 1
            if count > MAX_MEMBERS:
                return _EMPTY
            key, sep, value = member.partition("=")
            if not sep or _KEY.fullmatch(key) is None or _VALUE.fullmatch(value) is None:
                return _EMPTY
            members.setdefault(key, value)  # a later duplicate is dropped, the header kept
    return _build(members) if members else _EMPTY


def _build(members: dict[str, str]) -> TraceState:
    state = TraceState()
    # TraceState's constructor re-validates keys with the SDK's older grammar; the members are
    # already validated here, so fill the mapping it wraps directly.
    state._dict.update(members)
    return state
