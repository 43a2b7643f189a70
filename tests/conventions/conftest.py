"""Fixtures for the conventions tests: the semconv model copy and registries written to tmp.

The official model is vendored in ``tests/conventions/semconv`` (Apache-2.0, with its
``LICENSE``): the tests never read a path outside the repository.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.registries import DEMO_CONVENTIONS, MODEL

from obskit.conventions import BUILTIN_CONVENTIONS, Registry, RulesConfig, load_registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented YAML file under tmp_path and return its path."""

    def _write(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def registry() -> Registry:
    """Built-in and demo conventions over the installed semconv package, prefix ``app``."""
    return load_registry(BUILTIN_CONVENTIONS, DEMO_CONVENTIONS, config=RulesConfig(prefix="app"))


@pytest.fixture(scope="session")
def model_registry() -> Registry:
    return load_registry(MODEL, semconv=False)
