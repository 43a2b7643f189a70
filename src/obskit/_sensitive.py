"""The words that make a field, header or query key sensitive: one list for logs, span
attributes and HTTP telemetry alike (the registry's ``sensitive: true`` adds to it)."""

from __future__ import annotations

import re
from typing import Final

#: a name containing one of these (any case) holds a secret
SENSITIVE_WORDS: Final = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "authorisation",
    "cookie",
    "api_key",
    "api-key",
    "api.key",
    "apikey",
    "private_key",
    "private-key",
    "privatekey",
    "credential",
    "pwd",
)

SENSITIVE_KEY: Final = re.compile("|".join(map(re.escape, SENSITIVE_WORDS)), re.IGNORECASE)
