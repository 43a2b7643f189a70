"""``obskit demo --serve``: the shop exports to an in-process ``obskit serve`` and says where."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request

from tests.serve.conftest import free_port, get_json


def test_demo_serve_prints_the_url_and_serves_the_shop() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "obskit.cli",
            "demo",
            "--serve",
            "--port",
            str(port),
            "--width",
            "100",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("obskit serve:"):
                break
        banner = lines[-1]
        match = re.match(
            rf"obskit serve: (http://127\.0\.0\.1:{port}) .*(/trace/[0-9a-f]{{32}})", banner
        )
        assert match, "".join(lines)
        url, trace_path = match.groups()
        traces = get_json(f"{url}/api/traces?limit=100")["traces"]
        assert len(traces) >= 6 and {"shop-api", "inventory", "shipping"} <= {
            s for t in traces for s in t["services"]
        }
        edges = {(e["source"], e["target"]) for e in get_json(f"{url}/api/graph")["edges"]}
        assert ("shop-api", "inventory") in edges
        with urllib.request.urlopen(url + trace_path, timeout=30) as page:
            assert page.status == 200 and b'data-span-id="' in page.read()
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
