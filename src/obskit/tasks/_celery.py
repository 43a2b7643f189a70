"""Celery: enqueue spans through the publish signals, task runs through the app's Task class.

``before_task_publish`` / ``after_task_publish`` bracket the PRODUCER span and write the trace
context into the task message's headers (Celery hands custom headers to the worker as attributes
of ``task.request``). The run is instrumented by giving the app's own ``Task`` base class a
``__call__`` that runs the body through :class:`TaskRunner`, so every task of the app, defined
before or after ``instrument_celery``, is covered, and Celery's tracer calls it.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as context_api

from obskit._extras import require
from obskit.errors import ErrorPolicy, RetryDelay
from obskit.messaging._decision import Settle
from obskit.messaging._producer import start_send
from obskit.messaging._settling import failure_headers
from obskit.propagation import extract
from obskit.tasks._runner import OpenSends, TaskMessage, TaskRunner

__all__ = ["instrument_celery"]

_log = logging.getLogger("obskit.tasks")

#: headers obskit reads back from ``task.request`` (W3C context and the send time)
_CONTEXT_HEADERS = ("traceparent", "tracestate", "baggage", "obskit-sent-at")

#: where a dead-lettered task waits, beside its queue (as obskit's other brokers name it)
DEAD_LETTER_SUFFIX = ".dead-letter"

_SYSTEMS = {"amqp": "rabbitmq", "pyamqp": "rabbitmq", "redis": "redis", "rediss": "redis"}


def instrument_celery(
    app: Any,
    *,
    errors: ErrorPolicy | None = None,
    max_attempts: int | None = None,
    retry_delay: RetryDelay | None = None,
) -> None:
    """Trace every task of ``app``: enqueues, runs, retries and rejections.

    Call it where the app is created, before the worker starts. Idempotent per app.
    """
    require("celery", "celery")
    if getattr(app, "_obskit_instrumented", False):
        return
    from celery import signals

    runner = TaskRunner(
        _system(app), errors=errors, max_attempts=max_attempts, retry_delay=retry_delay
    )
    # Celery's publish signals are process-wide and do not name the app: one receiver serves
    # every instrumented app, finding the app by the task's name.
    _PUBLISHES.apps[app] = runner.system
    signals.before_task_publish.connect(_PUBLISHES.before, weak=False, dispatch_uid="obskit")
    signals.after_task_publish.connect(_PUBLISHES.after, weak=False, dispatch_uid="obskit")
    _instrument_task_class(app.Task, runner)
    app._obskit_instrumented = True


def _system(app: Any) -> str:
    url = str(getattr(app.conf, "broker_url", None) or "amqp://")
    scheme = url.split("://", 1)[0].split("+", 1)[0]
    return _SYSTEMS.get(scheme, scheme or "celery")


class _Publishes:
    """PRODUCER spans from ``before_task_publish`` to ``after_task_publish``.

    Both signals run on the publishing thread; a retry republishes under the same task id (on
    the worker's thread), so open sends are keyed by thread and task id.
    """

    def __init__(self) -> None:
        #: instrumented apps and their messaging system; an app that goes away drops out
        self.apps: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        self.open = OpenSends()

    def system(self, task_name: str) -> str | None:
        """The system of the instrumented app that registered ``task_name``, if any."""
        for app, system in list(self.apps.items()):
            if task_name in getattr(app, "_tasks", {}):
                return system
        return None

    def before(self, sender: Any = None, headers: Any = None, **_: Any) -> None:
        if not isinstance(headers, dict):
            return
        name = str(headers.get("task") or sender)
        system = self.system(name)
        if system is None:
            return  # a task of an app obskit was not asked to instrument
        # A retry republishes the run's own headers: its send continues that trace.
        token = context_api.attach(extract(headers)) if "traceparent" in headers else None
        try:
            sending = start_send(name, system=system, carrier=headers)
            if sending is not None:
                self.open.opened((threading.get_ident(), str(headers.get("id"))), sending)
        except Exception:
            _log.warning("obskit: could not trace a Celery enqueue", exc_info=True)
        finally:
            if token is not None:
                context_api.detach(token)

    def after(self, headers: Any = None, **_: Any) -> None:
        if isinstance(headers, dict):
            self.open.confirmed((threading.get_ident(), str(headers.get("id"))))


_PUBLISHES = _Publishes()


def _instrument_task_class(task_class: type, runner: TaskRunner) -> None:
    original = task_class.__call__

    def __call__(task: Any, *args: Any, **kwargs: Any) -> Any:
        request = task.request
        if getattr(request, "called_directly", True):
            return original(task, *args, **kwargs)  # a plain function call, not a task run
        message = _message(task, request)
        try:
            return runner.run(message, lambda: original(task, *args, **kwargs))
        except Exception as exc:
            _settle(task, runner, message, exc)
            raise

    task_class.__call__ = __call__  # type: ignore[method-assign]


def _message(task: Any, request: Any) -> TaskMessage:
    delivery: Mapping[str, Any] = getattr(request, "delivery_info", None) or {}
    headers = {key: value for key in _CONTEXT_HEADERS if (value := getattr(request, key, None))}
    return TaskMessage(
        name=str(task.name),
        queue=delivery.get("routing_key") or None,
        headers=headers,
        message_id=str(request.id) if request.id else None,
        attempt=int(getattr(request, "retries", 0) or 0) + 1,
        redelivered=bool(delivery.get("redelivered")) or None,
    )


def _settle(task: Any, runner: TaskRunner, message: TaskMessage, exc: Exception) -> None:
    """Celery's own retry, or a dead letter, as the ErrorPolicy decided.

    Celery acknowledges a task before it runs (unless ``acks_late``) and a rejection without
    requeue drops it on Redis, so a dead letter is a copy of the task on
    ``{queue}.dead-letter`` with the failure in its headers; the original then fails as usual
    (its result says FAILURE). A worker started on that queue replays them.
    """
    decision = runner.decide(exc, message)
    if decision is None:
        return
    if decision.action is Settle.RETRY:
        raise task.retry(exc=exc, countdown=decision.delay, max_retries=runner.max_attempts - 1)
    if decision.action is Settle.DEAD_LETTER:
        _dead_letter(task, message, exc, decision, runner)


def _dead_letter(
    task: Any, message: TaskMessage, exc: Exception, decision: Any, runner: TaskRunner
) -> None:
    request = task.request
    queue = message.queue or str(task.app.conf.task_default_queue)
    headers = {
        **message.headers,  # the copy stays in the run's trace
        **failure_headers(exc, runner.policy().classify(exc), decision, queue),
    }
    try:
        task.app.send_task(
            task.name,
            args=request.args,
            kwargs=request.kwargs,
            queue=f"{queue}{DEAD_LETTER_SUFFIX}",
            headers=headers,
        )
    except Exception:  # the span says dead_letter; the log says the copy was not kept
        _log.error("obskit: could not dead-letter Celery task %s", request.id, exc_info=True)
