"""The embedded SQLite store behind ``obskit serve``: spans, logs and metrics, searchable.

Traces get a small integer id in arrival order. Every table is keyed by it, so dropping the
oldest traces (retention) walks indexes in insertion order, and each ``(key, value)`` pair a
trace's spans carry (attributes, services, operations) is indexed once per trace: an attribute
search is one index lookup however many spans are stored. Resources (a service's process
attributes, the same on every span it sends) are stored and indexed once each, with one row
per trace and resource linking them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from obskit.view._otlp_json import (
    EventRecord,
    LinkRecord,
    LogRecord,
    MetricRecord,
    SpanRecord,
    TelemetryFile,
)
from obskit.view._select import MAX_INDEXED, searchable

__all__ = ["Retention", "Search", "Store", "TraceSummary"]

_SCHEMA: Final = """
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS traces(
  tid INTEGER PRIMARY KEY, trace_id TEXT NOT NULL UNIQUE, start_ns INT, end_ns INT,
  root TEXT, first TEXT, spans INT, errors INT, services TEXT);
CREATE INDEX IF NOT EXISTS traces_start ON traces(start_ns);
CREATE TABLE IF NOT EXISTS spans(
  tid INT, span_id TEXT, parent_span_id TEXT, service TEXT, name TEXT, kind INT,
  start_ns INT, end_ns INT, status_code INT, status_message TEXT, scope TEXT,
  attributes TEXT, events TEXT, links TEXT, rid INT);
CREATE INDEX IF NOT EXISTS spans_tid ON spans(tid);
CREATE TABLE IF NOT EXISTS trace_index(key TEXT, value TEXT, tid INT,
  PRIMARY KEY(key, value, tid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS resources(rid INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS resource_index(key TEXT, value TEXT, rid INT,
  PRIMARY KEY(key, value, rid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trace_resources(tid INT, rid INT, PRIMARY KEY(tid, rid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_resources_rid ON trace_resources(rid, tid);
CREATE TABLE IF NOT EXISTS operations(service TEXT, name TEXT, PRIMARY KEY(service, name));
CREATE TABLE IF NOT EXISTS logs(
  tid INT, span_id TEXT, time_ns INT, severity_text TEXT, severity_number INT, body TEXT,
  service TEXT, attributes TEXT);
CREATE INDEX IF NOT EXISTS logs_tid ON logs(tid);
CREATE INDEX IF NOT EXISTS logs_time ON logs(time_ns);
CREATE TABLE IF NOT EXISTS metrics(time_ns INT, name TEXT, unit TEXT, service TEXT, points INT);
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INT);
"""
#: the index key that is not an attribute (attribute names never start with ":")
SERVICE_OPERATION: Final = ":service_operation"
_OLDEST_TWENTIETH: Final = (
    "SELECT tid FROM traces ORDER BY tid LIMIT max(1, (SELECT count(*) FROM traces) / 20)"
)
#: a span attribute of the trace, or an attribute of one of its resources
_WHERE: Final = (
    "t.tid IN (SELECT tid FROM trace_index WHERE key = ? AND value = ? UNION ALL "
    "SELECT tid FROM trace_resources WHERE rid IN "
    "(SELECT rid FROM resource_index WHERE key = ? AND value = ?))"
)
_UPSERT_TRACE: Final = """
INSERT INTO traces(trace_id, start_ns, end_ns, root, first, spans, errors, services)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(trace_id) DO UPDATE SET
  first = CASE WHEN start_ns IS NULL OR excluded.start_ns < start_ns
    THEN excluded.first ELSE first END,
  start_ns = min(coalesce(start_ns, excluded.start_ns), excluded.start_ns),
  end_ns = max(coalesce(end_ns, excluded.end_ns), excluded.end_ns),
  root = coalesce(root, excluded.root), spans = spans + excluded.spans,
  errors = errors + excluded.errors, services = merge_services(services, excluded.services)
"""


def _merge_services(old: str | None, new: str | None) -> str:
    names = set(filter(None, (old or "").split("\n"))) | set(filter(None, (new or "").split("\n")))
    return "\n".join(sorted(names))


def _pairs(attributes: dict[str, object]) -> list[tuple[str, str]]:
    return [(k, t) for k, v in attributes.items() if (t := searchable(v)) is not None]


_dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode


@dataclass(frozen=True)
class Retention:
    """Keep at most ``max_age_s`` seconds and/or ``max_bytes`` of data; the oldest goes first."""

    max_age_s: float | None = None
    max_bytes: int | None = None

    @classmethod
    def parse(cls, text: str) -> Retention:
        """``7d``, ``12h``, ``30m``, ``90s`` (age) or ``500MB``, ``2GB``, ``800KB`` (size)."""
        text = text.strip()
        units = {"KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000}
        ages = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        try:
            for suffix, factor in units.items():
                if text.upper().endswith(suffix):
                    return cls(max_bytes=int(float(text[: -len(suffix)]) * factor))
            if text and text[-1] in ages:
                return cls(max_age_s=float(text[:-1]) * ages[text[-1]])
        except ValueError:
            pass
        raise ValueError(f"--retain wants an age (7d, 12h) or a size (500MB), not {text!r}")


@dataclass(frozen=True)
class Search:
    """The filters of ``GET /api/traces``."""

    service: str | None = None
    operation: str | None = None
    where: tuple[tuple[str, str], ...] = ()
    error: bool | None = None
    min_duration_ms: float | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    limit: int = 20


@dataclass(frozen=True)
class TraceSummary:
    trace_id: str
    root: str
    services: tuple[str, ...]
    span_count: int
    duration_ms: float
    error_count: int
    start_unix_nano: int

    def as_json(self) -> dict[str, object]:
        return {
            "trace_id": self.trace_id,
            "root": self.root,
            "services": list(self.services),
            "span_count": self.span_count,
            "duration_ms": self.duration_ms,
            "error_count": self.error_count,
            "start_unix_nano": self.start_unix_nano,
        }


class Store:
    """One SQLite database; every call is serialised (one writer, short reads)."""

    def __init__(self, path: str | Path = ":memory:", retention: Retention = Retention()) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self.retention = retention
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.create_function("merge_services", 2, _merge_services, deterministic=True)
        self._db.executescript(_SCHEMA)
        self._db.execute("PRAGMA cache_size=-262144")  # 256 MiB of page cache
        self._lock = threading.Lock()
        self._checked = 0.0
        self._resources: dict[str, int] = dict(self._db.execute("SELECT body, rid FROM resources"))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing --------------------------------------------------------------------------------

    def add(self, telemetry: TelemetryFile) -> None:
        """Store a batch (one OTLP request or one file) in one transaction."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                by_trace: dict[str, list[SpanRecord]] = {}
                for span in telemetry.spans:
                    if span.trace_id:
                        by_trace.setdefault(span.trace_id, []).append(span)
                self._db.executemany(_UPSERT_TRACE, (_summary(t, s) for t, s in by_trace.items()))
                # a trace's logs may arrive before its spans: give it its id already
                tids = self._trace_ids({r.trace_id for r in telemetry.logs if r.trace_id})
                tids.update(self._known(set(by_trace)))
                self._add_spans(by_trace, tids)
                self._add_logs(telemetry.logs, tids)
                self._add_metrics(telemetry.metrics)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                # resources first stored in this transaction are gone again
                self._resources = dict(self._db.execute("SELECT body, rid FROM resources"))
                raise
        self._retain()

    def _known(self, trace_ids: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        ordered = list(trace_ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT trace_id, tid FROM traces WHERE trace_id IN ({marks})"
            found.update(self._db.execute(sql, chunk).fetchall())
        return found

    def _trace_ids(self, trace_ids: set[str]) -> dict[str, int]:
        known = self._known(trace_ids)
        new = sorted(trace_ids - known.keys())
        self._db.executemany(
            "INSERT INTO traces(trace_id, spans, errors) VALUES (?, 0, 0)", ((t,) for t in new)
        )
        known.update(self._known(set(new)))
        return known

    def _add_spans(self, by_trace: dict[str, list[SpanRecord]], tids: dict[str, int]) -> None:
        rows: list[tuple[object, ...]] = []
        index: set[tuple[str, str, int]] = set()
        operations: set[tuple[str, str]] = set()
        # spans of one resource share its dict: look it up once per batch
        resources: dict[int, int] = {}
        links: set[tuple[int, int]] = set()
        for span in (s for spans in by_trace.values() for s in spans):
            tid = tids[span.trace_id]
            rid = resources.get(id(span.resource))
            if rid is None:
                rid = resources[id(span.resource)] = self._resource(span.resource)
            links.add((tid, rid))
            rows.append(
                (
                    tid, span.span_id, span.parent_span_id, span.service, span.name, span.kind,
                    span.start_unix_nano, span.end_unix_nano, span.status_code,
                    span.status_message, span.scope, _dumps(span.attributes),
                    _dumps([[e.name, e.time_unix_nano, e.attributes] for e in span.events])
                    if span.events else "[]",
                    _dumps([[k.trace_id, k.span_id, k.attributes] for k in span.links])
                    if span.links else "[]",
                    rid,
                )
            )  # fmt: skip
            for key, value in span.attributes.items():
                # strings are most values: skip the general spelling function for them
                text = (
                    value if type(value) is str and len(value) <= MAX_INDEXED else searchable(value)
                )
                if text is not None:
                    index.add((key, text, tid))
            index.add((SERVICE_OPERATION, f"{span.service}\n{span.name}", tid))
            operations.add((span.service, span.name))
        self._db.executemany("INSERT OR IGNORE INTO trace_resources VALUES (?, ?)", links)
        self._db.executemany(f"INSERT INTO spans VALUES ({','.join('?' * 15)})", rows)
        self._db.executemany("INSERT OR IGNORE INTO trace_index VALUES (?, ?, ?)", index)
        self._db.executemany("INSERT OR IGNORE INTO operations VALUES (?, ?)", operations)

    def _resource(self, resource: dict[str, object]) -> int:
        body = json.dumps(resource, sort_keys=True, separators=(",", ":"), default=str)
        rid = self._resources.get(body)
        if rid is None:
            cursor = self._db.execute("INSERT INTO resources(body) VALUES (?)", (body,))
            rid = self._resources[body] = int(cursor.lastrowid or 0)
            self._db.executemany(
                "INSERT OR IGNORE INTO resource_index VALUES (?, ?, ?)",
                ((key, text, rid) for key, text in _pairs(resource)),
            )
        return rid

    def _add_logs(self, logs: Sequence[LogRecord], tids: dict[str, int]) -> None:
        self._db.executemany(
            "INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    tids.get(r.trace_id),
                    r.span_id,
                    r.time_unix_nano,
                    r.severity_text,
                    r.severity_number,
                    _dumps(r.body),
                    r.service,
                    _dumps(r.attributes),
                )
                for r in logs
            ),
        )

    def _add_metrics(self, metrics: Sequence[MetricRecord]) -> None:
        now = time.time_ns()
        self._db.executemany(
            "INSERT INTO metrics VALUES (?, ?, ?, ?, ?)",
            ((now, m.name, m.unit, m.service, m.points) for m in metrics),
        )

    # -- retention ------------------------------------------------------------------------------

    def _retain(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < 1.0:
            return
        self._checked = now
        with self._lock:
            if self.retention.max_age_s is not None:
                cutoff = time.time_ns() - int(self.retention.max_age_s * 1e9)
                self._drop("SELECT tid FROM traces WHERE start_ns < ?", (cutoff,))
                self._db.execute("DELETE FROM logs WHERE tid IS NULL AND time_ns < ?", (cutoff,))
                self._db.execute("DELETE FROM metrics WHERE time_ns < ?", (cutoff,))
            if self.retention.max_bytes is not None:
                while self._bytes() > self.retention.max_bytes:
                    if not self._drop(_OLDEST_TWENTIETH, ()):
                        break

    def enforce_retention(self) -> None:
        """Apply ``--retain`` now (it otherwise runs at most once a second, after a write)."""
        self._retain(force=True)

    def _bytes(self) -> int:
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        size = self._db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def _drop(self, select: str, args: tuple[object, ...]) -> int:
        """Delete the selected traces everywhere and count them.

        ``trace_index`` has no index by trace (it would cost every insert a second B-tree);
        dropping scans it once, against a temporary table of the doomed ids.
        """
        tids = [row[0] for row in self._db.execute(select, args).fetchall()]
        if not tids:
            return 0
        self._db.execute("BEGIN")
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS doomed(tid INTEGER PRIMARY KEY)")
        self._db.execute("DELETE FROM temp.doomed")
        self._db.executemany("INSERT INTO temp.doomed VALUES (?)", ((t,) for t in tids))
        self._db.execute("DELETE FROM trace_index WHERE tid IN temp.doomed")
        spans = logs = 0
        for start in range(0, len(tids), 500):
            chunk = tids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            spans += self._db.execute(f"DELETE FROM spans WHERE tid IN ({marks})", chunk).rowcount
            logs += self._db.execute(f"DELETE FROM logs WHERE tid IN ({marks})", chunk).rowcount
            self._db.execute(f"DELETE FROM trace_resources WHERE tid IN ({marks})", chunk)
            self._db.execute(f"DELETE FROM traces WHERE tid IN ({marks})", chunk)
        for name, value in (("traces", len(tids)), ("spans", spans), ("logs", logs)):
            self._db.execute(
                "INSERT INTO counters VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                (f"dropped_{name}", value),
            )
        self._db.execute("COMMIT")
        return len(tids)

    # -- reading --------------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        with self._lock:
            counts = {
                name: self._db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                for name in ("traces", "spans", "logs", "metrics")
            }
            counts.update(dropped_traces=0, dropped_spans=0, dropped_logs=0)
            counts.update(self._db.execute("SELECT name, value FROM counters").fetchall())
            counts["bytes"] = self._bytes()
        return counts

    def search(self, search: Search) -> list[TraceSummary]:
        """Trace summaries matching every filter, newest first."""
        clauses: list[str] = []
        args: list[object] = []
        pairs = list(search.where)
        if search.service or search.operation:
            # one index key per (service, operation): expand the filter through the small
            # operations table instead of indexing every span twice
            wanted = [f"{s}\n{n}" for s, n in self._operations(search.service, search.operation)]
            marks = ",".join("?" * len(wanted)) or "NULL"
            clauses.append(
                f"t.tid IN (SELECT tid FROM trace_index WHERE key = ? AND value IN ({marks}))"
            )
            args += [SERVICE_OPERATION, *wanted]
        for key, value in pairs:
            clauses.append(_WHERE)
            args += [key, value, key, value]
        if search.error is not None:
            clauses.append("t.errors > 0" if search.error else "t.errors = 0")
        if search.min_duration_ms is not None:
            clauses.append("t.end_ns - t.start_ns >= ?")
            args.append(int(search.min_duration_ms * 1e6))
        if search.since_ns is not None:
            clauses.append("t.start_ns >= ?")
            args.append(search.since_ns)
        if search.until_ns is not None:
            clauses.append("t.start_ns <= ?")
            args.append(search.until_ns)
        where = " AND ".join(["t.spans > 0", *clauses])
        sql = (
            "SELECT trace_id, coalesce(root, first), services, spans, end_ns - start_ns, errors, "
            f"start_ns FROM traces t WHERE {where} ORDER BY t.start_ns DESC LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, [*args, max(0, search.limit)]).fetchall()
        return [
            TraceSummary(
                trace_id,
                root or "",
                tuple(filter(None, (services or "").split("\n"))),
                spans,
                (duration or 0) / 1e6,
                errors,
                start or 0,
            )
            for trace_id, root, services, spans, duration, errors, start in rows
        ]

    def _operations(self, service: str | None, name: str | None) -> list[tuple[str, str]]:
        with self._lock:
            return self._db.execute(
                "SELECT service, name FROM operations WHERE (?1 IS NULL OR service = ?1) "
                "AND (?2 IS NULL OR name = ?2)",
                (service, name),
            ).fetchall()

    def services(self) -> dict[str, list[str]]:
        with self._lock:
            rows = self._db.execute("SELECT service, name FROM operations ORDER BY 1, 2").fetchall()
        result: dict[str, list[str]] = {}
        for service, name in rows:
            result.setdefault(service, []).append(name)
        return result

    def telemetry(self, trace_ids: Iterable[str]) -> TelemetryFile:
        """The stored spans and correlated logs of these traces (unknown ids are skipped)."""
        with self._lock:
            tids = list(self._known(set(trace_ids)).values())
            result = TelemetryFile()
            for start in range(0, len(tids), 500):
                chunk = tids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                result.spans.extend(
                    _span(row)
                    for row in self._db.execute(
                        "SELECT traces.trace_id, spans.*, resources.body FROM spans "
                        "JOIN traces USING (tid) JOIN resources USING (rid) "
                        f"WHERE tid IN ({marks})",
                        chunk,
                    )
                )
                result.logs.extend(
                    _log(row)
                    for row in self._db.execute(
                        "SELECT traces.trace_id, logs.* FROM logs JOIN traces USING (tid) "
                        f"WHERE tid IN ({marks}) ORDER BY time_ns",
                        chunk,
                    )
                )
        return result

    def recent(self, limit: int) -> Iterator[str]:
        """The newest traces' ids (what the service graph covers)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT trace_id FROM traces ORDER BY start_ns DESC LIMIT ?", (limit,)
            ).fetchall()
        return (row[0] for row in rows)


def _summary(trace_id: str, spans: list[SpanRecord]) -> tuple[object, ...]:
    first = min(spans, key=lambda s: s.start_unix_nano)
    root = next((s.name for s in spans if not s.parent_span_id), None)
    return (
        trace_id,
        first.start_unix_nano,
        max(s.end_unix_nano for s in spans),
        root,
        first.name,
        len(spans),
        sum(1 for s in spans if s.is_error),
        "\n".join(sorted({s.service for s in spans})),
    )


def _span(row: tuple[Any, ...]) -> SpanRecord:
    (trace_id, _tid, span_id, parent, service, name, kind, start, end, code, message, scope,
     attributes, events, links, _rid, resource) = row  # fmt: skip
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind=kind,
        start_unix_nano=start,
        end_unix_nano=end,
        service=service,
        attributes=json.loads(attributes),
        events=tuple(EventRecord(n, t, a) for n, t, a in json.loads(events)),
        links=tuple(LinkRecord(t, s, a) for t, s, a in json.loads(links)),
        status_code=code,
        status_message=message,
        scope=scope,
        resource=json.loads(resource),
    )


def _log(row: tuple[Any, ...]) -> LogRecord:
    trace_id, _tid, span_id, time_ns, text, number, body, service, attributes = row
    return LogRecord(
        time_unix_nano=time_ns,
        severity_text=text,
        severity_number=number,
        body=json.loads(body),
        service=service,
        trace_id=trace_id,
        span_id=span_id,
        attributes=json.loads(attributes),
    )
