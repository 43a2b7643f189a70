"""Baselines: accept today's findings so CI fails only on new ones.

A fingerprint is path + code + name + occurrence index (the n-th finding with that path, code and
name, in file order), never the line: adding a line above an old finding must not make it new.
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


def fingerprints(findings: Sequence[LocatedFinding]) -> list[str]:
    """One fingerprint per finding, in order (findings must be sorted by position)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    result = []
    for item in findings:
        key = (Path(item.path).as_posix(), item.code, item.finding.name)
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
    entries = [
        {"fingerprint": fp, "path": Path(f.path).as_posix(), "code": f.code, "name": f.finding.name}
        for fp, f in zip(fingerprints(findings), findings, strict=True)
    ]
    document = {"version": _VERSION, "tool": "obskit lint", "findings": entries}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
