"""The W3C Trace Context test suite (w3c/trace-context ``test/test.py``), ported to pytest.

As in the suite, a harness sends requests to a real service (uvicorn on loopback, obskit's
``ASGIMiddleware``) whose handler calls the harness back (httpx, ``instrument_httpx``); the
assertions are on the headers of those callbacks. The suite's latest revision is followed
(STRICT_LEVEL 2): the current ``tracestate`` key grammar (``@`` anywhere after the first
character, up to 256 characters, w3c/trace-context#584), and duplicated keys keep the header
(w3c/trace-context#477).
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from obskit.http import ASGIMiddleware, instrument_httpx
from obskit.testing import Captured
from tests.http.servers import UvicornThread

TRACE_ID = "12345678901234567890123456789012"
PARENT_ID = "1234567890123456"
VALID = f"00-{TRACE_ID}-{PARENT_ID}-01"
NOT_SAMPLED = f"00-{TRACE_ID}-{PARENT_ID}-00"
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# What the suite's harness accepts in what a service sends (the current grammar).
_MEMBER = re.compile(
    r"^([a-z0-9][_0-9a-z\-*/@]{0,255})=([\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])$"
)

callbacks: dict[str, list[tuple[str, str]]] = {}
_ids = itertools.count()


async def harness(scope: Any, receive: Any, send: Any) -> None:
    """The suite's harness endpoint: remembers the headers of every callback."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    callbacks[scope["path"]] = [(k.decode(), v.decode()) for k, v in scope["headers"]]
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def service_endpoint(request: Request) -> Response:
    """The service under test: calls back every URL it is given, as the suite asks."""
    arguments = await request.json()
    async with instrument_httpx(httpx.AsyncClient(timeout=5)) as client:
        for argument in arguments:
            await client.post(argument["url"], json=argument["arguments"])
    return JSONResponse({"calls": len(arguments)})


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[UvicornThread, UvicornThread]]:
    service = Starlette(
        routes=[Route("/test", service_endpoint, methods=["POST"])],
        middleware=[Middleware(ASGIMiddleware)],
    )
    with UvicornThread(harness) as harness_server, UvicornThread(service) as service_server:
        yield harness_server, service_server


class Traceparent:
    def __init__(self, value: str) -> None:
        match = _TRACEPARENT.match(value)
        assert match, f"the service sent an invalid traceparent {value!r}"
        self.version, self.trace_id, self.parent_id, self.flags = match.groups()


def get_traceparent(headers: list[tuple[str, str]]) -> Traceparent:
    values = [v for k, v in headers if k.lower() == "traceparent"]
    assert len(values) == 1, f"expect one traceparent header, got {values!r}"
    return Traceparent(values[0])


def get_tracestate(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Combined tracestate as the harness reads it: every member must be well formed."""
    state: dict[str, str] = {}
    for key, value in headers:
        if key.lower() != "tracestate":
            continue
        for member in re.split(r"[ \t]*,[ \t]*", value):
            if member:
                match = _MEMBER.match(member)
                assert match, f"the service sent an illegal tracestate member {member!r}"
                state.setdefault(match.group(1), match.group(2))
    return state


@pytest.fixture
def make_request(servers: tuple[UvicornThread, UvicornThread], telemetry: Captured) -> Any:
    harness_server, service_server = servers

    def make(headers: list[tuple[str, str]], count: int = 1) -> list[list[tuple[str, str]]]:
        paths = [f"/callback/{next(_ids)}" for _ in range(count)]
        body = json.dumps([{"url": harness_server.url + p, "arguments": []} for p in paths])
        connection = http.client.HTTPConnection("127.0.0.1", service_server.port, timeout=10)
        try:
            connection.putrequest("POST", "/test")
            for name, value in headers:
                connection.putheader(name, value)
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body.encode())
            response = connection.getresponse()
            assert response.status == 200, response.read()
            response.read()
        finally:
            connection.close()
        return [callbacks.pop(p) for p in paths]

    return make


def single(make_request: Any, headers: list[tuple[str, str]]) -> tuple[Traceparent, dict[str, str]]:
    [received] = make_request(headers)
    return get_traceparent(received), get_tracestate(received)


# -- traceparent -----------------------------------------------------------------------------


def test_both_traceparent_and_tracestate_missing(make_request: Any) -> None:
    single(make_request, [])


def test_traceparent_included_tracestate_missing(make_request: Any) -> None:
    traceparent, _ = single(make_request, [("traceparent", VALID)])
    assert traceparent.trace_id == TRACE_ID
    assert traceparent.parent_id != PARENT_ID


def test_traceparent_duplicated(make_request: Any) -> None:
    traceparent, _ = single(
        make_request,
        [
            ("traceparent", f"00-{TRACE_ID[:-1]}1-{PARENT_ID}-01"),
            ("traceparent", VALID),
        ],
    )
    assert traceparent.trace_id not in (TRACE_ID, TRACE_ID[:-1] + "1")


@pytest.mark.parametrize("name", ["trace-parent", "trace.parent"])
def test_traceparent_header_name(make_request: Any, name: str) -> None:
    traceparent, _ = single(make_request, [(name, VALID)])
    assert traceparent.trace_id != TRACE_ID


@pytest.mark.parametrize("name", ["TraceParent", "TrAcEpArEnT", "TRACEPARENT"])
def test_traceparent_header_name_valid_casing(make_request: Any, name: str) -> None:
    traceparent, _ = single(make_request, [(name, VALID)])
    assert traceparent.trace_id == TRACE_ID


INVALID_TRACEPARENTS = {
    "version_0x00_extra_dot": f"00-{TRACE_ID}-{PARENT_ID}-01.",
    "version_0x00_extra_fields": f"00-{TRACE_ID}-{PARENT_ID}-01-what-the-future-will-be-like",
    "version_0xcc_extra_dot": f"cc-{TRACE_ID}-{PARENT_ID}-01.what-the-future-will-be-like",
    "version_0xff": f"ff-{TRACE_ID}-{PARENT_ID}-01",
    "version_illegal_1": f".0-{TRACE_ID}-{PARENT_ID}-01",
    "version_illegal_2": f"0.-{TRACE_ID}-{PARENT_ID}-01",
    "version_too_long_1": f"000-{TRACE_ID}-{PARENT_ID}-01",
    "version_too_long_2": f"0000-{TRACE_ID}-{PARENT_ID}-01",
    "version_too_short": f"0-{TRACE_ID}-{PARENT_ID}-01",
    "trace_id_all_zero": f"00-{'0' * 32}-{PARENT_ID}-01",
    "trace_id_illegal_1": f"00-.{TRACE_ID[1:]}-{PARENT_ID}-01",
    "trace_id_illegal_2": f"00-{TRACE_ID[:-1]}.-{PARENT_ID}-01",
    "trace_id_too_long": f"00-{TRACE_ID}3-{PARENT_ID}-01",
    "trace_id_too_short": f"00-{TRACE_ID[:-1]}-{PARENT_ID}-01",
    "trace_id_uppercase": f"00-{TRACE_ID[:-2]}AB-{PARENT_ID}-01",
    "parent_id_all_zero": f"00-{TRACE_ID}-{'0' * 16}-01",
    "parent_id_illegal_1": f"00-{TRACE_ID}-.{PARENT_ID[1:]}-01",
    "parent_id_illegal_2": f"00-{TRACE_ID}-{PARENT_ID[:-1]}.-01",
    "parent_id_too_long": f"00-{TRACE_ID}-{PARENT_ID}7-01",
    "parent_id_too_short": f"00-{TRACE_ID}-{PARENT_ID[:-1]}-01",
    "trace_flags_illegal_1": f"00-{TRACE_ID}-{PARENT_ID}-.0",
    "trace_flags_illegal_2": f"00-{TRACE_ID}-{PARENT_ID}-0.",
    "trace_flags_too_long": f"00-{TRACE_ID}-{PARENT_ID}-001",
    "trace_flags_too_short": f"00-{TRACE_ID}-{PARENT_ID}-1",
}


@pytest.mark.parametrize("value", INVALID_TRACEPARENTS.values(), ids=INVALID_TRACEPARENTS.keys())
def test_invalid_traceparent_restarts_the_trace(make_request: Any, value: str) -> None:
    traceparent, tracestate = single(
        make_request, [("traceparent", value), ("tracestate", "foo=1")]
    )
    assert traceparent.trace_id != TRACE_ID
    assert traceparent.trace_id not in value
    assert tracestate == {}  # tracestate is only kept with a valid traceparent


VALID_TRACEPARENTS = {
    "version_0xcc": f"cc-{TRACE_ID}-{PARENT_ID}-01",
    "version_0xcc_extra_fields": f"cc-{TRACE_ID}-{PARENT_ID}-01-what-the-future-will-be-like",
    "version_0x01_extra_field": f"01-{TRACE_ID}-{PARENT_ID}-01-xyz",
    "ows_leading_space": f" {VALID}",
    "ows_leading_tab": f"\t{VALID}",
    "ows_trailing_space": f"{VALID} ",
    "ows_trailing_tab": f"{VALID}\t",
    "ows_both": f"\t {VALID} \t",
}


@pytest.mark.parametrize("value", VALID_TRACEPARENTS.values(), ids=VALID_TRACEPARENTS.keys())
def test_valid_traceparent_continues_the_trace(make_request: Any, value: str) -> None:
    traceparent, _ = single(make_request, [("traceparent", value)])
    assert traceparent.trace_id == TRACE_ID
    assert traceparent.version == "00"  # downgraded to the highest version known


@pytest.mark.parametrize("incoming", [VALID, NOT_SAMPLED])
def test_outgoing_traceparent_has_the_new_span_and_the_incoming_sampled_flag(
    make_request: Any, telemetry: Captured, incoming: str
) -> None:
    traceparent, _ = single(make_request, [("traceparent", incoming)])
    assert traceparent.flags == incoming[-2:]
    assert traceparent.parent_id != PARENT_ID
    if incoming == VALID:  # sampled: the client span was recorded and is the new parent
        client = telemetry.span("POST", SpanKind.CLIENT)
        assert traceparent.parent_id == f"{client.context.span_id:016x}"


# -- tracestate ------------------------------------------------------------------------------


def test_tracestate_included_traceparent_missing(make_request: Any) -> None:
    _, tracestate1 = single(make_request, [("tracestate", "foo=1")])
    _, tracestate2 = single(make_request, [("tracestate", "foo=1,bar=2")])
    assert len(tracestate1) == len(tracestate2) == 0


def test_tracestate_included_traceparent_included(make_request: Any) -> None:
    traceparent, tracestate = single(
        make_request, [("traceparent", NOT_SAMPLED), ("tracestate", "foo=1,bar=2")]
    )
    assert traceparent.trace_id == TRACE_ID
    assert tracestate == {"foo": "1", "bar": "2"}


@pytest.mark.parametrize("name", ["trace-state", "trace.state"])
def test_tracestate_header_name(make_request: Any, name: str) -> None:
    _, tracestate = single(make_request, [("traceparent", NOT_SAMPLED), (name, "foo=1")])
    assert "foo" not in tracestate


@pytest.mark.parametrize("name", ["TraceState", "TrAcEsTaTe", "TRACESTATE"])
def test_tracestate_header_name_valid_casing(make_request: Any, name: str) -> None:
    _, tracestate = single(make_request, [("traceparent", NOT_SAMPLED), (name, "foo=1")])
    assert tracestate == {"foo": "1"}


@pytest.mark.parametrize("lines", [[""], ["foo=1", ""], ["", "foo=1"]])
def test_tracestate_empty_header(make_request: Any, lines: list[str]) -> None:
    headers = [("traceparent", NOT_SAMPLED), *(("tracestate", line) for line in lines)]
    traceparent, tracestate = single(make_request, headers)
    assert traceparent.trace_id == TRACE_ID
    assert tracestate == ({"foo": "1"} if any(lines) else {})


def test_tracestate_multiple_headers_different_keys(make_request: Any) -> None:
    [received] = make_request(
        [
            ("traceparent", NOT_SAMPLED),
            ("tracestate", "foo=1,bar=2"),
            ("tracestate", "rojo=1,congo=2"),
            ("tracestate", "baz=3"),
        ]
    )
    assert get_traceparent(received).trace_id == TRACE_ID
    combined = ",".join(v for k, v in received if k.lower() == "tracestate")
    order = ["foo=1", "bar=2", "rojo=1", "congo=2", "baz=3"]
    assert [combined.index(m) for m in order] == sorted(combined.index(m) for m in order)


@pytest.mark.parametrize(
    "lines", [["foo=1,foo=1"], ["foo=1,foo=2"], ["foo=1", "foo=1"], ["foo=1", "foo=2"]]
)
def test_tracestate_duplicated_keys(make_request: Any, lines: list[str]) -> None:
    """Kept as-is or one duplicate dropped (the suite since w3c/trace-context#477)."""
    headers = [("traceparent", NOT_SAMPLED), *(("tracestate", line) for line in lines)]
    [received] = make_request(headers)
    assert get_traceparent(received).trace_id == TRACE_ID
    values = [v for k, v in received if k.lower() == "tracestate"]
    assert values == ["foo=1"]


def test_tracestate_all_allowed_characters(make_request: Any) -> None:
    key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/"
    value = "".join(map(chr, [*range(0x20, 0x2C), *range(0x2D, 0x3D), *range(0x3E, 0x7F)]))
    for candidate in (key, key + "@a-z0-9_-*/"):
        _, tracestate = single(
            make_request, [("traceparent", NOT_SAMPLED), ("tracestate", f"{candidate}={value}")]
        )
        assert tracestate == {candidate: value}


@pytest.mark.parametrize(
    "value",
    [
        "foo=1 \t , \t bar=2, \t baz=3",
        "foo=1\t \t,\t \tbar=2,\t \tbaz=3",
        " foo=1",
        "\tfoo=1",
        "foo=1 ",
        "foo=1\t",
        "\t foo=1 \t",
    ],
)
def test_tracestate_ows_handling(make_request: Any, value: str) -> None:
    traceparent, tracestate = single(
        make_request, [("traceparent", NOT_SAMPLED), ("tracestate", value)]
    )
    assert traceparent.trace_id == TRACE_ID
    assert tracestate["foo"] == "1"
    if "bar" in value:
        assert tracestate == {"foo": "1", "bar": "2", "baz": "3"}


@pytest.mark.parametrize(
    ("value", "missing"),
    [("foo =1", "foo "), ("FOO=1", "FOO"), ("foo.bar=1", "foo.bar")],
)
def test_tracestate_key_illegal_characters(make_request: Any, value: str, missing: str) -> None:
    _, tracestate = single(make_request, [("traceparent", NOT_SAMPLED), ("tracestate", value)])
    assert missing not in tracestate


@pytest.mark.parametrize("key", ["foo@", "foo@@bar", "foo@bar@baz", "0foo@bar"])
def test_tracestate_keys_with_at_signs_are_kept(make_request: Any, key: str) -> None:
    _, tracestate = single(
        make_request, [("traceparent", NOT_SAMPLED), ("tracestate", f"{key}=1,bar=2")]
    )
    assert tracestate == {key: "1", "bar": "2"}


def test_tracestate_key_starting_with_an_at_sign_is_invalid(make_request: Any) -> None:
    _, tracestate = single(
        make_request, [("traceparent", NOT_SAMPLED), ("tracestate", "@foo=1,bar=2")]
    )
    assert "bar" not in tracestate


def test_tracestate_member_count_limit(make_request: Any) -> None:
    lines = [
        ",".join(f"bar{i:02d}={i:02d}" for i in range(start, min(start + 10, 33)))
        for start in (1, 11, 21, 31)
    ]
    _, tracestate = single(
        make_request, [("traceparent", NOT_SAMPLED), *(("tracestate", line) for line in lines)]
    )
    assert tracestate["bar01"] == "01" and len(tracestate) == 32
    _, tracestate = single(
        make_request,
        [
            ("traceparent", NOT_SAMPLED),
            *(("tracestate", line) for line in lines),
            ("tracestate", "bar33=33"),
        ],
    )
    assert "bar01" not in tracestate


@pytest.mark.parametrize(
    ("key", "kept"),
    [
        ("z" * 256, True),
        ("z" * 257, False),
        ("t" * 241 + "@" + "v" * 14, True),
        ("t" * 242 + "@v", True),  # the current grammar: only the 256 total counts
        ("t@" + "v" * 15, True),
    ],
)
def test_tracestate_key_length_limit(make_request: Any, key: str, kept: bool) -> None:
    _, tracestate = single(
        make_request,
        [("traceparent", NOT_SAMPLED), ("tracestate", "foo=1"), ("tracestate", f"{key}=1")],
    )
    assert ("foo" in tracestate) is kept


@pytest.mark.parametrize("value", ["foo=bar=baz", "foo=,bar=3"])
def test_tracestate_value_illegal_characters(make_request: Any, value: str) -> None:
    _, tracestate = single(make_request, [("traceparent", NOT_SAMPLED), ("tracestate", value)])
    assert "foo" not in tracestate and "bar" not in tracestate


# -- advanced --------------------------------------------------------------------------------


def test_multiple_requests_with_valid_traceparent(make_request: Any) -> None:
    parents = [get_traceparent(h) for h in make_request([("traceparent", VALID)], 3)]
    assert {p.trace_id for p in parents} == {TRACE_ID}
    assert len({p.parent_id for p in parents}) == 3


def test_multiple_requests_with_illegal_traceparent(make_request: Any) -> None:
    bad = f"00-{'0' * 32}-{PARENT_ID}-01"
    parents = [get_traceparent(h) for h in make_request([("traceparent", bad)], 3)]
    assert len({p.trace_id for p in parents}) == 1
    assert parents[0].trace_id != "0" * 32
    assert len({p.parent_id for p in parents}) == 3


def test_multiple_requests_without_traceparent(make_request: Any) -> None:
    parents = [get_traceparent(h) for h in make_request([], 3)]
    assert len({p.trace_id for p in parents}) == 1
    assert len({p.parent_id for p in parents}) == 3
