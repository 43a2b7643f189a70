"""Writing a rendered line: never raises, never deadlocks, never waits without bound.

- ``fork()``: the lock is taken around the fork (so no child starts with another thread's
  half-written line in the stream's buffer) and re-created in the child (``ForkSafeLock``);
- re-entry on the same thread (a signal handler that logs, or a stream that logs what it is
  given, as Celery's stdout proxy does) queues the line, and the outer write sends it after its
  own (to the original stderr when the stream is such a proxy), instead of deadlocking on the
  lock or on the stream's buffer;
- a stream that blocks (a full pipe nobody reads) holds other threads at most
  :data:`LOCK_TIMEOUT` seconds: their lines are dropped, not queued behind it;
- a write that fails (closed stream, broken pipe, full disk) drops the line; a character the
  stream cannot encode is escaped. Every drop is counted (``obskit.telemetry.dropped``) and
  the first one warns on file descriptor 2.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections import deque
from typing import IO, Final

from obskit._forksafe import ForkSafeLock
from obskit._losses import fallback_warning, losses
from obskit._state import first_time

__all__ = ["LOCK_TIMEOUT", "LOG_LINE", "write"]

#: seconds a thread waits for another thread's write before dropping its own line
LOCK_TIMEOUT: Final = 1.0
#: lines queued by re-entrant writes (signal handlers, streams that log) before dropping
_MAX_PENDING: Final = 1000
LOG_LINE: Final = "log_line"

_lock = ForkSafeLock()
_local = threading.local()
_pending: deque[str] = deque()


def write(stream: IO[str], message: str) -> None:
    """Write ``message`` and a newline to ``stream``, or count why not."""
    if getattr(_local, "writing", False):  # re-entered on this thread: queue, never wait
        if len(_pending) < _MAX_PENDING:
            _pending.append(message)
        else:
            losses.add(LOG_LINE, "reentrant_overflow")
        return
    _local.writing = True  # before acquiring: a signal while this thread waits queues too
    try:
        if not _lock.acquire(timeout=LOCK_TIMEOUT):
            losses.add(LOG_LINE, "stream_blocked")
            return
        try:
            _send(stream, message)
            if _pending:  # what arrived meanwhile
                target = _queued_target(stream)
                for _ in range(len(_pending)):
                    _send(target, _pending.popleft())
        finally:
            _lock.release()
    finally:
        _local.writing = False


def _queued_target(stream: IO[str]) -> IO[str]:
    """Where queued lines go: the stream, unless it is no file at all but a stream that logs
    what it is given (Celery's stdout proxy), which would echo them back forever: then the
    process's original stderr."""
    with contextlib.suppress(Exception):
        if isinstance(stream.fileno(), int):
            return stream
    return sys.__stderr__ or stream


def _send(stream: IO[str], message: str) -> None:
    try:
        try:
            stream.write(message + "\n")
        except UnicodeEncodeError:  # encoding fails before anything is written
            stream.write(message.encode("ascii", "backslashreplace").decode("ascii") + "\n")
            if first_time("log_line_escaped"):
                fallback_warning("a log line had characters the stream cannot encode; escaped")
        stream.flush()
    except Exception as exc:  # closed (ValueError), broken pipe (OSError), a stream's own bug
        losses.add(LOG_LINE, type(exc).__qualname__)


def _after_fork_in_child() -> None:
    global _local
    _local = threading.local()
    _pending.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
