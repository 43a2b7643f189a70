"""Collectors that misbehave, on real loopback sockets: dead, silent, slow and trickling.

Each yields the endpoint an exporter is pointed at. The slow ones are the real OTLP receivers
of :mod:`tests.support.otlp_receiver` with a delay; the others are a few lines of ``socket``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from tests.support.otlp_receiver import free_port, grpc_receiver, http_receiver

#: seconds the slow collector takes to answer each export
SLOW = 5.0


@contextmanager
def closed_port() -> Iterator[str]:
    """Nothing listens: every connection is refused at once."""
    yield f"http://127.0.0.1:{free_port()}"


@contextmanager
def silent_listener() -> Iterator[str]:
    """Accepts connections (the kernel completes the handshake) and never reads or answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@contextmanager
def trickling_server(interval: float = 0.2, port: int = 0) -> Iterator[str]:
    """Answers every connection one byte at a time, for ever: each read gets a byte before
    any socket timeout fires, so only a deadline on the whole call ends it."""
    stop = threading.Event()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(64)
    server.settimeout(0.1)
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nX-Trickle: " + b"a" * 10**6
    )

    def trickle(connection: socket.socket) -> None:
        with connection:
            for byte in answer:
                if stop.wait(interval):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=trickle, args=(connection,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        acceptor.join()
        server.close()


@contextmanager
def slow_collector(protocol: str) -> Iterator[str]:
    """A real OTLP receiver that takes :data:`SLOW` seconds to answer each export."""
    receiver = grpc_receiver if protocol == "grpc" else http_receiver
    with receiver(delay=SLOW) as (endpoint, _received):
        yield endpoint


COLLECTORS: dict[str, Callable[[str], AbstractContextManager[str]]] = {
    "closed port": lambda protocol: closed_port(),
    "silent listener": lambda protocol: silent_listener(),
    "5 s-slow server": slow_collector,
    "trickling server": lambda protocol: trickling_server(),
}
