"""What a secret looks like, in a name and in text: the one rule every redaction path asks.

Names (log keys, span attributes, HTTP headers, query keys) are sensitive when they contain one
of :data:`SENSITIVE_WORDS`, or one of :data:`SENSITIVE_COMPONENTS` as a whole component
(``pass`` in ``db.pass``, not in ``passenger``). Logfire's default scrubbing patterns are all in
these lists: the floor, not the ceiling. The registry's ``sensitive: true`` adds names.

Text (any string value, event, exception message, URL or header value) is scrubbed of what a
secret looks like wherever it appears: provider keys (``sk_live_``, ``ghp_``, ``xoxb-``,
``AIza``, ``glpat-``, ``AKIA``...), JWTs, private-key blocks, ``Bearer``/``Basic``
credentials, the value after a sensitive name (``password=``, ``"token": "..."``,
``Cookie:``), URL user info (``postgres://user:password@host``) and Luhn-valid card numbers.
One regular expression scans each string once. Users add their own patterns; each runs under
a fixed time budget per value (a pattern that backtracks catastrophically costs that budget and
redacts the value whole, never stalls the host).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any, Final

__all__ = [
    "MARKER",
    "PATTERN_BUDGET",
    "SENSITIVE_COMPONENTS",
    "SENSITIVE_NAME",
    "SENSITIVE_WORDS",
    "URL_PARAMETERS",
    "Scrubber",
    "compile_pattern",
    "luhn_valid",
]

MARKER: Final = "[REDACTED]"

#: a name containing one of these (regular-expression fragments, any case) holds a secret
SENSITIVE_WORDS: Final = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    r"auth(?!ors?\b)",  # authorization, oauth, x-auth-...; not "author"
    "cookie",
    "credential",
    "session",
    "bearer",
    "signature",
    r"api[._ -]?key",
    r"private[._ -]?key",
    r"access[._ -]?key",
    r"secret[._ -]?key",
    r"credit[._ -]?card",
    r"card[._ -]?number",
    r"social[._ -]?security",
)

#: sensitive only as a whole component of a name (split at anything not a letter or digit)
SENSITIVE_COMPONENTS: Final = ("pass", "jwt", "ssn", "csrf", "xsrf", "sig", "cvv", "cvc", "otp")

#: query parameters that carry credentials by convention only in URLs (``?key=`` of Google's
#: APIs, an OAuth ``?code=``); as log keys or attributes these names are ordinary
URL_PARAMETERS: Final = frozenset({"key", "code"})

_WORDS: Final = "|".join(SENSITIVE_WORDS)
_COMPONENTS: Final = "|".join(SENSITIVE_COMPONENTS)

SENSITIVE_NAME: Final = re.compile(
    rf"{_WORDS}|(?<![a-z0-9])(?:{_COMPONENTS})(?![a-z0-9])", re.IGNORECASE
)

#: the time one user pattern may take on one value, in seconds
PATTERN_BUDGET: Final = 0.005
_CACHE_ENTRIES: Final = 4096
_CACHE_KEY_CHARS: Final = 256  # longer names are judged each time, never kept
#: shorter strings hold none of the shapes below: the shortest is a 3-letter sensitive
#: component, a separator and one character (``pwd=x``)
_MIN_TEXT: Final = 5
_MAX_DEPTH: Final = 8

#: secrets by their shape, wherever they appear in a text: each pattern runs only on a text that
#: holds one of its literals (an ``in`` test is far cheaper than a scan)
_SHAPES: Final = (
    (("PRIVATE KEY",),
     r"-----BEGIN[A-Z ]{0,20}PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]{0,20}PRIVATE KEY-----|\Z)"),
    (("k_live_", "k_test_"), r"[srp]k_(?:live|test)_[0-9a-zA-Z]{8,}"),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"gh[pousr]_[0-9A-Za-z]{20,}"),
    (("github_pat_",), r"github_pat_\w{20,}"),
    (("xox",), r"xox[abposre]-[0-9A-Za-z-]{8,}"),
    (("AIza",), r"AIza[0-9A-Za-z_-]{30,}"),
    (("glpat-",), r"glpat-[0-9A-Za-z_-]{16,}"),
    (("AKIA", "ASIA", "AGPA", "AIDA", "AROA"), r"A(?:KIA|SIA|GPA|IDA|ROA)[0-9A-Z]{16}"),
    (("npm_",), r"npm_[0-9A-Za-z]{30,}"),
    (("eyJ",), r"eyJ[0-9A-Za-z_-]{4,}\.eyJ[0-9A-Za-z_-]{4,}\.[0-9A-Za-z_-]*"),
    (("earer", "EARER", "asic", "ASIC"),
     r"(?P<auth>\b(?:[Bb]earer|[Bb]asic|BEARER|BASIC)\s+)[A-Za-z0-9._~+/=-]{6,}"),
)  # fmt: skip
_SHAPE_TABLE: Final = tuple((literals, re.compile(pattern)) for literals, pattern in _SHAPES)
_CARD: Final = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_DIGITS: Final = re.compile(r"\d[\d -]{11,}\d").search
#: a value after a name (``password=x``, ``"token": "x"``, ``Cookie: a=b``), and URL user info
_PAIRS: Final = (
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]{0,20}://)[^\s/@?#]*?(?::[^\s/]*)?@(?=[^\s@])",
    r"(?P<name>(?<![\w.-])(?P<key>[\w.-]{1,60})[\"']?\s{0,3}[:=]\s{0,3})"
    r"(?P<value>\"[^\"\n]{0,512}\"|'[^'\n]{0,512}'"
    r"|(?:(?:[Bb]earer|[Bb]asic|[Tt]oken)\s+)?[^\s\"'&,;<>)\]}]+)",
)
_PAIR_RE: Final = re.compile("|".join(_PAIRS))

_log = logging.getLogger("obskit")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number passes."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


class Scrubber:
    """The rule for one configuration: the built-in words and shapes, the registry's sensitive
    names (``is_sensitive``), the user's ``patterns``, and the ``marker`` that replaces them."""

    def __init__(
        self,
        is_sensitive: Any = None,
        *,
        patterns: Iterable[str | re.Pattern[str]] = (),
        marker: str = MARKER,
    ) -> None:
        self.registry_says = is_sensitive  # a callable(name) -> bool, or None
        self.marker = marker
        self.patterns = tuple(compile_pattern(p) for p in patterns)
        self._names: dict[str, bool] = {}
        self._texts: dict[str, str] = {}
        self._warned = False

    # -- names -------------------------------------------------------------------------------
    def name(self, name: str) -> bool:
        """Whether a field, attribute, header or parameter called ``name`` is redacted whole."""
        decision = self._names.get(name)
        if decision is None:
            decision = SENSITIVE_NAME.search(name) is not None
            if not decision and self.registry_says is not None:
                try:
                    decision = bool(self.registry_says(name))
                except Exception:  # a broken registry must not break the host: redact
                    _log.warning("obskit: the registry failed on %.64r; redacting", name)
                    decision = True
            if len(name) <= _CACHE_KEY_CHARS and len(self._names) < _CACHE_ENTRIES:
                self._names[name] = decision
        return decision

    # -- text --------------------------------------------------------------------------------
    def text(self, text: str) -> str:
        """``text`` with every secret-shaped part replaced by the marker."""
        if len(text) >= _MIN_TEXT:
            cached = self._texts.get(text)
            if cached is None:
                cached = self._scan(text)
                if len(text) <= _CACHE_KEY_CHARS:
                    if len(self._texts) >= _CACHE_ENTRIES:
                        self._texts.clear()  # a new generation: memory stays bounded
                    self._texts[text] = cached
            text = cached
        for pattern in self.patterns:
            text = self._user(pattern, text)
        return text

    def _scan(self, text: str) -> str:
        if "=" in text or ":" in text or "@" in text:
            text = _PAIR_RE.sub(self._pair, text)
        for literals, pattern in _SHAPE_TABLE:
            for literal in literals:
                if literal in text:
                    text = pattern.sub(self._shape, text)
                    break
        if _DIGITS(text) is not None:
            text = _CARD.sub(self._card, text)
        return text

    def _pair(self, match: re.Match[str]) -> str:
        scheme = match.group("scheme")
        if scheme is not None:  # URL user info: the scheme and host stay
            return f"{scheme}{self.marker}@"
        if self.name(match.group("key")):
            return match.group("name") + self.marker
        return match.group("name") + self._scan(match.group("value"))

    def _shape(self, match: re.Match[str]) -> str:
        auth = match.groupdict().get("auth")
        return self.marker if auth is None else auth + self.marker  # "Bearer" stays

    def _card(self, match: re.Match[str]) -> str:
        run = match.group()
        return self.marker if luhn_valid(run.replace(" ", "").replace("-", "")) else run

    def _user(self, pattern: Any, text: str) -> str:
        try:
            result: str = pattern.sub(self.marker, text, timeout=PATTERN_BUDGET)
        except TimeoutError:
            if not self._warned:
                self._warned = True
                _log.warning(
                    "obskit: redaction pattern %.80r exceeded its %.0f ms budget; the value was "
                    "redacted whole",
                    pattern.pattern,
                    PATTERN_BUDGET * 1000,
                )
            return self.marker
        return result

    # -- values ------------------------------------------------------------------------------
    def value(self, value: Any, depth: int = 0) -> Any:
        """``value`` with secrets replaced, walking mappings, sequences, sets, bytes and the
        text of any other object (its ``repr``, as a renderer would show it)."""
        cls = value.__class__
        if cls is str:
            return self.text(value)
        if cls in (int, float, bool) or value is None:
            return value
        if depth >= _MAX_DEPTH:
            return self.marker  # too deep to inspect: never let it through unread
        if isinstance(value, dict):
            return {
                k: self.marker if self._key(k) else self.value(v, depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            items = [self.value(v, depth + 1) for v in value]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, (set, frozenset)):
            members = [self.value(v, depth + 1) for v in value]
            return value if members == list(value) else members
        if isinstance(value, str):  # str subclasses (enums) stay themselves when clean
            text = self.text(value)
            return value if text == value else text
        if isinstance(value, (bytes, bytearray)):
            text = bytes(value).decode("latin-1")
            scrubbed = self.text(text)
            return value if scrubbed == text else scrubbed
        if isinstance(value, (int, float)):
            return value
        try:
            shown = repr(value)
        except Exception:
            return self.marker
        scrubbed = self.text(shown)
        return value if scrubbed == shown else scrubbed

    def _key(self, key: object) -> bool:
        """Nested keys may be bytes (decoded as latin-1, which never fails) or anything else."""
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        return isinstance(key, str) and self.name(key)


def compile_pattern(pattern: str | re.Pattern[str]) -> Any:
    """A user pattern compiled with ``regex``, whose matching takes a timeout (``re`` cannot be
    interrupted)."""
    import regex

    if isinstance(pattern, re.Pattern):
        return regex.compile(pattern.pattern, pattern.flags & ~re.UNICODE)
    if isinstance(pattern, str):
        return regex.compile(pattern)
    raise TypeError(f"redaction patterns are strings or compiled regexes, not {pattern!r}")
