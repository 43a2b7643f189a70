"""``explore()``: run message handlers under the deliveries a real broker makes, and find the
schedules that break an invariant.

The search is iterative deepening over perturbations (see ``_schedule``), as model checkers
bound preemptions: all schedules with 0 perturbations, then 1, then 2, up to ``max_faults``.
Each run records its decisions, so the next level is known exactly before it runs; levels run
whole while they fit ``max_runs``, and the first that does not is sampled with
``random.Random(seed)``, round-robin over the faults. Failures therefore come out minimal
first, and the same seed gives the same runs. A failure's traces are not recorded during the
search: its schedule is replayed under ``capture()`` when the failure is printed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from obskit.errors import ErrorKind
from obskit.testing._bus import InMemoryBus
from obskit.testing._schedule import FAULTS, Message, Run, Scenario, Setup

__all__ = ["FAULTS", "Exploration", "Failure", "explore"]

Invariant = Callable[[InMemoryBus, Any], object]


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

    def record(self, run: Run, reason: str, explorer: _Explorer) -> None:
        self.runs += 1
        for fault in set(run.faults):
            self.tried[fault] = self.tried.get(fault, 0) + 1
        if reason:
            self.failures.append(
                Failure(
                    tuple(run.faults), tuple(run.schedule), reason, tuple(run.choices), explorer
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
    def __init__(self, scenario: Scenario, invariant: Invariant) -> None:
        self.scenario, self.invariant = scenario, invariant
        unknown = scenario.faults - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; expected some of {FAULTS}")

    def run(self, loop: asyncio.AbstractEventLoop, choices: Sequence[int]) -> tuple[Run, str]:
        run = Run(self.scenario, choices)
        state = loop.run_until_complete(run.execute())
        return run, self.judge(run, state)

    def judge(self, run: Run, state: Any) -> str:
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

        replay = Run(self.scenario, failure.choices)
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


def _children(run: Run) -> list[tuple[list[int], str]]:
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
    explorer = _Explorer(Scenario(setup, list(messages), frozenset(faults)), invariant)
    result = Exploration(0, [], exhaustive=True)
    level: list[list[int]] = [[]]
    loop = asyncio.new_event_loop()
    try:
        for depth in range(max_faults + 1):
            frontier: list[tuple[list[int], str]] = []
            for choices in level:
                run, reason = explorer.run(loop, choices)
                result.record(run, reason, explorer)
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
