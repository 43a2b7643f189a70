"""Captured telemetry in, the names it carries out: OTLP JSON and Weaver live-check samples.

Reads the OpenTelemetry Collector's file-exporter output (one ``resourceSpans`` /
``resourceLogs`` / ``resourceMetrics`` document per line, or a single document; obskit's own
exporter writes the same) and Weaver's sample JSON (``[{"span": {"attributes": [{"name",
"value"}]}}]``), then judges every name with the same :class:`Checker` as ``lint``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from obskit.conventions import Finding, Level, Registry
from obskit.lint._checks import PARSE_ERROR, UNREADABLE, Checker
from obskit.lint._context_gaps import ContextGaps
from obskit.lint._extract import NO_VALUE, Kind, NameUse
from obskit.lint._results import LocatedFinding, Summary
from obskit.view._otlp_json import any_value, documents

__all__ = ["CheckResult", "Coverage", "Selection", "check_files", "observations"]


def _matches(name: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    return (not include or any(fnmatchcase(name, p) for p in include)) and not any(
        fnmatchcase(name, p) for p in exclude
    )


@dataclass(frozen=True, slots=True)
class Selection:
    """Which telemetry ``check`` judges: instrumentation scopes and services, by glob.

    A contrib instrumentation still on old names (``opentelemetry.instrumentation.*``) or one
    service can be left out, or judged alone, so CI fails only for what a team owns.
    """

    scopes: tuple[str, ...] = ()
    exclude_scopes: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    exclude_services: tuple[str, ...] = ()

    def service(self, name: str) -> bool:
        return _matches(name, self.services, self.exclude_services)

    def scope(self, name: str) -> bool:
        return _matches(name, self.scopes, self.exclude_scopes)


@dataclass(frozen=True, slots=True)
class Observation:
    """One name seen in captured telemetry, and where (``context`` names the signal)."""

    name: str
    kind: Kind
    value: object
    line: int
    context: str


@dataclass(slots=True)
class Coverage:
    """Which registered names the telemetry used, and which names it used that are unknown."""

    registered: int = 0
    seen: set[str] = field(default_factory=set)
    unregistered: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, object]:
        return {
            "registered": self.registered,
            "seen": sorted(self.seen),
            "unregistered": sorted(self.unregistered),
        }

    def lines(self) -> list[str]:
        share = f" ({100 * len(self.seen) // self.registered}%)" if self.registered else ""
        lines = [f"coverage: {len(self.seen)} of {self.registered} registered names seen{share}"]
        if self.seen:
            lines.append("  seen: " + ", ".join(sorted(self.seen)))
        if self.unregistered:
            lines.append("  unregistered: " + ", ".join(sorted(self.unregistered)))
        return lines


@dataclass(slots=True)
class CheckResult:
    findings: list[LocatedFinding] = field(default_factory=list)
    summary: Summary = field(default_factory=lambda: Summary(noun="files"))
    coverage: Coverage = field(default_factory=Coverage)
    context: ContextGaps = field(default_factory=ContextGaps)


# -- decoding ---------------------------------------------------------------------------------


def _get(obj: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in obj:
            return obj[key]
    return None


def _items(value: object) -> Iterator[Mapping[str, Any]]:
    """The objects in a JSON list; anything else (a non-list, a string item, ...) is skipped."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                yield item


def _otlp_value(value: object) -> object:
    """An OTLP ``AnyValue``; ``NO_VALUE`` where it cannot be decoded (nothing to type-check)."""
    decoded = any_value(value)
    if decoded is None or (isinstance(decoded, list) and None in decoded):
        return NO_VALUE
    return decoded


def _otlp_attributes(
    attributes: object, kind: Kind, line: int, context: str
) -> Iterator[Observation]:
    for item in _items(attributes):
        if isinstance(item.get("key"), str):
            yield Observation(item["key"], kind, _otlp_value(item.get("value")), line, context)


def _service(container: Mapping[str, Any]) -> str:
    resource = container.get("resource")
    if isinstance(resource, Mapping):
        for item in _items(resource.get("attributes")):
            if item.get("key") == "service.name":
                value = any_value(item.get("value"))
                return value if isinstance(value, str) else ""
    return ""


def _selected(
    containers: object, scope_keys: tuple[str, ...], selection: Selection
) -> Iterator[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """Each resource of a selected service, with its selected instrumentation scopes."""
    for container in _items(containers):
        if not selection.service(_service(container)):
            continue
        scopes = []
        for scope in _items(_get(container, *scope_keys)):
            about = scope.get("scope") or scope.get("instrumentationLibrary")
            name = about.get("name") if isinstance(about, Mapping) else None
            if selection.scope(name if isinstance(name, str) else ""):
                scopes.append(scope)
        yield container, scopes


def _otlp(document: Mapping[str, Any], line: int, selection: Selection) -> Iterator[Observation]:
    for resource_spans, scopes in _selected(
        _get(document, "resourceSpans", "resource_spans"),
        ("scopeSpans", "scope_spans", "instrumentationLibrarySpans"),
        selection,
    ):
        yield from _resource(resource_spans, line)
        for scope in scopes:
            for span in _items(_get(scope, "spans")):
                where = f"span '{span.get('name', '')}'"
                yield from _otlp_attributes(span.get("attributes"), "attribute", line, where)
                for event in _items(span.get("events")):
                    name = event.get("name")
                    context = f"event '{name}' of {where}"
                    if isinstance(name, str) and name:
                        yield Observation(name, "event", NO_VALUE, line, where)
                    yield from _otlp_attributes(event.get("attributes"), "attribute", line, context)
                for link in _items(span.get("links")):
                    context = f"link of {where}"
                    yield from _otlp_attributes(link.get("attributes"), "attribute", line, context)
    for resource_logs, scopes in _selected(
        _get(document, "resourceLogs", "resource_logs"), ("scopeLogs", "scope_logs"), selection
    ):
        yield from _resource(resource_logs, line)
        for scope in scopes:
            for record in _items(_get(scope, "logRecords", "log_records")):
                body = _otlp_value(record.get("body"))
                label = _get(record, "eventName", "event_name") or body
                where = f"log '{label}'" if isinstance(label, str) and label else "log record"
                yield from _otlp_attributes(record.get("attributes"), "log_field", line, where)
    for resource_metrics, scopes in _selected(
        _get(document, "resourceMetrics", "resource_metrics"),
        ("scopeMetrics", "scope_metrics"),
        selection,
    ):
        yield from _resource(resource_metrics, line)
        for scope in scopes:
            for metric in _items(scope.get("metrics")):
                name = metric.get("name")
                where = f"metric '{name}'"
                if isinstance(name, str):
                    yield Observation(name, "metric", NO_VALUE, line, where)
                for shape in ("sum", "gauge", "histogram", "exponentialHistogram", "summary"):
                    data = metric.get(shape)
                    if isinstance(data, Mapping):
                        for point in _items(_get(data, "dataPoints", "data_points")):
                            attributes = point.get("attributes")
                            yield from _otlp_attributes(attributes, "attribute", line, where)


def _resource(container: Mapping[str, Any], line: int) -> Iterator[Observation]:
    resource = container.get("resource")
    if isinstance(resource, Mapping):
        yield from _otlp_attributes(resource.get("attributes"), "attribute", line, "resource")


def _weaver_attributes(
    attributes: object, kind: Kind, line: int, context: str
) -> Iterator[Observation]:
    for item in _items(attributes):
        if isinstance(item.get("name"), str):
            value = item["value"] if item.get("value") is not None else NO_VALUE
            yield Observation(item["name"], kind, value, line, context)


def _weaver(sample: Mapping[str, Any], line: int) -> Iterator[Observation]:
    """One Weaver live-check sample: a span, log, metric, resource or a bare attribute."""
    if isinstance(sample.get("span"), Mapping):
        span = sample["span"]
        where = f"span '{span.get('name', '')}'"
        yield from _weaver_attributes(span.get("attributes"), "attribute", line, where)
        for event in _items(span.get("span_events")):
            name = event.get("name")
            if isinstance(name, str) and name:
                yield Observation(name, "event", NO_VALUE, line, where)
            context = f"event '{name}' of {where}"
            yield from _weaver_attributes(event.get("attributes"), "attribute", line, context)
        for link in _items(span.get("span_links")):
            context = f"link of {where}"
            yield from _weaver_attributes(link.get("attributes"), "attribute", line, context)
    elif isinstance(sample.get("log"), Mapping):
        log = sample["log"]
        label = log.get("event_name") or log.get("body")
        where = f"log '{label}'" if isinstance(label, str) and label else "log record"
        yield from _weaver_attributes(log.get("attributes"), "log_field", line, where)
    elif isinstance(sample.get("metric"), Mapping):
        metric = sample["metric"]
        name = metric.get("name")
        where = f"metric '{name}'"
        if isinstance(name, str):
            yield Observation(name, "metric", NO_VALUE, line, where)
        for point in _items(metric.get("data_points")):
            yield from _weaver_attributes(point.get("attributes"), "attribute", line, where)
    elif isinstance(sample.get("resource"), Mapping):
        attributes = sample["resource"].get("attributes")
        yield from _weaver_attributes(attributes, "attribute", line, "resource")
    elif isinstance(sample.get("attribute"), Mapping):
        yield from _weaver_attributes([sample["attribute"]], "attribute", line, "attribute")
    elif isinstance(sample.get("name"), str):
        yield from _weaver_attributes([sample], "attribute", line, "attribute")


def observations(text: str, selection: Selection = Selection()) -> Iterator[Observation]:
    """Every name in a captured-telemetry file, whichever of the supported shapes it is (of the
    selected services and scopes, for OTLP; Weaver samples name neither)."""
    for line, item in documents(text):
        if any(key in item for key in _OTLP_KEYS):
            yield from _otlp(item, line, selection)
        else:
            yield from _weaver(item, line)


_OTLP_KEYS = (
    "resourceSpans", "resourceLogs", "resourceMetrics",
    "resource_spans", "resource_logs", "resource_metrics",
)  # fmt: skip


# -- checking ---------------------------------------------------------------------------------


def check_files(
    paths: Sequence[Path],
    registry: Registry,
    *,
    own_sources: Sequence[Path] = (),
    selection: Selection = Selection(),
) -> CheckResult:
    """Judge every name in ``paths``; each (code, name, signal) is reported once, where first seen.

    Coverage counts the attributes defined in ``own_sources`` (the project's registry), or every
    registered attribute when none are given.
    """
    checker = Checker(registry)
    result = CheckResult()
    summary = result.summary
    coverage = result.coverage
    own = [str(Path(s)) for s in own_sources]
    pool = [
        a.name
        for a in registry.attributes.values()
        if not a.retired and (not own or any(a.source.startswith(o) for o in own))
    ]
    coverage.registered = len(pool)
    pooled = set(pool)
    reported: set[tuple[str, str, str, str]] = set()
    for path in paths:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
            seen = list(observations(text, selection))
            result.context.add(document for _line, document in documents(text))
        except (OSError, UnicodeDecodeError) as error:
            message = f"cannot read: {getattr(error, 'strerror', None) or error}"
            result.findings.append(_problem(UNREADABLE, name, message))
            continue
        except ValueError as error:
            result.findings.append(_problem(PARSE_ERROR, name, str(error)))
            continue
        except (AttributeError, TypeError) as error:  # a shape the decoder did not expect
            message = f"unexpected structure: {type(error).__name__}: {error}"
            result.findings.append(_problem(PARSE_ERROR, name, message))
            continue
        summary.files += 1
        for item in seen:
            summary.names += 1
            if item.kind != "metric" and item.kind != "event":
                _cover(coverage, registry, pooled, item.name)
            use = NameUse(item.name, item.kind, name, item.line, 1, 1, item.value)
            for finding in checker.check(use):
                key = (name, finding.code, finding.name, item.context)
                if key in reported:
                    continue
                reported.add(key)
                result.findings.append(
                    LocatedFinding(finding, name, item.line, 1, None, item.context)
                )
    for located in result.findings:
        summary.by_level[located.level] += 1
    return result


def _cover(coverage: Coverage, registry: Registry, pooled: set[str], name: str) -> None:
    if registry.get(name) is not None:  # (resolve() is None for a name whose renames loop)
        if name in pooled:
            coverage.seen.add(name)
        return
    canonical = registry.resolve(name)
    if canonical is None:
        coverage.unregistered.add(name)
    elif canonical in pooled and registry.log_key(canonical) == name:
        coverage.seen.add(canonical)


def _problem(code: str, path: str, message: str) -> LocatedFinding:
    return LocatedFinding(Finding(code, Level.VIOLATION, path, message), path)
