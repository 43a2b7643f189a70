"""Structured logs correlated with traces (structlog)."""

from __future__ import annotations

from typing import Any

import structlog

from obskit.logging._context import add_trace_context

__all__ = ["add_trace_context", "get_logger"]


def get_logger(name: str | None = None, **initial_values: Any) -> Any:
    """A structlog logger whose events carry the current trace context."""
    return structlog.get_logger(name, **initial_values)
