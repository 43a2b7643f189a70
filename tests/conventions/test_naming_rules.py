"""Every naming rule with real inputs: exact codes, levels and suggestions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from obskit.conventions import MISSING, Finding, Level, Registry, RulesConfig, load_registry

INFO, M, V = Level.INFORMATION, Level.IMPROVEMENT, Level.VIOLATION


def codes(findings: list[Finding]) -> list[tuple[str, Level, str | None]]:
    return [(f.code, f.level, f.suggestion) for f in findings]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # one finding per name, the most specific (each implies "not in the registry")
        ("Foo..bar", [("invalid_format", V, None)]),
        ("app.Total", [("invalid_format", V, None)]),
        ("app.total.", [("invalid_format", V, None)]),
        ("app._total", [("invalid_format", V, None)]),
        ("flag", [("missing_namespace", M, None)]),
        ("otel.custom", [("reserved_namespace", V, None)]),
        ("http.foo", [("foreign_namespace", V, None)]),
        ("messaging.bar", [("foreign_namespace", V, None)]),
        ("app.order.total", [("missing_attribute", M, None)]),
        ("server.address.ip", [("illegal_namespace", V, None)]),
        ("http.request", [("illegal_namespace", V, None)]),
        ("error", [("illegal_namespace", V, None)]),
    ],
)
def test_unknown_names(
    registry: Registry, name: str, expected: list[tuple[str, Level, None]]
) -> None:
    assert codes(registry.check(name)) == expected


def test_registered_otel_names_are_fine(registry: Registry) -> None:
    assert registry.check("otel.status_code", "OK") == []


@pytest.mark.parametrize(
    "spelling", ["orderId", "order-id", "OrderID", "order.Id", "ORDER_ID", "oid"]
)
def test_near_duplicates_point_at_the_registered_name(registry: Registry, spelling: str) -> None:
    [finding] = registry.check(spelling)
    assert (finding.code, finding.level, finding.suggestion) == (
        "near_duplicate",
        V,
        "app.order.id",
    )
    assert "order_id" in finding.message


def test_near_duplicate_of_official_name(registry: Registry) -> None:
    assert codes(registry.check("httpRequestMethod")) == [
        ("near_duplicate", V, "http.request.method")
    ]
    assert codes(registry.check("http.request_method")) == [
        ("near_duplicate", V, "http.request.method")
    ]


def test_log_key_is_the_same_concept(registry: Registry) -> None:
    assert codes(registry.check("order_id", "ord-1")) == [("not_stable", INFO, None)]
    assert codes(registry.check("server_port", 8080)) == []


def test_deprecated_follows_rename_chains(write, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write(
        "chain.yaml",
        """
        file_format: definition/2
        attributes:
          - {key: shop.a, type: string, brief: A., stability: stable,
             deprecated: {reason: renamed, renamed_to: shop.b}}
          - {key: shop.b, type: string, brief: B., stability: stable,
             deprecated: {reason: renamed, renamed_to: shop.c}}
          - {key: shop.c, type: string, brief: C., stability: stable}
          - {key: shop.loop1, type: string, brief: L., stability: stable,
             deprecated: {reason: renamed, renamed_to: shop.loop2}}
          - {key: shop.loop2, type: string, brief: L., stability: stable,
             deprecated: {reason: renamed, renamed_to: shop.loop1}}
          - {key: shop.gone, type: string, brief: G., stability: stable,
             deprecated: {reason: obsoleted}}
          - {key: shop.odd, type: string, brief: O., stability: stable,
             deprecated: {reason: uncategorized}}
        """,
    )
    registry = load_registry(tmp_path, semconv=False)
    assert codes(registry.check("shop.a")) == [("deprecated", V, "shop.c")]
    assert codes(registry.check("shop.b")) == [("deprecated", V, "shop.c")]
    assert codes(registry.check("shop.c")) == []
    assert codes(registry.check("shop.gone")) == [("deprecated", V, None)]
    assert codes(registry.check("shop.odd")) == [("deprecated", V, None)]
    # a loop suggests none of its (deprecated) names: suggesting shop.loop2 made --fix flip
    assert codes(registry.check("shop.loop1")) == [("deprecated", V, None)]
    assert codes(registry.check("shop.loop2")) == [("deprecated", V, None)]
    assert registry.resolve("shop.a") == "shop.c"


def test_deprecated_official_names(registry: Registry) -> None:
    assert codes(registry.check("messaging.operation")) == [
        ("deprecated", V, "messaging.operation.type")
    ]
    assert codes(registry.check("http.method", "GET")) == [("deprecated", V, "http.request.method")]
    assert codes(registry.check("messaging.destination_publish.name")) == [("deprecated", V, None)]


def test_not_stable_and_sensitive(registry: Registry) -> None:
    assert codes(registry.check("messaging.system")) == [("not_stable", INFO, None)]
    assert codes(registry.check("app.customer.email", "a@b.c")) == [
        ("not_stable", INFO, None),
        ("sensitive", INFO, None),
    ]
    assert registry.is_sensitive("app.customer.email")
    assert registry.is_sensitive("customer_email")
    assert not registry.is_sensitive("app.order.id")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("app.quantity", 2, []),
        ("app.quantity", "2", [("type_mismatch", V, None)]),
        ("app.quantity", True, [("type_mismatch", V, None)]),
        ("app.order.id", 1234, [("type_mismatch", V, None)]),
        ("obskit.message.age", 1, []),
        ("obskit.message.age", 0.5, []),
        ("obskit.message.redelivered", 1, [("type_mismatch", V, None)]),
        ("http.request.method", "GET", []),
        ("http.request.method", "FETCH", [("undefined_enum_variant", INFO, None)]),
        ("http.request.method", 3, [("type_mismatch", V, None)]),
        ("obskit.message.settlement", "dead_letter", []),
        ("obskit.message.settlement", "drop", [("undefined_enum_variant", INFO, None)]),
        ("app.sku", None, []),
        ("app.sku", MISSING, []),
    ],
)
def test_values(registry: Registry, name: str, value: object, expected: list[object]) -> None:
    got = [c for c in codes(registry.check(name, value)) if c[0] != "not_stable"]
    assert got == expected


def test_array_and_template_types(write, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write(
        "t.yaml",
        """
        file_format: definition/2
        attributes:
          - {key: shop.tags, type: "string[]", brief: T., stability: stable}
          - {key: shop.header, type: "template[int]", brief: H., stability: stable}
        """,
    )
    registry = load_registry(tmp_path, semconv=False)
    assert registry.check("shop.tags", ["a", "b"]) == []
    assert registry.check("shop.tags", ("a",)) == []
    assert codes(registry.check("shop.tags", ["a", 1])) == [("type_mismatch", V, None)]
    assert codes(registry.check("shop.tags", "a")) == [("type_mismatch", V, None)]
    assert registry.check("shop.header.x-retry", 3) == []
    assert codes(registry.check("shop.header.x-retry", "3")) == [("type_mismatch", V, None)]


def test_illegal_namespace_inside_the_registry(write, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write(
        "c.yaml",
        """
        file_format: definition/2
        attributes:
          - {key: shop.cart, type: string, brief: C., stability: stable}
          - {key: shop.cart.size, type: int, brief: S., stability: stable}
        """,
    )
    registry = load_registry(tmp_path, semconv=False)
    assert codes(registry.check("shop.cart")) == [("illegal_namespace", V, None)]
    assert codes(registry.check("shop.cart.size")) == []
    assert "shop" in registry.namespaces and "shop.cart" in registry.namespaces


def test_name_too_long(registry: Registry) -> None:
    name = "app." + "x" * 300
    assert codes(registry.check(name))[0] == ("name_too_long", V, None)
    short = registry.with_config(RulesConfig(prefix="app", max_length=10))
    assert codes(short.check("app.order.total")) == [
        ("name_too_long", V, None),
        ("missing_attribute", M, None),
    ]


def test_config_select_ignore_and_levels(registry: Registry) -> None:
    quiet = registry.with_config(RulesConfig(prefix="app", ignore=frozenset({"missing_attribute"})))
    assert quiet.check("app.order.total") == []
    only = registry.with_config(RulesConfig(prefix="app", select=frozenset({"foreign_namespace"})))
    assert codes(only.check("http.foo")) == [("foreign_namespace", V, None)]
    strict = registry.with_config(
        RulesConfig(prefix="app", levels={"missing_attribute": Level.VIOLATION})
    )
    assert codes(strict.check("app.order.total")) == [("missing_attribute", V, None)]


def test_without_prefix_custom_names_in_semconv_namespaces_are_foreign(registry: Registry) -> None:
    bare = registry.with_config(RulesConfig())
    # semconv has its own app.* names (for client apps), so without a prefix this is foreign
    assert [c[0] for c in codes(bare.check("app.order.total"))] == ["foreign_namespace"]


def test_str_subclass_enum_values_are_judged_by_value(registry: Registry) -> None:
    import enum

    class Method(str, enum.Enum):
        GET = "GET"
        FETCH = "FETCH"

    assert registry.check("http.request.method", Method.GET) == []
    assert [f.code for f in registry.check("http.request.method", Method.FETCH)] == [
        "undefined_enum_variant"
    ]
    assert [f.code for f in registry.check("http.request.method", True)] == ["type_mismatch"]


def test_check_results_are_cached_and_copied(registry: Registry) -> None:
    first = registry.check("http.foo")
    first.clear()
    assert len(registry.check("http.foo")) == 1
    # enum findings depend on the value, not only its type
    assert registry.check("http.request.method", "GET") == []
    assert len(registry.check("http.request.method", "FETCH")) == 1
    assert registry.check("http.request.method", "GET") == []


def test_names_moved_to_another_registry_are_not_deprecated(registry: Registry) -> None:
    """GenAI names "moved to the GenAI semantic conventions repository" are still in use."""
    assert codes(registry.check("gen_ai.request.model")) == [("not_stable", INFO, None)]
    assert codes(registry.check_metric("gen_ai.client.token.usage")) == [("not_stable", INFO, None)]
    # a real rename whose target moved points at the moved name
    assert codes(registry.check("gen_ai.usage.prompt_tokens")) == [
        ("deprecated", V, "gen_ai.usage.input_tokens")
    ]


def test_metric_names(registry: Registry) -> None:
    assert registry.check_metric("http.server.request.duration") == []
    assert codes(registry.check_metric("obskit.message.age")) == [("not_stable", INFO, None)]
    assert codes(registry.check_metric("HTTP.Latency")) == [("invalid_format", V, None)]


def test_every_rule_code_is_documented() -> None:
    from pathlib import Path

    from obskit.conventions import RULES

    doc = (Path(__file__).resolve().parents[2] / "docs" / "conventions.md").read_text()
    for code, (level, _) in RULES.items():
        assert f"| `{code}` | {level.name.lower()} |" in doc


def test_rename_chains_without_a_live_end_suggest_nothing(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    write(
        "dead.yaml",
        """
        file_format: definition/2
        attributes:
          - {key: app.a, type: string, brief: A., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.b}}
          - {key: app.b, type: string, brief: B., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.a}}
          - {key: app.into_loop, type: string, brief: I., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.a}}
          - {key: app.to_gone, type: string, brief: T., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.gone}}
          - {key: app.gone, type: string, brief: G., stability: stable,
             deprecated: {reason: obsoleted}}
          - {key: app.self, type: string, brief: S., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.self}}
        metrics:
          - {name: app.m1, instrument: counter, unit: "1", brief: M., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.m2}}
          - {name: app.m2, instrument: counter, unit: "1", brief: M., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.m1}}
        """,
    )
    registry = load_registry(tmp_path, semconv=False)
    for name in ("app.a", "app.b", "app.into_loop", "app.to_gone", "app.self"):
        findings = registry.check(name)
        assert codes(findings) == [("deprecated", V, None)], name
        assert "renamed_to chain loops or ends on a deprecated name" in findings[0].message
        assert registry.resolve(name) is None, name
    assert codes(registry.check("app.gone")) == [("deprecated", V, None)]
    assert registry.resolve("app.gone") == "app.gone"  # not renamed: its own canonical name
    assert codes(registry.check_metric("app.m1")) == [("deprecated", V, None)]
