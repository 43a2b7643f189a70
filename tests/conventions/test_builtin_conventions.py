"""obskit's own conventions: the packaged copy, and that they pass their own rules."""

from __future__ import annotations

import filecmp
from pathlib import Path

from tests.support.registries import DEMO_CONVENTIONS

from obskit.conventions import (
    BUILTIN_CONVENTIONS,
    Level,
    RulesConfig,
    default_registry,
    load_registry,
)
from obskit.conventions._semconv_package import semconv_package
from obskit.conventions._weaver_policy import check_registry

SOURCE = Path(__file__).resolve().parents[2] / "conventions"


def test_packaged_copy_is_identical_to_the_source_of_truth() -> None:
    source = sorted(p.name for p in SOURCE.glob("*.yaml"))
    packaged = sorted(p.name for p in BUILTIN_CONVENTIONS.glob("*.yaml"))
    assert source == packaged and source
    for name in source:
        assert filecmp.cmp(SOURCE / name, BUILTIN_CONVENTIONS / name, shallow=False), name


def test_declares_every_name_obskit_emits() -> None:
    registry = load_registry(SOURCE, semconv=False)
    assert registry.errors == ()
    expected = {
        "obskit.error.kind": (
            "enum",
            ("business", "transient", "poison", "unexpected", "cancelled"),
        ),
        "obskit.outcome": (
            "enum",
            ("ok", "business", "transient", "poison", "unexpected", "cancelled"),
        ),
        "obskit.message.age": ("double", ()),
        "obskit.message.redelivered": ("boolean", ()),
        "obskit.message.attempt": ("int", ()),
        "obskit.message.duplicate": ("boolean", ()),
        "obskit.message.out_of_order": ("boolean", ()),
        "obskit.message.overtaken_by": ("int", ()),
        "obskit.message.sequence": ("int", ()),
        "obskit.message.sequence_key": ("string", ()),
        "obskit.message.clock_skew": ("boolean", ()),
        "obskit.http.client_disconnected": ("boolean", ()),
        "obskit.message.settlement": (
            "enum",
            ("ack", "nack", "requeue", "retry", "reject", "dead_letter"),
        ),
        "obskit.context.missing": ("boolean", ()),
        "obskit.task.name": ("string", ()),
        "obskit.http.request.duration": ("double", ()),
        "obskit.convention.finding.code": ("string", ()),
        "obskit.convention.finding.name": ("string", ()),
        "obskit.convention.finding.suggestion": ("string", ()),
        "obskit.telemetry.signal": ("enum", ("span", "log", "log_line")),
    }
    assert {n: (a.type, a.members) for n, a in registry.attributes.items()} == expected
    assert all(a.brief for a in registry.attributes.values())
    assert registry.metrics["obskit.message.age"].instrument == "histogram"
    assert registry.metrics["obskit.message.settlements"].instrument == "counter"
    assert registry.metrics["obskit.telemetry.dropped"].instrument == "counter"


def test_the_demos_names_live_with_the_demo() -> None:
    demo = load_registry(DEMO_CONVENTIONS, semconv=False)
    assert demo.errors == ()
    assert sorted(demo.attributes) == [
        "app.customer.email",
        "app.customer.id",
        "app.order.id",
        "app.quantity",
        "app.sku",
    ]
    order = demo.attributes["app.order.id"]
    assert order.log_key == "order_id"
    assert order.aliases == ("orderId", "order-id", "OrderID", "oid")
    assert demo.attributes["app.customer.email"].sensitive


def test_defaults_hold_only_obskits_own_names_and_the_official_ones() -> None:
    """A service without ``conventions=`` never meets the demo's example names."""
    registry = default_registry()
    official = {a.name for a in semconv_package().attributes}
    own = {n for n in registry.attributes if n not in official}
    assert own and all(n.startswith("obskit.") for n in own)
    assert "app.order.id" not in registry and registry.resolve("order_id") is None


def test_every_own_name_passes_the_rules_without_violations() -> None:
    # judged as if unregistered (semconv only): format, namespaces, length, near-duplicates
    bare = load_registry(config=RulesConfig(prefix="obskit"))
    for name in load_registry(SOURCE, semconv=False).attributes:
        config = RulesConfig(prefix=name.split(".")[0])
        findings = bare.with_config(config).check(name)
        assert [f for f in findings if f.level >= Level.VIOLATION] == [], name
        assert [f.code for f in findings] == ["missing_attribute"], name
    for name in load_registry(SOURCE, semconv=False).metrics:
        assert [f.code for f in bare.check_metric(name)] == ["missing_metric"]


def test_weaver_naming_policy_passes_on_own_conventions() -> None:
    assert check_registry(SOURCE) == []


def test_default_registry_is_cached_and_complete() -> None:
    registry = default_registry()
    assert registry is default_registry()
    assert "obskit.outcome" in registry and "http.request.method" in registry
    assert registry.errors == ()
