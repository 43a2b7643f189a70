"""``obskit drift``: the same concept named differently across services."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from obskit.lint._drift import inventory, service_names
from tests.lint.conftest import SAMPLES, RunCli

ORDERS = SAMPLES / "services" / "orders"
BILLING = SAMPLES / "services" / "billing"
CONFIG = SAMPLES / "shop" / "pyproject.toml"


def test_text_report(cli: RunCli) -> None:
    result = cli("drift", ORDERS, BILLING, "--config", CONFIG)
    lines = result.out.splitlines()
    assert [line for line in lines if not line.startswith(" ")] == [
        "drift_synonym: attribute 'app.order.id' is spelled 2 ways: 'app.order.id' in orders; "
        "'app.orderId' in billing; use 'app.order.id'",
        "drift_synonym: attribute 'app.order.status' is spelled 2 ways: 'app.order.status' in "
        "orders; 'app.order_status' in billing",
        "drift_type: attribute 'app.order.total' has values of 2 types: float in orders; "
        "str in billing",
        "drift_synonym: log field 'app.order.id' is spelled 2 ways: 'orderId' in billing; "
        "'order_id' in orders; use 'order_id'",
        "drift_single_service: attribute 'app.invoice.id' is used only by billing",
        "drift_single_service: attribute 'app.order.retries' is used only by orders",
        "obskit drift: 2 services; 10 names; 3 synonyms, 1 type conflicts, 2 single-service names",
    ]
    assert f"    app.orderId              billing: {BILLING / 'app.py'}:11" in lines
    assert result.code == 1


def test_json_report(cli: RunCli) -> None:
    result = cli("drift", ORDERS, BILLING, "--config", CONFIG, "--format", "json")
    report = json.loads(result.out)
    assert report["services"]["orders"]["names"] == 5
    synonym = report["findings"][0]
    assert synonym["code"] == "drift_synonym"
    assert synonym["suggestion"] == "app.order.id"
    assert synonym["spellings"] == {
        "app.order.id": {"orders": [f"{ORDERS / 'app.py'}:11"]},
        "app.orderId": {"billing": [f"{BILLING / 'app.py'}:11"]},
    }
    types = next(f for f in report["findings"] if f["code"] == "drift_type")
    assert set(types["types"]) == {"float", "str"}


def test_one_service_has_no_single_service_noise(cli: RunCli) -> None:
    result = cli("drift", ORDERS, "--config", CONFIG)
    assert "drift_single_service" not in result.out
    assert result.code == 0


def test_missing_directory_is_a_usage_error(cli: RunCli) -> None:
    assert cli("drift", SAMPLES / "nope").code == 2


def test_a_file_that_is_not_python_is_a_usage_error(tmp_path: Path, cli: RunCli) -> None:
    captured = tmp_path / "spans.jsonl"
    captured.write_text("{}\n")
    result = cli("drift", captured)
    assert result.code == 2
    assert f"not a directory, a .py file or an importable module: {captured}" in result.err


def test_services_sharing_a_directory_name_stay_apart(tmp_path: Path, cli: RunCli) -> None:
    first, second = tmp_path / "team1" / "api", tmp_path / "team2" / "api"
    shutil.copytree(ORDERS, first)
    shutil.copytree(BILLING, second)
    result = cli("drift", first, second, "--config", CONFIG, "--format", "json")
    report = json.loads(result.out)
    assert set(report["services"]) == {"team1/api", "team2/api"}
    assert report["services"]["team1/api"]["names"] == 5
    assert report["findings"][0]["spellings"] == {
        "app.order.id": {"team1/api": [f"{first / 'app.py'}:11"]},
        "app.orderId": {"team2/api": [f"{second / 'app.py'}:11"]},
    }
    singles = [f["message"] for f in report["findings"] if f["code"] == "drift_single_service"]
    assert singles == [
        "attribute 'app.invoice.id' is used only by team2/api",
        "attribute 'app.order.retries' is used only by team1/api",
    ]
    text = cli("drift", first, second, "--config", CONFIG)
    assert "obskit drift: 2 services;" in text.out


def test_service_names_use_the_shortest_distinguishing_suffix(tmp_path: Path) -> None:
    roots = [
        tmp_path / "a" / "x" / "api",
        tmp_path / "b" / "x" / "api",
        tmp_path / "c" / "api",
        tmp_path / "web",
    ]
    for root in roots:
        root.mkdir(parents=True)
    names = service_names([inventory(root) for root in roots])
    assert names == ["a/x/api", "b/x/api", "c/api", "web"]


def test_services_that_are_modules_or_files_of_one_package(
    tmp_path: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('never imported')\n")
    (package / "orders.py").write_text(
        "def f(span):\n    span.set_attribute('app.order.id', 'o')\n"
    )
    (package / "billing.py").write_text(
        "def f(span):\n    span.set_attribute('app.orderId', 'o')\n"
    )
    monkeypatch.chdir(tmp_path)
    modules = cli("drift", "shop.orders", "shop.billing", "--no-semconv", "--format", "json")
    [finding] = [f for f in json.loads(modules.out)["findings"] if f["code"] == "drift_synonym"]
    assert set(finding["spellings"]) == {"app.order.id", "app.orderId"}
    assert set(json.loads(modules.out)["services"]) == {"shop.orders", "shop.billing"}
    files = cli("drift", "shop/orders.py", "shop/billing.py", "--no-semconv", "--format", "json")
    assert set(json.loads(files.out)["services"]) == {"orders", "billing"}
    assert cli("drift", "shop.nothing", "shop.orders").code == 2
