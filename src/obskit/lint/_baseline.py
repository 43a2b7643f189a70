"""Baselines: accept today's findings so CI fails only on new ones.

A fingerprint is path + code + name + occurrence index (the n-th finding with that path, code and
name, in file order), never the line: adding a line above an old finding must not make it new.
The path is taken relative to the baseline file's directory (else absolute, both resolved), so a
baseline keeps matching when lint runs from another directory or is given absolute paths.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from obskit.lint._results import LocatedFinding

__all__ = ["fingerprints", "read_baseline", "write_baseline"]

_VERSION = 1


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def baseline_path(path: str, root: Path | None) -> str:
    """``path`` as a baseline records it: relative to ``root`` (resolved) when under it, else
    absolute; as given when there is no ``root``."""
    if root is None:
        return Path(path).as_posix()
    resolved = _resolve(Path(path))
    base = _resolve(root)
    if resolved.is_relative_to(base):
        return resolved.relative_to(base).as_posix()
    return resolved.as_posix()


def fingerprints(findings: Sequence[LocatedFinding], root: Path | None = None) -> list[str]:
    """One fingerprint per finding, in order (findings must be sorted by position).

    ``root`` is the baseline file's directory; paths are fingerprinted relative to it.
    """
    seen: Counter[tuple[str, str, str]] = Counter()
    result = []
    for item in findings:
        key = (baseline_path(item.path, root), item.code, item.finding.name)
        index = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join((*key, str(index))).encode("utf-8")).hexdigest()
        result.append(digest[:24])
    return result


def read_baseline(path: Path) -> frozenset[str]:
    """Fingerprints in a baseline file; raises ``ValueError`` if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read baseline {path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"baseline {path} is not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ValueError(f"baseline {path} has no 'findings' list")
    return frozenset(
        str(entry["fingerprint"])
        for entry in data["findings"]
        if isinstance(entry, dict) and "fingerprint" in entry
    )


def write_baseline(path: Path, findings: Sequence[LocatedFinding]) -> None:
    """Write every finding's fingerprint, with readable context for reviewers of the file."""
    root = path.parent
    entries = [
        {
            "fingerprint": fp,
            "path": baseline_path(f.path, root),
            "code": f.code,
            "name": f.finding.name,
        }
        for fp, f in zip(fingerprints(findings, root), findings, strict=True)
    ]
    document = {"version": _VERSION, "tool": "obskit lint", "findings": entries}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
