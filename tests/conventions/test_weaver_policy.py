"""The Weaver naming_conventions policy package, reproduced: ids and messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from obskit.conventions._weaver_policy import check_registry

MODEL = Path("/work/shared/semconv/model")

# the names_violations test model of policies/check/naming_conventions (weaver-packages)
NAMES_VIOLATIONS = """
version: '2'
attributes:
  - key: nonamespace
    type: string
    brief: Missing namespace
    stability: stable
  - key: test.enum
    type:
      members:
        - id: Invalid_Member
          value: 1
    brief: Enum with invalid member id
    stability: stable
metrics:
  - name: Invalid_Metric
    brief: Invalid metric name (should be dot-separated)
    stability: stable
    instrument: counter
    unit: '1'
events:
  - name: Invalid_Event
    brief: Invalid event name
    stability: stable
entities:
  - type: Invalid_Entity
    brief: Invalid entity type
    stability: stable
    identity: []
spans:
  - type: Invalid_Span
    name:
      note: TBD
    kind: client
    stability: stable
    brief: Invalid span type
"""


def ids(path: Path) -> list[str]:
    return sorted(f.finding.code for f in check_registry(path))


def test_names_violations_match_weavers_expected_output(write: Callable[[str, str], Path]) -> None:
    path = write("model.yaml", NAMES_VIOLATIONS)
    assert ids(path) == sorted(
        [
            "naming_convention_entity_type",
            "naming_convention_event_name",
            "naming_convention_metric_name",
            "naming_convention_span_type",
            "naming_convention_attr_has_namespace",
            "naming_convention_enum_id",
            "naming_convention_attribute_name_namespace",
            "naming_convention_enum_member_id_format",
            "naming_convention_metric_brief_period",
            "naming_convention_entity_type_format",
            "naming_convention_event_name_format",
            "naming_convention_metric_name_format",
        ]
    )
    messages = {f.finding.code: f.finding.message for f in check_registry(path)}
    assert messages["naming_convention_metric_brief_period"] == (
        "Non-empty metric brief 'Invalid metric name (should be dot-separated)' must end with a "
        "period (.)."
    )
    assert messages["naming_convention_attr_has_namespace"] == (
        "Attribute name 'nonamespace' should have a namespace. Attribute name must consist of "
        "lowercase alphanumeric characters separated by '_' and '.'"
    )


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
    found = check_registry(path)
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
    assert ids(path) == [
        "naming_convention_attr_has_namespace",  # the namespace regex is lowercase-only too
        "naming_convention_attribute_name_format",
        "naming_convention_attribute_name_namespace",
        "naming_convention_metric_brief_period",
    ]


def test_broken_file_is_a_load_error_finding(write: Callable[[str, str], Path]) -> None:
    path = write("bad.yaml", "groups: [\n")
    [finding] = check_registry(path)
    assert finding.finding.code == "load_error" and finding.path == path


def test_real_model_is_clean() -> None:
    assert check_registry(MODEL) == []
