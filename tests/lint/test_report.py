"""Reporters: SARIF 2.1.0 structure (what GitHub code scanning requires), text, GitHub, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from obskit.conventions import Finding, Level
from obskit.lint import LocatedFinding, render_github, render_sarif, render_text
from tests.lint.conftest import RunCli

#: The parts of the official SARIF 2.1.0 schema a consumer relies on (the full schema is not
#: available offline); property names and enums are copied from the specification.
SARIF_STRUCTURE = {
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "pattern": "sarif-2\\.1\\.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "originalUriBaseIds": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["uri"],
                            "properties": {"uri": {"type": "string", "pattern": "^file:.*/$"}},
                        },
                    },
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "informationUri", "rules"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "informationUri": {"type": "string", "format": "uri"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {
                                                        "level": {
                                                            "enum": [
                                                                "none",
                                                                "note",
                                                                "warning",
                                                                "error",
                                                            ]
                                                        }
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "level", "message", "locations"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {
                                    "type": "object",
                                    "required": ["text"],
                                    "properties": {"text": {"type": "string"}},
                                },
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {
                                                            "uri": {"type": "string"},
                                                            "uriBaseId": {"type": "string"},
                                                        },
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine", "startColumn"],
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                            "startColumn": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                            "endColumn": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_from_the_cli_is_valid(shop: Path, cli: RunCli) -> None:
    result = cli("lint", "--format", "sarif")
    document = json.loads(result.out)
    jsonschema.validate(document, SARIF_STRUCTURE)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "obskit"
    assert len({rule["id"] for rule in rules}) == len(rules)
    first = run["results"][0]
    assert first["ruleId"] == "deprecated"
    assert first["level"] == "error"
    assert rules[first["ruleIndex"]]["id"] == "deprecated"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "legacy/old.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 6, "startColumn": 24, "endColumn": 37},
    }
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": shop.resolve().as_uri() + "/"}}
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["invalid_format"] == "error"
    assert len(run["results"]) == 11
    assert result.err.startswith("obskit: ")  # the summary stays out of the SARIF document
    assert result.code == 1


def _sarif_locations(paths: list[str]) -> list[dict[str, str]]:
    findings = [LocatedFinding(Finding("c", Level.VIOLATION, "n", "m"), p) for p in paths]
    document = json.loads(render_sarif(findings))
    jsonschema.validate(document, SARIF_STRUCTURE)
    run = document["runs"][0]
    return [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]


def test_sarif_uris_are_encoded_and_relative_to_srcroot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "my project"
    (project / "sub dir").mkdir(parents=True)
    monkeypatch.chdir(project)
    outside = tmp_path / "other #1" / "x.py"
    paths = [
        "./sub dir/a #1.py",
        "100%.py",
        str(project / "sub dir" / "b.py"),
        "sub dir/../c.py",
        str(outside),
        "../other #1/x.py",
        "legacy\\old.py",
        "C:\\src\\app.py",
    ]
    srcroot = "%SRCROOT%"
    assert _sarif_locations(paths) == [
        {"uri": "sub%20dir/a%20%231.py", "uriBaseId": srcroot},
        {"uri": "100%25.py", "uriBaseId": srcroot},
        {"uri": "sub%20dir/b.py", "uriBaseId": srcroot},
        {"uri": "c.py", "uriBaseId": srcroot},
        {"uri": outside.resolve().as_uri()},
        {"uri": outside.resolve().as_uri()},
        {"uri": "legacy/old.py", "uriBaseId": srcroot},
        {"uri": "file:///C:/src/app.py"},
    ]
    assert "%20%231" in outside.resolve().as_uri()


def test_empty_sarif_is_still_a_valid_run() -> None:
    document = json.loads(render_sarif([]))
    jsonschema.validate(document, SARIF_STRUCTURE)
    assert document["runs"][0]["results"] == []


def _located(level: Level, message: str = "bad, really: 100%") -> LocatedFinding:
    return LocatedFinding(Finding("code_x", level, "n", message), "a,b:c.py", 3, 5)


def test_github_levels_and_escaping() -> None:
    out = render_github(
        [
            _located(Level.VIOLATION),
            _located(Level.IMPROVEMENT),
            _located(Level.INFORMATION, "two\nlines"),
        ]
    )
    assert out.splitlines() == [
        "::error file=a%2Cb%3Ac.py,line=3,col=5,title=code_x::bad, really: 100%25",
        "::warning file=a%2Cb%3Ac.py,line=3,col=5,title=code_x::bad, really: 100%25",
        "::notice file=a%2Cb%3Ac.py,line=3,col=5,title=code_x::two%0Alines",
    ]


def test_text_includes_context() -> None:
    item = LocatedFinding(Finding("c", Level.VIOLATION, "n", "msg"), "f.json", 2, 1, None, "span")
    assert render_text([item]) == "f.json:2:1: c msg (span)\n"
