"""Loading Weaver YAML (v1 and v2), the real semconv model, overrides and broken files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.support.registries import MODEL

from obskit.conventions import LoadError, Registry, load_registry

V1 = """
    groups:
      - id: registry.shop
        type: attribute_group
        brief: Shop attributes.
        attributes:
          - id: shop.cart.size
            type: int
            brief: Items in the cart.
            stability: stable
            examples: [3]
          - id: shop.payment.method
            type:
              members:
                - id: card
                  value: card
                - id: cash
                  value: cash
            brief: How the customer paid.
            stability: development
          - id: shop.tags
            type: string[]
            brief: Free-form tags.
            stability: development
          - id: shop.cart.items
            type: int
            brief: Old name.
            stability: development
            deprecated: "Replaced by `shop.cart.size`."
          - id: shop.header
            type: template[string]
            brief: Headers.
            stability: development
            annotations:
              obskit:
                sensitive: true
                log_key: shop_hdr
                aliases: [shopHeader]
                cardinality: high
      - id: span.shop.checkout
        type: span
        brief: Checkout.
        attributes:
          - ref: shop.cart.size
      - id: registry.legacy
        type: attribute_group
        prefix: legacy
        brief: Old-style prefixed group.
        attributes:
          - id: flag
            type: boolean
            brief: A flag.
            stability: development
"""

V2 = """
    file_format: definition/2
    attributes:
      - key: shop.discount
        type: double
        brief: Discount ratio.
        stability: stable
      - key: shop.coupon
        type: string
        brief: Removed.
        stability: development
        deprecated:
          reason: obsoleted
          note: No replacement.
    metrics:
      - name: shop.checkout.duration
        instrument: histogram
        unit: s
        brief: Checkout time.
        stability: development
        attributes:
          - ref: shop.discount
"""


def test_v1_groups_types_deprecation_and_annotations(write: Callable[[str, str], Path]) -> None:
    path = write("reg/shop.yaml", V1)
    registry = load_registry(path.parent, semconv=False)
    assert registry.errors == ()
    assert set(registry.attributes) == {
        "shop.cart.size",
        "shop.payment.method",
        "shop.tags",
        "shop.cart.items",
        "shop.header",
        "legacy.flag",
    }
    size = registry.attributes["shop.cart.size"]
    assert (size.type, size.stability, size.examples, size.brief) == (
        "int",
        "stable",
        (3,),
        "Items in the cart.",
    )
    method = registry.attributes["shop.payment.method"]
    assert (method.type, method.members) == ("enum", ("card", "cash"))
    assert registry.attributes["shop.tags"].type == "string[]"
    old = registry.attributes["shop.cart.items"]
    assert (old.deprecated, old.renamed_to) == ("renamed", "shop.cart.size")
    header = registry.attributes["shop.header"]
    assert header.type == "template[string]" and header.is_template
    assert header.sensitive and header.log_key == "shop_hdr" and header.aliases == ("shopHeader",)
    assert header.cardinality == "high" and header.log_key_declared
    assert header.source == str(path)


def test_v2_attributes_and_metrics(write: Callable[[str, str], Path]) -> None:
    path = write("shop.yaml", V2)
    registry = load_registry(path, semconv=False)
    assert registry.errors == ()
    assert registry.attributes["shop.discount"].type == "double"
    coupon = registry.attributes["shop.coupon"]
    assert (coupon.deprecated, coupon.renamed_to) == ("obsoleted", None)
    metric = registry.metrics["shop.checkout.duration"]
    assert (metric.instrument, metric.unit, metric.stability) == ("histogram", "s", "development")


def test_deprecated_forms() -> None:
    from obskit.conventions._loader import parse_deprecated

    assert parse_deprecated("Replaced by `a.b`.") == ("renamed", "a.b")
    assert parse_deprecated("Use `a.b` instead.") == ("renamed", "a.b")
    assert parse_deprecated("Removed.") == ("uncategorized", None)
    assert parse_deprecated({"reason": "renamed", "renamed_to": "x.y"}) == ("renamed", "x.y")
    assert parse_deprecated({"reason": "obsoleted"}) == ("obsoleted", None)
    assert parse_deprecated({"reason": "uncategorized", "note": "n"}) == ("uncategorized", None)
    assert parse_deprecated({"reason": "renamed"}) == ("uncategorized", None)
    assert parse_deprecated(None) == (None, None)


def test_later_sources_override_earlier(write: Callable[[str, str], Path]) -> None:
    first = write(
        "a/x.yaml",
        "file_format: definition/2\nattributes:\n"
        "  - {key: shop.discount, type: string, brief: A., stability: development}\n",
    )
    second = write("b/x.yaml", V2)
    assert load_registry(first, second, semconv=False).get("shop.discount").type == "double"  # type: ignore[union-attr]
    assert load_registry(second, first, semconv=False).get("shop.discount").type == "string"  # type: ignore[union-attr]


def test_model_overrides_semconv_package_when_given_later() -> None:
    registry = load_registry(MODEL)
    # the package knows no value types; the model does
    assert registry.attributes["server.port"].type == "int"
    assert registry.attributes["server.port"].source.endswith("server/registry.yaml")


def test_real_model_copy_loads_whole(model_registry: Registry) -> None:
    # counted independently: every v1 `id:` under groups[].attributes and v2 `key:` under
    # attributes, across the 250 YAML files of the vendored model
    assert model_registry.errors == ()
    assert len(model_registry.attributes) == 943
    assert sum(1 for a in model_registry.attributes.values() if a.deprecated) == 207
    assert len(model_registry.metrics) == 541
    operation = model_registry.attributes["messaging.operation"]
    assert (operation.deprecated, operation.renamed_to) == ("renamed", "messaging.operation.type")
    method = model_registry.attributes["http.request.method"]
    assert "GET" in method.members and method.stability == "stable"


def test_broken_yaml_names_file_and_line_and_rest_loads(write: Callable[[str, str], Path]) -> None:
    write("reg/good.yaml", V2)
    bad = write(
        "reg/bad.yaml",
        "file_format: definition/2\nattributes:\n  - key: a.b\n    type: [unclosed\n",
    )
    registry = load_registry(bad.parent, semconv=False)
    assert "shop.discount" in registry.attributes
    assert len(registry.errors) == 1
    error = registry.errors[0]
    assert isinstance(error, LoadError)
    assert error.path == bad and error.line == 5 and "invalid YAML" in error.message
    assert str(error).startswith(f"{bad}:5: ")


def test_not_a_registry_and_bad_entries(write: Callable[[str, str], Path]) -> None:
    listing = write("r/list.yaml", "- just\n- a list\n")
    write("r/other.yaml", "name: something\nversion: 3\n")
    write(
        "r/entries.yaml",
        """
        file_format: definition/2
        attributes:
          - key: ok.one
            type: string
            brief: Fine.
            stability: stable
          - type: string
            brief: No key.
          - key: bad.type
            type: strang
            brief: Typo.
        """,
    )
    registry = load_registry(listing.parent, semconv=False)
    by_file = {(e.path.name, e.line) for e in registry.errors}
    assert by_file == {
        ("list.yaml", 1),
        ("other.yaml", 1),
        ("entries.yaml", 7),
        ("entries.yaml", 9),
    }
    assert set(registry.attributes) == {"ok.one", "bad.type"}
    assert registry.attributes["bad.type"].type is None


def test_missing_source_is_an_error_not_an_exception(tmp_path: Path) -> None:
    registry = load_registry(tmp_path / "nope", semconv=False)
    assert [e.message for e in registry.errors] == ["no such file or directory"]


def test_registry_is_immutable(model_registry: Registry) -> None:
    import pytest

    with pytest.raises(TypeError):
        model_registry.attributes["x.y"] = model_registry.attributes["server.port"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        model_registry.attributes["server.port"].name = "x"  # type: ignore[misc]


def test_rename_cycles_are_load_errors(write: Callable[[str, str], Path]) -> None:
    path = write(
        "cycle.yaml",
        """
        file_format: definition/2
        attributes:
          - {key: app.c, type: string, brief: C., stability: stable}
          - {key: app.b, type: string, brief: B., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.a}}
          - {key: app.a, type: string, brief: A., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.b}}
          - {key: app.into, type: string, brief: I., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.a}}
        metrics:
          - {name: app.m, instrument: counter, unit: "1", brief: M., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.m}}
        """,
    )
    registry = load_registry(path.parent, semconv=False)
    assert registry.errors == (
        LoadError(
            path,
            6,
            "attribute renamed_to loops: app.a -> app.b -> app.a; none of these names is suggested",
        ),
        LoadError(
            path, 11, "metric renamed_to loops: app.m -> app.m; none of these names is suggested"
        ),
    )
    finding = registry.check("app.a")[0]
    assert (finding.code, finding.suggestion) == ("deprecated", None)


def test_a_rename_cycle_across_files_is_one_error(write: Callable[[str, str], Path]) -> None:
    first = write(
        "one.yaml",
        """
        file_format: definition/2
        attributes:
          - {key: app.a, type: string, brief: A., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.b}}
        """,
    )
    second = write(
        "two.yaml",
        """
        file_format: definition/2
        attributes:
          - {key: app.b, type: string, brief: B., stability: stable,
             deprecated: {reason: renamed, renamed_to: app.a}}
        """,
    )
    registry = load_registry(first.parent, semconv=False)
    assert [str(e) for e in registry.errors] == [
        f"{first}:3: attribute renamed_to loops: app.a -> app.b -> app.a (also defined in "
        f"{second}); none of these names is suggested"
    ]
