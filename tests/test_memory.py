"""Memory is bounded in bytes: per-destination, per-key and duplicate-window state stop growing
however many distinct (or huge) names the application makes up. Each run is a fresh
interpreter, so its resident set size (RSS) is the figure; the ceiling is documented in
docs/reliability.md."""

from __future__ import annotations

import pytest

from tests.support.subprocess_run import run_python

#: the documented ceiling on growth of obskit's state, per scenario
CEILING_MB = 16

_PRELUDE = """
import gc, json, os
import obskit
from obskit.logging import configure_logging

def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

obskit.configure("memory-test", exporter="none")
configure_logging(stream=open(os.devnull, "w"), format="json")
log = obskit.get_logger("memory")
PAD = "k" * 1000

@obskit.traced.consumer("orders", system="rabbitmq", sequence=lambda m: (m["key"], 1))
def handle(message):
    log.info("order_received", order_id=message["message_id"][-8:])

def one_message(i, key=None, message_id=None):
    handle({"headers": {}, "message_id": message_id or f"m-{i}", "key": key or "k"})
    with obskit.publishing("shipping", system="rabbitmq"):
        pass

for i in range(2000):  # warm up: imports, caches, the SDK's first series
    one_message(i)
    with obskit.publishing(f"warm-{i}", system="rabbitmq"):
        pass
    log.info("warm", **{f"w{i}": 1})
"""


def _growth(body: str) -> dict[str, float]:
    result: dict[str, float] = run_python(_PRELUDE + body, timeout=600)["result"]
    return result


def test_200k_distinct_destinations_stay_under_the_ceiling() -> None:
    out = _growth(
        """
base = rss()
for i in range(200_000):
    with obskit.publishing(f"tenant-{i}.orders", system="rabbitmq"):
        pass
print(json.dumps({"growth": rss() - base}))
"""
    )
    print(f"\n200,000 distinct destinations: RSS +{out['growth']:.1f} MB (ceiling {CEILING_MB})")
    assert out["growth"] < CEILING_MB


def test_100k_distinct_1kb_message_ids_and_sequence_keys_stay_under_the_ceiling() -> None:
    out = _growth(
        """
base = rss()
for i in range(100_000):
    one_message(i, key=f"{PAD}{i}", message_id=f"{PAD}{i}")
print(json.dumps({"growth": rss() - base}))
"""
    )
    print(
        f"\n100,000 distinct 1 KB message ids and sequence keys: RSS +{out['growth']:.1f} MB "
        f"(ceiling {CEILING_MB})"
    )
    assert out["growth"] < CEILING_MB


@pytest.mark.parametrize("keys", [pytest.param(100_000, marks=pytest.mark.slow), 10_000])
def test_distinct_1kb_log_keys_stay_under_the_ceiling(keys: int) -> None:
    out = _growth(
        f"""
base = rss()
for i in range({keys}):
    log.info("event", **{{f"{{PAD}}{{i}}": 1}})
print(json.dumps({{"growth": rss() - base}}))
"""
    )
    print(f"\n{keys:,} distinct 1 KB log keys: RSS +{out['growth']:.1f} MB (ceiling {CEILING_MB})")
    assert out["growth"] < CEILING_MB


@pytest.mark.parametrize("messages", [pytest.param(1_000_000, marks=pytest.mark.slow), 40_000])
def test_soak_rss_stays_flat(messages: int) -> None:
    """Messages with distinct ids, a log line each, a publish each: RSS at four checkpoints."""
    out = _growth(
        f"""
marks = {{}}
total = {messages}
checkpoints = {{0, total // 4, total // 2, total}}
for i in range(total + 1):
    if i in checkpoints:
        marks[i] = rss()
    if i < total:
        one_message(i)
print(json.dumps(marks))
"""
    )
    marks = {int(k): v for k, v in out.items()}
    print(
        "\nsoak: RSS " + ", ".join(f"{n:,} messages {mb:.1f} MB" for n, mb in sorted(marks.items()))
    )
    assert max(marks.values()) - marks[0] < CEILING_MB
