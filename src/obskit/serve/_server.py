"""One ``obskit serve`` process: the store, the OTLP receivers and the web port, together."""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from obskit.serve._ingest import Ingest
from obskit.serve._receivers import MAX_PAYLOAD, grpc_server, otlp_handler
from obskit.serve._store import Store
from obskit.serve._web import web_handler

__all__ = ["Server", "default_db"]


def default_db() -> Path:
    """``telemetry.db`` under the user's data directory (XDG, macOS or Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "obskit" / "telemetry.db"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _listen(host: str, port: int, purpose: str, handler: Any) -> _HTTPServer:
    try:
        return _HTTPServer((host, port), handler)
    except OSError as exc:
        reason = exc.strerror or exc
        raise OSError(f"cannot listen on {host}:{port} for {purpose}: {reason}") from exc


@dataclass
class Server:
    """Receive OTLP on ``otlp_port`` (HTTP) and ``grpc_port``; serve pages on ``port``.

    A port of 0 picks a free one; after :meth:`start` the attributes hold the real ports.
    """

    store: Store
    host: str = "127.0.0.1"
    port: int = 8000
    otlp_port: int = 4318
    grpc_port: int = 4317
    max_payload: int = MAX_PAYLOAD

    def start(self) -> Server:
        """Listen on the three ports. A port that cannot be had raises :class:`OSError` naming
        it and what it was for (three ports, one message would leave the user guessing), and
        the ports already taken are let go."""
        self.ingest = Ingest(self.store)
        opened: list[_HTTPServer] = []
        try:
            self._web = _listen(self.host, self.port, "the pages", web_handler(self.store))
            opened.append(self._web)
            handler = otlp_handler(self.ingest, self.max_payload)
            self._otlp = _listen(self.host, self.otlp_port, "OTLP/HTTP", handler)
            opened.append(self._otlp)
            self._grpc: Any
            address = f"{self.host}:{self.grpc_port}"
            try:
                self._grpc, grpc_port = grpc_server(self.ingest, address, self.max_payload)
            except RuntimeError as exc:  # grpc's "Failed to bind to address"
                raise OSError(f"cannot listen on {address} for OTLP/gRPC: {exc}") from exc
            if not grpc_port:
                raise OSError(f"cannot listen on {address} for OTLP/gRPC")
        except OSError:
            for server in opened:
                server.server_close()
            self.ingest.close()
            raise
        self.port, self.otlp_port = self._web.server_port, self._otlp.server_port
        self.grpc_port = grpc_port
        self._grpc.start()
        for server in (self._web, self._otlp):
            threading.Thread(target=server.serve_forever, name="obskit-serve", daemon=True).start()
        return self

    def serve_until_stopped(self) -> None:
        """Block until Ctrl-C or SIGTERM, then stop (the command-line entry points)."""
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def flush(self) -> None:
        """Wait until every request answered so far is stored."""
        self.ingest.flush()

    def stop(self) -> None:
        self._grpc.stop(grace=1).wait()
        for server in (self._web, self._otlp):
            server.shutdown()
            server.server_close()
        self.ingest.close()
        self.store.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def otlp_url(self) -> str:
        return f"http://{self.host}:{self.otlp_port}"

    @property
    def grpc_endpoint(self) -> str:
        return f"{self.host}:{self.grpc_port}"
