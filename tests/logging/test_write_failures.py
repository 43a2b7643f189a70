"""A log write never raises into the caller: the line is dropped (or escaped), counted, and the
first failure warns once on file descriptor 2."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator
from typing import IO

import pytest

import obskit
from obskit._losses import losses
from obskit.logging import configure_logging, get_logger, install_stdlib_handler
from obskit.testing import Captured


@pytest.fixture(autouse=True)
def _fresh_losses() -> Iterator[None]:
    losses.reset()
    yield
    losses.reset()


@pytest.fixture
def broken_pipe() -> Iterator[IO[str]]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: every write is EPIPE
    stream = open(write_end, "w")  # noqa: SIM115
    yield stream
    with contextlib.suppress(BrokenPipeError):
        stream.close()


@pytest.fixture
def closed_file(tmp_path: os.PathLike[str]) -> IO[str]:
    stream = open(os.path.join(tmp_path, "closed.log"), "w")  # noqa: SIM115
    stream.close()
    return stream


@pytest.mark.parametrize(
    ("stream_fixture", "reason"),
    [("closed_file", "ValueError"), ("broken_pipe", "BrokenPipeError")],
)
def test_a_failing_stream_drops_counts_and_warns_once(
    request: pytest.FixtureRequest,
    capfd: pytest.CaptureFixture[str],
    stream_fixture: str,
    reason: str,
) -> None:
    stream = request.getfixturevalue(stream_fixture)
    configure_logging(stream=stream, format="json")
    log = get_logger("app")
    stdlib = logging.getLogger("app.stdlib")
    handler = install_stdlib_handler(stdlib)
    try:
        for n in range(5):
            log.info("order_received")  # never raises
            stdlib.warning("stdlib %d", n)
    finally:
        stdlib.removeHandler(handler)
    print(f"\n{reason}: 10 lines, {losses.counts} dropped")
    assert losses.counts == {("log_line", reason): 10}
    warnings = [line for line in capfd.readouterr().err.splitlines() if "obskit:" in line]
    assert warnings == [
        f"obskit: dropping log_line ({reason}); every drop is counted in obskit.telemetry.dropped"
    ]


def test_a_character_the_stream_cannot_encode_is_escaped_not_raised(
    capfd: pytest.CaptureFixture[str],
) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict", write_through=True)
    configure_logging(stream=stream, format="console", timestamps=False)
    get_logger("app").info("caf\u00e9 \u2603 ready")
    get_logger("app").info("plain")
    text = raw.getvalue().decode("ascii")
    assert "caf\\xe9 \\u2603 ready" in text and "plain" in text
    assert losses.counts == {}
    assert capfd.readouterr().err.count("cannot encode") <= 1


def test_a_consumer_whose_log_stream_broke_still_handles_its_message(
    telemetry: Captured, broken_pipe: IO[str]
) -> None:
    configure_logging(stream=broken_pipe, format="json")

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, object]) -> str:
        get_logger("orders").info("order_received")  # one line, no convention finding
        return "handled"

    assert handle({"headers": {}}) == "handled"  # not failed, so not redelivered
    [span] = telemetry.spans
    assert span.status.is_ok and "error.type" not in (span.attributes or {})
    assert losses.counts == {("log_line", "BrokenPipeError"): 1}
    [(attributes, point)] = telemetry.metric_points("obskit.telemetry.dropped")
    assert attributes == {"obskit.telemetry.signal": "log_line", "error.type": "BrokenPipeError"}
    assert point.value == 1


def test_obskit_reset_starts_the_drop_tally_over(broken_pipe: IO[str]) -> None:
    configure_logging(stream=broken_pipe, format="json")
    get_logger("app").info("order_received")
    assert losses.counts == {("log_line", "BrokenPipeError"): 1}
    obskit.reset()
    assert losses.counts == {}
