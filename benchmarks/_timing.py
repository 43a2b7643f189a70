"""Tiny timing helpers shared by the benchmarks: best-of-N per-call microseconds."""

from __future__ import annotations

import gc
import os
import platform
import time
from collections.abc import Callable


def per_call_us(function: Callable[[], object], *, number: int, repeat: int = 7) -> float:
    """Best of ``repeat`` runs of ``number`` calls, in microseconds per call (GC paused)."""
    for _ in range(max(1, number // 10)):  # warm caches and lazy set-up
        function()
    best = float("inf")
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(number):
                function()
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return best / number * 1e6


def machine() -> str:
    return (
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform(terse=True)}"
    )
