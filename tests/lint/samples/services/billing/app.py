"""The billing service: the same concepts, named a little differently."""

import structlog
from opentelemetry import trace

log = structlog.get_logger()
tracer = trace.get_tracer(__name__)


def charge(order_id: str) -> None:
    with tracer.start_as_current_span("charge", attributes={"app.orderId": order_id}) as span:
        span.set_attribute("app.order.total", "12.50")
        span.set_attribute("app.order_status", "charged")
        span.set_attribute("app.invoice.id", "i-1")
        log.info("charged", orderId=order_id)
