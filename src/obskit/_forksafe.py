"""A lock that survives ``fork()``.

A child process is a copy of one thread of its parent: a lock another thread held at the fork
stays held in the child for ever, and the child's first log line (or chain build, or count)
hangs. This is gunicorn ``--preload``, Celery prefork and ``multiprocessing``. So each of
obskit's locks is taken around the fork (waiting at most ``fork_wait`` seconds, so a stuck
holder never blocks the fork itself: no child then starts inside a half-done critical
section, such as a half-written line or a half-finished import) and re-created in the child.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

__all__ = ["ForkSafeLock"]


class _Lock(Protocol):
    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...
    def release(self) -> None: ...


class ForkSafeLock:
    """``threading.Lock`` (or ``RLock``) semantics; held across ``fork()``, fresh in the child."""

    def __init__(
        self, factory: Callable[[], _Lock] = threading.Lock, *, fork_wait: float = 1.0
    ) -> None:
        self._factory = factory
        self._lock = factory()
        self._fork_wait = fork_wait
        self._held: list[bool] = []
        os.register_at_fork(
            before=self._before_fork,
            after_in_parent=self._after_fork_in_parent,
            after_in_child=self._after_fork_in_child,
        )

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()

    def _before_fork(self) -> None:
        self._held.append(self._lock.acquire(timeout=self._fork_wait))

    def _after_fork_in_parent(self) -> None:
        if self._held and self._held.pop():
            self._lock.release()

    def _after_fork_in_child(self) -> None:
        self._lock = self._factory()
        self._held.clear()
