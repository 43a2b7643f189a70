"""The orders service."""

import structlog
from opentelemetry import trace

log = structlog.get_logger()
tracer = trace.get_tracer(__name__)


def place(order_id: str, total: float) -> None:
    with tracer.start_as_current_span("place", attributes={"app.order.id": order_id}) as span:
        span.set_attribute("app.order.total", 12.5)
        span.set_attribute("app.order.status", "placed")
        span.set_attribute("app.order.retries", 0)
        log.info("order_placed", order_id=order_id)
