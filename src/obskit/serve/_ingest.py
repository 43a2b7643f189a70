"""One writer between the receivers and the store: requests queue up, transactions group them.

A SQLite transaction costs about the same for one request as for fifty: every page it touched
is written once at commit. So receivers parse a request on their own thread, hand the records
here and answer at once; the writer stores whatever has queued up since its last commit in one
transaction. The queue is bounded: when storage falls behind, receivers wait (backpressure
reaches the exporters as latency, not as lost data). ``flush()`` waits until everything handed
over is stored; ``close()`` stores the rest and stops.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Final

from obskit.serve._store import Store
from obskit.view._otlp_json import TelemetryFile

__all__ = ["Ingest"]

_log = logging.getLogger("obskit.serve")
PENDING: Final = 64  # requests waiting to be stored before receivers are made to wait
GROUP: Final = 50  # requests stored in one transaction, at most


class Ingest:
    def __init__(self, store: Store, *, pending: int = PENDING) -> None:
        self.store = store
        self._queue: queue.Queue[TelemetryFile | None] = queue.Queue(maxsize=pending)
        self._thread = threading.Thread(target=self._run, name="obskit-serve-writer", daemon=True)
        self._thread.start()

    def put(self, telemetry: TelemetryFile) -> None:
        self._queue.put(telemetry)

    def flush(self) -> None:
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            group = [first]
            while first is not None and len(group) < GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batches = [g for g in group if g is not None]
            try:
                if batches:
                    self.store.add(
                        TelemetryFile(
                            spans=[s for b in batches for s in b.spans],
                            logs=[r for b in batches for r in b.logs],
                            metrics=[m for b in batches for m in b.metrics],
                        )
                    )
            except Exception:  # a full disk must not kill the writer: say so, keep receiving
                _log.exception("obskit serve: storing %d requests failed", len(batches))
            finally:
                for _ in group:
                    self._queue.task_done()
            if len(batches) < len(group):
                return
