"""``explore()``: run message handlers under the deliveries a real broker makes, and find the
schedules that break an invariant.

A run publishes the messages on a fresh :class:`InMemoryBus` and delivers until nothing is
left (what handlers publish too). Whenever more than one thing could happen next, the run
meets a *decision*: which queued message is delivered (``reorder``), how (``duplicate``,
``redeliver``: the handler runs but its ack is lost, ``delay``: delivered after everything
else, old), and, when an async handler reaches an ``await``, whether another delivery runs
before it resumes (``concurrent``). Option 0 of each decision is what a calm broker does; any
other is one perturbation.

The search is iterative deepening over perturbations, as model checkers bound preemptions:
all schedules with 0 perturbations, then 1, then 2, ... Each run records its decisions, so
the next level is known exactly before it runs; levels run whole while they fit ``max_runs``,
and the first that does not is sampled with ``random.Random(seed)``, round-robin over the
faults. Failures therefore come out minimal first, and the same seed gives the same runs.

Async handlers are driven here, not by asyncio's scheduler: each delivery is a coroutine
stepped with ``send()`` in its own ``contextvars`` context (as a task would be), so the
interleaving is a decision like any other. Awaiting a real future (``asyncio.sleep(0.1)``, a
contended lock) parks that delivery until the future is done, on an event loop owned by the run.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from obskit.errors import ErrorKind
from obskit.testing._bus import Delivery, InMemoryBus, _Entry

__all__ = ["FAULTS", "Exploration", "Failure", "explore"]

FAULTS: Final = ("reorder", "duplicate", "redeliver", "delay", "concurrent")
#: how old a delayed message is when it finally arrives (its ``obskit.message.age``)
DELAY_SECONDS: Final = 60.0
#: deliveries and await points one run may take before it is called runaway
STEP_LIMIT: Final = 10_000

Setup = Callable[[InMemoryBus], Any]
Invariant = Callable[[InMemoryBus, Any], object]
Message = tuple[str, Any]
# a decision's options, by the fault each one applies (None: option 0, the calm broker)
Options = list[str | None]


class _Fiber:
    """One delivery in progress: the bus's delivery generator and the await it is inside."""

    __slots__ = (
        "context", "delivery", "entry", "error", "iterator", "result", "started", "waiting",
    )  # fmt: skip

    def __init__(self, entry: _Entry, delivery: Delivery) -> None:
        self.entry = entry
        self.delivery = delivery
        self.context = contextvars.copy_context()
        self.iterator: Any = None  # the __await__ iterator of what a handler returned
        self.result: Any = None
        self.error: BaseException | None = None
        self.waiting: asyncio.Future[Any] | None = None
        self.started = False

    @property
    def ready(self) -> bool:
        return self.waiting is None or self.waiting.done()

    def step(self) -> bool:
        """Run to the next ``await`` (False) or to the end of the delivery (True)."""
        self.waiting, self.started = None, True
        run = self.context.run
        while True:
            if self.iterator is None:
                try:
                    if self.error is not None:
                        error, self.error = self.error, None
                        awaitable = run(self.delivery.throw, error)
                    else:
                        awaitable = run(self.delivery.send, self.result)
                except StopIteration:
                    return True
                self.result = None
                self.iterator = awaitable.__await__()
            try:
                yielded = run(self.iterator.send, None)
            except StopIteration as stop:
                self.iterator, self.result = None, stop.value
                continue
            except Exception as exc:
                self.iterator, self.error = None, exc
                continue
            if yielded is None:  # a bare yield: asyncio.sleep(0), a plain await point
                return False
            if isinstance(yielded, asyncio.Future):
                self.waiting = yielded
                return False
            raise TypeError(f"explore() drives asyncio awaits only; a handler awaited {yielded!r}")

    def close(self) -> None:
        if self.iterator is not None:
            close = getattr(self.iterator, "close", None)
            if close is not None:
                close()
        self.delivery.close()


class _Run:
    """One schedule, executed: follows ``choices`` at its first decisions, then option 0."""

    def __init__(self, explorer: _Explorer, choices: Sequence[int]) -> None:
        self.explorer = explorer
        self.choices = list(choices)
        self.points: list[Options] = []
        self.schedule: list[str] = []
        self.faults: list[str] = []
        self.bus = InMemoryBus()
        self.fibers: list[_Fiber] = []
        self.late: list[_Entry] = []
        self.names: dict[int, tuple[str, str]] = {}  # id(entry) -> (verb, suffix) in the schedule
        self.lose_ack: set[int] = set()  # id(entry) of deliveries whose ack never arrives

    def decide(self, options: Options) -> int:
        """The option taken at the next decision (only decisions with a choice are counted)."""
        if len(options) < 2:
            return 0
        index = len(self.points)
        self.points.append(options)
        choice = self.choices[index] if index < len(self.choices) else 0
        if choice >= len(options):  # the handlers did something else than when this was planned
            raise RuntimeError(
                "explore(): a schedule could not be replayed; are the handlers deterministic?"
            )
        fault = options[choice]
        if fault is not None:
            self.faults.append(fault)
        return choice

    def fault(self, name: str) -> bool:
        return name in self.explorer.faults

    async def execute(self) -> Any:
        explorer, bus, fibers = self.explorer, self.bus, self.fibers
        state = explorer.setup(bus)
        for destination, body in explorer.messages:
            bus.publish(destination, body)
        current: _Fiber | None = None
        last: _Fiber | None = None
        try:
            for _ in range(STEP_LIMIT):
                if current is None:
                    current = await self._next()
                    if current is None:
                        return state
                if current is not last and current.started:
                    self.schedule.append(f"resume {current.entry.message.describe()}")
                last = current
                if current.step():
                    fibers.remove(current)
                    self._finished(current)
                    current = None
                else:
                    current = await self._suspended(current)
            raise RuntimeError(f"explore(): a run took more than {STEP_LIMIT} steps")
        finally:
            for fiber in fibers:
                fiber.close()

    async def _next(self) -> _Fiber | None:
        """After a delivery ends: resume the oldest one in progress, else start the next
        queued one, else release the delayed ones; None when everything is delivered."""
        while True:
            ready = [f for f in self.fibers if f.ready]
            if ready:
                return ready[0]
            if self.fibers:
                await self._wait()
            elif self.bus._queue:
                fiber = self._start()
                if fiber is not None:
                    return fiber
            elif self.late:
                self.bus._queue.extend(self.late)
                self.late.clear()
            else:
                return None

    async def _suspended(self, current: _Fiber) -> _Fiber | None:
        """``current`` stopped at an await. A calm broker waits for it (one message at a time);
        ``concurrent`` lets another delivery start or resume first."""
        others = [f for f in self.fibers if f is not current and f.ready]
        if not current.ready and others:
            return others[0]  # it waits on something: what is running already goes on
        queued = 1 if self.bus._queue else 0
        switches = queued + (len(others) if current.ready else 0)
        choice = 0
        if switches and self.fault("concurrent"):
            choice = self.decide([None] + ["concurrent"] * switches)
        if choice == 0:
            if not current.ready:
                await self._wait()
                if not current.ready:  # another delivery's future came first
                    return next(f for f in self.fibers if f.ready)
            return current
        self.schedule.append(f"pause {current.entry.message.describe()} at an await")
        return self._start() if choice <= queued else others[choice - queued - 1]

    async def _wait(self) -> None:
        """Until one of the futures the deliveries in progress wait on is done."""
        futures = {f.waiting for f in self.fibers if f.waiting is not None and not f.ready}
        await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)

    def _start(self) -> _Fiber | None:
        """Take a queued entry (``reorder`` picks another than the oldest) and deliver it."""
        queue = self.bus._queue
        options: Options = [None]
        if self.fault("reorder"):
            options += ["reorder"] * (len(queue) - 1)
        entry = queue[self.decide(options)]
        queue.remove(entry)
        message = entry.message
        verb, suffix = self.names.pop(id(entry), ("deliver", ""))
        if message.attempt > 1 and not suffix:
            verb, suffix = "retry", f" (attempt {message.attempt})"
        elif verb == "deliver":  # a first delivery: the broker may misbehave with it
            how: Options = [None]
            how += [f for f in ("duplicate", "redeliver", "delay") if self.fault(f)]
            fault = how[self.decide(how)]
            if fault == "delay":
                delayed = _Entry(message.again(delay=DELAY_SECONDS), entry.targets)
                self.names[id(delayed)] = ("deliver late", f" ({DELAY_SECONDS:.0f} s old)")
                self.late.append(delayed)
                self.schedule.append(f"delay {message.describe()}")
                return None
            if fault == "duplicate":
                copy = _Entry(message.again(), entry.targets)
                self.names[id(copy)] = ("duplicate", "")
                queue.append(copy)
            elif fault == "redeliver":
                self.lose_ack.add(id(entry))
        self.schedule.append(f"{verb} {message.describe()}{suffix}")
        fiber = _Fiber(entry, self.bus.delivery(entry))
        self.fibers.append(fiber)
        return fiber

    def _finished(self, fiber: _Fiber) -> None:
        entry = fiber.entry
        if id(entry) in self.lose_ack:
            self.lose_ack.discard(id(entry))
            message = entry.message.again(attempt=entry.message.attempt + 1)
            again = _Entry(message, entry.targets)
            self.names[id(again)] = ("redeliver", f" (attempt {message.attempt})")
            self.bus._queue.append(again)
            self.schedule.append(f"lose the ack of {entry.message.describe()}")


@dataclass
class Failure:
    """One schedule that broke the invariant (or made a handler fail unexpectedly)."""

    faults: tuple[str, ...]
    schedule: tuple[str, ...]
    reason: str
    choices: tuple[int, ...] = field(repr=False)
    explorer: _Explorer = field(repr=False, compare=False)
    _waterfall: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def waterfall(self) -> str:
        """The traces of this run, replayed under ``capture()`` and drawn as waterfalls."""
        if self._waterfall is None:
            self._waterfall = self.explorer.waterfall(self)
        return self._waterfall

    def __str__(self) -> str:
        steps = "\n".join(f"  {step}" for step in self.schedule)
        faults = ", ".join(self.faults) or "none (the calm broker)"
        return (
            f"faults: {faults}\nschedule:\n{steps}\nreason: {self.reason}\n"
            f"traces:\n{self.waterfall}"
        )


@dataclass
class Exploration:
    """What :func:`explore` tried and what broke."""

    runs: int
    failures: list[Failure]
    #: every schedule with up to ``max_faults`` perturbations ran (else a seeded sample did)
    exhaustive: bool
    #: how many runs applied each fault (a sample covers each one)
    tried: dict[str, int] = field(default_factory=dict)

    def record(self, run: _Run, reason: str) -> None:
        self.runs += 1
        for fault in set(run.faults):
            self.tried[fault] = self.tried.get(fault, 0) + 1
        if reason:
            self.failures.append(
                Failure(
                    tuple(run.faults), tuple(run.schedule), reason, tuple(run.choices), run.explorer
                )
            )

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` showing the first (minimal) failure, if any."""
        if not self.failures:
            return
        others = len(self.failures) - 1
        more = f" ({others} more failing schedule{'s' if others != 1 else ''})" if others else ""
        raise AssertionError(
            f"explore(): {len(self.failures)} of {self.runs} schedules failed{more}; "
            f"the first:\n{self.failures[0]}"
        )


class _Explorer:
    def __init__(
        self,
        setup: Setup,
        messages: Sequence[Message],
        invariant: Invariant,
        faults: Iterable[str],
    ) -> None:
        self.setup, self.invariant = setup, invariant
        self.messages = list(messages)
        self.faults = frozenset(faults)
        unknown = self.faults - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; expected some of {FAULTS}")

    def run(self, loop: asyncio.AbstractEventLoop, choices: Sequence[int]) -> tuple[_Run, str]:
        run = _Run(self, choices)
        state = loop.run_until_complete(run.execute())
        return run, self.judge(run, state)

    def judge(self, run: _Run, state: Any) -> str:
        """Why the run failed ('' when it did not)."""
        reasons = [
            f"handler {error}"
            for error in run.bus.handler_errors
            if error.kind is ErrorKind.UNEXPECTED
        ]
        try:
            verdict = self.invariant(run.bus, state)
        except AssertionError as exc:
            reasons.append(f"the invariant failed: {exc}" if str(exc) else "the invariant failed")
        else:
            if verdict is False:
                reasons.append("the invariant returned False")
        return "; ".join(reasons)

    def waterfall(self, failure: Failure) -> str:
        """Replay ``failure`` under ``capture()`` and draw its traces (never raises: it is
        part of a failure report)."""
        from obskit.testing._capture import capture

        replay = _Run(self, failure.choices)
        loop = asyncio.new_event_loop()
        try:
            with capture() as telemetry:
                loop.run_until_complete(replay.execute())
        except Exception as exc:
            return f"  (the run could not be replayed for its traces: {exc!r})"
        finally:
            loop.close()
        drawn = _render(telemetry.spans)
        if tuple(replay.schedule) != failure.schedule:
            return f"  (the replay took another schedule: are the handlers deterministic?)\n{drawn}"
        return drawn


def _render(spans: Sequence[Any]) -> str:
    """Each trace of the run as the terminal viewer draws it (plain text)."""
    from obskit.view import decode, waterfall
    from obskit.view._otlp_json import encode_spans
    from obskit.view._terminal import render_text

    if not spans:
        return "  (no spans)"
    telemetry = decode([encode_spans(list(spans), split_services=False)])
    trace_ids = list(dict.fromkeys(s.trace_id for s in telemetry.spans))
    return "\n".join(render_text(waterfall(telemetry, t), 120) for t in trace_ids)


def _children(run: _Run) -> list[tuple[list[int], str]]:
    """The schedules one perturbation beyond ``run``: a deviation after its last one."""
    start = len(run.choices)
    children = []
    for index in range(start, len(run.points)):
        prefix = run.choices + [0] * (index - start)
        for option, fault in enumerate(run.points[index]):
            if fault is not None:
                children.append(([*prefix, option], fault))
    return children


def _sample(frontier: list[tuple[list[int], str]], size: int, seed: int) -> list[list[int]]:
    """``size`` schedules, round-robin over the faults so each one is represented."""
    rng = random.Random(seed)
    by_fault: dict[str, list[list[int]]] = {}
    for choices, fault in frontier:
        by_fault.setdefault(fault, []).append(choices)
    groups = [by_fault[f] for f in FAULTS if f in by_fault]
    for group in groups:
        rng.shuffle(group)
    picked: list[list[int]] = []
    while len(picked) < size:
        for group in groups:
            if group and len(picked) < size:
                picked.append(group.pop())
    return picked


def explore(
    setup: Setup,
    messages: Sequence[Message],
    invariant: Invariant,
    *,
    faults: Iterable[str] = FAULTS,
    max_faults: int = 2,
    max_runs: int = 1000,
    seed: int = 0,
) -> Exploration:
    """Run ``setup``'s handlers over ``messages`` under every schedule with up to
    ``max_faults`` perturbations from ``faults`` (fewest first) while they fit ``max_runs``;
    the first level that does not fit is sampled with ``seed``, round-robin over the faults.

    ``setup(bus)`` subscribes handlers on a fresh bus and returns the state that
    ``invariant(bus, state)`` judges after the run (False or an ``AssertionError`` fails it; so
    does a handler error the ErrorPolicy calls unexpected, even if a redelivery then succeeds).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("explore() drives handlers itself; call it outside a running loop")
    explorer = _Explorer(setup, messages, invariant, faults)
    result = Exploration(0, [], exhaustive=True)
    level: list[list[int]] = [[]]
    loop = asyncio.new_event_loop()
    try:
        for depth in range(max_faults + 1):
            frontier: list[tuple[list[int], str]] = []
            for choices in level:
                run, reason = explorer.run(loop, choices)
                result.record(run, reason)
                if depth < max_faults:
                    frontier.extend(_children(run))
            room = max_runs - result.runs
            if not frontier or not result.exhaustive or room <= 0:
                result.exhaustive = result.exhaustive and not frontier
                break
            if len(frontier) > room:
                level, result.exhaustive = _sample(frontier, room, seed), False
            else:
                level = [choices for choices, _ in frontier]
    finally:
        loop.close()
    return result
