"""Baselines: old findings survive line moves; only new ones fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lint.conftest import RunCli


def test_baseline_accepts_old_findings_and_fails_new_ones(shop: Path, cli: RunCli) -> None:
    baseline = shop / "obskit-baseline.json"
    written = cli("lint", "--baseline", baseline, "--write-baseline")
    assert written.code == 0
    assert written.out == f"obskit lint: wrote 11 findings to {baseline}\n"
    entries = json.loads(baseline.read_text())["findings"]
    assert entries[0]["path"] == "legacy/old.py"
    assert {"fingerprint", "path", "code", "name"} <= set(entries[0])

    clean = cli("lint", "--baseline", baseline)
    assert clean.code == 0
    assert "11 in baseline" in clean.out

    # move every line down: fingerprints do not depend on line numbers
    service = shop / "orders" / "service.py"
    service.write_text("# a new header line\n\n" + service.read_text())
    assert cli("lint", "--baseline", baseline).code == 0

    # a new occurrence of an already-baselined problem is new
    with service.open("a") as handle:
        handle.write('\n\ndef more(span):\n    span.set_attribute("http.method", "PUT")\n')
    new = cli("lint", "--baseline", baseline)
    assert new.code == 1
    assert new.out.splitlines()[0] == (
        "orders/service.py:43:24: deprecated 'http.method' is deprecated (renamed): "
        "use 'http.request.method'"
    )


def test_unreadable_baseline_is_a_usage_error(shop: Path, cli: RunCli) -> None:
    (shop / "bad.json").write_text("{not json")
    result = cli("lint", "--baseline", shop / "bad.json")
    assert result.code == 2
    assert "not JSON" in result.err
    assert cli("lint", "--baseline", shop / "missing.json").code == 2


def test_baseline_matches_from_another_directory_and_with_absolute_paths(
    shop: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = shop / "obskit-baseline.json"
    assert cli("lint", ".", "--baseline", "obskit-baseline.json", "--write-baseline").code == 0
    paths = {entry["path"] for entry in json.loads(baseline.read_text())["findings"]}
    assert "legacy/old.py" in paths

    absolute = cli("lint", shop, "--baseline", baseline)
    assert absolute.code == 0, absolute.out
    assert "11 in baseline" in absolute.out, absolute.out

    monkeypatch.chdir(shop / "orders")
    below = cli("lint", "..", "--baseline", "../obskit-baseline.json")
    assert below.code == 0, below.out
    assert "11 in baseline" in below.out

    # a new finding is still new, whichever way the path is spelled
    service = shop / "orders" / "service.py"
    with service.open("a") as handle:
        handle.write('\n\ndef more(span):\n    span.set_attribute("http.method", "PUT")\n')
    new = cli("lint", shop, "--baseline", baseline)
    assert new.code == 1
    assert new.out.startswith(f"{service}:")
