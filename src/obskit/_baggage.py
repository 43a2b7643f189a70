"""Incoming W3C baggage, read within the specification's limits and never logged whole.

A ``baggage`` header over 8,192 bytes is dropped entirely; past 180 members or a member over
4,096 bytes the rest is dropped; a malformed member is skipped. Each kind of drop is counted
(``obskit.propagation.invalid_header_counts()``) and reported in one warning that names the
reason and the size, never the content (baggage carries user ids, tenants, sometimes tokens).
The SDK's own baggage propagator logs the whole header; a filter on its logger keeps those
records to a bounded length when another propagator set-up uses it.
"""

from __future__ import annotations

import logging
import re
from typing import Final
from urllib.parse import unquote_plus

from opentelemetry.baggage import set_baggage
from opentelemetry.context import Context

from obskit._carriers import note_invalid

__all__ = ["MAX_BYTES", "MAX_MEMBERS", "MAX_MEMBER_BYTES", "extract_baggage"]

MAX_BYTES: Final = 8192
MAX_MEMBER_BYTES: Final = 4096
MAX_MEMBERS: Final = 180

_TOKEN: Final = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEMBER: Final = re.compile(
    rf"\s*(?P<key>{_TOKEN})\s*=\s*(?P<value>[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*)\s*"
    r"(?:;[^,]*)?"
)
_log = logging.getLogger("obskit.propagation")
_warned: set[str] = set()


def _dropped(reason: str, size: int) -> None:
    note_invalid(reason, f"{size} bytes")
    if reason not in _warned:
        _warned.add(reason)
        _log.warning(
            "obskit: incoming baggage dropped (%s, %d bytes); further drops are counted, "
            "not logged",
            reason,
            size,
        )


def extract_baggage(values: list[str], context: Context) -> Context:
    """``context`` with the members of the ``baggage`` header(s) ``values`` that are valid."""
    header = ",".join(values)
    size = len(header.encode("utf-8", "replace"))
    if size > MAX_BYTES:
        _dropped("baggage_oversized", size)
        return context
    for index, member in enumerate(header.split(",")):
        if not member.strip():
            continue
        if index >= MAX_MEMBERS:
            _dropped("baggage_too_many_members", size)
            break
        if len(member) > MAX_MEMBER_BYTES:
            _dropped("baggage_member_oversized", len(member))
            continue
        match = _MEMBER.fullmatch(member)
        if match is None:
            _dropped("baggage_member_invalid", len(member))
            continue
        key, value = unquote_plus(match["key"]).strip(), unquote_plus(match["value"]).strip()
        context = set_baggage(key, value, context=context)
    return context


class _BoundedRecords(logging.Filter):
    """Shortens the arguments of the SDK baggage propagator's records (it logs whole headers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                f"{arg[:32]}... ({len(arg)} characters)"
                if isinstance(arg, str) and len(arg) > 48
                else arg
                for arg in record.args
            )
        return True


logging.getLogger("opentelemetry.baggage.propagation").addFilter(_BoundedRecords())
