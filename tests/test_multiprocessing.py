"""Fork deployments deliver their spans: ``multiprocessing`` children (fork, spawn and a fork
``Pool``) and forked children that leave with ``os._exit``, shown with a real OTLP receiver."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.otlp_receiver import grpc_receiver, http_receiver
from tests.support.subprocess_run import run_python

SCRIPT = """
import json, multiprocessing, os, sys
import obskit

# at import, so a spawned child (which re-imports this module) is configured too
telemetry = obskit.configure(
    service_name="workers", exporter="otlp", endpoint={endpoint!r}, protocol={protocol!r}
)

@obskit.traced
def job(n):
    return n

def child(n):
    job(n)

def forked_with_os_exit(n):
    job(n)
    telemetry.shutdown()  # the documented hook: os._exit skips every at-exit handler
    os._exit(0)

if __name__ == "__main__":
    how, children = sys.argv[1], int(sys.argv[2])
    job(-1)  # the parent's own span, exported before the children fork
    telemetry.force_flush()
    if how == "pool":
        pool = multiprocessing.get_context("fork").Pool(2)
        pool.map(child, range(children))
        pool.close()
        pool.join()
        codes = [0] * children
    elif how == "os._exit":
        pids = []
        for n in range(children):
            pid = os.fork()
            if pid == 0:
                forked_with_os_exit(n)
            pids.append(pid)
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    else:
        context = multiprocessing.get_context(how)
        processes = [context.Process(target=child, args=(n,)) for n in range(children)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
        codes = [process.exitcode for process in processes]
    print(json.dumps({{"exit_codes": codes}}))
"""


def _deliver(tmp_path: Path, protocol: str, how: str, children: int) -> None:
    receiver = grpc_receiver if protocol == "grpc" else http_receiver
    script = tmp_path / "workers.py"
    with receiver() as (endpoint, received):
        script.write_text(SCRIPT.format(endpoint=endpoint, protocol=protocol))
        out = run_python(
            f"import runpy, sys; sys.argv = [{str(script)!r}, {how!r}, '{children}']; "
            f"runpy.run_path({str(script)!r}, run_name='__main__')",
            timeout=120,
        )
        spans = received.spans()
    jobs = [span.name for _, span in spans]
    codes = out["result"]["exit_codes"]
    print(
        f"\n{protocol} {how}: {children} children, exit codes {set(codes)}, "
        f"{len(jobs) - 1} of {children} children's spans received"
    )
    assert codes == [0] * children
    assert jobs == ["job"] * (children + 1)  # the parent's and one from each child


@pytest.mark.parametrize("how", ["fork", "spawn", "pool", "os._exit"])
def test_children_deliver_their_spans(tmp_path: Path, how: str) -> None:
    _deliver(tmp_path, "http/protobuf", how, 4)


@pytest.mark.parametrize("how", ["fork", "os._exit"])
def test_children_deliver_their_spans_over_grpc(tmp_path: Path, how: str) -> None:
    _deliver(tmp_path, "grpc", how, 4)


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_many_forked_children_deliver_their_spans(tmp_path: Path, protocol: str) -> None:
    _deliver(tmp_path, protocol, "fork", 40)
