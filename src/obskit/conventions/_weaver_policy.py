"""``obskit conventions check``: Weaver's policy packages, in Python, by name.

Each policy set reproduces a package of open-telemetry/opentelemetry-weaver-packages (ids,
levels and messages), so a registry can be checked where the ``weaver`` binary is not
installed: ``naming_conventions`` (the default), ``stability`` and ``backwards-compatibility``
(against a baseline registry). ``semconv`` adds the rules the semantic-conventions repository
runs on itself; it is opt-in because Weaver's package does not have them. Findings form a set,
as Rego's ``deny`` does: duplicates collapse. Attribute groups are checked when public (v2
``visibility: public``), as in Weaver's resolved registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ._findings import Finding, Level
from ._loader import ParsedFile, parse_sources
from ._weaver_compat import COMPATIBILITY
from ._weaver_input import RegistryInput, Violation
from ._weaver_naming import NAMING_CONVENTIONS, SEMCONV
from ._weaver_stability import STABILITY

_Rule = Callable[[RegistryInput], Iterator[Violation]]
_Comparison = Callable[[RegistryInput, RegistryInput], Iterator[Violation]]

#: policy sets on their own registry, by the name ``--policy`` takes
POLICIES: Final[dict[str, tuple[_Rule, ...]]] = {
    "naming_conventions": NAMING_CONVENTIONS,
    "stability": STABILITY,
    "semconv": SEMCONV,
}
#: policy sets that compare with a baseline registry
COMPARISONS: Final[dict[str, tuple[_Comparison, ...]]] = {
    "backwards-compatibility": COMPATIBILITY,
}
DEFAULT_POLICIES: Final = ("naming_conventions",)


@dataclass(frozen=True, slots=True)
class Located:
    """A finding and the file and line it is about."""

    finding: Finding
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.finding.code} {self.finding.message}"


def _violations(
    files: Sequence[ParsedFile], policies: Sequence[str], baseline: Sequence[ParsedFile] | None
) -> Iterator[Violation]:
    unknown = set(policies) - POLICIES.keys() - COMPARISONS.keys()
    if unknown:
        raise ValueError(f"unknown policy set(s): {', '.join(sorted(unknown))}")
    current = RegistryInput(files)
    for name in policies:
        for rule in POLICIES.get(name, ()):
            yield from rule(current)
        if name in COMPARISONS:
            if baseline is None:
                raise ValueError(f"policy set {name!r} needs a baseline registry")
            base = RegistryInput(baseline)
            for comparison in COMPARISONS[name]:
                yield from comparison(base, current)


def check_files(
    files: Sequence[ParsedFile],
    policies: Sequence[str] = DEFAULT_POLICIES,
    baseline: Sequence[ParsedFile] | None = None,
) -> list[Located]:
    """Load errors (code ``load_error``) and policy violations, deduplicated and sorted.

    Raises ``ValueError`` for an unknown policy set, or a comparison without a baseline.
    """
    found: dict[tuple[str, str], Located] = {}
    for parsed in (*files, *(baseline or ())):
        for error in parsed.errors:
            finding = Finding("load_error", Level.VIOLATION, error.path.name, error.message)
            found.setdefault((finding.code, str(error)), Located(finding, error.path, error.line))
    for code, name, message, where in _violations(files, policies, baseline):
        finding = Finding(code, Level.VIOLATION, name, message)
        found.setdefault((code, message), Located(finding, where.path, where.line))
    return sorted(
        found.values(), key=lambda f: (str(f.path), f.line, f.finding.code, f.finding.message)
    )


def check_registry(
    *sources: str | Path,
    policies: Sequence[str] = DEFAULT_POLICIES,
    baseline: str | Path | None = None,
) -> list[Located]:
    """Run policy sets over registry directories or files (no semconv package)."""
    base = parse_sources([Path(baseline)]) if baseline is not None else None
    return check_files(parse_sources([Path(s) for s in sources]), policies, base)
