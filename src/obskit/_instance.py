"""``service.instance.id``: one per process, renewed in a forked child.

A prefork server (gunicorn ``--preload``, Celery prefork, ``multiprocessing``) configures
obskit once in the parent and forks workers that share its providers and their resource. Each
worker must still report itself: after a fork the child gets a new id, written into the resource
that every tracer, meter and logger of obskit's providers already holds.
"""

from __future__ import annotations

import logging
import os
import uuid
import weakref
from typing import Any, Final

from opentelemetry.sdk.resources import Resource

__all__ = ["SERVICE_INSTANCE_ID", "new_instance_id", "renew_after_fork"]

SERVICE_INSTANCE_ID: Final = "service.instance.id"

_log = logging.getLogger("obskit")


def new_instance_id() -> str:
    return str(uuid.uuid4())


class _Renewal:
    """The resources whose id a forked child renews (weakly held: a reset drops them)."""

    def __init__(self) -> None:
        self.resources: weakref.WeakSet[Resource] = weakref.WeakSet()
        os.register_at_fork(after_in_child=self.renew)

    def renew(self) -> None:
        for resource in list(self.resources):
            try:
                # Resource is immutable by API; its attributes live in one mapping that every
                # provider, tracer and exporter reads, so the child changes it in place.
                mapping: Any = resource.attributes
                mapping._dict[SERVICE_INSTANCE_ID] = new_instance_id()
            except Exception:
                _log.warning(
                    "obskit: could not renew service.instance.id after fork; "
                    "this worker reports its parent's id",
                    exc_info=True,
                )


_renewal = _Renewal()


def renew_after_fork(resource: Resource) -> Resource:
    """Give ``resource`` a new ``service.instance.id`` in every forked child (when obskit
    made the id: one set by the user or ``OTEL_RESOURCE_ATTRIBUTES`` is theirs to keep)."""
    _renewal.resources.add(resource)
    return resource
