"""The installed opentelemetry-semantic-conventions package as a registry source."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from tests.support.registries import MODEL

from obskit.conventions import Attribute, Metric, _semconv_package, load_registry
from obskit.conventions._semconv_package import SemconvPackage, semconv_package


def test_names_enums_and_stability_from_the_package() -> None:
    registry = load_registry()
    method = registry.attributes["http.request.method"]
    assert method.stability == "stable" and method.type == "enum"
    assert {"GET", "POST", "_OTHER"} <= set(method.members)
    assert registry.attributes["messaging.system"].stability == "development"
    assert registry.attributes["server.port"].type is None  # the package records no types
    assert registry.attributes["http.request.header"].type == "template[any]"


def test_deprecation_read_from_docstrings() -> None:
    registry = load_registry()
    operation = registry.attributes["messaging.operation"]
    assert (operation.deprecated, operation.renamed_to) == ("renamed", "messaging.operation.type")
    removed = registry.attributes["messaging.destination_publish.name"]
    assert (removed.deprecated, removed.renamed_to) == ("obsoleted", None)
    # "Deprecated in favor of stable ..." in _incubating is a re-export, not a deprecation
    assert registry.attributes["http.request.method"].deprecated is None


def test_metrics_from_the_package() -> None:
    metric = load_registry().metrics["http.server.request.duration"]
    assert (metric.instrument, metric.unit, metric.stability) == ("histogram", "s", "stable")


def test_package_is_read_once_per_process() -> None:
    """Read once, then shared: no wall-clock threshold (the time is printed as a figure)."""
    assert semconv_package() is semconv_package()
    misses = semconv_package.cache_info().misses
    load_registry()
    load_registry()
    assert semconv_package.cache_info().misses == misses  # no second read of the package
    code = (
        "import time; t = time.perf_counter();"
        "from obskit.conventions import load_registry; load_registry();"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    print(f"\nfirst load_registry() in a fresh process: {float(out.stdout):.3f} s")


#: namespaces the Python package's generator leaves out (other runtimes' conventions)
OTHER_RUNTIMES = ("aspnetcore.", "dotnet.", "jvm.", "kestrel.", "signalr.")


def _stable(items: Iterable[Attribute | Metric]) -> set[str]:
    return {
        i.name
        for i in items
        if i.stability == "stable"
        and i.deprecated is None
        and not i.name.startswith(OTHER_RUNTIMES)
    }


def test_vendored_model_and_installed_package_agree_on_stable_names() -> None:
    """A model copy older or newer than the package (a stable name added, dropped or
    deprecated on one side only) fails here, so the tests never check against stale names."""
    package = semconv_package()
    model = load_registry(MODEL, semconv=False)
    official = [a for a in model.attributes.values() if a.source.startswith(str(MODEL))]
    assert _stable(official) == _stable(package.attributes)
    assert len(_stable(package.attributes)) > 100
    metrics = [m for m in model.metrics.values() if m.source.startswith(str(MODEL))]
    assert _stable(metrics) == _stable(package.metrics)
    assert "http.server.request.duration" in _stable(package.metrics)


def _fresh_parse(monkeypatch: pytest.MonkeyPatch, cache: str) -> SemconvPackage:
    monkeypatch.setenv("OBSKIT_CACHE_DIR", cache)
    return semconv_package.__wrapped__()


def test_the_parse_is_kept_for_the_next_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``obskit lint`` starts once per pre-commit run: the package's ~100 sources are parsed
    once per release, not once per process."""
    first = _fresh_parse(monkeypatch, str(tmp_path))
    (kept,) = tmp_path.glob(f"semconv-{first.version}-*.pickle")

    def no_parse(root: Path) -> list[Attribute]:
        raise AssertionError("the package was parsed again")

    monkeypatch.setattr(_semconv_package, "_attributes", no_parse)
    assert _fresh_parse(monkeypatch, str(tmp_path)) == first
    assert list(tmp_path.iterdir()) == [kept]  # no partial file left behind


def test_a_damaged_or_unwritable_cache_is_parsed_around(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    expected = _fresh_parse(monkeypatch, "")  # caching off: nothing written anywhere
    (tmp_path / "cache").mkdir()
    _fresh_parse(monkeypatch, str(tmp_path / "cache"))
    (kept,) = (tmp_path / "cache").iterdir()
    kept.write_bytes(b"not a pickle")
    assert _fresh_parse(monkeypatch, str(tmp_path / "cache")) == expected
    (tmp_path / "a-file").write_text("")
    assert _fresh_parse(monkeypatch, str(tmp_path / "a-file" / "cache")) == expected


def test_no_home_directory_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container user without a home: the registry still loads, nothing is kept."""
    expected = _fresh_parse(monkeypatch, "")
    monkeypatch.delenv("OBSKIT_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert semconv_package.__wrapped__() == expected
