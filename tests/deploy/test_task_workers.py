"""A Celery prefork worker, as users run it: every pool process reports itself and its spans
arrive at a real OTLP receiver, each run the child of the enqueue in the sending process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.conftest import require_broker
from tests.support.otlp_receiver import http_receiver

ROOT = Path(__file__).resolve().parents[2]


def test_celery_prefork_children_each_report_themselves() -> None:
    require_broker("redis")
    queue = f"obskit-prefork-{uuid.uuid4().hex[:10]}"
    with http_receiver() as (endpoint, received):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OBSKIT_"))},
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
            "OBSKIT_ENVIRONMENT": "production",
            "OBSKIT_TEST_QUEUE": queue,
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.deploy.celery_app", "worker",
             "--pool", "prefork", "--concurrency", "2", "--without-heartbeat",
             "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        sender = subprocess.run(
            [sys.executable, "-c",
             "from tests.deploy.celery_app import work\n"
             "results = [work.delay(n) for n in range(12)]\n"
             "import obskit; obskit.reset()"],  # flush the sends
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert sender.returncode == 0, sender.stderr[-3000:]
        deadline = time.monotonic() + 40
        runs: list = []
        while time.monotonic() < deadline:
            runs = [(r, s) for r, s in received.spans() if s.name == "process prefork.work"]
            if len(runs) >= 12:
                break
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=60)
        sends = {s.span_id: s for _, s in received.spans() if s.name == "send prefork.work"}
    assert len(runs) == 12, stderr[-3000:]
    instances = {resource["service.instance.id"] for resource, _ in runs}
    print(f"celery prefork: {len(runs)} task runs from {len(instances)} pool processes")
    assert len(instances) == 2
    assert len(sends) == 12
    assert all(span.parent_span_id in sends for _, span in runs)  # each run, its enqueue's child
