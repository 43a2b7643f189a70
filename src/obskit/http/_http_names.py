"""The HTTP semantic-convention names obskit emits, from ``opentelemetry-semantic-conventions``.

One import site, so the HTTP code never spells a convention name as a literal. obskit's own
names (declared in ``conventions/``) sit beside them.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.semconv.attributes import client_attributes as _client
from opentelemetry.semconv.attributes import error_attributes as _error
from opentelemetry.semconv.attributes import http_attributes as _http
from opentelemetry.semconv.attributes import network_attributes as _network
from opentelemetry.semconv.attributes import server_attributes as _server
from opentelemetry.semconv.attributes import url_attributes as _url
from opentelemetry.semconv.attributes import user_agent_attributes as _user_agent
from opentelemetry.semconv.metrics import http_metrics as _metrics

HTTP_REQUEST_METHOD: Final = _http.HTTP_REQUEST_METHOD
HTTP_REQUEST_METHOD_ORIGINAL: Final = _http.HTTP_REQUEST_METHOD_ORIGINAL
HTTP_REQUEST_RESEND_COUNT: Final = _http.HTTP_REQUEST_RESEND_COUNT
HTTP_RESPONSE_STATUS_CODE: Final = _http.HTTP_RESPONSE_STATUS_CODE
HTTP_ROUTE: Final = _http.HTTP_ROUTE
HTTP_REQUEST_HEADER: Final = _http.HTTP_REQUEST_HEADER_TEMPLATE  # "http.request.header"
HTTP_RESPONSE_HEADER: Final = _http.HTTP_RESPONSE_HEADER_TEMPLATE  # "http.response.header"
URL_FULL: Final = _url.URL_FULL
URL_PATH: Final = _url.URL_PATH
URL_QUERY: Final = _url.URL_QUERY
URL_SCHEME: Final = _url.URL_SCHEME
SERVER_ADDRESS: Final = _server.SERVER_ADDRESS
SERVER_PORT: Final = _server.SERVER_PORT
CLIENT_ADDRESS: Final = _client.CLIENT_ADDRESS
USER_AGENT_ORIGINAL: Final = _user_agent.USER_AGENT_ORIGINAL
NETWORK_PROTOCOL_VERSION: Final = _network.NETWORK_PROTOCOL_VERSION
ERROR_TYPE: Final = _error.ERROR_TYPE
OTHER: Final = _http.HttpRequestMethodValues.OTHER.value  # "_OTHER"

METRIC_SERVER_DURATION: Final = _metrics.HTTP_SERVER_REQUEST_DURATION
METRIC_CLIENT_DURATION: Final = _metrics.HTTP_CLIENT_REQUEST_DURATION

KNOWN_METHODS: Final = frozenset(
    m.value for m in _http.HttpRequestMethodValues if m is not _http.HttpRequestMethodValues.OTHER
)

# obskit's own names (to be declared in conventions/ beside obskit.error.kind).
OBSKIT_CLIENT_DISCONNECTED: Final = "obskit.http.client_disconnected"
EVENT_CLIENT_DISCONNECT: Final = "obskit.http.client_disconnect"
#: the WSGI environ key a framework hook fills with the matched route template
ENVIRON_ROUTE: Final = "obskit.http.route"
#: the SERVER span's context, in the environ for the server's access log line
ENVIRON_SPAN_CONTEXT: Final = "obskit.http.span_context"
