"""Optional dependencies (brokers, web frameworks): imported only by the helpers that use them."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or fail with the ``pip install obskit[extra]`` that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModuleNotFoundError(
            f"obskit needs {module.split('.')[0]!r} for this helper: pip install obskit[{extra}]",
            name=module,
        ) from exc
