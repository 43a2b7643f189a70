"""Header carriers: reading and writing one header in every shape brokers and HTTP stacks use.

Carriers: ``dict[str, str]``, ``dict[str, bytes]`` (AMQP tables, NATS headers), lists of
``(str, bytes)`` tuples (Kafka), and anything with ``getall``/``get_all``/``get_list`` (multidicts,
``email.message``, httpx headers). Keys match case-insensitively. Values that are not text are
skipped and counted (rate-limited debug record), never raised.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping, MutableMapping
from typing import Any, Final

from opentelemetry.propagators.textmap import Getter, Setter

__all__ = [
    "HEADER_GETTER",
    "HEADER_SETTER",
    "HeaderGetter",
    "HeaderSetter",
    "decode_all",
    "header_values",
    "invalid_header_counts",
    "note_invalid",
]

_log = logging.getLogger("obskit.propagation")


class _Undecodable(Exception):
    """A header value that is not text: treated as absent, counted."""


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise _Undecodable from None
    raise _Undecodable


def header_values(carrier: object, key: str) -> list[str]:
    """Every value of header ``key`` (case-insensitive) in ``carrier``, decoded to text.

    Raises nothing for shapes it does not know: they simply hold no headers. Undecodable
    values are counted and skipped.
    """
    if carrier is None:
        return []
    values: list[object]
    if type(carrier) is dict:  # the common case, without the ABC check
        found = carrier.get(key)
        if found is not None and len(carrier) == 1:
            values = list(found) if type(found) in (list, tuple) else [found]
            return decode_all(values, key)
        return decode_all(_collect_key(carrier, key), key)
    if isinstance(carrier, Mapping):
        direct = carrier.get(key)
        if direct is not None and not _has_case_variants(carrier, key):
            values = direct if isinstance(direct, list) else [direct]
        else:
            values = []
            for name, value in carrier.items():
                if isinstance(name, str | bytes) and _same_key(name, key):
                    if isinstance(value, list | tuple):
                        values.extend(value)
                    else:
                        values.append(value)
    elif isinstance(carrier, list | tuple):
        values = [
            pair[1]
            for pair in carrier
            if isinstance(pair, tuple | list)
            and len(pair) == 2
            and isinstance(pair[0], str | bytes)
            and _same_key(pair[0], key)
        ]
    else:
        getter = (
            getattr(carrier, "getall", None)
            or getattr(carrier, "get_all", None)
            or getattr(carrier, "get_list", None)
        )
        if getter is None:
            return []
        try:
            found = getter(key)
        except (KeyError, TypeError):
            return []
        values = list(found or ())
    texts = []
    for value in values:
        try:
            texts.append(_text(value))
        except _Undecodable:
            note_invalid("undecodable", key)
    return texts


def _collect_key(carrier: dict[Any, Any], key: str) -> list[object]:
    values: list[object] = []
    for name, value in carrier.items():
        if (type(name) is str and name.lower() == key) or (
            isinstance(name, bytes) and name.decode("latin-1").lower() == key
        ):
            if type(value) in (list, tuple):
                values.extend(value)
            else:
                values.append(value)
    return values


def _same_key(name: str | bytes, key: str) -> bool:
    if isinstance(name, bytes):
        try:
            name = name.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            return False
    return name.lower() == key


def _has_case_variants(carrier: Mapping[Any, Any], key: str) -> bool:
    # Small carriers: a linear scan is cheaper than any index. Only mixed-case duplicates matter.
    count = 0
    for name in carrier:
        if isinstance(name, str) and len(name) == len(key) and name.lower() == key:
            count += 1
            if count > 1:
                return True
    return False


def _key_text(key: object) -> str:
    return key.decode("latin-1") if isinstance(key, bytes) else str(key)


class HeaderGetter(Getter[Any]):
    """OpenTelemetry ``Getter`` over every carrier shape :func:`header_values` reads."""

    def get(self, carrier: Any, key: str) -> list[str] | None:
        values = header_values(carrier, key.lower())
        return values or None

    def keys(self, carrier: Any) -> list[str]:
        if isinstance(carrier, Mapping):
            return [_key_text(k) for k in carrier]
        if isinstance(carrier, list | tuple):
            return [_key_text(p[0]) for p in carrier if isinstance(p, tuple | list) and len(p) == 2]
        keys = getattr(carrier, "keys", None)
        return [str(k) for k in keys()] if callable(keys) else []


class HeaderSetter(Setter[Any]):
    """OpenTelemetry ``Setter`` that replaces, never duplicates, and keeps the carrier's encoding.

    Lists of tuples (Kafka) get ``bytes`` values; a mapping whose values are already ``bytes``
    gets ``bytes``; everything else gets ``str``.
    """

    def set(self, carrier: Any, key: str, value: str) -> None:
        if isinstance(carrier, MutableMapping):
            as_bytes = any(isinstance(v, bytes) for v in carrier.values())
            for name in [n for n in carrier if isinstance(n, str | bytes) and _same_key(n, key)]:
                del carrier[name]
            carrier[key] = value.encode() if as_bytes else value
        elif isinstance(carrier, list):
            carrier[:] = [
                pair
                for pair in carrier
                if not (isinstance(pair, tuple | list) and pair and _same_key(pair[0], key))
            ]
            carrier.append((key, value.encode()))
        elif hasattr(carrier, "__setitem__"):
            # email.message.Message-like carriers append on assignment: remove the old first
            if hasattr(carrier, "__delitem__"):
                with contextlib.suppress(KeyError):
                    del carrier[key]
            carrier[key] = value
        else:
            raise TypeError(f"cannot write headers into {type(carrier).__name__}")


HEADER_GETTER: Final = HeaderGetter()
HEADER_SETTER: Final = HeaderSetter()

# ---------------------------------------------------------------------------------------------
# Counting bad input: once per reason per interval, never per message.

_invalid: Counter[str] = Counter()
_last_report: dict[str, float] = {}
_REPORT_INTERVAL: Final = 60.0


_invalid_lock = threading.Lock()


def note_invalid(reason: str, detail: str) -> None:
    with _invalid_lock:  # only bad input takes this path
        _invalid[reason] += 1
        now = time.monotonic()
        report = now - _last_report.get(reason, -_REPORT_INTERVAL) >= _REPORT_INTERVAL
        if report:
            _last_report[reason] = now
    if report:
        _log.debug(
            "ignored invalid trace header (%s: %s); %d so far",
            reason,
            detail[:64],
            _invalid[reason],
        )


def invalid_header_counts() -> dict[str, int]:
    """How many header values were ignored, by reason (for tests and health pages)."""
    return dict(_invalid)


# ---------------------------------------------------------------------------------------------


def decode_all(values: list[object], key: str) -> list[str]:
    texts = []
    for value in values:
        if type(value) is str:
            texts.append(value)
            continue
        try:
            texts.append(_text(value))
        except _Undecodable:
            note_invalid("undecodable", key)
    return texts
