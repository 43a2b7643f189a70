from opentelemetry import trace


def legacy(span: trace.Span) -> None:
    span.set_attribute("legacy", 1)
    span.set_attribute("http.method", "GET")
