"""The convention validator: log fields and span attributes judged by one registry, one mode.

Every decision is cached per ``(key, value type)``; a key whose value type was judged clean is
also remembered by name alone, so an event whose keys were all seen clean costs one lookup by
key (no tuple built) and one class comparison per key. ``warn`` and ``fix`` report each
distinct problem once per validator (one per configuration, so once per process in a service)
through ``report``; ``strict`` raises :class:`ConventionError`. A validator that fails (a
broken registry) never changes what the business code sees outside ``strict``: the event
passes through unchanged and the failure is reported once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

from obskit._modes import MODES, Mode

if TYPE_CHECKING:  # obskit.conventions (and yaml) load with the first event, not on import;
    # structlog (and the rich it imports) with the log chain, not with a decorated handler
    from structlog.typing import EventDict, WrappedLogger

    from obskit.conventions import Finding, Registry

__all__ = ["EXEMPT_KEYS", "ConventionError", "ConventionValidator", "Reporter"]


#: Keys structlog and obskit's own processors add: never judged, never renamed.
EXEMPT_KEYS: Final = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "logger",
        "trace_id",
        "span_id",
        "trace_flags",
        "exc_info",
        "stack_info",
        "exception",
        "positional_args",
        "_record",
        "_from_structlog",
    }
)

#: Codes where the key is another spelling of a registered concept, so ``fix`` renames it.
_RENAMABLE: Final = frozenset({"near_duplicate", "deprecated"})

#: Called with (finding, kind) once per distinct problem; kind is "log" or "attribute".
Reporter = Callable[["Finding", str], None]

_log = logging.getLogger("obskit")


class ConventionError(ValueError):
    """``strict`` mode: a log field or span attribute breaks the naming conventions."""

    def __init__(self, finding: Finding, kind: str = "log field") -> None:
        self.finding = finding
        hint = f"; use {finding.suggestion!r}" if finding.suggestion else ""
        super().__init__(f"{kind} {finding.name!r}: [{finding.code}] {finding.message}{hint}")


class _Plan:
    """What to do with one (key, value type): the findings still to report and a rename."""

    __slots__ = ("findings", "rename_to")

    def __init__(self, findings: tuple[Finding, ...], rename_to: str | None) -> None:
        self.findings = findings
        self.rename_to = rename_to


_UNSEEN: Final = _Plan((), None)
#: Enum attributes: findings depend on the value itself; the registry caches those per value.
_PER_VALUE: Final = _Plan((), None)


def _pending(
    clean: dict[str, type],
    plans: dict[tuple[str, type], _Plan | None],
    mapping: Mapping[str, Any],
) -> list[tuple[str, Any, _Plan]] | None:
    """The keys with something to do; None when every key is known good: ``clean`` by key
    first, ``plans`` by key and type for a key seen with other types."""
    todo: list[tuple[str, Any, _Plan]] | None = None
    for key, value in mapping.items():
        if clean.get(key) is type(value):
            continue
        plan = plans.get((key, value.__class__), _UNSEEN)
        if plan is None:
            continue
        if todo is None:
            todo = []
        todo.append((key, value, plan))
    return todo


class ConventionValidator:
    """A structlog processor (and the span-attribute hook) for one registry and one mode.

    ``mode``: ``off`` passes everything through; ``warn`` reports each distinct problem once;
    ``fix`` also renames aliases and deprecated names to the canonical log key (log events) or
    the canonical dotted name (span attributes), keeping every value (a rename that would
    overwrite an existing key keeps both and is reported); ``strict`` raises
    :class:`ConventionError`. Findings below ``level`` (``not_stable``, ``sensitive``) are
    ignored: redaction handles sensitive fields.

    Field names come from user code (and sometimes from data), so the memory is bounded: past
    ``plan_limit`` cached decisions per kind, new keys are judged on every call instead of
    cached; past ``report_limit`` distinct findings, one warning says further findings are
    suppressed and nothing more is reported (``strict`` still raises).
    """

    #: cached decisions per kind (log fields, span attributes), as the registry's cache
    plan_limit: ClassVar[int] = 10_000
    #: longer keys are judged on every call, never kept (the plans stay bounded in bytes)
    plan_key_chars: ClassVar[int] = 256
    #: distinct findings reported before the rest are suppressed
    report_limit: ClassVar[int] = 1_000

    def __init__(
        self,
        registry: Registry,
        mode: Mode = "warn",
        *,
        report: Reporter | None = None,
        level: int | None = None,
    ) -> None:
        from obskit.conventions import Level

        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.registry = registry
        self.mode: Mode = mode
        self.level = Level.IMPROVEMENT if level is None else level
        self.report: Reporter = report or self._log_finding
        self._log_plans: dict[tuple[str, type], _Plan | None] = {}
        self._attribute_plans: dict[tuple[str, type], _Plan | None] = {}
        #: key -> a value type it was judged clean with (its plan is None): the fast check
        self._log_clean: dict[str, type] = {}
        self._attribute_clean: dict[str, type] = {}
        self._reported: set[tuple[str, str, str | None]] = set()
        self._suppressed = False
        self._lock = threading.Lock()
        self._failed = False

    # -- log events ------------------------------------------------------------------------

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        clean = self._log_clean
        for key, value in event_dict.items():  # the cached path: every key seen clean
            if clean.get(key) is not type(value):
                todo = _pending(clean, self._log_plans, event_dict)
                if todo is None:
                    return event_dict
                return self._act(event_dict, todo, "log")  # type: ignore[arg-type]
        return event_dict

    # -- span attributes -------------------------------------------------------------------

    def attributes(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """Judge user-given span attributes; ``fix`` returns a renamed copy (never mutates)."""
        todo = _pending(self._attribute_clean, self._attribute_plans, attributes)
        if todo is None:
            return attributes
        result = self._act(dict(attributes), todo, "attribute")
        return attributes if result.keys() == attributes.keys() else result

    # -- the slow path (first sight of a key, or something to do) ---------------------------

    def _act(
        self, target: dict[str, Any], todo: list[tuple[str, Any, _Plan]], kind: str
    ) -> dict[str, Any]:
        if self.mode == "off":
            return target
        try:
            renames: list[tuple[str, str]] = []
            for key, value, seen in todo:
                plan = self._plan(key, value, kind) if seen is _UNSEEN else seen
                if plan is None:
                    continue
                findings = plan.findings
                if plan is _PER_VALUE:
                    findings = self._findings(key, value)
                if findings:
                    self._handle(key, value, plan, findings, kind)
                if plan.rename_to is not None:
                    renames.append((key, plan.rename_to))
        except ConventionError:
            raise
        except Exception:
            self._report_failure()
            return target
        for key, new in renames:
            if new in target:
                from obskit.conventions import Finding, Level

                self._emit(
                    Finding(
                        "rename_conflict",
                        Level.VIOLATION,
                        key,
                        f"'{key}' would be renamed to '{new}', which the event already has; "
                        "kept both",
                        new,
                    ),
                    kind,
                )
                continue
            target[new] = target.pop(key)
        return target

    def _findings(self, key: str, value: object) -> tuple[Finding, ...]:
        level = self.level
        return tuple(f for f in self.registry.check(key, value) if f.level >= level)

    def _plan(self, key: str, value: object, kind: str) -> _Plan | None:
        plans = self._log_plans if kind == "log" else self._attribute_plans
        cache_key = (key, value.__class__)
        # past the limits: judged on every call instead
        cache = len(plans) < self.plan_limit and len(key) <= self.plan_key_chars
        if kind == "log" and key in EXEMPT_KEYS:
            if cache:
                self._remember_clean(kind, key, value.__class__)
            return None
        findings = self._findings(key, value)
        rename_to = None
        if self.mode == "fix" and any(f.code in _RENAMABLE for f in findings):
            canonical = self.registry.resolve(key)
            if canonical is not None:
                target = self.registry.log_key(canonical) if kind == "log" else canonical
                rename_to = target if target != key else None
        if rename_to is None:
            registered = self.registry.get(self.registry.resolve(key) or key)
            if registered is not None and registered.is_enum:
                if cache:
                    plans[cache_key] = _PER_VALUE
                return _PER_VALUE
        plan = _Plan(findings, rename_to) if findings or rename_to else None
        if cache and value.__class__ not in (list, tuple):  # arrays are judged item by item
            if plan is None:
                self._remember_clean(kind, key, value.__class__)
            else:
                plans[cache_key] = plan
        return plan

    def _remember_clean(self, kind: str, key: str, cls: type) -> None:
        """(key, cls) needs nothing, now and later: a plan never goes back from None."""
        plans = self._log_plans if kind == "log" else self._attribute_plans
        plans[(key, cls)] = None
        (self._log_clean if kind == "log" else self._attribute_clean)[key] = cls

    def _handle(
        self, key: str, value: object, plan: _Plan, findings: tuple[Finding, ...], kind: str
    ) -> None:
        if self.mode == "strict":
            raise ConventionError(
                self._for_kind(findings[0], kind),
                "log field" if kind == "log" else "span attribute",
            )
        if self.mode == "off":
            return
        for finding in findings:
            self._emit(self._for_kind(finding, kind), kind)
        if plan is not _PER_VALUE:  # reported once: from now on only the rename is left
            plan.findings = ()
            if plan.rename_to is None:
                plans = self._log_plans if kind == "log" else self._attribute_plans
                if plans.get((key, value.__class__)) is plan:  # a cached plan: no new entry
                    self._remember_clean(kind, key, value.__class__)

    def _for_kind(self, finding: Finding, kind: str) -> Finding:
        """Log fields are told the log key to use (``order_id``), attributes the dotted name."""
        if kind == "log" and finding.suggestion:
            from obskit.conventions import Finding

            suggestion = self.registry.log_key(finding.suggestion)
            return Finding(finding.code, finding.level, finding.name, finding.message, suggestion)
        return finding

    def _emit(self, finding: Finding, kind: str) -> None:
        identity = (finding.code, finding.name, finding.suggestion)
        with self._lock:
            if identity in self._reported or self._suppressed:
                return
            suppress = len(self._reported) >= self.report_limit
            if suppress:
                self._suppressed = True  # this call is the only one that says so
            else:
                self._reported.add(identity)  # before reporting: a report can never recurse
        if suppress:
            _log.warning(
                "obskit: %d convention findings reported; further findings are suppressed",
                self.report_limit,
            )
            return
        try:
            self.report(finding, kind)
        except Exception:
            _log.warning("obskit: reporting a convention finding failed", exc_info=True)

    def _log_finding(self, finding: Finding, kind: str) -> None:
        """The default reporter: a structured warning, ``obskit.convention.finding``.

        Its fields are the registered log keys of ``obskit.convention.finding.code``, ``.name``
        and ``.suggestion``, so the report itself passes the conventions. It goes through the
        log chain once that is loaded (it registers itself in the state), else through stdlib
        ``logging`` (which ``configure()`` routes through the chain too).
        """
        from obskit._state import STATE

        fields = {
            self.registry.log_key("obskit.convention.finding.code"): finding.code,
            self.registry.log_key("obskit.convention.finding.name"): finding.name,
        }
        if finding.suggestion:
            fields[self.registry.log_key("obskit.convention.finding.suggestion")] = (
                finding.suggestion
            )
        if STATE.log_event is not None:
            STATE.log_event("obskit", "warning", "obskit.convention.finding", fields)
        else:
            _log.warning("obskit.convention.finding", extra=fields)

    def _report_failure(self) -> None:
        if self._failed:
            return
        self._failed = True
        _log.warning(
            "obskit: the convention validator failed; events pass through unchecked",
            exc_info=True,
        )
