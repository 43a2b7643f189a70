"""uvicorn's logs through obskit's chain: ``uvicorn.run(..., log_config=UVICORN_LOG_CONFIG)``.

uvicorn writes its access line from inside the request (when the response starts), where the
SERVER span is current, so each line carries its trace ids. On the command line, save this dict
as JSON and pass ``--log-config``.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["UVICORN_LOG_CONFIG"]

UVICORN_LOG_CONFIG: Final[dict[str, Any]] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"obskit": {"()": "obskit.logging.ObskitHandler"}},
    "loggers": {
        name: {"handlers": ["obskit"], "level": "INFO", "propagate": False}
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    },
}
