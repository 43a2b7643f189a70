"""Weaver's own verdicts: each vendored test case of three weaver-packages policy packages.

``obskit conventions check`` must report, on each case, the violation ids (a multiset) and the
messages of the case's ``expected-diagnostic-output.json``: ``naming_conventions`` with the
default policy set, ``stability`` and ``backwards-compatibility`` (against the case's ``base``)
selected by name.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from obskit.cli import main

PACKAGES = Path(__file__).parent / "weaver_packages"
CASES = sorted(
    (package.name, case)
    for package in PACKAGES.iterdir()
    if package.is_dir()
    for case in package.iterdir()
    if case.is_dir()
)


def expected(case: Path) -> list[dict[str, str]]:
    rows = json.loads((case / "expected-diagnostic-output.json").read_text(encoding="utf-8"))
    return [row["error"]["violation"] for row in rows]


def test_every_package_has_its_cases() -> None:
    assert Counter(package for package, _ in CASES) == {
        "naming_conventions": 10,
        "stability": 12,
        "backwards-compatibility": 6,
    }


@pytest.mark.parametrize(("package", "case"), CASES, ids=[f"{p}/{c.name}" for p, c in CASES])
def test_case_gives_weavers_verdict(
    package: str, case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["conventions", "check", str(case / "current"), "--format", "json"]
    if package != "naming_conventions":  # naming_conventions is the default set
        args += ["--policy", package]
    if (case / "base").is_dir():
        args += ["--baseline", str(case / "base")]
    want = expected(case)
    assert main(args) == (1 if want else 0)
    got = json.loads(capsys.readouterr().out)
    assert Counter(row["id"] for row in got) == Counter(row["id"] for row in want)
    assert sorted(row["message"] for row in got) == sorted(row["message"] for row in want)


def test_semconv_rules_are_opt_in(capsys: pytest.CaptureFixture[str]) -> None:
    """The semantic-conventions repository's yaml_schema rules run only when asked for."""
    case = PACKAGES / "naming_conventions" / "names_violations" / "current"
    assert main(["conventions", "check", str(case), "--format", "json", "--policy", "semconv"]) == 1
    assert sorted(row["id"] for row in json.loads(capsys.readouterr().out)) == [
        "naming_convention_attribute_name_namespace",
        "naming_convention_entity_type_format",
        "naming_convention_enum_member_id_format",
        "naming_convention_event_name_format",
        "naming_convention_metric_name_format",
    ]


def test_comparison_without_baseline_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    case = PACKAGES / "backwards-compatibility" / "metrics" / "current"
    assert main(["conventions", "check", str(case), "--policy", "backwards-compatibility"]) == 2
    assert "needs a baseline" in capsys.readouterr().err
