"""ConventionValidator in the chain: off, warn (once per problem), fix, strict, exempt keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from obskit.conventions import Finding, Level, Registry
from obskit.logging import ConventionError, ConventionValidator, get_logger
from tests.logging.conftest import Output

FINDING = "obskit.convention.finding"


def _finding(code: str, name: str, suggestion: str | None = None) -> str:
    tail = f', "obskit_convention_finding_suggestion": "{suggestion}"' if suggestion else ""
    return (
        f'{{"obskit_convention_finding_code": "{code}", '
        f'"obskit_convention_finding_name": "{name}"{tail}, '
        f'"event": "{FINDING}", "level": "warning", "logger": "obskit"}}'
    )


def test_warn_reports_each_distinct_problem_once_and_changes_nothing(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("warn", shop_registry)
    log = get_logger("shop")
    for n in range(3):
        log.info("order_received", orderId=f"o-{n}", order_id="x")
    assert out.lines == [
        _finding("near_duplicate", "orderId", "order_id"),
        '{"orderId": "o-0", "order_id": "x", "event": "order_received", "level": "info", '
        '"logger": "shop"}',
        '{"orderId": "o-1", "order_id": "x", "event": "order_received", "level": "info", '
        '"logger": "shop"}',
        '{"orderId": "o-2", "order_id": "x", "event": "order_received", "level": "info", '
        '"logger": "shop"}',
    ]


def test_warn_reports_unknown_and_mistyped_fields_once(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("warn", shop_registry)
    log = get_logger()
    log.info("paid", amount="12")
    log.info("paid", amount="13")
    log.info("paid", amount=14.0)  # the registered type: nothing to report
    assert [e.get("obskit_convention_finding_code") for e in out.events] == [
        "type_mismatch",
        None,
        None,
        None,
    ]
    assert out.events[0]["obskit_convention_finding_name"] == "amount"


def test_a_key_seen_clean_with_one_type_is_judged_again_with_another(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    """The fast check remembers a clean key with its value's type: a new type is judged, in
    both orders, and each key keeps both of its clean types (strict mode raises for a typo
    seen after the clean spelling)."""
    use_mode("warn", shop_registry)
    log = get_logger()
    log.info("paid", amount=14.0)  # clean
    log.info("paid", amount="12")  # the same key, another type: a mismatch
    log.info("paid", amount=15.0)  # clean again (its plan, not the fast check)
    log.info("paid", amount="13")  # reported once
    assert [e.get("obskit_convention_finding_code") for e in out.events] == [
        None,
        "type_mismatch",
        None,
        None,
        None,
    ]
    use_mode("strict", shop_registry)
    get_logger().info("paid", amount=14.0)
    with pytest.raises(ConventionError, match="amount"):
        get_logger().info("paid", amount="12")


def test_the_report_event_itself_passes_the_conventions(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("warn", shop_registry)
    get_logger().info("x", oid="o-1")
    report = out.events[0]
    fields = [k for k in report if k not in ("event", "level", "logger")]
    assert fields == [
        "obskit_convention_finding_code",
        "obskit_convention_finding_name",
        "obskit_convention_finding_suggestion",
    ]
    for key in fields:
        blocking = [f for f in shop_registry.check(key) if f.level >= Level.IMPROVEMENT]
        assert blocking == []


def test_fix_renames_aliases_and_deprecated_names_to_the_log_key(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("fix", shop_registry)
    log = get_logger()
    log.info("order_received", orderId="o-1", **{"app.order.total": 9.5})
    log.info("order_received", orderId="o-2", **{"app.order.total": 3.0})
    assert out.lines == [
        _finding("near_duplicate", "orderId", "order_id"),
        _finding("deprecated", "app.order.total", "amount"),
        '{"event": "order_received", "order_id": "o-1", "amount": 9.5, "level": "info"}',
        '{"event": "order_received", "order_id": "o-2", "amount": 3.0, "level": "info"}',
    ]


def test_fix_keeps_unknown_keys_and_both_sides_of_a_collision(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("fix", shop_registry)
    get_logger().info("e", orderId="a", order_id="b", colour="red")
    *reports, event = out.events
    assert event == {
        "orderId": "a",
        "order_id": "b",
        "colour": "red",
        "event": "e",
        "level": "info",
    }
    codes = [
        (r["obskit_convention_finding_code"], r["obskit_convention_finding_name"]) for r in reports
    ]
    assert codes == [
        ("near_duplicate", "orderId"),
        ("missing_namespace", "colour"),
        ("rename_conflict", "orderId"),
    ]


def test_strict_raises_naming_the_key_and_the_suggestion(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("strict", shop_registry)
    log = get_logger()
    with pytest.raises(ConventionError) as raised:
        log.info("order_received", orderId="o-1")
    assert str(raised.value) == (
        "log field 'orderId': [near_duplicate] 'orderId' is another spelling of the registered "
        "'app.order.id' (log key 'order_id'); use 'order_id'"
    )
    assert raised.value.finding.suggestion == "order_id"
    with pytest.raises(ConventionError):  # every time, not once
        log.info("order_received", orderId="o-2")
    log.info("order_received", order_id="o-3")
    assert out.lines == ['{"order_id": "o-3", "event": "order_received", "level": "info"}']


def test_off_checks_nothing(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("off", shop_registry)
    get_logger().info("e", orderId="o-1")
    assert out.lines == ['{"orderId": "o-1", "event": "e", "level": "info"}']


def test_structlog_keys_and_positional_args_are_exempt(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("strict", shop_registry)
    log = get_logger("svc")
    log.info("hello %s", "world")
    try:
        raise KeyError("k")
    except KeyError:
        log.exception("failed", stack_info=False)
    events = out.events
    assert events[0] == {"event": "hello world", "level": "info", "logger": "svc"}
    assert events[1]["event"] == "failed" and "KeyError: 'k'" in events[1]["exception"]
    seen: list[Finding] = []
    validator = ConventionValidator(shop_registry, "warn", report=lambda f, k: seen.append(f))
    event: dict[str, Any] = {
        "event": "e",
        "level": "info",
        "timestamp": "t",
        "logger": "l",
        "trace_id": "0" * 32,
        "span_id": "0" * 16,
        "trace_flags": "01",
        "exc_info": True,
        "stack_info": False,
        "positional_args": (),
        "_record": None,
        "_from_structlog": False,
    }
    assert validator(None, "info", dict(event)) == event
    assert seen == []


def test_a_failing_registry_never_changes_what_business_code_sees(
    out: Output,
    use_mode: Callable[..., None],
    shop_registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(self: Registry, name: str, value: object = None) -> list[Finding]:
        raise RuntimeError("registry bug")

    monkeypatch.setattr(Registry, "check", broken)
    use_mode("warn", shop_registry)
    log = get_logger()
    log.info("order_received", orderId="o-1")
    log.info("order_received", orderId="o-2")
    assert out.lines == [
        '{"orderId": "o-1", "event": "order_received", "level": "info"}',
        '{"orderId": "o-2", "event": "order_received", "level": "info"}',
    ]
    failures = [r for r in caplog.records if "validator failed" in r.getMessage()]
    assert len(failures) == 1 and "registry bug" in (failures[0].exc_text or "")


def test_invalid_mode_is_a_clear_error(shop_registry: Registry) -> None:
    with pytest.raises(ValueError, match="mode must be one of off, warn, fix, strict"):
        ConventionValidator(shop_registry, "loud")  # type: ignore[arg-type]


def _distinct_keys_validator(
    registry: Registry, mode: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[ConventionValidator, list[Finding]]:
    monkeypatch.setattr(ConventionValidator, "plan_limit", 5)
    monkeypatch.setattr(ConventionValidator, "report_limit", 7)
    seen: list[Finding] = []
    return ConventionValidator(registry, mode, report=lambda f, k: seen.append(f)), seen  # type: ignore[arg-type]


def test_plans_stop_being_cached_past_the_limit(
    shop_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    validator, _ = _distinct_keys_validator(shop_registry, "warn", monkeypatch)
    for n in range(50):
        validator(None, "info", {"event": "e", f"field_{n}": "x"})
        validator.attributes({f"attr_{n}": 1})
    assert len(validator._log_plans) == 5
    assert len(validator._attribute_plans) == 5


def test_findings_past_the_limit_are_suppressed_with_one_warning(
    shop_registry: Registry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    validator, seen = _distinct_keys_validator(shop_registry, "warn", monkeypatch)
    with caplog.at_level("WARNING", logger="obskit"):
        for _ in range(2):
            for n in range(50):  # one finding per key: missing_namespace
                validator(None, "info", {"event": "e", f"field_{n}": "x"})
                validator.attributes({f"attr_{n}": 1})
    assert len(seen) == 7
    assert len(validator._reported) == 7
    suppressed = [r for r in caplog.records if "suppressed" in r.getMessage()]
    assert len(suppressed) == 1
    assert suppressed[0].levelname == "WARNING"


def test_keys_past_the_plan_limit_are_still_judged(
    shop_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    validator, _ = _distinct_keys_validator(shop_registry, "fix", monkeypatch)
    for n in range(10):
        validator(None, "info", {"event": "e", f"field_{n}": "x"})
    assert len(validator._log_plans) == 5
    for _ in range(2):  # not cached: renamed on every call all the same
        fixed = validator(None, "info", {"event": "e", "orderId": "o-1"})
        assert fixed == {"event": "e", "order_id": "o-1"}
    assert ("orderId", str) not in validator._log_plans
    strict, _ = _distinct_keys_validator(shop_registry, "strict", monkeypatch)
    exempt = {"event": "e", "level": "info", "timestamp": "t", "logger": "l", "trace_id": "0"}
    assert strict(None, "info", dict(exempt)) == exempt
    assert len(strict._log_plans) == 5
    for _ in range(2):  # past the limit, strict still raises on every call
        with pytest.raises(ConventionError):
            strict(None, "info", {"orderId": "o-1"})
