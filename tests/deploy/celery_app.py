"""The Celery app the prefork test runs (``celery -A tests.deploy.celery_app worker``)."""

from __future__ import annotations

import os
import time

from celery import Celery

import obskit
from obskit.tasks import instrument_celery

obskit.configure(service_name="celery-workers")
app = Celery("prefork", broker=os.environ.get("OBSKIT_TEST_BROKER", "redis://127.0.0.1:6379/6"))
app.conf.task_default_queue = os.environ.get("OBSKIT_TEST_QUEUE", "obskit-prefork")
instrument_celery(app)


@app.task(name="prefork.work")
def work(n: int) -> int:
    time.sleep(0.05)  # long enough that both pool processes take tasks
    obskit.get_logger("prefork").info("worked")
    return os.getpid()
