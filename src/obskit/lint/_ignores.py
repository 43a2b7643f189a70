"""Inline suppressions: ``# obskit: ignore`` and ``# obskit: ignore[CODE1,CODE2]`` on a line.

Comments are found with ``tokenize`` so that the marker inside a string literal does not count;
files without the marker text skip tokenizing entirely (it costs more than parsing).
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Final

__all__ = ["ALL", "MARKER", "inline_ignores"]

MARKER: Final = "obskit:"
#: stands for "every code" in the returned sets
ALL: Final = "*"
_PATTERN: Final = re.compile(r"#\s*obskit:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)


def inline_ignores(text: str) -> dict[int, frozenset[str]]:
    """Map line number -> codes suppressed on it (``{ALL}`` for a bare ``ignore``)."""
    if MARKER not in text:
        return {}
    result: dict[int, frozenset[str]] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return result
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _PATTERN.search(token.string)
        if match is None:
            continue
        codes = (
            frozenset(c.strip() for c in match.group(1).split(",") if c.strip())
            if match.group(1) is not None
            else frozenset({ALL})
        )
        line = token.start[0]
        result[line] = result.get(line, frozenset()) | codes
    return result


def suppressed(ignores: dict[int, frozenset[str]], line: int, code: str) -> bool:
    codes = ignores.get(line)
    return codes is not None and (ALL in codes or code in codes)
