"""Redaction of what HTTP telemetry must never carry: credentials in URLs, headers, queries."""

from __future__ import annotations

import functools
import logging
import re
from typing import Final
from urllib.parse import unquote_plus

from obskit._sensitive import SENSITIVE_WORDS
from obskit.http import _http_names as n

_log = logging.getLogger("obskit.http")

REDACTED_VALUE: Final = n.REDACTED

#: query keys whose values never reach telemetry (compared lowercased)
SENSITIVE_QUERY_KEYS: Final = frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "api_key",
        "apikey",
        "api-key",
        "key",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        "awsaccesskeyid",
        "auth",
        "authorization",
        "code",
        "session",
        "sessionid",
    }
)
_SENSITIVE_PARTS: Final = SENSITIVE_WORDS

#: header names always redacted when captured
SENSITIVE_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-auth-token",
        "x-csrf-token",
        "x-xsrf-token",
    }
)


def _covering_words(words: frozenset[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The words of ``words`` that contain no other of them: a text holding none of these holds
    none of ``words`` either."""
    return tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))


#: one of these occurs in the lowered query whenever some key in it can be sensitive, unless the
#: query is percent-encoded (``%74oken`` unquotes to ``token``)
_MAYBE_SENSITIVE: Final = re.compile(
    "|".join(map(re.escape, _covering_words(SENSITIVE_QUERY_KEYS | frozenset(_SENSITIVE_PARTS))))
).search


def _query_key_is_sensitive(key: str) -> bool:
    lowered = unquote_plus(key).lower()
    return lowered in SENSITIVE_QUERY_KEYS or any(part in lowered for part in _SENSITIVE_PARTS)


@functools.lru_cache(maxsize=1024)
def redact_query(query: str) -> str:
    """``url.query`` with the values of sensitive keys replaced by ``REDACTED``."""
    if not query or ("%" not in query and _MAYBE_SENSITIVE(query.lower()) is None):
        return query  # no key can be sensitive: nothing to split and rebuild
    parts = query.split("&")
    changed = False
    for index, part in enumerate(parts):
        key, sep, value = part.partition("=")
        if sep and value and _query_key_is_sensitive(key):
            parts[index] = f"{key}={REDACTED_VALUE}"
            changed = True
    return "&".join(parts) if changed else query


@functools.lru_cache(maxsize=1024)
def redact_url(url: str) -> str:
    """``url.full``: no user info, sensitive query values redacted, no fragment.

    User info is everything up to the last ``@`` before the first ``/`` of the path: a password
    may contain ``#`` or ``?``, so only ``/`` safely ends the authority (erring towards
    redacting too much, never too little).
    """
    scheme_end = url.find("://")
    if scheme_end != -1:
        authority_start = scheme_end + 3
        slash = url.find("/", authority_start)
        at = url.rfind("@", authority_start, len(url) if slash == -1 else slash)
        if at != -1:
            url = f"{url[:authority_start]}{REDACTED_VALUE}:{REDACTED_VALUE}@{url[at + 1 :]}"
    url = url.partition("#")[0]
    base, sep, query = url.partition("?")
    return f"{base}?{redact_query(query)}" if sep else base


@functools.lru_cache(maxsize=256)
def header_is_sensitive(name: str) -> bool:
    """Always-sensitive names, plus whatever the obskit convention registry marks sensitive."""
    name = name.lower()
    if name in SENSITIVE_HEADERS:
        return True
    try:
        from obskit.conventions import default_registry
    except ImportError:  # pragma: no cover - the registry ships with obskit
        return False
    try:
        registry = default_registry()
        suffix = name.replace("-", "_")
        return any(
            registry.is_sensitive(candidate)
            for candidate in (
                f"{n.HTTP_REQUEST_HEADER}.{suffix}",
                f"{n.HTTP_RESPONSE_HEADER}.{suffix}",
                name,
                suffix,
            )
        )
    except Exception:  # a broken registry must not break the host; redact to be safe
        _log.warning("obskit: the convention registry failed; redacting %s", name, exc_info=True)
        return True
