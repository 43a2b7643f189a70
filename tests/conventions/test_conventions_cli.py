"""``obskit conventions`` through the real dispatcher: output and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.registries import DEMO_CONVENTIONS

from obskit.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_show_deprecated_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conventions", "show", "messaging.operation"]) == 0
    out = capsys.readouterr().out
    assert "deprecated:  yes (renamed); use messaging.operation.type" in out


def test_show_alias_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conventions", "show", "orderId", "--registry", str(DEMO_CONVENTIONS)]) == 0
    out = capsys.readouterr().out
    assert "orderId is a spelling of app.order.id" in out and "log key:     order_id" in out
    assert main(["conventions", "show", "no.such.name"]) == 1
    assert "not in the registry" in capsys.readouterr().out


def test_list_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conventions", "list", "--namespace", "obskit.message", "--no-semconv"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names[0] == "obskit.message.age" and len(names) == 10
    assert main(["conventions", "list", "--namespace", "messaging", "--deprecated"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all("deprecated" in line for line in lines)
    assert any(line.startswith("messaging.operation ") for line in lines)


def test_search_and_extra_registry(
    capsys: pytest.CaptureFixture[str], write: Callable[[str, str], Path]
) -> None:
    extra = write(
        "extra.yaml",
        "file_format: definition/2\nattributes:\n"
        "  - {key: zz.widget.colour, type: string, brief: Paint., stability: stable}\n",
    )
    assert main(["conventions", "search", "paint", "--registry", str(extra), "--no-semconv"]) == 0
    assert capsys.readouterr().out.startswith("zz.widget.colour")
    assert main(["conventions", "search", "nothing-like-this"]) == 1
    assert main(["conventions", "list", "--registry", "/no/such/dir"]) == 2


def test_check_clean_and_dirty(
    capsys: pytest.CaptureFixture[str], write: Callable[[str, str], Path]
) -> None:
    assert main(["conventions", "check", "conventions"]) == 0
    assert "0 finding(s)" in capsys.readouterr().out
    bad = write(
        "reg/model.yaml",
        "version: '2'\nattributes:\n  - {key: Bad, type: string, brief: B., stability: stable}\n",
    )
    assert main(["conventions", "check", str(bad.parent)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:3: naming_convention_attr_has_namespace" in out
    argv = ["conventions", "check", str(bad.parent), "--format", "json", "--policy", "semconv"]
    assert main(argv) == 1
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rows} == {
        "naming_convention_attribute_name_format",
        "naming_convention_attribute_name_namespace",
    }
    assert rows[0]["line"] == 3 and rows[0]["level"] == "violation"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert main(["conventions", "check", str(tmp_path / "missing")]) == 2
    assert main(["conventions", "frobnicate"]) == 2
    assert main(["conventions"]) == 2
    bad = tmp_path / "pyproject.toml"
    bad.write_text("[tool.obskit.levels]\nx = 'loud'\n")
    assert main(["conventions", "list", "--config", str(bad)]) == 2
