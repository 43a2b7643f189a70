"""Reading Weaver-compatible semantic-convention YAML (v1 ``groups:`` and v2 ``definition/2``).

Parsing keeps what the registry needs (attributes, metrics) and what the Weaver naming policy
needs (signals, enum member ids, line numbers); a broken file becomes a :class:`LoadError`
naming the file and the line, never an exception, so one bad file cannot hide the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._model import ENUM, MOVED_PREFIX, PRIMITIVE_TYPES, Attribute, LoadError, Metric
from ._yaml import Node, YamlError, line_of, read_yaml

_RENAMED_TEXT = re.compile(r"^\s*(?:Replaced by|Use) `([^`\s]+)`(?: instead)?\.?\s*$")
_TEMPLATE = re.compile(r"^template\[(.+)\]$")
_MANIFEST_KEYS = frozenset({"schema_url", "semconv_version", "dependencies"})


@dataclass(frozen=True, slots=True)
class Member:
    """One enum member as written (the policy checks ids, values and constant names)."""

    id: str
    value: object
    deprecated: bool = False
    excluded: bool = False
    stability: str | None = None
    renamed_to: str | None = None


@dataclass(frozen=True, slots=True)
class AttributeDef:
    """An attribute definition plus where it was written."""

    attribute: Attribute
    line: int
    member_defs: tuple[Member, ...] = ()
    excluded: bool = False


@dataclass(frozen=True, slots=True)
class Ref:
    """An attribute as a signal uses it: its key and requirement level.

    ``opt_in`` is ``"opt_in"`` for the plain form, ``"noted"`` for ``{opt_in: "why"}`` (the
    stability package accepts both, the compatibility package only the plain one), else ``""``.
    """

    key: str
    opt_in: str = ""


@dataclass(frozen=True, slots=True)
class Signal:
    """A metric, event, span, entity or attribute group, for the Weaver policies."""

    kind: str
    name: str
    line: int
    brief: str = ""
    refs: tuple[str, ...] = ()
    identity: tuple[str, ...] = ()
    description: tuple[str, ...] = ()
    deprecated: bool = False
    excluded: bool = False
    policy_exceptions: frozenset[str] = frozenset()
    stability: str | None = None
    renamed_to: str | None = None
    stability_exceptions: frozenset[str] = frozenset()
    #: every attribute the signal uses (an entity's identity and description included)
    uses: tuple[Ref, ...] = ()
    span_kind: str | None = None
    unit: str | None = None
    instrument: str | None = None


@dataclass(slots=True)
class ParsedFile:
    """Everything one YAML file defines."""

    path: Path
    attributes: list[AttributeDef] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)


def yaml_files(source: Path) -> Iterator[Path]:
    """The YAML files of a source, in a stable order (a file is its own source)."""
    if source.is_dir():
        found = [p for p in source.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
        yield from sorted(found)
    else:
        yield source


def parse_deprecated(raw: object) -> tuple[str | None, str | None]:
    """``(reason, renamed_to)`` from any of the forms Weaver has accepted over time."""
    if raw is None or raw is False:
        return None, None
    if isinstance(raw, Mapping):
        reason = str(raw.get("reason") or "uncategorized")
        renamed_to = raw.get("renamed_to")
        if reason == "renamed" and not renamed_to:
            return "uncategorized", None
        return reason, str(renamed_to) if renamed_to else None
    if isinstance(raw, str):
        match = _RENAMED_TEXT.match(raw)
        if match:
            return "renamed", match.group(1)
    return "uncategorized", None


def moved(raw: object) -> bool:
    """Whether a ``deprecated`` entry says the name moved to another registry (GenAI)."""
    note = raw.get("note") if isinstance(raw, Mapping) else raw
    return isinstance(note, str) and note.strip().startswith(MOVED_PREFIX)


def valid_type(text: str) -> bool:
    match = _TEMPLATE.match(text)
    inner = match.group(1) if match else text
    return inner in PRIMITIVE_TYPES


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _examples(value: object) -> tuple[object, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(value)
    return (value,)


def _excluded(entry: Mapping[str, Any]) -> bool:
    annotations = entry.get("annotations") or {}
    code_generation = annotations.get("code_generation") if isinstance(annotations, dict) else None
    return isinstance(code_generation, dict) and code_generation.get("exclude") is True


class _FileParser:
    """Turns one decoded YAML document into a :class:`ParsedFile`."""

    def __init__(self, path: Path) -> None:
        self.out = ParsedFile(path)

    def error(self, line: int, message: str) -> None:
        self.out.errors.append(LoadError(self.out.path, line, message))

    # -- documents -------------------------------------------------------------------------

    def document(self, data: object) -> ParsedFile:
        if not isinstance(data, dict):
            kind = "empty" if data is None else f"a {type(data).__name__}"
            self.error(1, f"not a semantic-convention registry: the document is {kind}")
            return self.out
        file_format = data.get("file_format")
        if file_format is not None:
            if not str(file_format).startswith("definition/2"):
                self.error(line_of(data), f"unsupported file_format {file_format!r}")
                return self.out
            self.v2(data)
        elif "groups" in data:
            self.v1(data)
        elif str(data.get("version", "")) == "2":
            self.v2(data)
        elif _MANIFEST_KEYS & data.keys():
            pass  # a registry manifest: describes the registry, defines nothing
        else:
            self.error(
                line_of(data),
                "not a semantic-convention registry: expected `groups:` (v1) or "
                "`file_format: definition/2` (v2)",
            )
        return self.out

    def entries(self, data: Mapping[str, Any], key: str) -> list[Node]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(line_of(data), f"`{key}` must be a list")
            return []
        good: list[Node] = []
        for entry in value:
            if isinstance(entry, dict):
                good.append(entry)  # type: ignore[arg-type]
            else:
                self.error(line_of(data), f"`{key}` entry {entry!r} is not a mapping")
        return good

    def v1(self, data: Mapping[str, Any]) -> None:
        for group in self.entries(data, "groups"):
            group_id = str(group.get("id") or "")
            if not group_id:
                self.error(line_of(group), "group without an `id`")
            prefix = group.get("prefix")
            uses: list[Ref] = []
            identity: list[str] = []
            description: list[str] = []
            for entry in self.entries(group, "attributes"):
                if "ref" in entry:
                    key = str(entry["ref"])
                elif "id" in entry:
                    key = f"{prefix}.{entry['id']}" if prefix else str(entry["id"])
                    self.attribute(entry, key)
                else:
                    if "ref_group" not in entry:
                        self.error(line_of(entry), "attribute without `id` or `ref`")
                    continue
                uses.append(_ref(entry, key))
                role = entry.get("role")
                (identity if role == "identifying" else description).append(key)
            self.v1_signal(group, group_id, uses, identity, description)

    def v1_signal(
        self,
        group: Node,
        group_id: str,
        uses: list[Ref],
        identity: list[str],
        description: list[str],
    ) -> None:
        group_type = str(group.get("type"))
        if group_type == "metric":
            name = str(group.get("metric_name") or "")
            self.out.signals.append(_signal("metric", name, group, uses))
            self.metric(group, name)
        elif group_type == "event":
            name = str(group.get("name") or group_id.removeprefix("event."))
            self.out.signals.append(_signal("event", name, group, uses))
        elif group_type == "span":
            name = group_id.removeprefix("span.")
            self.out.signals.append(_signal("span", name, group, uses))
        elif group_type == "entity":
            name = str(group.get("name") or group_id.removeprefix("entity."))
            self.out.signals.append(_signal("entity", name, group, uses, identity, description))

    def v2(self, data: Mapping[str, Any]) -> None:
        for entry in self.entries(data, "attributes"):
            if "key" in entry:
                self.attribute(entry, str(entry["key"]))
            elif "ref" not in entry:
                self.error(line_of(entry), "attribute without `key`")
        for kind, key, name_key in (
            ("attribute_group", "attribute_groups", "id"),
            ("metric", "metrics", "name"),
            ("event", "events", "name"),
            ("span", "spans", "type"),
            ("entity", "entities", "type"),
        ):
            for entry in self.entries(data, key):
                name = str(entry.get(name_key) or "")
                # Weaver's resolution names an entity by its type without an ``entity.`` prefix
                self.v2_signal(
                    kind, entry, name.removeprefix("entity.") if kind == "entity" else name
                )

    def v2_signal(self, kind: str, entry: Node, name: str) -> None:
        uses = list(self.v2_refs(entry, "attributes"))
        if kind == "attribute_group" and entry.get("visibility") != "public":
            return  # internal groups are folded into their users by Weaver's resolution
        identity = list(self.v2_refs(entry, "identity"))
        description = list(self.v2_refs(entry, "description"))
        signal = _signal(
            kind,
            name,
            entry,
            [*uses, *identity, *description] if kind == "entity" else uses,
            [r.key for r in identity],
            [r.key for r in description],
        )
        self.out.signals.append(signal)
        if kind == "metric":
            self.metric(entry, name)

    def v2_refs(self, entry: Node, key: str) -> Iterator[Ref]:
        for ref in self.entries(entry, key):
            if "ref" in ref:
                yield _ref(ref, str(ref["ref"]))
            elif "key" in ref:
                self.attribute(ref, str(ref["key"]))
                yield _ref(ref, str(ref["key"]))

    # -- definitions -----------------------------------------------------------------------

    def attribute(self, entry: Node, name: str) -> None:
        line = line_of(entry)
        raw_type = entry.get("type")
        type_: str | None
        members: tuple[Member, ...] = ()
        if isinstance(raw_type, dict):
            type_ = ENUM
            members = tuple(self.members(raw_type))
        elif isinstance(raw_type, str) and valid_type(raw_type.strip()):
            type_ = raw_type.strip()
        else:
            type_ = None
            self.error(line, f"attribute {name!r} has an invalid type {raw_type!r}")
        reason, renamed_to = parse_deprecated(entry.get("deprecated"))
        obskit = _obskit_annotations(entry)
        aliases = obskit.get("aliases") or ()
        if isinstance(aliases, str):
            aliases = (aliases,)
        log_key = obskit.get("log_key")
        attribute = Attribute(
            name=name,
            type=type_,
            brief=_text(entry.get("brief")),
            stability=str(entry["stability"]) if entry.get("stability") else None,
            examples=_examples(entry.get("examples")),
            deprecated=reason,
            renamed_to=renamed_to,
            members=tuple(m.value for m in members),  # type: ignore[misc]
            sensitive=obskit.get("sensitive") is True,
            log_key=str(log_key) if log_key else "",
            aliases=tuple(str(a) for a in aliases),
            source=str(self.out.path),
            cardinality=str(obskit["cardinality"]) if obskit.get("cardinality") else None,
            log_key_declared=bool(log_key),
            moved=moved(entry.get("deprecated")),
        )
        self.out.attributes.append(AttributeDef(attribute, line, members, _excluded(entry)))

    def members(self, raw_type: Mapping[str, Any]) -> Iterator[Member]:
        raw_members = raw_type.get("members")
        if not isinstance(raw_members, list):
            self.error(line_of(raw_type), "enum type without a `members` list")
            return
        for member in raw_members:
            if not isinstance(member, dict) or "id" not in member or "value" not in member:
                self.error(line_of(member, line_of(raw_type)), "enum member needs `id` and `value`")
                continue
            reason, renamed_to = parse_deprecated(member.get("deprecated"))
            yield Member(
                str(member["id"]),
                member["value"],
                deprecated=bool(member.get("deprecated")),
                excluded=_excluded(member),
                stability=_optional(member.get("stability")),
                renamed_to=renamed_to if reason == "renamed" else None,
            )

    def metric(self, entry: Node, name: str) -> None:
        if not name:
            self.error(line_of(entry), "metric without a name")
            return
        reason, renamed_to = parse_deprecated(entry.get("deprecated"))
        self.out.metrics.append(
            Metric(
                name=name,
                instrument=str(entry["instrument"]) if entry.get("instrument") else None,
                unit=str(entry["unit"]) if entry.get("unit") is not None else None,
                brief=_text(entry.get("brief")),
                stability=str(entry["stability"]) if entry.get("stability") else None,
                deprecated=reason,
                renamed_to=renamed_to,
                source=str(self.out.path),
                moved=moved(entry.get("deprecated")),
            )
        )


def _optional(value: object) -> str | None:
    return str(value) if value is not None and not isinstance(value, (dict, list)) else None


def _ref(entry: Node, key: str) -> Ref:
    level = entry.get("requirement_level")
    if level == "opt_in":
        return Ref(key, "opt_in")
    return Ref(key, "noted" if isinstance(level, dict) and "opt_in" in level else "")


def _signal(
    kind: str,
    name: str,
    entry: Node,
    uses: Sequence[Ref],
    identity: Sequence[str] = (),
    description: Sequence[str] = (),
) -> Signal:
    reason, renamed_to = parse_deprecated(entry.get("deprecated"))
    return Signal(
        kind,
        name,
        line_of(entry),
        brief=_text(entry.get("brief")),
        refs=tuple(r.key for r in uses if kind != "entity"),
        identity=tuple(identity),
        description=tuple(description),
        deprecated=bool(entry.get("deprecated")),
        excluded=_excluded(entry),
        policy_exceptions=_policy_exceptions(entry, "naming_conventions"),
        stability=_optional(entry.get("stability")),
        renamed_to=renamed_to if reason == "renamed" else None,
        stability_exceptions=_policy_exceptions(entry, "stability"),
        uses=tuple(uses),
        span_kind=_optional(entry.get("kind")),
        unit=_optional(entry.get("unit")),
        instrument=_optional(entry.get("instrument")),
    )


def _obskit_annotations(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    annotations = entry.get("annotations")
    obskit = annotations.get("obskit") if isinstance(annotations, dict) else None
    return obskit if isinstance(obskit, dict) else {}


def _policy_exceptions(entry: Mapping[str, Any], package: str) -> frozenset[str]:
    """``annotations.<package>.policy_exceptions``: each policy package reads its own."""
    annotations = entry.get("annotations")
    naming = annotations.get(package) if isinstance(annotations, dict) else None
    exceptions = naming.get("policy_exceptions") if isinstance(naming, dict) else None
    return frozenset(str(e) for e in exceptions) if isinstance(exceptions, list) else frozenset()


def parse_file(path: Path) -> ParsedFile:
    """Parse one YAML file; problems are in ``.errors``."""
    parser = _FileParser(path)
    try:
        data = read_yaml(path)
    except YamlError as exc:
        parser.error(exc.line, str(exc))
        return parser.out
    except (OSError, UnicodeDecodeError) as exc:
        parser.error(0, f"cannot read: {exc}")
        return parser.out
    return parser.document(data)


def parse_source(source: Path) -> list[ParsedFile]:
    """Parse a directory of YAML (recursively) or a single file."""
    if not source.exists():
        return [ParsedFile(source, errors=[LoadError(source, 0, "no such file or directory")])]
    return [parse_file(path) for path in yaml_files(source)]


def parse_sources(sources: Sequence[Path]) -> list[ParsedFile]:
    return [parsed for source in sources for parsed in parse_source(source)]


def rename_cycles(renames: Mapping[str, str]) -> list[tuple[str, ...]]:
    """Every loop of ``renamed_to`` (name -> new name), once each, from its smallest name.

    A name whose chain only runs into a loop is not part of it: the loop is reported, not each
    way into it.
    """
    cycles: list[tuple[str, ...]] = []
    done: set[str] = set()
    for start in sorted(renames):
        path: list[str] = []
        position: dict[str, int] = {}
        name: str | None = start
        while name is not None and name not in done and name not in position:
            position[name] = len(path)
            path.append(name)
            name = renames.get(name)
        if name is not None and name in position:
            cycle = path[position[name] :]
            first = cycle.index(min(cycle))
            cycles.append(tuple(cycle[first:] + cycle[:first]))
        done.update(path)
    return cycles


def rename_cycle_errors(
    kind: str, renames: Mapping[str, str], where: Mapping[str, tuple[Path, int]]
) -> list[LoadError]:
    """One :class:`LoadError` per ``renamed_to`` loop, at the definition of its first name."""
    errors: list[LoadError] = []
    for cycle in rename_cycles(renames):
        path, line = where.get(cycle[0], (Path("<registry>"), 0))
        files = sorted({str(where[n][0]) for n in cycle if n in where} - {str(path)})
        also = f" (also defined in {', '.join(files)})" if files else ""
        chain = " -> ".join((*cycle, cycle[0]))
        errors.append(
            LoadError(
                path,
                line,
                f"{kind} renamed_to loops: {chain}{also}; none of these names is suggested",
            )
        )
    return errors
