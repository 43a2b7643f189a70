"""The Weaver naming_conventions policy package, reproduced: ids and messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.support.registries import MODEL

from obskit.conventions._weaver_policy import check_registry


def ids(path: Path, *policies: str) -> list[str]:
    return sorted(f.finding.code for f in check_registry(path, policies=policies))


def test_collisions(write: Callable[[str, str], Path]) -> None:
    path = write(
        "model.yaml",
        """
        file_format: definition/2
        attributes:
          - {key: my.attr_one, type: string, brief: A., stability: stable}
          - {key: my.attr.one, type: string, brief: B., stability: stable}
          - {key: my.ns, type: string, brief: C., stability: stable}
          - {key: my.ns.child, type: string, brief: D., stability: stable}
          - {key: my.blob, type: any, brief: E., stability: development}
          - key: my.enum
            type:
              members:
                - {id: a, value: x}
                - {id: a, value: y}
                - {id: b, value: x}
            brief: F.
            stability: stable
        metrics:
          - name: my.requests
            brief: Requests.
            instrument: counter
            unit: "{request}"
            stability: stable
            attributes:
              - ref: my.blob
          - name: my.requests.size
            brief: Sizes.
            instrument: histogram
            unit: By
            stability: stable
          - name: my.requests_size
            brief: Also sizes
            instrument: histogram
            unit: By
            stability: stable
        events:
          - name: my.event
            brief: E.
            stability: stable
            attributes:
              - ref: event.name
        """,
    )
    found = check_registry(path, policies=("naming_conventions", "semconv"))
    assert sorted({f.finding.code for f in found}) == [
        "naming_convention_attribute_complex_type_violation",
        "naming_convention_attribute_constant_collision",
        "naming_convention_attribute_namespace_collision",
        "naming_convention_enum_member_collision",
        "naming_convention_event_name_attribute_forbidden",
        "naming_convention_metric_brief_period",
        "naming_convention_metric_constant_collision",
        "naming_convention_metric_namespace_collision",
    ]
    messages = [f.finding.message for f in found]
    assert (
        "Attribute 'my.ns' name is used as a namespace in the following attribute "
        "'my.ns.child'." in messages
    )
    assert (
        "Attribute 'my.attr_one' has the same constant name 'my_attr_one' as 'my.attr.one'."
        in messages
    )
    assert (
        "Metric with name 'my.requests' is used as a namespace in the following metric "
        "'my.requests.size'." in messages
    )
    assert (
        "metric 'my.requests.size' has the same constant name 'my_requests_size' as "
        "'my.requests_size'." in messages
    )
    assert (
        "Member with id 'a' is defined more than once on attribute 'my.enum'. "
        "Member ids must be unique." in messages
    )
    assert (
        "Member with value 'x' (id 'a') is defined more than once on attribute 'my.enum'. "
        "Member values must be unique." in messages
    )
    assert all(f.line > 0 and f.path == path for f in found)


def test_policy_exception_annotation(write: Callable[[str, str], Path]) -> None:
    path = write(
        "model.yaml",
        """
        file_format: definition/2
        metrics:
          - name: hw.battery
            brief: A.
            instrument: counter
            unit: "1"
            stability: stable
          - name: hw.battery.charge
            brief: B.
            instrument: counter
            unit: "1"
            stability: stable
            annotations:
              naming_conventions:
                policy_exceptions: [metric_namespace_collision]
        """,
    )
    assert check_registry(path) == []


def test_v1_groups_are_checked_too(write: Callable[[str, str], Path]) -> None:
    path = write(
        "model.yaml",
        """
        groups:
          - id: registry.x
            type: attribute_group
            brief: X.
            attributes:
              - id: x.Bad
                type: string
                brief: Bad.
                stability: stable
          - id: metric.x.size
            type: metric
            metric_name: x.size
            brief: No period
            instrument: gauge
            unit: By
            stability: stable
        """,
    )
    # Weaver's package checks the name only through the (lowercase-only) namespace regex
    assert ids(path, "naming_conventions") == [
        "naming_convention_attr_has_namespace",
        "naming_convention_metric_brief_period",
    ]
    assert ids(path, "semconv") == [
        "naming_convention_attribute_name_format",
        "naming_convention_attribute_name_namespace",
    ]


def test_broken_file_is_a_load_error_finding(write: Callable[[str, str], Path]) -> None:
    path = write("bad.yaml", "groups: [\n")
    [finding] = check_registry(path)
    assert finding.finding.code == "load_error" and finding.path == path


def test_real_model_is_clean() -> None:
    assert check_registry(MODEL) == []
