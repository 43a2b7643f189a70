"""Reporters: plain functions from a list of located findings to text.

Shared by ``lint``, ``check`` and ``drift``; the output a person reads, a CI step parses (JSON),
GitHub code scanning ingests (SARIF 2.1.0) or an Actions log turns into annotations.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path, PureWindowsPath
from typing import Final

from obskit.conventions import Level
from obskit.lint._results import LocatedFinding

__all__ = [
    "FORMATS",
    "as_dict",
    "render",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]

INFORMATION_URI: Final = "https://github.com/obskit/obskit/blob/main/docs/lint.md"
SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL: Final = {
    Level.VIOLATION: "error",
    Level.IMPROVEMENT: "warning",
    Level.INFORMATION: "note",
}
_GITHUB_LEVEL: Final = {
    Level.VIOLATION: "error",
    Level.IMPROVEMENT: "warning",
    Level.INFORMATION: "notice",
}


def render_text(findings: Sequence[LocatedFinding]) -> str:
    """``path:line:col: CODE message`` per finding, the shape editors and grep understand."""
    return "".join(f"{f.path}:{f.line}:{f.col}: {f.code} {f.message}\n" for f in findings)


def as_dict(item: LocatedFinding) -> dict[str, object]:
    finding = item.finding
    return {
        "path": item.path,
        "line": item.line,
        "col": item.col,
        "end_col": item.end_col,
        "code": finding.code,
        "level": finding.level.name.lower(),
        "name": finding.name,
        "message": finding.message,
        "suggestion": finding.suggestion,
        "context": item.context or None,
    }


def render_json(findings: Sequence[LocatedFinding]) -> str:
    return json.dumps([as_dict(f) for f in findings], indent=2) + "\n"


def render_sarif(findings: Sequence[LocatedFinding], tool: str = "obskit") -> str:
    """One SARIF 2.1.0 run; rule ids are the finding codes."""
    rules: dict[str, dict[str, object]] = {}
    results: list[dict[str, object]] = []
    cwd = _cwd()
    for item in findings:
        code = item.code
        if code not in rules:
            rules[code] = {
                "id": code,
                "name": code,
                "shortDescription": {"text": code.replace("_", " ")},
                "helpUri": f"{INFORMATION_URI}#{code.replace('_', '-')}",
                "defaultConfiguration": {"level": _SARIF_LEVEL[item.level]},
            }
        region: dict[str, int] = {"startLine": item.line, "startColumn": item.col}
        if item.end_col is not None and item.end_col > item.col:
            region["endColumn"] = item.end_col
        result: dict[str, object] = {
            "ruleId": code,
            "ruleIndex": list(rules).index(code),
            "level": _SARIF_LEVEL[item.level],
            "message": {"text": item.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact_location(item.path, cwd),
                        "region": region,
                    }
                }
            ],
        }
        if item.finding.suggestion:
            result["properties"] = {"suggestion": item.finding.suggestion}
        results.append(result)
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": tool,
                "informationUri": INFORMATION_URI,
                "rules": list(rules.values()),
            }
        },
        "results": results,
    }
    if cwd is not None:
        run["originalUriBaseIds"] = {_SRCROOT: {"uri": _directory_uri(cwd)}}
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


_SRCROOT: Final = "%SRCROOT%"
_WINDOWS_ABSOLUTE: Final = re.compile(r"[A-Za-z]:[\\/]|\\\\[^\\]")


def _artifact_location(path: str, cwd: Path | None) -> dict[str, str]:
    """A valid URI for ``path``: relative to ``%SRCROOT%`` (the cwd) when it can be, else absolute.

    Relative URIs are percent-encoded POSIX paths (spaces, ``#`` and ``%`` would otherwise make an
    invalid or a different URI); a path outside the cwd becomes a ``file:`` URI.
    """
    if os.name != "nt" and _WINDOWS_ABSOLUTE.match(path):
        return {"uri": PureWindowsPath(path).as_uri()}  # a Windows path reported elsewhere
    given = Path(path.replace("\\", "/"))
    relative: Path | None = None
    if not given.is_absolute() and ".." not in given.parts:
        relative = given  # already relative to the cwd, and symlinks keep their own name
    elif cwd is not None:
        absolute = Path(os.path.normpath(given if given.is_absolute() else cwd / given))
        for candidate, base in ((absolute, cwd), (_resolved(absolute), _resolved(cwd))):
            if candidate.is_relative_to(base):
                relative = candidate.relative_to(base)
                break
    if relative is not None:
        location = {"uri": urllib.parse.quote(relative.as_posix(), safe="/")}
        if cwd is not None:
            location["uriBaseId"] = _SRCROOT
        return location
    return {"uri": _resolved(given).as_uri()}


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _cwd() -> Path | None:
    try:
        return Path.cwd()
    except OSError:  # the working directory was removed
        return None


def _directory_uri(directory: Path) -> str:
    directory = _resolved(directory)
    uri = directory.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[LocatedFinding]) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on the diff."""
    lines = []
    for item in findings:
        props = (
            f"file={_escape_property(item.path)},line={item.line},col={item.col},"
            f"title={_escape_property(item.code)}"
        )
        lines.append(f"::{_GITHUB_LEVEL[item.level]} {props}::{_escape_data(item.message)}\n")
    return "".join(lines)


FORMATS: Final[dict[str, Callable[[Sequence[LocatedFinding]], str]]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}


def render(findings: Sequence[LocatedFinding], fmt: str) -> str:
    return FORMATS[fmt](findings)
