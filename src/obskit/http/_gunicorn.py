"""gunicorn's logs through obskit's chain: ``--logger-class obskit.http.GunicornLogger``.

Error-log records and access lines become obskit log events (JSON or console, redacted, bridged
to OpenTelemetry), and each access line carries the trace and span ids of its request: sync and
gthread workers read the ended SERVER span's context from the environ; uvicorn workers log from
inside the request, where the span is current. gunicorn is imported only when gunicorn loads
this class.
"""

from __future__ import annotations

import functools
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext

from obskit.http import _http_names as n

__all__ = ["gunicorn_logger_class"]


@functools.cache
def gunicorn_logger_class() -> type:
    from gunicorn.glogging import Logger

    from obskit.logging import ObskitHandler, get_logger

    access_events = get_logger("gunicorn.access")

    class GunicornLogger(Logger):  # type: ignore[misc]
        """gunicorn's ``Logger`` with obskit's handler on both of its logs."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                log.handlers = [ObskitHandler()]

        def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
            if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
                return
            span_context = environ.get(n.ENVIRON_SPAN_CONTEXT)
            token = None
            if isinstance(span_context, SpanContext) and span_context.is_valid:
                parent = trace.set_span_in_context(NonRecordingSpan(span_context))
                token = context_api.attach(parent)
            seconds = request_time.total_seconds()
            try:
                access_events.info(
                    "http_access",
                    http_request_method=environ.get("REQUEST_METHOD"),
                    url_path=environ.get("PATH_INFO"),
                    http_response_status_code=getattr(resp, "status_code", None),
                    client_address=environ.get("REMOTE_ADDR"),
                    # the key a service's registry gives it (obskit's repository strips its
                    # own prefix in [tool.obskit], which the services it runs in do not)
                    obskit_http_request_duration=seconds,  # obskit: ignore[near_duplicate]
                )
            finally:
                if token is not None:
                    context_api.detach(token)

    return GunicornLogger
