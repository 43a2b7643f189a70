"""``obskit.http.DjangoMiddleware`` with Django's test clients and under real WSGI/ASGI servers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import django
import httpx
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="obskit-tests",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["obskit.http.DjangoMiddleware"],
        INSTALLED_APPS=[],
        LOGGING_CONFIG=None,
    )
    django.setup()

from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, Client
from django.urls import path
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from obskit.errors import BusinessRuleViolation
from obskit.testing import Captured
from tests.http.servers import UvicornThread, WerkzeugThread, wait_for

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class OutOfStock(BusinessRuleViolation):
    pass


def order(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse({"order": pk})


async def order_async(request: HttpRequest, pk: int) -> JsonResponse:
    await asyncio.sleep(0)
    return JsonResponse({"order": pk})


def refuse(request: HttpRequest) -> JsonResponse:
    raise OutOfStock("card 4111 1111 1111 1111 declined")


def boom(request: HttpRequest) -> JsonResponse:
    raise RuntimeError("database on fire")


urlpatterns = [
    path("orders/<int:pk>/", order),
    path("async/orders/<int:pk>/", order_async),
    path("refuse/", refuse),
    path("boom/", boom),
]


def _server_span(telemetry: Captured) -> ReadableSpan:
    wait_for(lambda: any(s.kind is SpanKind.SERVER for s in telemetry.spans))
    [span] = [s for s in telemetry.spans if s.kind is SpanKind.SERVER]
    return span


def _assert_continues_caller(span: ReadableSpan, route: str) -> None:
    assert span.name == f"GET {route}"
    assert span.attributes is not None
    assert span.attributes["http.route"] == route
    assert span.attributes["http.response.status_code"] == 200
    assert span.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert span.parent is not None and span.parent.span_id == 0xB7AD6B7169203331


def test_test_client_span_has_the_route_template_and_the_callers_trace(
    telemetry: Captured,
) -> None:
    response = Client().get("/orders/7/", headers={"traceparent": TRACEPARENT})
    assert response.json() == {"order": 7}
    span = _server_span(telemetry)
    _assert_continues_caller(span, "orders/<int:pk>/")
    assert span.attributes is not None and span.attributes["url.path"] == "/orders/7/"
    [(attributes, _)] = telemetry.metric_points("http.server.request.duration")
    assert attributes["http.route"] == "orders/<int:pk>/"


async def test_async_client_runs_the_middleware_async(telemetry: Captured) -> None:
    response = await AsyncClient().get("/async/orders/8/", headers={"traceparent": TRACEPARENT})
    assert response.json() == {"order": 8}
    _assert_continues_caller(_server_span(telemetry), "async/orders/<int:pk>/")


def test_a_business_refusal_is_422_without_the_exception_text(telemetry: Captured) -> None:
    response = Client().get("/refuse/")
    assert response.status_code == 422
    assert json.loads(response.content) == {"error": f"{__name__}.OutOfStock"}
    span = _server_span(telemetry)
    assert span.status.status_code is not StatusCode.ERROR
    assert span.attributes is not None and span.attributes["obskit.error.kind"] == "business"


def test_an_unexpected_error_is_a_500_with_its_error_type(telemetry: Captured) -> None:
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    span = _server_span(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "RuntimeError"
    assert span.attributes["http.route"] == "boom/"


@pytest.mark.parametrize("server", ["wsgi", "asgi"])
def test_under_a_real_server(server: str, telemetry: Captured) -> None:
    app: Any
    if server == "wsgi":
        app, running, route = get_wsgi_application(), WerkzeugThread, "orders/<int:pk>/"
    else:
        app, running, route = get_asgi_application(), UvicornThread, "async/orders/<int:pk>/"
    with running(app) as live:
        url = f"{live.url}/{route.replace('<int:pk>', '9')}"
        response = httpx.get(url, headers={"traceparent": TRACEPARENT})
    assert response.json() == {"order": 9}
    span = _server_span(telemetry)
    _assert_continues_caller(span, route)
    assert span.attributes is not None and span.attributes["server.port"] == live.port
