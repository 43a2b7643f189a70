"""The log write never deadlocks, never hangs and never raises into the caller.

Each scenario runs in a fresh interpreter with a timeout, so a regression fails the test
instead of hanging the suite. Each test prints its figure; the ``slow`` variants run longer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.subprocess_run import run_python

FORK = """
import json, logging, os, threading, time
import obskit
from obskit.logging import configure_logging, get_logger

obskit.configure(service_name="forks", exporter="none", environment="production")
out = open({path!r}, "w")
configure_logging(stream=out, format="json")
log = get_logger("parent")
stop = threading.Event()

def busy(n):
    while not stop.is_set():
        log.info("parent_busy", worker=n)
        logging.getLogger("parent.stdlib").warning("stdlib busy %d", n)

threads = [threading.Thread(target=busy, args=(n,), daemon=True) for n in range(4)]
for thread in threads:
    thread.start()
time.sleep(0.05)
children = []
for i in range({children}):
    pid = os.fork()
    if pid == 0:
        get_logger("child").info("child_alive", child=i)
        logging.getLogger("child.stdlib").warning("child stdlib %d", i)
        os._exit(0)
    children.append(pid)
deadline = time.monotonic() + {wait}
exited = 0
while children and time.monotonic() < deadline:
    for pid in list(children):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.remove(pid)
            exited += os.waitstatus_to_exitcode(status) == 0
    time.sleep(0.01)
for pid in children:  # hung: end them so the run finishes and says so
    os.kill(pid, 9)
    os.waitpid(pid, 0)
stop.set()
print(json.dumps({{"exited": exited, "hung": len(children)}}))
"""


def _fork_children(tmp_path: Path, children: int) -> None:
    path = tmp_path / "fork.log"
    result = run_python(FORK.format(path=str(path), children=children, wait=20), timeout=120)
    figure = result["result"]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    alive = {line["child"] for line in lines if line["event"] == "child_alive"}
    stdlib = [line for line in lines if line["event"].startswith("child stdlib")]
    print(
        f"\nfork: {children} children forked while 4 parent threads log: "
        f"{figure['exited']} exited, {figure['hung']} hung, {len(alive)} logged"
    )
    assert figure == {"exited": children, "hung": 0}
    assert alive == set(range(children))
    assert len(stdlib) == children


def test_children_forked_while_parent_threads_log_all_log_and_exit(tmp_path: Path) -> None:
    _fork_children(tmp_path, 50)


@pytest.mark.slow
def test_children_forked_while_parent_threads_log_soak(tmp_path: Path) -> None:
    _fork_children(tmp_path, 1000)


SIGNAL = """
import json, logging, signal, time
import obskit
from obskit import _losses
from obskit.logging import configure_logging, get_logger

obskit.configure(service_name="signals", exporter="none", environment="production")
out = open({path!r}, "w")
configure_logging(stream=out, format="json")
log = get_logger("app")
fired = [0]

def on_timer(signum, frame):
    fired[0] += 1
    log.info("tick", n=fired[0])
    logging.getLogger("app.stdlib").info("stdlib tick %d", fired[0])

signal.signal(signal.SIGALRM, on_timer)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
end = time.monotonic() + {seconds}
loops = 0
while time.monotonic() < end:
    log.info("main_loop", n=loops)
    loops += 1
signal.setitimer(signal.ITIMER_REAL, 0, 0)
log.info("done")
print(json.dumps({{"fired": fired[0], "loops": loops,
                   "dropped": _losses.losses.total("log_line")}}))
"""


def _signal_storm(tmp_path: Path, seconds: float) -> None:
    path = tmp_path / "signals.log"
    result = run_python(SIGNAL.format(path=str(path), seconds=seconds), timeout=60 + seconds)
    figure = result["result"]
    assert "RecursionError" not in result["stderr"], result["stderr"]
    events = [json.loads(line)["event"] for line in path.read_text().splitlines()]
    ticks = events.count("tick")
    print(
        f"\nsignal: 1 ms timer for {seconds} s, handler logs: {figure['fired']} signals, "
        f"{ticks} handler lines written, {figure['loops']} main-loop lines, "
        f"{figure['dropped']} dropped"
    )
    assert figure["fired"] > 100 and figure["dropped"] == 0
    assert ticks == figure["fired"]  # every line a handler logged was written, none lost
    assert events.count("main_loop") == figure["loops"] and events[-1] == "done"


def test_a_signal_handler_that_logs_every_millisecond_never_hangs(tmp_path: Path) -> None:
    _signal_storm(tmp_path, 2)


@pytest.mark.slow
def test_a_signal_handler_that_logs_soak(tmp_path: Path) -> None:
    _signal_storm(tmp_path, 30)


PROXY = """
import json, logging, sys
import obskit
from celery.utils.log import LoggingProxy

obskit.configure(service_name="worker", exporter="none", environment="production")
real = open({path!r}, "w")
sys.__stderr__ = real  # stands in for the terminal the worker started with
handler = logging.StreamHandler(real)  # the worker's own handler, as Celery sets it up
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.INFO)
sys.stdout = sys.stderr = LoggingProxy(logging.getLogger("celery.redirected"), logging.WARNING)
log = obskit.get_logger("task")
for n in range({lines}):
    log.info("task_line", n=n)
    print(f"printed {{n}}")
    logging.getLogger("task.stdlib").warning("stdlib %d", n)
sys.stdout, sys.stderr = sys.__stdout__, real
real.flush()
sys.__stdout__.write(json.dumps({{"lines": {lines}}}) + "\\n")
"""


def test_stderr_redirected_into_logging_never_deadlocks(tmp_path: Path) -> None:
    path = tmp_path / "worker.log"
    run_python(PROXY.format(path=str(path), lines=200), timeout=60)
    lines = path.read_text().splitlines()
    task = [json.loads(line) for line in lines if line.startswith('{"n": ')]
    print(
        f"\nproxy: 200 x 3 lines through Celery's LoggingProxy: {len(lines)} lines reached "
        f"the worker's stderr, {len(task)} obskit task lines"
    )
    assert [line["n"] for line in task if line["event"] == "task_line"] == list(range(200))
    for n in range(200):
        assert f"printed {n}" in lines and f"stdlib {n}" in lines
    assert len(lines) < 200 * 3 * 4  # bounded: no echo loop


BLOCKED = """
import json, os, threading, time
from obskit import _losses
from obskit.logging import configure_logging, get_logger

read_end, write_end = os.pipe()  # nobody reads until the end: the pipe fills and blocks
stream = open(write_end, "w")
configure_logging(stream=stream, format="json")
log = get_logger("app")
log.info("warm")  # the chain is built: what follows is only the write
stuck = threading.Thread(target=lambda: log.info("huge", blob="x" * 1_000_000), daemon=True)
stuck.start()
time.sleep(0.5)  # the thread is now blocked inside write(), holding the write lock
started = time.monotonic()
for n in range({lines}):
    log.info("while_blocked")
took = time.monotonic() - started
dropped = dict(_losses.losses.counts)
def drain():
    while os.read(read_end, 65536):
        pass
reader = threading.Thread(target=drain)
reader.start()  # drain, so the stuck write (and the interpreter's exit) can finish
stuck.join(10)
stream.close()
reader.join(10)
print(json.dumps({{"took": took, "dropped": {{k[1]: v for k, v in dropped.items()}}}}))
"""


def test_a_blocked_stream_holds_other_threads_a_bounded_time() -> None:
    from obskit.logging._write import LOCK_TIMEOUT

    result = run_python(BLOCKED.format(lines=3), timeout=60)["result"]
    print(
        f"\nblocked stream: 3 log calls while another thread is stuck writing to a full pipe "
        f"returned in {result['took']:.2f} s (bound {LOCK_TIMEOUT:g} s each), "
        f"dropped {result['dropped']}"
    )
    assert result["dropped"] == {"stream_blocked": 3}
