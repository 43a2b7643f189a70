"""The extractor: every construct that emits a name, with kinds, positions and literal values."""

from __future__ import annotations

from textwrap import dedent

from obskit.lint import NameUse, extract_names
from obskit.lint._extract import NO_VALUE


def _names(source: str) -> list[tuple[str, str, int, int, object, bool]]:
    return [
        (u.name, u.kind, u.line, u.col, u.value, u.dynamic)
        for u in extract_names(dedent(source), "x.py")
    ]


def test_span_calls() -> None:
    assert _names(
        """\
        def f(tracer, span, key):
            span.set_attribute("a.b", 1)
            span.set_attributes({"c.d": True, **{"e.f": -2.5}, **extra})
            with tracer.start_as_current_span("s", attributes={"g.h": "x"}):
                pass
            tracer.start_span("s", attributes=dict(plain=[1, 2]))
            span.add_event("thing.happened", attributes={"i.j": None})
            span.set_attribute(key, 1)
        """
    ) == [
        ("a.b", "attribute", 2, 24, 1, False),
        ("c.d", "attribute", 3, 26, True, False),
        ("e.f", "attribute", 3, 42, -2.5, False),
        ("extra", "attribute", 3, 58, NO_VALUE, True),
        ("g.h", "attribute", 4, 56, "x", False),
        ("plain", "attribute", 6, 44, [1, 2], False),
        ("thing.happened", "event", 7, 20, NO_VALUE, False),
        ("i.j", "attribute", 7, 50, NO_VALUE, False),
        ("key", "attribute", 8, 24, NO_VALUE, True),
    ]


def test_traced_decorators_and_publishing() -> None:
    assert _names(
        """\
        import obskit
        from obskit import traced

        @traced(attributes={"a.one": 1})
        def one(): ...

        @obskit.traced(attributes={"a.two": 2})
        def two(): ...

        @traced.consumer("orders", attributes={"a.three": "3"})
        def three(message): ...

        @obskit.traced.consumer("orders", attributes=lambda m: {})
        def four(message): ...

        with obskit.publishing("shipping", attributes={"a.five": 5}) as headers:
            pass
        """
    ) == [
        ("a.one", "attribute", 4, 21, 1, False),
        ("a.two", "attribute", 7, 28, 2, False),
        ("a.three", "attribute", 10, 40, "3", False),
        # a lambda's dict is read like a dict literal: this one names nothing
        ("a.five", "attribute", 16, 48, 5, False),
    ]


def test_structlog_and_stdlib_logging() -> None:
    assert _names(
        """\
        import logging
        import structlog

        log = structlog.get_logger()
        logger = logging.getLogger(__name__)
        bound = log.bind(order_id="o")
        bound.info("placed", total=3, **{"user.id": "u"}, **kw)
        logger.warning("slow", extra={"order_id": 1}, exc_info=True, stacklevel=2)
        log.new(request_id="r").msg("x", exc_info=True)
        structlog.contextvars.bind_contextvars(tenant="t")
        structlog.get_logger().log(20, "x", level_field=1)  # a method named log: never read
        counter.add(1)  # not a logger: nothing to report
        math.log(3)
        """
    ) == [
        ("order_id", "log_field", 6, 18, "o", False),
        ("total", "log_field", 7, 22, 3, False),
        ("user.id", "log_field", 7, 34, "u", False),
        ("kw", "log_field", 7, 53, NO_VALUE, True),
        ("order_id", "log_field", 8, 31, 1, False),
        ("request_id", "log_field", 9, 9, "r", False),
        ("tenant", "log_field", 10, 40, "t", False),
    ]


def test_log_fields_only_from_loggers_by_where_they_came_from() -> None:
    """A receiver is a logger because a logger factory or a logger's bind() made it, never
    because of its name; and no method named ``log`` is read (it is any API's name)."""
    assert _names(
        """        import logging, logfire, obskit

        class Worker:
            def __init__(self, logger_state):
                self.log = obskit.get_logger(__name__)
                self.logger_state = logger_state

            def run(self, logger):
                self.log.info("ran", job_id=1)
                self.logger_state.log(log_level=logging.WARNING, message="x")
                self.logger_state.info("x", message="y")
                logger.info("not known to be a logger", extra={"a": 1})
                logfire.log(level="info", msg_template="m", attributes={"k": 1})
                logfire.info("m", user_name="u")
                logging.warning("root", extra={"trace_hint": 2})
                child: logging.Logger = logging.getLogger("x").getChild("y")
                child.error("e", extra={"child_field": 3})
        """
    ) == [
        ("job_id", "log_field", 9, 30, 1, False),
        ("trace_hint", "log_field", 15, 40, 2, False),
        ("child_field", "log_field", 17, 33, 3, False),
    ]


def test_metrics() -> None:
    assert _names(
        """\
        def f(meter):
            c = meter.create_counter("orders.placed", unit="1")
            h = meter.create_histogram(name="orders.duration")
            meter.create_observable_gauge("queue.depth", callbacks=[])
            c.add(1, {"a.b": "x"})
            h.record(2.0, attributes={"c.d": 1})
            g.set(3, attributes={"e.f": 2})
            things.add(item)
        """
    ) == [
        ("orders.placed", "metric", 2, 30, NO_VALUE, False),
        ("orders.duration", "metric", 3, 37, NO_VALUE, False),
        ("queue.depth", "metric", 4, 35, NO_VALUE, False),
        ("a.b", "attribute", 5, 15, "x", False),
        ("c.d", "attribute", 6, 31, 1, False),
        ("e.f", "attribute", 7, 26, 2, False),
    ]


def test_constants_module_level_and_semconv() -> None:
    assert _names(
        """\
        from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD
        from opentelemetry.semconv.attributes import server_attributes as sa
        from opentelemetry.semconv.trace import SpanAttributes
        import opentelemetry.semconv._incubating.attributes.messaging_attributes

        ORDER: str = "app.order.id"

        class Keys:
            CUSTOMER = "app.customer.id"

        def f(span):
            span.set_attribute(HTTP_REQUEST_METHOD, "GET")
            span.set_attribute(sa.SERVER_PORT, 80)
            span.set_attribute(SpanAttributes.HTTP_METHOD, "GET")
            span.set_attribute(
                opentelemetry.semconv._incubating.attributes.messaging_attributes.MESSAGING_SYSTEM,
                "rabbitmq",
            )
            span.set_attribute(ORDER, "o")
            span.set_attribute(Keys.CUSTOMER, "c")
            span.set_attribute(SpanAttributes.NOT_A_CONSTANT, 1)
        """
    ) == [
        ("http.request.method", "attribute", 12, 24, "GET", False),
        ("server.port", "attribute", 13, 24, 80, False),
        ("http.method", "attribute", 14, 24, "GET", False),
        ("messaging.system", "attribute", 16, 9, "rabbitmq", False),
        ("app.order.id", "attribute", 19, 24, "o", False),
        ("app.customer.id", "attribute", 20, 24, "c", False),
        ("SpanAttributes.NOT_A_CONSTANT", "attribute", 21, 24, NO_VALUE, True),
    ]


def test_columns_count_characters_and_keywords_are_spelled() -> None:
    [use] = list(extract_names("log = get_logger()\nlog.info('é', naïve_key=1)\n", "x.py"))
    assert (use.col, use.end_col) == (15, 24)
    assert use.spelling is not None and use.spelling.style == "keyword"
    assert use == NameUse("naïve_key", "log_field", "x.py", 2, 15, 24, 1, False, use.spelling)


def test_lines_and_columns_count_only_real_line_ends() -> None:
    # U+2028, form feed, U+0085 ... are line breaks to str.splitlines, not to Python
    separators = "\u2028\x0c\x1c\x1d\x1e\x85\u2029\x0b"
    source = f'x = "{separators}"\ny = "é"; span.set_attribute("a.b", 1)\n'
    [use] = list(extract_names(source, "x.py"))
    assert (use.line, use.col, use.end_col) == (2, 29, 34)
    assert source.splitlines()[-1][use.col - 1 : use.end_col - 1] == '"a.b"'


def test_a_lone_carriage_return_ends_a_line() -> None:
    source = 'def f(span):\r    x = "é"\r    span.set_attribute("a.b", 1)\r'
    assert _names_of(source) == [("a.b", 3, 24)]
    assert _names_of(source.replace("\r", "\r\n")) == [("a.b", 3, 24)]


def _names_of(source: str) -> list[tuple[str, int, int]]:
    return [(u.name, u.line, u.col) for u in extract_names(source, "x.py")]


def test_never_imports_user_code() -> None:
    source = "import sys\nsys.exit('imported!')\nspan.set_attribute('a.b', 1)\n"
    assert [u.name for u in extract_names(source)] == ["a.b"]


def test_consumer_and_producer_attributes_from_a_lambda_or_a_function() -> None:
    """``attributes=lambda m: {...}`` (docs/debugging.md's form) and a function returning dict
    literals are read like a dict literal, each name once where it is written."""
    assert _names(
        """\
        import obskit

        def ids(message):
            if message.retry:
                return {"app.order.id": message.id, "retry": True}
            return {"app.order.id": message.id}

        @obskit.traced.consumer("orders", system="rabbitmq", attributes=ids)
        def on_order(message): ...

        @obskit.traced.consumer("returns", system="rabbitmq", attributes=ids)
        def on_return(message): ...

        @obskit.traced.consumer("a", system="nats", attributes=lambda m: {"app.sku": m["s"]})
        def on_a(m): ...

        with obskit.publishing("b", system="kafka", attributes=build(order)):
            pass
        """
    ) == [
        ("app.order.id", "attribute", 5, 17, NO_VALUE, False),
        ("retry", "attribute", 5, 45, True, False),
        ("app.order.id", "attribute", 6, 13, NO_VALUE, False),
        ("app.sku", "attribute", 14, 67, NO_VALUE, False),
        ("build(order)", "attribute", 17, 56, NO_VALUE, True),
    ]
