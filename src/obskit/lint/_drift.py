"""Drift between services: one concept spelled differently, one name given different value types.

Each service's inventory comes from the same extractor as ``lint``. Names are grouped by concept:
what ``registry.resolve`` says, else a normalised spelling (camelCase split, lowercased, one
separator), and only like with like: a log key next to its dotted attribute name is by design.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from obskit.conventions import Finding, Level, Registry
from obskit.lint._extract import NO_VALUE, NameUse, extract_names
from obskit.lint._files import GitIgnore, Problem, iter_python_files, read_source

__all__ = [
    "DriftItem",
    "Inventory",
    "find_drift",
    "inventory",
    "normalise",
    "service_names",
    "service_source",
]

SYNONYM: Final = "drift_synonym"
TYPES: Final = "drift_type"
SINGLE: Final = "drift_single_service"

_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS: Final = re.compile(r"[.\-_\s/:]+")


def normalise(name: str) -> str:
    """``orderId``, ``order-id``, ``ORDER_ID``, ``order.id`` -> ``order_id``."""
    if not name.isupper():
        name = _CAMEL.sub("_", name)
    return _SEPARATORS.sub("_", name).strip("_").lower()


@dataclass(slots=True)
class Inventory:
    """Every literal name one service emits (service name = its directory's name).

    Services whose directories share a name are told apart by :func:`service_names`.
    """

    service: str
    root: Path
    uses: list[NameUse] = field(default_factory=list)
    files: int = 0
    problems: list[str] = field(default_factory=list)


def service_source(spec: str) -> tuple[Path, str] | None:
    """Where a service's code is, and its name: a directory, a ``.py`` file (named by its stem),
    or a dotted module found on ``sys.path`` without importing it (named by the module), so
    services that are modules of one package can be compared."""
    path = Path(spec)
    if path.is_dir():
        return path, path.resolve().name or spec
    if path.is_file():  # a captured-telemetry file given here by mistake is not a service
        return (path, path.stem) if path.suffix == ".py" else None
    if not re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", spec):
        return None
    for base in ("", *sys.path):
        candidate = Path(base or ".", *spec.split("."))
        if candidate.with_suffix(".py").is_file():
            return candidate.with_suffix(".py"), spec
        if (candidate / "__init__.py").is_file():
            return candidate, spec
    return None


def inventory(root: Path, service: str | None = None) -> Inventory:
    """Every literal name under ``root`` (a directory or one file)."""
    found = Inventory(service or root.resolve().name or str(root), root)
    base = root if root.is_dir() else root.parent
    for item in iter_python_files([root], GitIgnore.load(base)):
        if isinstance(item, Problem):
            found.problems.append(f"{item.path}: {item.message}")
            continue
        found.files += 1
        try:
            text = read_source(item)
            found.uses.extend(u for u in extract_names(text, str(item)) if not u.dynamic)
        except (SyntaxError, ValueError) as error:
            found.problems.append(f"{item}: {error}")
    return found


def _suffixes(inv: Inventory) -> tuple[str, ...]:
    try:
        root = inv.root.resolve()
    except (OSError, RuntimeError):
        root = inv.root.absolute()
    parts = root.parts[1:] if root.anchor else root.parts
    return tuple(parts) or (inv.service,)


def service_names(inventories: Sequence[Inventory]) -> list[str]:
    """Each service's name: its directory's name, or where two share one, the shortest path
    suffix that tells them apart (``team1/api``, ``team2/api``)."""
    names = [inv.service for inv in inventories]
    parts = [_suffixes(inv) for inv in inventories]
    depth = [1] * len(names)
    changed = True
    while changed:
        changed = False
        groups: dict[str, list[int]] = defaultdict(list)
        for index, name in enumerate(names):
            groups[name].append(index)
        for members in groups.values():
            if len({parts[i] for i in members}) < 2:
                continue  # unique, or one directory given twice
            for index in members:
                if depth[index] < len(parts[index]):
                    depth[index] += 1
                    names[index] = "/".join(parts[index][-depth[index] :])
                    changed = True
    return names


@dataclass(frozen=True, slots=True)
class DriftItem:
    """One drift finding; ``spellings`` maps spelling -> service -> ``path:line`` places."""

    finding: Finding
    family: str
    concept: str
    spellings: dict[str, dict[str, list[str]]]
    types: dict[str, dict[str, list[str]]]

    @property
    def first_place(self) -> tuple[str, int]:
        for services in self.spellings.values():
            for places in services.values():
                path, _, line = places[0].rpartition(":")
                return path, int(line)
        return "", 1

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.finding.code,
            "level": self.finding.level.name.lower(),
            "family": self.family,
            "concept": self.concept,
            "message": self.finding.message,
            "suggestion": self.finding.suggestion,
            "spellings": self.spellings,
            "types": self.types,
        }


def _family(use: NameUse) -> str:
    return {"log_field": "log field", "metric": "metric", "event": "event"}.get(
        use.kind, "attribute"
    )


def find_drift(inventories: Sequence[Inventory], registry: Registry) -> list[DriftItem]:
    """Synonyms and type conflicts across (and within) services, then single-service names."""
    groups: dict[tuple[str, str], list[tuple[str, NameUse]]] = defaultdict(list)
    concepts: dict[tuple[str, str], str] = {}
    for inv, service in zip(inventories, service_names(inventories), strict=True):
        for use in inv.uses:
            family = _family(use)
            resolved = registry.resolve(use.name) if family in ("attribute", "log field") else None
            concept = resolved or use.name
            key = (family, normalise(concept))
            groups[key].append((service, use))
            if resolved or key not in concepts:
                concepts[key] = concept
    items: list[DriftItem] = []
    singles: list[DriftItem] = []
    for key, members in sorted(groups.items()):
        family, _ = key
        concept = concepts[key]
        spellings: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        types: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for service, use in members:
            place = f"{use.path}:{use.line}"
            spellings[use.name][service].append(place)
            if use.value is not NO_VALUE:
                types[type(use.value).__name__][service].append(place)
        plain_spellings = {k: dict(v) for k, v in sorted(spellings.items())}
        plain_types = {k: dict(v) for k, v in sorted(types.items())}
        services = sorted({service for service, _ in members})
        if len(spellings) > 1:
            preferred = _preferred(registry, family, concept, spellings)
            shown = "; ".join(
                f"'{name}' in {', '.join(sorted(by_service))}"
                for name, by_service in sorted(spellings.items())
            )
            message = f"{family} '{concept}' is spelled {len(spellings)} ways: {shown}"
            if preferred:
                message += f"; use '{preferred}'"
            finding = Finding(SYNONYM, Level.VIOLATION, concept, message, preferred)
            items.append(DriftItem(finding, family, concept, plain_spellings, plain_types))
        if len(types) > 1:
            shown = "; ".join(
                f"{type_name} in {', '.join(sorted(by_service))}"
                for type_name, by_service in sorted(types.items())
            )
            message = f"{family} '{concept}' has values of {len(types)} types: {shown}"
            finding = Finding(TYPES, Level.VIOLATION, concept, message)
            items.append(DriftItem(finding, family, concept, plain_spellings, plain_types))
        if len(inventories) > 1 and len(services) == 1:
            message = f"{family} '{concept}' is used only by {services[0]}"
            finding = Finding(SINGLE, Level.INFORMATION, concept, message)
            singles.append(DriftItem(finding, family, concept, plain_spellings, plain_types))
    return items + singles


def _preferred(
    registry: Registry, family: str, concept: str, spellings: dict[str, dict[str, list[str]]]
) -> str | None:
    """The registered spelling for this family, else the spelling most places use."""
    if registry.get(concept) is not None:
        return registry.log_key(concept) if family == "log field" else concept
    counts = {name: sum(len(p) for p in by.values()) for name, by in spellings.items()}
    best = max(counts.values())
    leaders = sorted(name for name, count in counts.items() if count == best)
    return leaders[0] if len(leaders) == 1 else None
