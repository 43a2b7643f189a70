"""Name spelling: the format rule, the log-key rule and the normalisation behind near-duplicates."""

from __future__ import annotations

import re
from typing import Final

#: Weaver's name rule: lowercase alphanumeric components joined by single ``.`` or ``_``.
NAME_FORMAT: Final = re.compile(r"^[a-z][a-z0-9]*([._][a-z0-9]+)*$")

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[.\-_\s/:]+")


def is_valid_name(name: str) -> bool:
    return NAME_FORMAT.match(name) is not None


def namespaces(name: str) -> list[str]:
    """``"a.b.c"`` -> ``["a", "a.b"]``: every proper dotted prefix."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def derive_log_key(name: str, prefix: str | None = None) -> str:
    """The keyword-argument spelling of an attribute when none is declared.

    Dots become underscores (``http.request.method`` -> ``http_request_method``); under the
    organisation prefix the prefix is dropped first (``app.order.id`` -> ``order_id``), because
    log fields of your own domain are written without it.
    """
    if prefix and name.startswith(prefix + ".") and len(name) > len(prefix) + 1:
        name = name[len(prefix) + 1 :]
    return name.replace(".", "_").replace("-", "_")


def normalize(name: str) -> str:
    """Fold the spellings of one concept: ``orderId``, ``order-id``, ``ORDER_ID`` -> ``order_id``.

    camelCase and PascalCase are split at case changes (``OrderID`` -> ``order_id``), then
    everything is lowercased and every run of separators becomes one ``_``.
    """
    if not name.isupper():
        name = _CAMEL_BOUNDARY.sub("_", name)
    return _SEPARATORS.sub("_", name).strip("_").lower()
