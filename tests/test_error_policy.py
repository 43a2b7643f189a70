"""ErrorPolicy as a value: classification by the most specific registered base, extension with
the user's own classes, reraise choices, and the names and messages it produces."""

from __future__ import annotations

import asyncio
import json

import pytest

from obskit.errors import (
    BusinessRuleViolation,
    ErrorKind,
    ErrorPolicy,
    PoisonMessage,
    TransientError,
    error_type,
    exponential_backoff,
    is_cancellation,
)


class OutOfStock(BusinessRuleViolation):
    pass


class Flaky(Exception):
    pass


class Broken(Exception):
    pass


class Refused(Exception):
    pass


class FlakyButBroken(Flaky):
    pass


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (OutOfStock(), ErrorKind.BUSINESS),
        (TransientError(), ErrorKind.TRANSIENT),
        (TimeoutError(), ErrorKind.TRANSIENT),
        (ConnectionResetError(), ErrorKind.TRANSIENT),  # a subclass of ConnectionError
        (PoisonMessage(), ErrorKind.POISON),
        (json.JSONDecodeError("bad", "{", 0), ErrorKind.POISON),  # a ValueError, yet poison
        (ValueError(), ErrorKind.UNEXPECTED),
        (KeyError(), ErrorKind.UNEXPECTED),
        (asyncio.CancelledError(), ErrorKind.CANCELLED),
        (KeyboardInterrupt(), ErrorKind.CANCELLED),
        (SystemExit(0), ErrorKind.CANCELLED),
        (GeneratorExit(), ErrorKind.CANCELLED),
    ],
)
def test_the_default_policy_classifies(exc: BaseException, kind: ErrorKind) -> None:
    policy = ErrorPolicy()
    assert policy.classify(exc) is kind
    assert policy.classify(exc) is kind  # the second answer (from the cache) is the same
    assert is_cancellation(exc) is (kind is ErrorKind.CANCELLED)


def test_each_class_keeps_its_own_kind_once_cached() -> None:
    policy = ErrorPolicy.extend(transient=[Flaky], poison=[FlakyButBroken])
    assert policy.classify(FlakyButBroken()) is ErrorKind.POISON  # the most specific base wins
    assert policy.classify(Flaky()) is ErrorKind.TRANSIENT
    assert policy.classify(FlakyButBroken()) is ErrorKind.POISON
    assert policy.classify(Broken()) is ErrorKind.UNEXPECTED
    assert ErrorPolicy().classify(Flaky()) is ErrorKind.UNEXPECTED  # one policy's cache only


def test_extend_adds_to_every_default() -> None:
    policy = ErrorPolicy.extend(business=[Refused], transient=[Flaky], poison=[Broken])
    assert policy.business == (BusinessRuleViolation, Refused)
    assert policy.transient == (TransientError, TimeoutError, ConnectionError, Flaky)
    assert policy.poison[0] is PoisonMessage and policy.poison[-1] is Broken
    assert [policy.classify(e) for e in (Refused(), Flaky(), Broken())] == [
        ErrorKind.BUSINESS,
        ErrorKind.TRANSIENT,
        ErrorKind.POISON,
    ]


def test_reraise_defaults_to_everything_but_business_and_takes_names() -> None:
    default = ErrorPolicy.extend()
    assert [default.should_reraise(kind) for kind in ErrorKind] == [
        False,  # business
        True,  # transient
        True,  # poison
        True,  # unexpected
        True,  # cancelled
    ]
    chosen = ErrorPolicy.extend(reraise=["business", ErrorKind.POISON])
    assert chosen.reraise == frozenset({ErrorKind.BUSINESS, ErrorKind.POISON})
    assert [chosen.should_reraise(kind) for kind in ErrorKind] == [True, False, True, False, True]


def test_extend_keeps_the_default_retry_delay_unless_given() -> None:
    def delay(attempt: int) -> float:
        return 1.0

    assert ErrorPolicy.extend().retry_delay is exponential_backoff
    assert ErrorPolicy.extend(retry_delay=delay).retry_delay is delay
    assert ErrorPolicy.extend(retry_delay=0).retry_delay == 0


def test_one_delivery_is_a_valid_budget() -> None:
    assert ErrorPolicy(max_attempts=1).max_attempts == 1


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ErrorPolicy.extend(business="Refused"),
            "business= takes exception classes, not 'Refused'",
        ),
        (
            lambda: ErrorPolicy.extend(transient=[Flaky, "Broken"]),
            "transient= takes exception classes, not 'Broken'",
        ),
        (
            lambda: ErrorPolicy.extend(poison=[int]),
            "poison= takes exception classes, not <class 'int'>",
        ),
        (lambda: ErrorPolicy(poison=7), "poison= takes exception classes, not 7"),
        (
            lambda: ErrorPolicy(business=(Refused(),)),
            "business= takes exception classes, not Refused()",
        ),
    ],
)
def test_wrong_types_are_refused_with_what_was_given(build: object, message: str) -> None:
    with pytest.raises(TypeError) as raised:
        build()  # type: ignore[operator]
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("exc", "name"),
    [
        (ValueError("x"), "ValueError"),
        (OutOfStock(), "tests.test_error_policy.OutOfStock"),
        (json.JSONDecodeError("bad", "{", 0), "json.decoder.JSONDecodeError"),
    ],
)
def test_error_type_is_the_qualified_class_name(exc: BaseException, name: str) -> None:
    assert error_type(exc) == name


def test_log_levels_follow_the_kind() -> None:
    assert [ErrorPolicy.log_level(kind) for kind in ErrorKind] == [
        "warning",
        "warning",
        "error",
        "error",
        "info",
    ]
