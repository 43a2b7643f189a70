"""The one wrapping mechanism behind ``@traced``, ``@traced.consumer`` and friends.

An *operation* decides, per call, whether anything records (``begin`` returns a
:class:`Call`) or not (no SDK, or ``begin`` returns None: the plain function runs, and a
consumer leaves its message where ``obskit.inject`` finds the incoming context, read lazily).

This module turns an operation into a wrapper of the right shape for sync functions,
coroutines, generators and async generators. Anything a class can bind (methods,
staticmethods, classmethods, callables) is wrapped with ``wrapt``, which keeps its binding and
signature; a function defined at module level or inside another function is never bound, and
gets a plain closure (``functools.wraps``): wrapt's dispatch costs about 0.5 µs a call, which is
most of what a decorated handler costs without an SDK.

Generators never keep a context attached across a ``yield``: the span's context is attached each
time the generator body runs and detached before control returns to the caller, so a generator
abandoned half-way cannot leave a stale context behind (and "Failed to detach context" cannot
happen).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from contextvars import Token
from typing import Any, Protocol, TypeVar

import wrapt
from opentelemetry import context as context_api

from obskit._spans import begin_failed
from obskit._state import STATE
from obskit.propagation import reset_pending_headers, set_pending_headers

F = TypeVar("F", bound=Callable[..., Any])


class Call(Protocol):
    """One recorded invocation."""

    def attach(self) -> Token[Any]: ...

    def detach(self, token: Token[Any]) -> None: ...

    def failed(self, exc: BaseException) -> bool:
        """Record the failure; True when the exception must be re-raised."""

    def finish(self) -> None:
        """End the span and record metrics (after success or a recorded failure)."""


class Operation(Protocol):
    #: True when, without an SDK, the call must still pass the incoming context through
    passes_context: bool

    def begin(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Call | None: ...

    def incoming_headers(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
        """The headers of the message among ``args`` (read lazily, only when asked)."""

    def swallow(self, exc: BaseException) -> bool:
        """Without an SDK: True when the error policy says not to re-raise."""


_detach = context_api.detach
_set_pending = set_pending_headers
_reset_pending = reset_pending_headers


class _PassThrough:
    """No SDK, a consumer: its message's headers stay reachable (for ``inject``) while the
    handler's body runs, and the error policy still decides what goes back to the caller."""

    __slots__ = ("args", "kwargs", "op")

    def __init__(self, op: Operation, args: Any, kwargs: Any) -> None:
        self.op, self.args, self.kwargs = op, args, kwargs

    def attach(self) -> Token[Any]:
        return _set_pending((self.op.incoming_headers, self.args, self.kwargs))

    def detach(self, token: Token[Any]) -> None:
        _reset_pending(token)

    def failed(self, exc: BaseException) -> bool:
        return not self.op.swallow(exc)

    def finish(self) -> None:
        return None


def wrap(function: F, operation: Operation) -> F:
    target = getattr(function, "__func__", function)  # staticmethod / classmethod objects
    if inspect.isasyncgenfunction(target):
        shape = _async_generator_wrapper
    elif inspect.iscoroutinefunction(target):
        shape = _coroutine_wrapper
    elif inspect.isgeneratorfunction(target):
        shape = _generator_wrapper
    else:
        shape = _sync_wrapper
    inner = shape(operation)
    if shape is not _async_generator_wrapper and _never_bound(function):
        return _closure(function, inner, shape)
    wrapper: F = wrapt.decorator(inner)(function)  # type: ignore[assignment]
    return wrapper


def _never_bound(function: Callable[..., Any]) -> bool:
    """A function at module level or local to another function: no class body defines it, so
    nothing binds it to an instance (the qualified name says where it was defined)."""
    if not inspect.isfunction(function):
        return False
    path = function.__qualname__.split(".")
    return len(path) == 1 or path[-2] == "<locals>"


def _closure(function: F, inner: Callable[..., Any], shape: Callable[..., Any]) -> F:
    """``inner`` as a plain function of the same kind (sync, coroutine or generator), so
    frameworks that inspect the handler still see what it is."""
    if shape is _coroutine_wrapper:

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await inner(function, None, args, kwargs)

    elif shape is _generator_wrapper:

        def call(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            return (yield from inner(function, None, args, kwargs))

    else:

        def call(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            return inner(function, None, args, kwargs)

    return functools.update_wrapper(call, function)  # type: ignore[return-value]


def _sync_wrapper(op: Operation) -> Callable[..., Any]:
    begin, swallow, incoming = op.begin, op.swallow, op.incoming_headers
    passes_context = op.passes_context

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        call = None
        if STATE.tracing._TRACER_PROVIDER is not None:
            try:
                call = begin(instance, args, kwargs)
            except Exception as exc:  # a raising sampler, adapter or hook: the handler runs
                begin_failed(op, exc)
        if call is None:  # nothing records: the cheapest pass-through there is
            if not passes_context:
                return wrapped(*args, **kwargs)
            token = _set_pending((incoming, args, kwargs))
            try:
                return wrapped(*args, **kwargs)
            except BaseException as exc:
                if swallow(exc):
                    return None
                raise
            finally:
                _reset_pending(token)
        attached = call.attach()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            _detach(attached)
            reraise = call.failed(exc)
            call.finish()
            if reraise:
                raise
            return None
        _detach(attached)
        call.finish()
        return result

    return wrapper


def _coroutine_wrapper(op: Operation) -> Callable[..., Any]:
    async def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        call = None
        if STATE.tracing._TRACER_PROVIDER is not None:
            try:
                call = op.begin(instance, args, kwargs)
            except Exception as exc:  # a raising sampler, adapter or hook: the handler runs
                begin_failed(op, exc)
        if call is None:
            if not op.passes_context:
                return await wrapped(*args, **kwargs)
            token = _set_pending((op.incoming_headers, args, kwargs))
            try:
                return await wrapped(*args, **kwargs)
            except BaseException as exc:
                if op.swallow(exc):
                    return None
                raise
            finally:
                _reset_pending(token)
        attached = call.attach()
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _detach(attached)
            reraise = call.failed(exc)
            call.finish()
            if reraise:
                raise
            return None
        _detach(attached)
        call.finish()
        return result

    return wrapper


def _generator_wrapper(op: Operation) -> Callable[..., Any]:
    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Generator[Any, Any, Any]:
        call = None
        if STATE.tracing._TRACER_PROVIDER is not None:
            try:
                call = op.begin(instance, args, kwargs)
            except Exception as exc:  # a raising sampler, adapter or hook: the handler runs
                begin_failed(op, exc)
        if call is None:
            if not op.passes_context:
                return (yield from wrapped(*args, **kwargs))
            call = _PassThrough(op, args, kwargs)
        return (yield from _drive(wrapped(*args, **kwargs), call))

    return wrapper


def _drive(gen: Generator[Any, Any, Any], call: Call) -> Generator[Any, Any, Any]:
    """``yield from gen`` with the call's context attached only while ``gen`` runs."""
    send: Any = None
    throw: BaseException | None = None
    try:
        while True:
            attached = call.attach()
            try:
                item = gen.throw(throw) if throw is not None else gen.send(send)
            finally:
                call.detach(attached)
            throw = None
            try:
                send = yield item
            except GeneratorExit:
                gen.close()
                raise
            except BaseException as exc:
                throw = exc
    except StopIteration as stop:
        call.finish()
        return stop.value
    except GeneratorExit:
        call.finish()
        raise
    except BaseException as exc:
        if call.failed(exc):
            call.finish()
            raise
        call.finish()
        return None


def _async_generator_wrapper(op: Operation) -> Callable[..., Any]:
    async def wrapper(
        wrapped: Any, instance: Any, args: Any, kwargs: Any
    ) -> AsyncGenerator[Any, Any]:
        """``async yield from`` (which Python lacks): ``asend``/``athrow``/``aclose`` reach the
        wrapped generator, with the span's context attached only while it runs."""
        call = None
        if STATE.tracing._TRACER_PROVIDER is not None:
            try:
                call = op.begin(instance, args, kwargs)
            except Exception as exc:  # a raising sampler, adapter or hook: the handler runs
                begin_failed(op, exc)
        if call is None and op.passes_context:
            call = _PassThrough(op, args, kwargs)
        agen = wrapped(*args, **kwargs)
        send: Any = None
        throw: BaseException | None = None
        try:
            while True:
                attached = None if call is None else call.attach()
                try:
                    item = await (agen.athrow(throw) if throw is not None else agen.asend(send))
                finally:
                    if call is not None and attached is not None:
                        call.detach(attached)
                throw = None
                try:
                    send = yield item
                except GeneratorExit:
                    await agen.aclose()
                    raise
                except BaseException as exc:
                    throw = exc
        except StopAsyncIteration:
            if call is not None:
                call.finish()
        except GeneratorExit:
            if call is not None:
                call.finish()
            raise
        except BaseException as exc:
            if call is None:
                raise
            reraise = call.failed(exc)
            call.finish()
            if reraise:
                raise

    return wrapper
