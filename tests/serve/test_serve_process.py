"""Real services export to a real ``obskit serve`` process; the API and the UI show it.

The shop's ``api`` stage exports over gRPC, its ``stock`` stage over OTLP/HTTP; the pages are
checked in headless Chromium (screenshots under ``test-artifacts/``), and a restart on the same
database shows the same traces.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.serve.conftest import ARTIFACTS, get_json, serve_process, status_of, wait_for
from tests.support.chromium import browse

SERVICE = Path(__file__).with_name("shop_service.py")


def _run_stage(stage: str, protocol: str, endpoint: str, order: str, outbox: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SERVICE), stage, protocol, endpoint, order, str(outbox)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("serve")
    order = f"ord-{uuid.uuid4().hex[:8]}"
    database = folder / "telemetry.db"
    with serve_process("--db", str(database)) as urls:
        _run_stage("api", "grpc", urls["grpc"], order, folder / "outbox.json")
        _run_stage("stock", "http/protobuf", urls["otlp"], order, folder / "outbox.json")
        search = f"{urls['ui']}/api/traces?where=app.order.id={order}"
        wait_for(lambda: sum(t["span_count"] for t in get_json(search)["traces"]) == 3 * 2 + 5)
        yield {"urls": urls, "order": order, "folder": folder}


def test_search_finds_the_orders_traces_by_attribute(shop: dict[str, Any]) -> None:
    traces = get_json(f"{shop['urls']['ui']}/api/traces?where=app.order.id={shop['order']}")
    summaries = traces["traces"]
    assert len(summaries) == 3
    assert {t["root"] for t in summaries} == {"POST /orders"}
    assert all(t["services"] == ["shop-api", "shop-stock"] for t in summaries)
    starts = [t["start_unix_nano"] for t in summaries]
    assert starts == sorted(starts, reverse=True)  # newest first
    # sequence 1's trace has the duplicate delivery; sequence 2's the failure and its retry
    assert sorted((t["span_count"], t["error_count"]) for t in summaries) == [
        (3, 0),
        (4, 0),
        (4, 1),
    ]


def test_every_filter_of_the_search(shop: dict[str, Any]) -> None:
    base = f"{shop['urls']['ui']}/api/traces?where=app.order.id={shop['order']}"

    def count(query: str) -> int:
        return len(get_json(base + query)["traces"])

    assert count("&service=shop-stock&operation=" + quote("process stock")) == 3
    assert count("&operation=" + quote("POST /orders")) == 3
    assert count("&service=shop-api&operation=" + quote("process stock")) == 0
    assert count("&error=true") == 1 and count("&error=false") == 2
    assert count("&where=messaging.destination.name=stock&where=obskit.message.attempt=2") == 1
    assert count("&where=service.name=shop-stock") == 3  # a resource attribute
    assert count("&limit=2") == 2
    assert count("&since=1h") == 3 and count("&until=1h") == 0
    assert count("&min_duration_ms=0") == 3 and count("&min_duration_ms=3600000") == 0
    assert status_of(base + "&error=maybe")[0] == 400
    assert status_of(base + "&where=novalue")[0] == 400


def test_a_trace_has_spans_events_links_and_its_logs(shop: dict[str, Any]) -> None:
    ui = shop["urls"]["ui"]
    [failed] = get_json(f"{ui}/api/traces?where=app.order.id={shop['order']}&error=true")["traces"]
    trace = get_json(f"{ui}/api/traces/{failed['trace_id']}")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for span in trace["spans"]:
        by_name.setdefault(span["name"], []).append(span)
    [request], [send] = by_name["POST /orders"], by_name["send stock"]
    first, second = sorted(by_name["process stock"], key=lambda s: s["start_unix_nano"])
    assert send["parent_span_id"] == request["span_id"]
    assert first["parent_span_id"] == second["parent_span_id"] == send["span_id"]
    assert [link["span_id"] for link in first["links"]] == [send["span_id"]]
    assert (
        first["status"]["code"] == "ERROR" and first["attributes"]["error.type"] == "TimeoutError"
    )
    assert "exception" in [e["name"] for e in first["events"]]
    assert first["attributes"]["obskit.message.out_of_order"] is True
    assert first["attributes"]["obskit.message.overtaken_by"] == 3
    assert second["attributes"]["obskit.message.attempt"] == 2
    assert [log["body"] for log in request["logs"]] == ["order_received"]
    assert [(log["severity"], log["body"]) for log in first["logs"]] == [
        ("INFO", "stock_changed"),
        ("WARNING", "message_failed"),
    ]
    assert [log["attributes"].get("attempt") for log in second["logs"]] == [2]
    assert second["resource"]["service.name"] == "shop-stock"
    assert status_of(f"{ui}/api/traces/{'0' * 32}")[0] == 404


def test_services_and_their_operations(shop: dict[str, Any]) -> None:
    services = {
        s["service"]: s["operations"]
        for s in get_json(f"{shop['urls']['ui']}/api/services")["services"]
    }
    assert services["shop-api"] == ["POST /orders", "send stock"]
    assert services["shop-stock"] == ["process stock"]


def _dom(shop: dict[str, Any], path: str, name: str) -> str:
    url = shop["urls"]["ui"] + path
    profile = shop["folder"] / f"profile-{name}"
    ARTIFACTS.mkdir(exist_ok=True)
    browse(profile, f"--screenshot={ARTIFACTS / f'serve-{name}.png'}", url)
    assert (ARTIFACTS / f"serve-{name}.png").stat().st_size > 10_000
    return browse(profile, "--dump-dom", url)


def test_ui_trace_list_and_trace_page_in_chromium(shop: dict[str, Any]) -> None:
    dom = _dom(shop, f"/?where=app.order.id={shop['order']}", "list")
    ids = re.findall(r'<tr class="trace"><td><a href="/trace/([0-9a-f]{32})"', dom)
    assert len(ids) == 3
    assert "no network" not in dom and not re.search(r"""(src|href)=["']?(https?:)?//""", dom)
    failed = get_json(
        f"{shop['urls']['ui']}/api/traces?where=app.order.id={shop['order']}&error=true"
    )
    trace_id = failed["traces"][0]["trace_id"]
    page = _dom(shop, f"/trace/{trace_id}", "trace")
    rows = re.findall(r'class="row[^"]*" data-span-id="([0-9a-f]{16})"', page)
    assert len(rows) == 4
    assert all(f'id="s-{row}"' in page for row in rows)  # the timeline links to these
    # the log lines sit under their spans' rows
    assert page.count('<div class="sev-INFO">INFO stock_changed') == 2
    assert 'class="row error"' in page


def test_ui_service_graph_counts_messages_and_errors(shop: dict[str, Any]) -> None:
    edges = get_json(f"{shop['urls']['ui']}/api/graph")["edges"]
    mine = [e for e in edges if (e["source"], e["target"]) == ("shop-api", "shop-stock")]
    assert {(e["via"], e["calls"], e["messages"], e["errors"]) for e in mine} >= {
        ("parent", 5, 5, 1)
    }
    dom = _dom(shop, "/graph", "graph")
    assert re.search(r"<td>shop-api</td><td>shop-stock</td><td>parent</td><td[^>]*>\d+</td>", dom)
    assert "<svg" in dom and "msgs" in dom


def test_ui_message_timeline_marks_what_happened(shop: dict[str, Any]) -> None:
    query = f"/timeline?key=app.order.id&value={shop['order']}"
    moments = get_json(shop["urls"]["ui"] + "/api" + query)["moments"]
    sends = [m for m in moments if m["operation"] == "send"]
    processes = [m for m in moments if m["operation"] == "process"]
    assert len(sends) == 3 and len(processes) == 5
    marks = [sorted(set(m["marks"]) - {"overlaps"}) for m in processes]
    assert marks == [
        [],
        [],
        ["out of order"],  # sequence 2 after 3; it times out and goes back on the queue
        ["duplicate", "out of order"],  # sequence 1 handed over again
        ["out of order", "redelivered"],  # sequence 2's second attempt
    ]
    third = processes[1]
    assert processes[2]["overtaken_by"] == third["span_id"]
    dom = _dom(shop, query, "timeline")
    row = re.search(rf'<tr id="m-{processes[2]["span_id"]}".*?</tr>', dom, re.S)
    assert row and f'href="#m-{third["span_id"]}"' in row.group(0)
    assert "overtaken by" in row.group(0)
    # and to its span on its trace's page
    assert f'href="/trace/{processes[2]["trace_id"]}#s-{processes[2]["span_id"]}"' in row.group(0)


def test_a_restart_keeps_what_was_stored(tmp_path: Path) -> None:
    database, order = tmp_path / "kept.db", f"ord-{uuid.uuid4().hex[:8]}"
    with serve_process("--db", str(database)) as urls:
        _run_stage("api", "http/protobuf", urls["otlp"], order, tmp_path / "outbox.json")
        search = f"{urls['ui']}/api/traces?where=app.order.id={order}"
        wait_for(lambda: len(get_json(search)["traces"]) == 3)
        before = get_json(search)["traces"]
        trace = get_json(f"{urls['ui']}/api/traces/{before[0]['trace_id']}")
    # the first process has exited (SIGTERM); a new one opens the same file
    with serve_process("--db", str(database)) as urls:
        assert get_json(f"{urls['ui']}/api/traces?where=app.order.id={order}")["traces"] == before
        assert get_json(f"{urls['ui']}/api/traces/{before[0]['trace_id']}") == trace
