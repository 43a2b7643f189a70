"""What HTTP telemetry must never carry: credentials in URLs, headers and queries.

Every decision comes from the current redactor, the rule log fields use
(:mod:`obskit._sensitive`): a header or query key is sensitive when the shared word list or the
configured registry says so (plus the URL-only parameters ``key`` and ``code``), and every value
kept is scrubbed of secret-shaped text.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote_plus

from obskit._redaction import MARKER
from obskit._sensitive import URL_PARAMETERS
from obskit._state import current_redactor
from obskit.http import _http_names as n

if TYPE_CHECKING:
    from obskit._redaction import Redactor

REDACTED_VALUE: Final = MARKER
_CACHED_CHARS: Final = 512  # longer queries and URLs are redacted each time, never kept


def redact_query(query: str) -> str:
    """``url.query`` with the values of sensitive keys replaced by the marker."""
    if not query:
        return query
    if len(query) > _CACHED_CHARS:
        return _query.__wrapped__(current_redactor(), query)
    return _query(current_redactor(), query)


def redact_url(url: str) -> str:
    """``url.full``: no user info, sensitive query values redacted, no fragment."""
    if len(url) > _CACHED_CHARS:
        return _url.__wrapped__(current_redactor(), url)
    return _url(current_redactor(), url)


def header_value(name: str, value: str) -> str:
    """What a captured header may show: the marker for a sensitive one, else its scrubbed text.

    A header is sensitive by its name (``x-access-token``, ``private-token``, ``api-key``...)
    or when the registry marks it, as ``http.request.header.<name>`` or the bare name."""
    redactor = current_redactor()
    names = redactor.scrubber.name
    suffix = name.replace("-", "_")
    if (
        names(name)
        or names(f"{n.HTTP_REQUEST_HEADER}.{suffix}")
        or names(f"{n.HTTP_RESPONSE_HEADER}.{suffix}")
    ):
        return REDACTED_VALUE
    return redactor.scrub(value)


def _key_is_sensitive(redactor: Redactor, key: str) -> bool:
    lowered = unquote_plus(key).lower()
    return lowered in URL_PARAMETERS or redactor.scrubber.name(lowered)


@functools.lru_cache(maxsize=1024)
def _query(redactor: Redactor, query: str) -> str:
    parts = query.split("&")
    for index, part in enumerate(parts):
        key, sep, value = part.partition("=")
        if sep and value:
            sensitive = _key_is_sensitive(redactor, key) or _hides_a_secret(redactor, value)
            parts[index] = f"{key}={REDACTED_VALUE}" if sensitive else redactor.scrub(part)
    return "&".join(parts)


def _hides_a_secret(redactor: Redactor, value: str) -> bool:
    """A percent- or plus-encoded value (``password%3Dhunter22``) is judged decoded: the
    scrubber reads text, and an encoded secret must not pass it in disguise."""
    if "%" not in value and "+" not in value:
        return False
    decoded = unquote_plus(value)
    return redactor.scrub(decoded) != decoded


@functools.lru_cache(maxsize=1024)
def _url(redactor: Redactor, url: str) -> str:
    """User info is everything up to the last ``@`` before the first ``/`` of the path: a
    password may contain ``#`` or ``?``, so only ``/`` safely ends the authority (erring towards
    redacting too much, never too little)."""
    scheme_end = url.find("://")
    authority_start = 0 if scheme_end == -1 else scheme_end + 3
    slash = url.find("/", authority_start)
    at = url.rfind("@", authority_start, len(url) if slash == -1 else slash)
    if scheme_end != -1 and at != -1:
        url = f"{url[:authority_start]}{REDACTED_VALUE}:{REDACTED_VALUE}@{url[at + 1 :]}"
    url = url.partition("#")[0]
    base, sep, query = url.partition("?")
    slash = base.find("/", authority_start)
    if slash != -1:  # a token in the path: /hooks/xoxb-..., /v1/sk_live_...
        base = base[:slash] + redactor.scrub(base[slash:])
    return f"{base}?{_query.__wrapped__(redactor, query)}" if sep and query else base
