"""Cost per log event of obskit's chain, with and without the convention validator.

Run: ``python -m benchmarks.logging``. Each variant logs the same event (three fields) to a
null stream as JSON, without timestamps; the validator's cost is the difference between the
``warn`` and ``off`` chains on the cached path (every key seen before).
"""

from __future__ import annotations

import io
import timeit
from collections.abc import Callable

import structlog

from obskit import _setup
from obskit.logging import _chain, configure_logging, get_logger


class _Null(io.StringIO):
    def write(self, text: str) -> int:
        return len(text)


def _per_event(log_once: Callable[[], None], number: int = 20_000, repeat: int = 5) -> float:
    log_once()  # warm the caches (the validator's first sight of each key)
    return min(timeit.repeat(log_once, number=number, repeat=repeat)) / number * 1e6


def _bare_structlog() -> Callable[[], None]:
    log = structlog.wrap_logger(
        structlog.PrintLogger(_Null()),
        processors=[structlog.stdlib.add_log_level, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(0),
    )
    return lambda: log.info("order_received", order_id="o-1", sku="SKU-1", quantity=2)


def _obskit(mode: _setup.Mode) -> Callable[[], None]:
    _setup._settings = _setup.Settings(mode=mode)
    _chain.reset()
    configure_logging(stream=_Null(), format="json", timestamps=False)
    log = get_logger("bench")
    return lambda: log.info("order_received", order_id="o-1", sku="SKU-1", quantity=2)


def _validator_only() -> Callable[[], None]:
    _setup._settings = _setup.Settings(mode="warn")
    _chain.reset()
    validator = _chain.current_chain().validator
    assert validator is not None
    event = {"order_id": "o-1", "sku": "SKU-1", "quantity": 2, "event": "order_received"}
    return lambda: validator(None, "info", event)  # type: ignore[arg-type]


def main() -> None:
    rows = [
        ("bare structlog (level + JSON)", _per_event(_bare_structlog())),
        ("obskit chain, mode=off", _per_event(_obskit("off"))),
        ("obskit chain, mode=warn", _per_event(_obskit("warn"))),
        ("obskit chain, mode=fix", _per_event(_obskit("fix"))),
        ("validator alone (cached path)", _per_event(_validator_only(), number=200_000)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, micros in rows:
        print(f"{name:<{width}}  {micros:7.2f} µs/event")
    print(f"{'validator cost (warn - off)':<{width}}  {rows[2][1] - rows[1][1]:7.2f} µs/event")
    _setup.reset_settings()
    _chain.reset()


if __name__ == "__main__":
    main()
