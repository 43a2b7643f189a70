"""A small order service, instrumented by hand (with deliberate naming drift)."""

import logging

import structlog
from opentelemetry import metrics, trace
from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD
from opentelemetry.semconv.trace import SpanAttributes

ORDER_ID = "app.order.id"

tracer = trace.get_tracer(__name__)
meter = metrics.get_meter(__name__)
log = structlog.get_logger()
logger = logging.getLogger(__name__)
placed = meter.create_counter("app.orders.placed", unit="{order}")
latency = meter.create_histogram("orderLatency")


def place(order, request):
    with tracer.start_as_current_span("place", attributes={"app.order.id": order.id}) as span:
        span.set_attribute(HTTP_REQUEST_METHOD, request.method)
        span.set_attribute(SpanAttributes.HTTP_METHOD, request.method)
        span.set_attribute("http.method", "GET")
        span.set_attribute("app.client.id", order.customer)
        span.set_attribute(ORDER_ID, order.id)
        span.set_attribute("app.order.total", "12.50")
        span.set_attributes({"app.order_number": order.number, "orderStatus": order.status})
        span.add_event("order.placed", attributes={"app.order.id": order.id})
        log.info("order_placed", order_id=order.id, orderId=order.id)
        logger.warning("slow order", extra={"customer_id": order.customer})
        log.bind(orderId=order.id, client_id=order.customer).debug("bound")  # keep me
        placed.add(1, {"app.order.id": order.id})
        span.set_attribute(f"app.{order.kind}", True)
        span.set_attribute("TotalPrice", 3)  # obskit: ignore[invalid_format]
        span.set_attribute("cart", 1)  # obskit: ignore
        return order
