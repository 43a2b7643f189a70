"""Task queues as messaging: Celery and Dramatiq tasks get what obskit gives messages.

A task enqueue is a PRODUCER span that carries W3C context in the task's headers; a task run is
a CONSUMER span ``process {task name}``, the producer's child (and linked), with the attempt,
age, duplicate flags and outcome, and the ErrorPolicy decides retry, dead letter or success.
Neither client is imported until its ``instrument_*`` function is called.
"""

from obskit.tasks._celery import instrument_celery
from obskit.tasks._dramatiq import instrument_dramatiq
from obskit.tasks._runner import TaskMessage, TaskRunner

__all__ = ["TaskMessage", "TaskRunner", "instrument_celery", "instrument_dramatiq"]
