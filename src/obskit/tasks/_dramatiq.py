"""Dramatiq: a broker middleware for enqueue spans and decisions, wrapped actor functions for runs.

The trace context travels in the message's ``options`` (which Dramatiq persists with the message)
under ``obskit_headers``. Each actor's function is wrapped when it is declared, so its body runs
inside the CONSUMER span; the middleware sits beside Dramatiq's ``Retries`` and turns the
ErrorPolicy's decision into Retries' own budget (its ``after_process_message`` runs
first): a poison message or an exhausted budget fails
(into Dramatiq's dead-letter queue), a transient failure is retried.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from obskit._extras import require
from obskit.errors import ErrorPolicy, RetryDelay
from obskit.messaging._decision import Settle
from obskit.messaging._producer import start_send
from obskit.tasks._runner import OpenSends, TaskMessage, TaskRunner

__all__ = ["instrument_dramatiq"]

_log = logging.getLogger("obskit.tasks")

HEADERS_OPTION = "obskit_headers"


def instrument_dramatiq(
    broker: Any,
    *,
    errors: ErrorPolicy | None = None,
    max_attempts: int | None = None,
    retry_delay: RetryDelay | None = None,
) -> None:
    """Trace every actor of ``broker``: enqueues, runs, retries and dead letters.

    Call it after creating the broker; actors declared before and after are both covered.
    """
    dramatiq = require("dramatiq", "dramatiq")
    if any(isinstance(m, _middleware_class()) for m in broker.middleware):
        return
    system = type(broker).__name__.removesuffix("Broker").lower() or "dramatiq"
    runner = TaskRunner(system, errors=errors, max_attempts=max_attempts, retry_delay=retry_delay)
    middleware = _middleware_class()(runner)
    retries = dramatiq.middleware.Retries
    has_retries = any(isinstance(m, retries) for m in broker.middleware)
    # ``after_*`` hooks run in reverse order: placed after Retries, obskit decides first
    broker.add_middleware(middleware, after=retries if has_retries else None)
    for actor in list(broker.actors.values()):
        middleware.after_declare_actor(broker, actor)


@functools.cache
def _middleware_class() -> type:
    """The middleware class, built on first use so importing obskit never imports dramatiq."""
    from dramatiq import Middleware

    class ObskitMiddleware(Middleware):
        def __init__(self, runner: TaskRunner) -> None:
            self.runner = runner
            self.current = threading.local()  # the message a worker thread is running
            #: sends between before_enqueue and after_enqueue, by message id
            self.open = OpenSends()

        def after_declare_actor(self, broker: Any, actor: Any) -> None:
            if getattr(actor.fn, "_obskit_run", False):
                return
            body = actor.fn

            @functools.wraps(body)
            def run(*args: Any, **kwargs: Any) -> Any:
                message = getattr(self.current, "message", None)
                if message is None:
                    return body(*args, **kwargs)  # called directly, not by a worker
                return self.runner.run(message, lambda: body(*args, **kwargs))

            run._obskit_run = True  # type: ignore[attr-defined]
            actor.fn = run

        def before_enqueue(self, broker: Any, message: Any, delay: int) -> None:
            if HEADERS_OPTION in message.options:
                return  # a retry keeps the original enqueue's context
            try:
                carrier: dict[str, str] = {}
                sending = start_send(message.actor_name, system=self.runner.system, carrier=carrier)
                message.options[HEADERS_OPTION] = carrier
                if sending is not None:
                    self.open.opened(message.message_id, sending)
            except Exception:
                _log.warning("obskit: could not trace a Dramatiq enqueue", exc_info=True)

        def after_enqueue(self, broker: Any, message: Any, delay: int) -> None:
            self.open.confirmed(message.message_id)

        def before_process_message(self, broker: Any, message: Any) -> None:
            actor = broker.get_actor(message.actor_name)
            budget = message.options.get("max_retries", actor.options.get("max_retries"))
            self.current.message = TaskMessage(
                name=message.actor_name,
                queue=message.queue_name,
                headers=message.options.get(HEADERS_OPTION) or {},
                message_id=message.message_id,
                attempt=int(message.options.get("retries", 0)) + 1,
                max_attempts=None if budget is None else int(budget) + 1,
            )

        def after_process_message(
            self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
        ) -> None:
            task = getattr(self.current, "message", None)
            self.current.message = None
            if exception is None or task is None:
                return
            decision = self.runner.decide(exception, task)
            if decision is None:
                return
            if decision.action is Settle.DEAD_LETTER:
                message.options["max_retries"] = 0  # Retries fails it: Dramatiq's dead letters
            elif decision.action is Settle.RETRY:
                if task.max_attempts is None:  # an actor's own budget wins over obskit's
                    message.options["max_retries"] = self.runner.max_attempts - 1
                delay_ms = max(1, int(decision.delay * 1000))  # Retries' backoff, in ms
                message.options["min_backoff"] = message.options["max_backoff"] = delay_ms

        after_skip_message = after_process_message

    return ObskitMiddleware
