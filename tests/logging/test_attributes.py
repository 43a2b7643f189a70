"""User-given span attributes (@traced, consumers) through the same validator and modes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import obskit
from obskit.conventions import Registry
from obskit.logging import ConventionError, validate_attributes
from obskit.testing import Captured
from tests.logging.conftest import Output


def test_fix_renames_attributes_to_the_canonical_dotted_name(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry, telemetry: Captured
) -> None:
    use_mode("fix", shop_registry)
    given = {"orderId": "o-1", "amount": 2.5}

    @obskit.traced(name="price", attributes=given)
    def price() -> None:
        pass

    price()
    price()
    spans = telemetry.find_spans("price")
    assert [dict(span.attributes or {}) for span in spans] == [
        {"app.order.id": "o-1", "amount": 2.5}
    ] * 2
    assert given == {"orderId": "o-1", "amount": 2.5}  # the user's dict is never mutated
    reports = [e for e in out.events if e["event"] == "obskit.convention.finding"]
    assert reports == [
        {
            "obskit_convention_finding_code": "near_duplicate",
            "obskit_convention_finding_name": "orderId",
            "obskit_convention_finding_suggestion": "app.order.id",
            "event": "obskit.convention.finding",
            "level": "warning",
            "logger": "obskit",
        }
    ]


def test_strict_raises_at_call_time_with_a_clear_error(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry, telemetry: Captured
) -> None:
    use_mode("strict", shop_registry)

    @obskit.traced.consumer("orders", system="rabbitmq", attributes=lambda m: {"oid": m["id"]})
    def on_order(message: dict[str, Any]) -> None:
        pass

    with pytest.raises(ConventionError, match=r"span attribute 'oid'.*use 'app\.order\.id'"):
        on_order({"headers": {}, "id": "o-1"})


def test_warn_reports_once_and_changes_nothing(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("warn", shop_registry)
    attributes = {"orderId": "o-1"}
    assert validate_attributes(attributes) is attributes
    assert validate_attributes(attributes) is attributes
    assert len(out.lines) == 1 and '"near_duplicate"' in out.lines[0]


def test_registered_attributes_pass_untouched(
    use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("strict", shop_registry)
    attributes = {"app.order.id": "o-1"}
    assert validate_attributes(attributes) is attributes
