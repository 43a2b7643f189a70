"""``obskit view --html``: one self-contained page, checked in headless Chromium.

The page measures its own bars on load and, with ``#selftest``, clicks the first span; Chromium's
``--dump-dom`` then shows the measured widths and the details panel. A screenshot is kept under
``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from obskit.demo import run_demo
from obskit.view import _otlp_json
from tests.support.chromium import browse

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("html")
    export = folder / "shop.jsonl"
    run_demo(export=export)
    out = folder / "trace.html"
    result = subprocess.run(
        [sys.executable, "-m", "obskit.cli", "view", str(export), "--html", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    yield export, out


def _browse(tmp_path: Path, *args: str) -> str:
    return browse(tmp_path / "profile", *args, window="1400,900")


def _pre(dom: str, element_id: str) -> str:
    match = re.search(rf'<pre id="{element_id}">(.*?)</pre>', dom, re.S)
    assert match, f"no #{element_id} in the page"
    return html.unescape(match.group(1))


def test_page_is_self_contained(page: tuple[Path, Path]) -> None:
    text = page[1].read_text()
    assert "<style>" in text and "<script>" in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "http://" not in text.replace('"http.', "") and "https://" not in text


def test_rendered_bars_clicks_and_screenshot(page: tuple[Path, Path], tmp_path: Path) -> None:
    export, out = page
    dom = _browse(tmp_path, "--dump-dom", f"{out.as_uri()}#selftest")
    measured = json.loads(_pre(dom, "measured"))
    telemetry = _otlp_json.load(export)
    trace_ids = {s.trace_id for s in telemetry.spans if s.span_id == measured["bars"][0]["span_id"]}
    (trace_id,) = trace_ids
    spans = {s.span_id: s for s in telemetry.trace(trace_id)}
    assert len(measured["bars"]) == len(spans)
    total = measured["trace_duration_ns"]
    for bar in measured["bars"]:
        expected = bar["track"] * spans[bar["span_id"]].duration_nano / total
        assert bar["bar"] == pytest.approx(max(expected, 1.0), abs=1.5), bar
        start = spans[bar["span_id"]].start_unix_nano - min(
            s.start_unix_nano for s in spans.values()
        )
        assert bar["left"] == pytest.approx(bar["track"] * start / total, abs=1.5)
    longest = max(measured["bars"], key=lambda b: b["duration_ns"])
    assert longest["bar"] == max(b["bar"] for b in measured["bars"])
    details = _pre(dom, "selftest")
    assert details.startswith("POST /orders  [SERVER]  shop-api")
    assert "attributes:" in details and 'http.request.method = "POST"' in details
    assert "order_received" in details  # the span's logs
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "demo-trace.png"
    screenshot.unlink(missing_ok=True)
    _browse(tmp_path, f"--screenshot={screenshot}", f"{out.as_uri()}#selftest")
    assert screenshot.stat().st_size > 10_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
