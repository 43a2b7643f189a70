"""Semantic-convention names obskit emits, taken from ``opentelemetry-semantic-conventions``.

One import site, so the rest of the code never spells a convention name as a literal. Names that
belong to obskit itself (declared in ``conventions/``) are defined here too, beside their kin.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.semconv._incubating.attributes import messaging_attributes as _messaging
from opentelemetry.semconv._incubating.metrics import messaging_metrics as _messaging_metrics
from opentelemetry.semconv.attributes import error_attributes as _error
from opentelemetry.semconv.attributes import exception_attributes as _exception
from opentelemetry.semconv.attributes import server_attributes as _server
from opentelemetry.semconv.metrics import http_metrics as _http_metrics

MESSAGING_SYSTEM: Final = _messaging.MESSAGING_SYSTEM
MESSAGING_OPERATION_TYPE: Final = _messaging.MESSAGING_OPERATION_TYPE
MESSAGING_OPERATION_NAME: Final = _messaging.MESSAGING_OPERATION_NAME
MESSAGING_DESTINATION_NAME: Final = _messaging.MESSAGING_DESTINATION_NAME
MESSAGING_DESTINATION_TEMPLATE: Final = _messaging.MESSAGING_DESTINATION_TEMPLATE
MESSAGING_DESTINATION_PARTITION_ID: Final = _messaging.MESSAGING_DESTINATION_PARTITION_ID
MESSAGING_MESSAGE_ID: Final = _messaging.MESSAGING_MESSAGE_ID
MESSAGING_MESSAGE_CONVERSATION_ID: Final = _messaging.MESSAGING_MESSAGE_CONVERSATION_ID
MESSAGING_MESSAGE_BODY_SIZE: Final = _messaging.MESSAGING_MESSAGE_BODY_SIZE
MESSAGING_BATCH_MESSAGE_COUNT: Final = _messaging.MESSAGING_BATCH_MESSAGE_COUNT
MESSAGING_CONSUMER_GROUP_NAME: Final = _messaging.MESSAGING_CONSUMER_GROUP_NAME
MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY: Final = (
    _messaging.MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY
)
MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG: Final = _messaging.MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG
MESSAGING_KAFKA_MESSAGE_KEY: Final = _messaging.MESSAGING_KAFKA_MESSAGE_KEY
MESSAGING_KAFKA_OFFSET: Final = _messaging.MESSAGING_KAFKA_OFFSET
MESSAGING_KAFKA_MESSAGE_TOMBSTONE: Final = _messaging.MESSAGING_KAFKA_MESSAGE_TOMBSTONE
MESSAGING_CLIENT_ID: Final = _messaging.MESSAGING_CLIENT_ID
ERROR_TYPE: Final = _error.ERROR_TYPE
EXCEPTION_TYPE: Final = _exception.EXCEPTION_TYPE
EXCEPTION_MESSAGE: Final = _exception.EXCEPTION_MESSAGE
EXCEPTION_STACKTRACE: Final = _exception.EXCEPTION_STACKTRACE
SERVER_ADDRESS: Final = _server.SERVER_ADDRESS
SERVER_PORT: Final = _server.SERVER_PORT

METRIC_PROCESS_DURATION: Final = _messaging_metrics.MESSAGING_PROCESS_DURATION
METRIC_CONSUMED_MESSAGES: Final = _messaging_metrics.MESSAGING_CLIENT_CONSUMED_MESSAGES
METRIC_SENT_MESSAGES: Final = _messaging_metrics.MESSAGING_CLIENT_SENT_MESSAGES
METRIC_HTTP_SERVER_DURATION: Final = _http_metrics.HTTP_SERVER_REQUEST_DURATION
METRIC_HTTP_CLIENT_DURATION: Final = _http_metrics.HTTP_CLIENT_REQUEST_DURATION

# obskit's own names, declared in conventions/ (the registry test checks they stay declared).
OBSKIT_ERROR_KIND: Final = "obskit.error.kind"
OBSKIT_OUTCOME: Final = "obskit.outcome"
OBSKIT_MESSAGE_AGE: Final = "obskit.message.age"
OBSKIT_MESSAGE_ATTEMPT: Final = "obskit.message.attempt"
OBSKIT_MESSAGE_REDELIVERED: Final = "obskit.message.redelivered"
OBSKIT_MESSAGE_DUPLICATE: Final = "obskit.message.duplicate"
OBSKIT_MESSAGE_OUT_OF_ORDER: Final = "obskit.message.out_of_order"
OBSKIT_MESSAGE_OVERTAKEN_BY: Final = "obskit.message.overtaken_by"
OBSKIT_MESSAGE_SEQUENCE: Final = "obskit.message.sequence"
OBSKIT_MESSAGE_SEQUENCE_KEY: Final = "obskit.message.sequence_key"
OBSKIT_MESSAGE_CLOCK_SKEW: Final = "obskit.message.clock_skew"
OBSKIT_MESSAGE_SETTLEMENT: Final = "obskit.message.settlement"
OBSKIT_CONTEXT_MISSING: Final = "obskit.context.missing"
METRIC_SETTLEMENTS: Final = "obskit.message.settlements"
OBSKIT_TASK_NAME: Final = "obskit.task.name"
METRIC_TELEMETRY_DROPPED: Final = "obskit.telemetry.dropped"
OBSKIT_TELEMETRY_SIGNAL: Final = "obskit.telemetry.signal"
#: header obskit writes so a consumer can tell a message's age from the producer's clock
SENT_AT_HEADER: Final = "obskit-sent-at"
