"""Helpers for the ``obskit serve`` tests: free ports, a server process, JSON over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def status_of(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextmanager
def serve_process(*args: str) -> Iterator[dict[str, str]]:
    """``obskit serve`` in its own process on free ports; yields its URLs."""
    ports = {"port": free_port(), "otlp": free_port(), "grpc": free_port()}
    command = [
        sys.executable,
        "-m",
        "obskit.cli",
        "serve",
        "--port",
        str(ports["port"]),
        "--otlp-port",
        str(ports["otlp"]),
        "--grpc-port",
        str(ports["grpc"]),
        *args,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("obskit serve: http://127.0.0.1:"), banner + process.stderr.read()
        yield {
            "ui": f"http://127.0.0.1:{ports['port']}",
            "otlp": f"http://127.0.0.1:{ports['otlp']}",
            "grpc": f"http://127.0.0.1:{ports['grpc']}",
        }
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None
        process.stderr.close()
        process.stdout.close()  # type: ignore[union-attr]


def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
