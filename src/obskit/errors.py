"""One classification of failures, shared by consumers, producers, plain functions and HTTP.

A business-rule violation is an expected outcome, not a crash; a transient failure is worth a
retry; a poison message will never succeed; anything else is unexpected. The kind decides the
span status, ``error.type``, ``obskit.error.kind``, the log level, and whether the exception
goes back to the caller (the broker client, the web framework).
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeAlias

__all__ = [
    "BusinessRuleViolation",
    "ErrorKind",
    "ErrorPolicy",
    "PoisonMessage",
    "RetryDelay",
    "TransientError",
    "error_type",
    "exponential_backoff",
    "is_cancellation",
]

#: seconds before a retry: a constant, or a function of the attempt that failed (1, 2, ...)
RetryDelay: TypeAlias = float | Callable[[int], float]


class ErrorKind(str, enum.Enum):
    BUSINESS = "business"
    TRANSIENT = "transient"
    POISON = "poison"
    UNEXPECTED = "unexpected"
    #: interrupted from outside (task cancelled, Ctrl-C, exit, generator closed): not a failure
    CANCELLED = "cancelled"

    @property
    def is_span_error(self) -> bool:
        """A business outcome is a result the code expected, a cancellation nobody's fault;
        everything else failed."""
        return self is not ErrorKind.BUSINESS and self is not ErrorKind.CANCELLED


class BusinessRuleViolation(Exception):
    """An expected refusal: stock would go negative, the order is already shipped."""


class TransientError(Exception):
    """A failure that may succeed on retry: a timeout, a lost connection, a busy dependency."""


class PoisonMessage(Exception):
    """A message that can never be processed: undecodable, or failing validation."""


_DEFAULT_TYPES: Final[Mapping[ErrorKind, tuple[type[BaseException], ...]]] = {
    ErrorKind.BUSINESS: (BusinessRuleViolation,),
    ErrorKind.TRANSIENT: (TransientError, TimeoutError, ConnectionError),
    ErrorKind.POISON: (PoisonMessage, UnicodeDecodeError, json.JSONDecodeError),
}

_LOG_LEVELS: Final[Mapping[ErrorKind, str]] = {
    ErrorKind.BUSINESS: "warning",
    ErrorKind.TRANSIENT: "warning",
    ErrorKind.POISON: "error",
    ErrorKind.UNEXPECTED: "error",
    ErrorKind.CANCELLED: "info",
}

_CACHED_TYPES: Final = 1024  # exception classes made at run time must not grow it for good
_INTERRUPTS: Final = (KeyboardInterrupt, SystemExit, GeneratorExit)


def is_cancellation(exc: BaseException) -> bool:
    """``CancelledError``, ``KeyboardInterrupt``, ``SystemExit`` or ``GeneratorExit``: the work
    was stopped from outside. (Without asyncio imported no ``CancelledError`` can exist, so
    asyncio is never imported for this.)"""
    if isinstance(exc, _INTERRUPTS):
        return True
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and isinstance(exc, asyncio.CancelledError)


def exponential_backoff(attempt: int) -> float:
    """The default retry delay: 0.1 s after the first attempt, doubling, at most 5 s.

    Short enough that a transient blip costs little; growing so a dependency that is down is
    not hammered while the attempts run out.
    """
    return float(min(0.1 * 2 ** max(attempt - 1, 0), 5.0))


def error_type(exc: BaseException) -> str:
    """The ``error.type`` value: the exception's fully qualified class name (low cardinality)."""
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


@dataclass(frozen=True)
class ErrorPolicy:
    """Maps exception types to an :class:`ErrorKind`; subclasses match, the most specific wins.

    ``reraise`` says which kinds go back to the caller. By default business outcomes are
    recorded and swallowed (so they start no retry chain) and every other kind is re-raised
    unchanged. ``max_attempts`` and ``retry_delay`` are the retry budget a settling consumer
    (``settle=True``) uses unless its decorator says otherwise.
    """

    business: tuple[type[BaseException], ...] = _DEFAULT_TYPES[ErrorKind.BUSINESS]
    transient: tuple[type[BaseException], ...] = _DEFAULT_TYPES[ErrorKind.TRANSIENT]
    poison: tuple[type[BaseException], ...] = _DEFAULT_TYPES[ErrorKind.POISON]
    reraise: frozenset[ErrorKind] = frozenset(
        {ErrorKind.TRANSIENT, ErrorKind.POISON, ErrorKind.UNEXPECTED}
    )
    max_attempts: int = 5
    retry_delay: RetryDelay = exponential_backoff
    _cache: dict[type[BaseException], ErrorKind] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def extend(
        cls,
        *,
        business: Iterable[type[BaseException]] = (),
        transient: Iterable[type[BaseException]] = (),
        poison: Iterable[type[BaseException]] = (),
        reraise: Iterable[ErrorKind | str] | None = None,
        max_attempts: int | None = None,
        retry_delay: RetryDelay | None = None,
    ) -> ErrorPolicy:
        """The default policy plus your own exception types (classes, not their names) and,
        optionally, a retry budget."""
        defaults = cls()
        return cls(
            business=defaults.business + _exception_types("business", business),
            transient=defaults.transient + _exception_types("transient", transient),
            poison=defaults.poison + _exception_types("poison", poison),
            reraise=defaults.reraise
            if reraise is None
            else frozenset(ErrorKind(kind) for kind in reraise),
            max_attempts=defaults.max_attempts if max_attempts is None else max_attempts,
            retry_delay=defaults.retry_delay if retry_delay is None else retry_delay,
        )

    def __post_init__(self) -> None:
        for kind in ("business", "transient", "poison"):
            _exception_types(kind, getattr(self, kind))
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts counts deliveries, at least 1: {self.max_attempts}")

    def classify(self, exc: BaseException) -> ErrorKind:
        cls = type(exc)
        kind = self._cache.get(cls)
        if kind is None:
            kind = ErrorKind.CANCELLED if is_cancellation(exc) else self._classify_type(cls)
            if len(self._cache) < _CACHED_TYPES:
                self._cache[cls] = kind
        return kind

    def _classify_type(self, cls: type[BaseException]) -> ErrorKind:
        # Walk the MRO so the most specific registered base decides, whatever the kind order.
        table = {
            registered: kind
            for kind, types in (
                (ErrorKind.POISON, self.poison),
                (ErrorKind.TRANSIENT, self.transient),
                (ErrorKind.BUSINESS, self.business),
            )
            for registered in types
        }
        for base in cls.__mro__:
            if base in table:
                return table[base]
        return ErrorKind.UNEXPECTED

    def should_reraise(self, kind: ErrorKind) -> bool:
        return kind is ErrorKind.CANCELLED or kind in self.reraise

    @staticmethod
    def log_level(kind: ErrorKind) -> str:
        return _LOG_LEVELS[kind]


def _exception_types(kind: str, types: Iterable[object]) -> tuple[type[BaseException], ...]:
    """``types`` as a tuple, refused at once when one is not an exception class (a string
    would silently never match)."""
    if isinstance(types, (str, bytes)) or not isinstance(types, Iterable):
        raise TypeError(f"{kind}= takes exception classes, not {types!r}")
    result = tuple(types)
    for item in result:
        if not (isinstance(item, type) and issubclass(item, BaseException)):
            raise TypeError(f"{kind}= takes exception classes, not {item!r}")
    return result  # type: ignore[return-value]
