"""Without an SDK, every interrupt (GeneratorExit too) reaches the caller as the very object raised,
through ``@traced``, ``@traced.consumer`` and their async forms, and nothing is logged
(tests/test_cancellation.py shows the types for the sync decorators; this the identity)."""

from __future__ import annotations

from tests.support.subprocess_run import run_python


def test_the_same_interrupt_object_goes_back_to_the_caller() -> None:
    out = run_python(
        """
        import asyncio, io, json, obskit
        from obskit.logging import configure_logging
        stream = io.StringIO()
        configure_logging(stream=stream, format="json")
        makes = [asyncio.CancelledError, KeyboardInterrupt, lambda: SystemExit(2), GeneratorExit]
        seen = []

        def check(call, raised):
            try:
                call()
            except BaseException as exc:
                seen.append(type(exc).__name__ if exc is raised else "replaced")
            else:
                seen.append("swallowed")

        for make in makes:
            raised = make()

            @obskit.traced.consumer("orders", system="rabbitmq")
            def handle(message):
                raise raised

            @obskit.traced
            def work():
                raise raised

            @obskit.traced.consumer("orders", system="rabbitmq")
            async def handle_async(message):
                raise raised

            @obskit.traced
            async def work_async():
                raise raised

            check(lambda: handle({"headers": {}}), raised)
            check(work, raised)
            check(lambda: asyncio.run(handle_async({"headers": {}})), raised)
            check(lambda: asyncio.run(work_async()), raised)
        print(json.dumps({"seen": seen, "log": stream.getvalue()}))
        """
    )["result"]
    assert out["seen"] == [
        name
        for name in ("CancelledError", "KeyboardInterrupt", "SystemExit", "GeneratorExit")
        for _ in range(4)
    ]
    assert out["log"] == ""
