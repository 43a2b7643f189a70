"""gunicorn and uvicorn worker processes, each reporting itself, exporting to a real receiver.

Each server runs as users run it (a subprocess with two workers), exports over OTLP/HTTP to the
receiver in ``tests/support``, and is stopped with SIGTERM. Every worker's spans arrive with its
own ``service.instance.id``, and the access log lines go through obskit's chain with the
request's trace id.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from obskit.http import UVICORN_LOG_CONFIG
from tests.support.otlp_receiver import Received, free_port, http_receiver

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = [sys.executable, "-m", "gunicorn", "-w", "2", "--logger-class",
            "obskit.http.GunicornLogger", "--access-logfile", "-"]  # fmt: skip

SERVERS: dict[str, list[str]] = {
    "gunicorn-sync": [*GUNICORN, "-k", "sync", "tests.deploy.worker_app:wsgi"],
    "gunicorn-sync-preload": [*GUNICORN, "-k", "sync", "--preload", "tests.deploy.worker_app:wsgi"],
    "gunicorn-gthread": [*GUNICORN, "-k", "gthread", "--threads", "2",
                         "tests.deploy.worker_app:wsgi"],
    "gunicorn-uvicorn-worker": [*GUNICORN, "-k", "uvicorn_worker.UvicornWorker",
                                "tests.deploy.worker_app:asgi"],
    "gunicorn-uvicorn-worker-preload": [*GUNICORN, "-k", "uvicorn_worker.UvicornWorker",
                                        "--preload", "tests.deploy.worker_app:asgi"],
    "uvicorn-workers": [sys.executable, "-m", "uvicorn", "--workers", "2",
                        "tests.deploy.worker_app:asgi"],
}  # fmt: skip


def _command(name: str, port: int, log_config: Path) -> list[str]:
    command = list(SERVERS[name])
    if name.startswith("gunicorn"):
        return [*command, "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5"]
    return [*command, "--port", str(port), "--log-config", str(log_config)]


def _wait_listening(port: int, process: subprocess.Popen[str], bound: float = 30) -> None:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.communicate()[1][-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not listen in time")


def _hit_every_worker(url: str, workers: int) -> set[str]:
    """Concurrent requests until ``workers`` distinct processes answered (bounded)."""
    pids: set[str] = set()
    with ThreadPoolExecutor(4) as pool:
        for _ in range(25):
            pids.update(pool.map(lambda _: httpx.get(url, timeout=10).text, range(8)))
            if len(pids) >= workers:
                break
    return pids


def _server_spans(received: Received) -> list[tuple[dict[str, Any], Any]]:
    return [(resource, span) for resource, span in received.spans() if span.kind == 2]


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_every_worker_reports_itself_and_its_access_lines_carry_trace_ids(
    name: str, tmp_path: Path
) -> None:
    log_config = tmp_path / "uvicorn-logging.json"
    log_config.write_text(json.dumps(UVICORN_LOG_CONFIG))
    port = free_port()
    with http_receiver() as (endpoint, received):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OBSKIT_"))},
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
            "OBSKIT_ENVIRONMENT": "production",  # JSON log lines
        }
        process = subprocess.Popen(
            _command(name, port, log_config),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_listening(port, process)
            pids = _hit_every_worker(f"http://127.0.0.1:{port}/", workers=2)
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=60)
        deadline = time.monotonic() + 10
        while len({r["service.instance.id"] for r, _ in _server_spans(received)}) < len(pids):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        spans = _server_spans(received)
    assert len(pids) == 2, stderr[-3000:]
    instances = {resource["service.instance.id"] for resource, _ in spans}
    print(f"{name}: {len(spans)} server spans from {len(instances)} worker instances")
    assert len(instances) == 2, stderr[-3000:]
    assert {resource["service.name"] for resource, _ in spans} == {"workers"}
    trace_ids = {span.trace_id.hex() for _, span in spans}
    lines = [json.loads(line) for line in (stdout + stderr).splitlines() if line.startswith("{")]
    access = [
        line
        for line in lines
        if line.get("event") == "http_access" or line.get("logger") == "uvicorn.access"
    ]
    assert access, (stdout + stderr)[-3000:]
    assert all(line.get("trace_id") in trace_ids for line in access), access[:3]
